/**
 * Memory object stream benchmarks of issue 3 (item 7): 1,000,000 items from one sender
 * task to one receiver task, through a buffer of 0 (a rendezvous: every item makes one
 * side wait) and of 100, against a minimal hand-written promise queue with the same
 * capacity semantics. Target: at most 1.5× the queue's time.
 *
 * Run with `npm run bench`, or e.g. `node --expose-gc --experimental-strip-types
 * scripts/bench/memory-stream.bench.ts` (Node ≥ 22.6), `deno run -A ...`, `bun ...`.
 *
 * Fairness: both sides run the same two loops (send i for i < N; receive N times) as two
 * concurrent async functions. The anyts side starts them as tasks of a task group inside
 * `run()` (so the async context holds real scopes, and every send and receive checks for
 * cancellation); the queue side runs them with Promise.all. The queue is what one would
 * write by hand: arrays for the buffer and the waiters, async methods, a new Promise per
 * wait, no cancellation.
 *
 * @module
 */
import { createMemoryObjectStream, run, taskGroup } from "../../mod.ts";
import { compare } from "./harness.ts";

/** The hand-written baseline: a bounded async queue (capacity 0 = rendezvous). */
class PromiseQueue<T> {
  capacity: number;
  buffer: T[] = [];
  receivers: ((item: T) => void)[] = [];
  senders: { item: T; resolve: () => void }[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  async send(item: T): Promise<void> {
    const receiver = this.receivers.shift();
    if (receiver !== undefined) return receiver(item);
    if (this.buffer.length < this.capacity) {
      this.buffer.push(item);
      return;
    }
    await new Promise<void>((resolve) => this.senders.push({ item, resolve }));
  }

  async receive(): Promise<T> {
    if (this.buffer.length > 0) {
      const item = this.buffer.shift()!;
      const sender = this.senders.shift();
      if (sender !== undefined) {
        this.buffer.push(sender.item);
        sender.resolve();
      }
      return item;
    }
    const sender = this.senders.shift();
    if (sender !== undefined) {
      sender.resolve();
      return sender.item;
    }
    return await new Promise<T>((resolve) => this.receivers.push(resolve));
  }
}

const ITEMS = 1_000_000;

async function viaAnyts(bufferSize: number): Promise<void> {
  await run(() =>
    taskGroup(async (tg) => {
      const [send, receive] = createMemoryObjectStream<number>(bufferSize);
      tg.startSoon(async () => {
        for (let i = 0; i < ITEMS; i++) await send.send(i);
        send.close();
      });
      tg.startSoon(async () => {
        let sum = 0;
        for (let i = 0; i < ITEMS; i++) sum += await receive.receive();
        if (sum !== (ITEMS * (ITEMS - 1)) / 2) throw new Error(`lost items: sum ${sum}`);
        receive.close();
      });
    })
  );
}

async function viaQueue(bufferSize: number): Promise<void> {
  const queue = new PromiseQueue<number>(bufferSize);
  await Promise.all([
    (async () => {
      for (let i = 0; i < ITEMS; i++) await queue.send(i);
    })(),
    (async () => {
      let sum = 0;
      for (let i = 0; i < ITEMS; i++) sum += await queue.receive();
      if (sum !== (ITEMS * (ITEMS - 1)) / 2) throw new Error(`lost items: sum ${sum}`);
    })(),
  ]);
}

for (const bufferSize of [0, 100]) {
  await compare(
    `memory stream: 1M items, buffer ${bufferSize}`,
    { anyts: () => viaAnyts(bufferSize), queue: () => viaQueue(bufferSize) },
    { runs: 7, target: 1.5 },
  );
}
