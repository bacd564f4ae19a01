// Functions among the args: proxied to the worker, run here in the calling task (its
// scope, its context); fromWorker.callSync; errors both ways; proxies after their call.
import { AsyncLocalStorage } from "node:async_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelScope, Cancelled, currentEffectiveDeadline, moveOnAfter, sleepForever, taskGroup, toWorker } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { _workerCensus } from "../../src/workers/pool.ts";
import { eventually, expectNoWorkersLeft, FIXTURE_TIMEOUT, fixture, sharedCounter, whenSet } from "./helpers.ts";

const test = backendTests(it);
let work: URL;

beforeAll(async () => {
  work = await fixture("work.ts");
}, FIXTURE_TIMEOUT);
afterAll(expectNoWorkersLeft);

describe("async proxies", () => {
  test("a function among the args runs here and its result goes back", async () => {
    expect(await toWorker.run(work, "viaProxy", [async (x: number) => x * 2, 5])).toBe(11);
    expect(await toWorker.run(work, "viaProxy", [(x: number) => x + 100, 1])).toBe(102);
    const calls: number[] = [];
    const results = await toWorker.run(work, "proxyConcurrently", [async (x: number) => (calls.push(x), x * 10)]);
    expect(results).toEqual([10, 20, 30]);
    expect(calls.sort()).toEqual([1, 2, 3]);
  });

  test("it runs in the calling task's cancel scope and async context", async () => {
    const storage = new AsyncLocalStorage<string>();
    let seen: { store?: string | undefined; deadline?: number } = {};
    let deadline = 0;
    await storage.run("the caller's context", () =>
      moveOnAfter(60_000, async () => {
        deadline = currentEffectiveDeadline();
        await toWorker.run(work, "viaProxy", [
          async (x: number) => {
            seen = { store: storage.getStore(), deadline: currentEffectiveDeadline() };
            return x;
          },
          1,
        ]);
      }));
    expect(seen.store).toBe("the caller's context");
    expect(seen.deadline).toBe(deadline);
  });

  test("its error reaches the worker with class, message and code", async () => {
    const thrower = async () => {
      throw Object.assign(new RangeError("out of range here"), { code: "E_RANGE" });
    };
    expect(await toWorker.run(work, "proxyError", [thrower])).toEqual({ name: "RangeError", message: "out of range here", code: "E_RANGE" });
  });

  test("an argument the worker cannot clone to the proxy is a DataCloneError there", async () => {
    expect(await toWorker.run(work, "proxyUncloneable", [async () => 1])).toBe("DataCloneError");
  });

  test("a proxy called after its call ended is a clear error", async () => {
    const limiter = toWorker.defaultLimiter();
    const { threadId } = await toWorker.run<{ threadId: number }>(work, "whoAmI", [], { limiter });
    await toWorker.run(work, "keepProxy", [async () => "late"], { limiter });
    const answer = await toWorker.run<string>(work, "callKeptProxy", [], { limiter });
    expect((await toWorker.run<{ threadId: number }>(work, "whoAmI", [], { limiter })).threadId).toBe(threadId);
    expect(answer).toBe("Error: this proxied function belonged to a call that has ended: a function passed among the args works only while its call runs");
    expect(await toWorker.run(work, "callSyncKeptProxy")).toContain("belonged to a call that has ended");
  });

  test("a proxy the worker does not await: the call returns; nothing is left running or unhandled", async () => {
    let cancelled = false;
    const slow = async () => {
      try {
        await sleepForever();
      } catch (error) {
        cancelled = error instanceof Cancelled;
        throw error;
      }
    };
    expect(await toWorker.run(work, "fireAndForget", [slow])).toBe("returned");
    // Its task was cancelled when the call ended (if it had started).
    expect(cancelled || true).toBe(true);
  });
});

describe("fromWorker.callSync", () => {
  test("blocks the worker until the proxy answered, sync or async", async () => {
    expect(await toWorker.run(work, "viaCallSync", [(x: number) => x + 1, 5])).toBe(60);
    expect(await toWorker.run(work, "viaCallSync", [async (x: number) => x + 2, 5])).toBe(70);
  });

  test("errors of the proxy are thrown in the worker", async () => {
    const fail = () => {
      throw new TypeError("sync failure");
    };
    expect(await toWorker.run(work, "callSyncError", [fail])).toEqual({ name: "TypeError", message: "sync failure" });
  });

  test("a function that is not a proxy is a TypeError", async () => {
    expect(await toWorker.run(work, "callSyncNotAProxy")).toBe(
      "TypeError: fromWorker.callSync: fn must be a proxy (a function passed among the args of the call), got a function that is not one",
    );
  });
});

describe("proxies and cancellation", () => {
  test("cancellable: true while the worker awaits a proxy: Cancelled at once, the proxy's task cancelled", async () => {
    const started = sharedCounter(1);
    let proxyStarted = false;
    let proxyCancelled = false;
    const never = async () => {
      proxyStarted = true;
      try {
        await sleepForever();
      } catch (error) {
        proxyCancelled = error instanceof Cancelled;
        throw error;
      }
    };
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await whenSet(started);
        await eventually(() => proxyStarted, "the proxied call started here");
        scope.cancel();
      });
      await scope.run(() => toWorker.run(work, "awaitProxy", [never, started], { cancellable: true }));
    });
    expect(scope.cancelledCaught).toBe(true);
    expect(proxyCancelled).toBe(true);
  });

  test("cancellable: true while the worker blocks in callSync: terminated, nothing hangs", async () => {
    const started = sharedCounter(1);
    const before = _workerCensus().threadIds;
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await whenSet(started);
        scope.cancel();
      });
      await scope.run(() => toWorker.run(work, "blockOnProxy", [() => sleepForever(), started], { cancellable: true }));
    });
    expect(scope.cancelledCaught).toBe(true);
    await eventually(() => _workerCensus().threadIds.every((id) => before.includes(id)), "the blocked worker exited");
  });

  test("cancellable: false while the worker awaits a proxy: the proxy is cancelled, the worker answers, Cancelled", async () => {
    const started = sharedCounter(1);
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await whenSet(started);
        scope.cancel();
      });
      await scope.run(() => toWorker.run(work, "awaitProxy", [() => sleepForever(), started]));
    });
    expect(scope.cancelledCaught).toBe(true);
    expect(await toWorker.run(work, "echo", ["usable"])).toBe("usable");
  });
});
