/**
 * A growable ring buffer used as a first-in, first-out queue by the stream layer.
 * Internal to anyts.
 *
 * @module
 */

/** @ignore A FIFO queue on a power-of-two ring: O(1) push and shift, no per-item allocation. */
export class Fifo<T> {
  /** @ignore */
  _items: (T | undefined)[];
  /** @ignore */
  _mask: number;
  /** @ignore */
  _head = 0;
  /** @ignore */
  _size = 0;

  constructor(initialCapacity = 8) {
    let capacity = 8;
    while (capacity < initialCapacity) capacity *= 2;
    this._items = new Array<T | undefined>(capacity).fill(undefined);
    this._mask = capacity - 1;
  }

  /** The number of queued items. */
  get length(): number {
    return this._size;
  }

  /** Appends `item` at the back. */
  push(item: T): void {
    if (this._size > this._mask) this._grow();
    this._items[(this._head + this._size) & this._mask] = item;
    this._size++;
  }

  /** Removes and returns the front item. The queue must not be empty. */
  shift(): T {
    const head = this._head;
    const item = this._items[head] as T;
    this._items[head] = undefined;
    this._head = (head + 1) & this._mask;
    this._size--;
    return item;
  }

  /** The front item, without removing it; `undefined` when empty. */
  peek(): T | undefined {
    return this._size === 0 ? undefined : this._items[this._head];
  }

  /** Removes every item. */
  clear(): void {
    if (this._size === 0) return;
    this._items.fill(undefined);
    this._head = 0;
    this._size = 0;
  }

  /** Keeps only the items for which `keep` returns true, in order. */
  retain(keep: (item: T) => boolean): void {
    const size = this._size;
    let kept = 0;
    for (let i = 0; i < size; i++) {
      const item = this._items[(this._head + i) & this._mask] as T;
      if (keep(item)) this._items[(this._head + kept++) & this._mask] = item;
    }
    for (let i = kept; i < size; i++) this._items[(this._head + i) & this._mask] = undefined;
    this._size = kept;
  }

  /** Removes and returns every item, front first. */
  drain(): T[] {
    const out = new Array<T>(this._size);
    for (let i = 0; i < out.length; i++) out[i] = this.shift();
    this._head = 0;
    return out;
  }

  /** @ignore */
  _grow(): void {
    const old = this._items;
    const capacity = old.length * 2;
    const items = new Array<T | undefined>(capacity).fill(undefined);
    for (let i = 0; i < this._size; i++) items[i] = old[(this._head + i) & this._mask];
    this._items = items;
    this._mask = capacity - 1;
    this._head = 0;
  }
}
