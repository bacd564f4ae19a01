/**
 * The core benchmarks of issue 2 (item 9): anyts against raw JavaScript, in the same
 * process. Run them all with `npm run bench`, or one file on one runtime with e.g.
 * `node --expose-gc scripts/bench/core.bench.ts` (Node ≥ 22.18).
 *
 * Both sides of a case do the same work with the same async function; the anyts side adds
 * exactly what the library adds (a task with its cancel scope, a checkpoint's cancellation
 * check, a scope entry and exit, a deadline that cancels a wait).
 *
 * Note on fairness: "same process" means that on Node 20 and 22 the raw side too runs with
 * the promise hooks that `AsyncLocalStorage` switches on the first time anyts enters a
 * context (Node ≥ 24 and Deno and Bun carry the context without hooks). The ratios are
 * therefore what a program that uses anyts pays for anyts' own work.
 *
 * @module
 */
import { CancelScope, checkpoint, moveOnAfter, run, sleepForever, taskGroup } from "../../mod.ts";
import { MockClock } from "../../testing.ts";
import { compare } from "./harness.ts";

/** The unit of work of (a) and (c): a trivial async function with one await. */
async function work(): Promise<void> {
  await null;
}

// (a) 100,000 tasks started and finished in one task group.
//     anyts: one taskGroup; its body calls tg.startSoon(work) 100,000 times; the group
//            returns when all have finished (each task: a Task, a CancelScope, one
//            AsyncLocalStorage.run, one `await undefined` before calling work).
//     raw:   Promise.all over 100,000 calls of work() collected in an array.
const TASKS = 100_000;
await compare(
  "core a: 100k tasks in one task group",
  {
    anyts: () =>
      taskGroup(async (tg) => {
        for (let i = 0; i < TASKS; i++) tg.startSoon(work);
      }),
    raw: async () => {
      const promises: Promise<void>[] = new Array(TASKS);
      for (let i = 0; i < TASKS; i++) promises[i] = work();
      await Promise.all(promises);
    },
  },
  { runs: 7, target: 2 },
);

// (b) 1,000,000 checkpoints in a loop of one async function.
//     anyts: `await checkpoint()` (look up the current scope in the async context, check
//            that it is not cancelled, await an already resolved promise), inside run()
//            so that the context holds a real scope, as in any anyts program.
//     raw:   `await null`.
const CHECKPOINTS = 1_000_000;
await compare(
  "core b: 1M await checkpoint()",
  {
    anyts: () =>
      run(async () => {
        for (let i = 0; i < CHECKPOINTS; i++) await checkpoint();
      }),
    raw: async () => {
      for (let i = 0; i < CHECKPOINTS; i++) await null;
    },
  },
  { target: 3 },
);

// (c) 100,000 cancel-scope entries and exits, one after the other.
//     anyts: `await new CancelScope().run(work)`: create, enter (link to the parent, one
//            AsyncLocalStorage.run), call work, exit (unlink), resolve.
//     raw:   `await work()`.
const SCOPES = 100_000;
await compare("core c: 100k cancel-scope entries and exits", {
  anyts: async () => {
    for (let i = 0; i < SCOPES; i++) await new CancelScope().run(work);
  },
  raw: async () => {
    for (let i = 0; i < SCOPES; i++) await work();
  },
});

// (d) 10,000 timeouts that fire, all at once.
//     anyts:  one taskGroup with 10,000 tasks, each `moveOnAfter(1, sleepForever)`: a scope
//             with a 1 ms deadline whose timer cancels the wait inside it (the wait
//             rejects with Cancelled and the scope catches it).
//     raw:    Promise.all over 10,000 async functions, each awaiting
//             `new Promise((r) => setTimeout(r, 1))`.
//     signal: the web-standard way to time out, for reference: each async function awaits
//             a promise rejected by `AbortSignal.timeout(1)` and catches the rejection
//             (Node unrefs those timers: one interval keeps the process alive meanwhile).
const TIMEOUTS = 10_000;
const timeoutTask = () => moveOnAfter(1, sleepForever);
async function rawTimeout(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1));
}
async function signalTimeout(): Promise<void> {
  try {
    await new Promise<never>((_, reject) => {
      const signal = AbortSignal.timeout(1);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  } catch {
    // timed out, as intended
  }
}
await compare("core d: 10k moveOnAfter timeouts that fire", {
  anyts: () =>
    taskGroup(async (tg) => {
      for (let i = 0; i < TIMEOUTS; i++) tg.startSoon(timeoutTask);
    }),
  raw: async () => {
    const promises: Promise<void>[] = new Array(TIMEOUTS);
    for (let i = 0; i < TIMEOUTS; i++) promises[i] = rawTimeout();
    await Promise.all(promises);
  },
  signal: async () => {
    const keepAlive = setInterval(() => {}, 1_000);
    const promises: Promise<void>[] = new Array(TIMEOUTS);
    for (let i = 0; i < TIMEOUTS; i++) promises[i] = signalTimeout();
    await Promise.all(promises);
    clearInterval(keepAlive);
  },
});

// (e) and (f) 10,000 scopes with a deadline that does not fire, one after the other
//     (issue 12: one deadline queue per run). Each scope runs `checkpoint()`.
//     anyts:  `moveOnAfter(10_000, () => checkpoint())`: the deadline goes into the run's
//             heap and out again; the run's one runtime timer stays armed.
//     scope:  the same loop with a bare `new CancelScope().run(() => checkpoint())`.
//     manual: what a user writes without anyts: `new AbortController()`, a
//             `setTimeout(() => controller.abort(), 10_000)`, the same async call, then
//             `clearTimeout`.
const DEADLINES = 10_000;
const withDeadline = () => moveOnAfter(10_000, () => checkpoint());
const bareScope = () => new CancelScope().run(() => checkpoint());
async function manualTimeout(): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10_000);
  try {
    await checkpoint();
  } finally {
    clearTimeout(timer);
  }
}
await compare(
  "core e: 10k moveOnAfter(10 s) vs bare CancelScope",
  {
    anyts: () =>
      run(async () => {
        for (let i = 0; i < DEADLINES; i++) await withDeadline();
      }),
    scope: () =>
      run(async () => {
        for (let i = 0; i < DEADLINES; i++) await bareScope();
      }),
  },
  { target: 1.5 },
);
await compare(
  "core f: 10k moveOnAfter(10 s) vs AbortController+setTimeout",
  {
    anyts: () =>
      run(async () => {
        for (let i = 0; i < DEADLINES; i++) await withDeadline();
      }),
    manual: () =>
      run(async () => {
        for (let i = 0; i < DEADLINES; i++) await manualTimeout();
      }),
  },
  { target: 0.5 },
);

// (g) and (h) task spawn and checkpoint cost in a run that follows a MockClock (virtual
//     time, introspection bookkeeping on) against the same work in a real-time run.
await compare("core g: 100k tasks, MockClock run vs real-time run", {
  mock: () =>
    run(() =>
      taskGroup(async (tg) => {
        for (let i = 0; i < TASKS; i++) tg.startSoon(work);
      }), { clock: new MockClock() }),
  real: () =>
    run(() =>
      taskGroup(async (tg) => {
        for (let i = 0; i < TASKS; i++) tg.startSoon(work);
      })),
}, { runs: 7 });
await compare("core h: 1M checkpoints, MockClock run vs real-time run", {
  mock: () =>
    run(async () => {
      for (let i = 0; i < CHECKPOINTS; i++) await checkpoint();
    }, { clock: new MockClock() }),
  real: () =>
    run(async () => {
      for (let i = 0; i < CHECKPOINTS; i++) await checkpoint();
    }),
});
