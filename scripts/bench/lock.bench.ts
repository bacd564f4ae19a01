/**
 * The Lock benchmarks of issue 3 (item 7): anyts' Lock against async-mutex's Mutex (a dev
 * dependency of the benchmark only), in the same process. Target: anyts faster (≤ 1×).
 * Run them all with `npm run bench`, or this file alone with e.g.
 * `node --expose-gc scripts/bench/lock.bench.ts` (Node ≥ 22.18).
 *
 * Both sides do the same work: acquire, then release, in a loop. The anyts side releases
 * through the acquisition's `[Symbol.dispose]()` (what `using _ = await lock.acquire()`
 * calls; written out because Node 22's type stripping does not lower `using`), and runs
 * inside `run()`/a task group so that the async context holds real tasks and scopes, as
 * in any anyts program. Every anyts acquire is a checkpoint (a cancellation check and,
 * without fastAcquire, a re-check after the yield).
 *
 * @module
 */
import { Mutex } from "async-mutex";
import { Lock, run, taskGroup } from "../../mod.ts";
import { compare } from "./harness.ts";

// (a) 1,000,000 uncontended acquire/release pairs in one task.
//     anyts:        `(await lock.acquire())[Symbol.dispose]()` with a default Lock
//                   (cancellation check, take the lock, yield, re-check)
//     anyts fast:   the same with `fastAcquire: true` (no re-check after the yield)
//     async-mutex:  `(await mutex.acquire())()`
const UNCONTENDED = 1_000_000;
await compare(
  "lock a: 1M uncontended acquire/release",
  {
    anyts: () =>
      run(async () => {
        const lock = new Lock();
        for (let i = 0; i < UNCONTENDED; i++) (await lock.acquire())[Symbol.dispose]();
      }),
    "async-mutex": async () => {
      const mutex = new Mutex();
      for (let i = 0; i < UNCONTENDED; i++) (await mutex.acquire())();
    },
    "anyts fastAcquire": () =>
      run(async () => {
        const lock = new Lock({ fastAcquire: true });
        for (let i = 0; i < UNCONTENDED; i++) (await lock.acquire())[Symbol.dispose]();
      }),
  },
  { target: 1, runs: 7 },
);

// (b) 100 tasks × 10,000 acquisitions each of one lock: every acquire but the very first
//     queues behind the other 99 tasks, and every release hands the lock to the oldest
//     waiter (FIFO on both sides).
//     anyts:        a task group of 100 tasks (each a Task with its cancel scope)
//     async-mutex:  Promise.all over 100 async functions
const TASKS = 100;
const PER_TASK = 10_000;
await compare(
  "lock b: 100 tasks × 10k contended acquire/release",
  {
    anyts: () =>
      run(async () => {
        const lock = new Lock();
        const worker = async () => {
          for (let i = 0; i < PER_TASK; i++) (await lock.acquire())[Symbol.dispose]();
        };
        await taskGroup(async (tg) => {
          for (let t = 0; t < TASKS; t++) tg.startSoon(worker);
        });
      }),
    "async-mutex": async () => {
      const mutex = new Mutex();
      const worker = async () => {
        for (let i = 0; i < PER_TASK; i++) (await mutex.acquire())();
      };
      const workers: Promise<void>[] = [];
      for (let t = 0; t < TASKS; t++) workers.push(worker());
      await Promise.all(workers);
    },
  },
  { target: 1, runs: 5 },
);
