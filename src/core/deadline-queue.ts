/**
 * The deadlines of one run, in one binary heap: every `sleep` and every cancel-scope
 * deadline is an entry; the run arms a single runtime timer for the earliest one (see
 * `run-state.ts`). A virtual clock (MockClock) then only has to replace the clock the
 * queue is read with. Internal to anyts.
 *
 * @module
 */

/** @ignore An entry of a {@linkcode DeadlineQueue}: a scope, or a sleep. Internal. */
export interface DeadlineEntry {
  /** @ignore When it is due, on the run's clock. */
  _when: number;
  /** @ignore Insertion order, so that entries due at the same time fire first in, first out. */
  _seq: number;
  /** @ignore Where it is in the heap; -1 when not queued. */
  _heapIndex: number;
  /** @ignore Called once when it is due. */
  _fire(): void;
}

/** @ignore A sleep's entry: resolves the sleep when due. Internal. */
export class TimerEntry implements DeadlineEntry {
  _when = 0;
  _seq = 0;
  _heapIndex = -1;
  readonly _fire: () => void;
  constructor(fire: () => void) {
    this._fire = fire;
  }
}

function before(a: DeadlineEntry, b: DeadlineEntry): boolean {
  return a._when < b._when || (a._when === b._when && a._seq < b._seq);
}

/** @ignore A min-heap of deadline entries with O(log n) insertion and removal. Internal. */
export class DeadlineQueue {
  /** @ignore */
  _heap: DeadlineEntry[] = [];
  /** @ignore */
  _seq = 0;

  /** The number of queued entries. */
  get size(): number {
    return this._heap.length;
  }

  /** When the earliest entry is due; `Infinity` when the queue is empty. */
  earliest(): number {
    const first = this._heap[0];
    return first === undefined ? Infinity : first._when;
  }

  /** Queues `entry` to fire at `when`; returns whether it became the earliest. */
  add(entry: DeadlineEntry, when: number): boolean {
    entry._when = when;
    entry._seq = this._seq++;
    const heap = this._heap;
    entry._heapIndex = heap.length;
    heap.push(entry);
    this._siftUp(entry._heapIndex);
    return entry._heapIndex === 0;
  }

  /** Takes `entry` out of the queue; does nothing if it is not queued. */
  remove(entry: DeadlineEntry): void {
    const index = entry._heapIndex;
    if (index < 0) return;
    entry._heapIndex = -1;
    const heap = this._heap;
    const last = heap.pop()!;
    if (last === entry) return;
    heap[index] = last;
    last._heapIndex = index;
    if (index > 0 && before(last, heap[(index - 1) >> 1]!)) this._siftUp(index);
    else this._siftDown(index);
  }

  /** Fires, earliest first, every entry due at or before `now`. Returns how many fired. */
  fireExpired(now: number): number {
    const heap = this._heap;
    let fired = 0;
    while (heap.length !== 0 && heap[0]!._when <= now) {
      const entry = heap[0]!;
      this.remove(entry);
      fired++;
      entry._fire();
    }
    return fired;
  }

  /** @ignore */
  _siftUp(index: number): void {
    const heap = this._heap;
    const entry = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!before(entry, parent)) break;
      heap[index] = parent;
      parent._heapIndex = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry._heapIndex = index;
  }

  /** @ignore */
  _siftDown(index: number): void {
    const heap = this._heap;
    const length = heap.length;
    const entry = heap[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && before(heap[right]!, heap[left]!) ? right : left;
      const smallest = heap[child]!;
      if (!before(smallest, entry)) break;
      heap[index] = smallest;
      smallest._heapIndex = index;
      index = child;
    }
    heap[index] = entry;
    entry._heapIndex = index;
  }
}
