// Cancelling toWorker.run: both modes, the worker's view (fromWorker.signal,
// fromWorker.checkCancelled()), and calls cancelled before they start.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelScope, Cancelled, CapacityLimiter, taskGroup, toWorker } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { _workerCensus } from "../../src/workers/pool.ts";
import { eventually, expectNoWorkersLeft, FIXTURE_TIMEOUT, fixture, sharedCounter, whenSet } from "./helpers.ts";

const test = backendTests(it);
let work: URL;

beforeAll(async () => {
  work = await fixture("work.ts");
}, FIXTURE_TIMEOUT);
afterAll(expectNoWorkersLeft);

/**
 * Runs `call` in a scope that is cancelled once `flags[0]` is set (the worker started);
 * resolves to what the call did: its value or error, and whether the scope caught it.
 */
async function cancelOnceStarted(flags: Int32Array, call: () => Promise<unknown>) {
  let outcome: { value?: unknown; error?: unknown } = {};
  const scope = new CancelScope();
  await taskGroup(async (tg) => {
    tg.startSoon(async () => {
      await whenSet(flags);
      scope.cancel("test");
    });
    await scope.run(async () => {
      try {
        outcome = { value: await call() };
      } catch (error) {
        outcome = { error };
        throw error;
      }
    });
  });
  return { ...outcome, caught: scope.cancelledCaught };
}

describe("cancellable: false (the default)", () => {
  test("the worker's signal aborts with a Cancelled; the call finishes, then raises Cancelled", async () => {
    const flags = sharedCounter(4);
    const outcome = await cancelOnceStarted(flags, () => toWorker.run(work, "waitForCancel", [flags]));
    expect(outcome.error).toBeInstanceOf(Cancelled);
    expect(outcome.caught).toBe(true);
    expect([...flags]).toEqual([1, 1, 1, 1]); // aborted, with a Cancelled reason, then returned
  });

  test("fromWorker.checkCancelled() stops a synchronous loop at once (shared memory)", async () => {
    const flags = sharedCounter(2);
    const outcome = await cancelOnceStarted(flags, () => toWorker.run(work, "spinUntilCancelled", [flags]));
    expect(outcome.error).toBeInstanceOf(Cancelled);
    expect(Atomics.load(flags, 1)).toBe(1);
  });

  test("an async loop that checks between turns stops too; its Cancelled stays a Cancelled here", async () => {
    const flags = sharedCounter(2);
    const outcome = await cancelOnceStarted(flags, () => toWorker.run(work, "loopUntilCancelled", [flags]));
    expect(outcome.error).toBeInstanceOf(Cancelled);
    expect(Atomics.load(flags, 1)).toBe(1);
    // The worker is reused afterwards.
    expect(await toWorker.run(work, "echo", ["after"])).toBe("after");
  });

  test("the token is held until the worker answered", async () => {
    const flags = sharedCounter(4);
    const limiter = new CapacityLimiter(1);
    let borrowedAfterAbort = -1;
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await whenSet(flags);
        scope.cancel();
        await whenSet(flags, 1);
        borrowedAfterAbort = limiter.borrowedTokens;
      });
      await scope.run(() => toWorker.run(work, "waitForCancel", [flags], { limiter }));
    });
    expect(borrowedAfterAbort).toBe(1);
    expect(limiter.borrowedTokens).toBe(0);
  });

  test("fromWorker outside a running call is a clear error", async () => {
    await toWorker.run(work, "askAfterReturn");
    const answer = await toWorker.run<string>(work, "answerAfterReturn");
    expect(answer).toContain("fromWorker.checkCancelled: not inside a call");
  });
});

describe("cancellable: true", () => {
  test("a worker in a synchronous loop is terminated; Cancelled at once; the pool replaces it", async () => {
    const flags = sharedCounter(1);
    const before = _workerCensus().threads;
    const outcome = await cancelOnceStarted(flags, () => toWorker.run(work, "spinForever", [flags], { cancellable: true }));
    expect(outcome.error).toBeInstanceOf(Cancelled);
    expect(outcome.caught).toBe(true);
    await eventually(() => _workerCensus().threads <= before, "the terminated worker exited");
    expect(await toWorker.run(work, "echo", ["next"])).toBe("next");
  });

  test("a call that finishes normally returns its value (and its worker is kept)", async () => {
    const { threadId } = await toWorker.run<{ threadId: number }>(work, "whoAmI", [], { cancellable: true });
    expect((await toWorker.run<{ threadId: number }>(work, "whoAmI")).threadId).toBe(threadId);
  });
});

describe("a call cancelled while it waits for a token", () => {
  test("never starts", async () => {
    const limiter = new CapacityLimiter(1);
    const holder = sharedCounter(4);
    const started = sharedCounter(1);
    const holderScope = new CancelScope();
    const waiterScope = new CancelScope();
    let waiterError: unknown;
    await taskGroup(async (tg) => {
      tg.startSoon(() => holderScope.run(() => toWorker.run(work, "waitForCancel", [holder], { limiter })));
      await whenSet(holder);
      tg.startSoon(async () => {
        try {
          await waiterScope.run(async () => {
            await toWorker.run(work, "countStart", [started], { limiter });
          });
        } catch (error) {
          waiterError = error;
        }
      });
      await eventually(() => limiter.statistics().tasksWaiting === 1, "the second call waits for the token");
      waiterScope.cancel();
      await eventually(() => limiter.statistics().tasksWaiting === 0, "the waiter left");
      holderScope.cancel();
    });
    expect(waiterError).toBeUndefined();
    expect(waiterScope.cancelledCaught).toBe(true);
    expect(Atomics.load(started, 0)).toBe(0);
    await toWorker.run(work, "countStart", [started], { limiter });
    expect(Atomics.load(started, 0)).toBe(1);
  });

  test("a call in an already cancelled scope does not start", async () => {
    const started = sharedCounter(1);
    const scope = new CancelScope();
    scope.cancel();
    await scope.run(() => toWorker.run(work, "countStart", [started]));
    expect(scope.cancelledCaught).toBe(true);
    expect(Atomics.load(started, 0)).toBe(0);
  });
});
