import { describe, expect, it } from "vitest";
import {
  CancelScope,
  Cancelled,
  Condition,
  Event,
  failAfter,
  getCurrentTask,
  Lock,
  taskGroup,
  type TaskGroup,
} from "../../mod.ts";
import { settle, until } from "./helpers.ts";

/** Starts a task that acquires the condition, waits once, and records `name` when woken. */
function startWaiter(tg: TaskGroup, condition: Condition, name: string, woke: string[], scope = new CancelScope()) {
  tg.startSoon(() =>
    scope.run(async () => {
      using _ = await condition.acquire();
      await condition.wait();
      woke.push(name);
    })
  );
  return scope;
}

describe("Condition", () => {
  it("wait releases the lock, and returns holding it again after a notification", async () => {
    const condition = new Condition();
    const steps: string[] = [];
    await taskGroup(async (tg) => {
      tg.startSoon(async function waiter() {
        using _ = await condition.acquire();
        steps.push("waiting");
        await condition.wait();
        steps.push(`woke holding the lock: ${condition.statistics().lockStatistics.owner === getCurrentTask()}`);
      });
      await until(() => condition.statistics().tasksWaiting === 1, "the waiter waits");
      expect(condition.locked()).toBe(false);
      {
        using _ = await condition.acquire();
        condition.notify();
        await settle();
        expect(steps).toEqual(["waiting"]); // cannot resume while we hold the lock
      }
    });
    expect(steps).toEqual(["waiting", "woke holding the lock: true"]);
    expect(condition.locked()).toBe(false);
  });

  it("notify(n) wakes the n oldest waiters; notifyAll wakes the rest", async () => {
    const condition = new Condition();
    const woke: string[] = [];
    await taskGroup(async (tg) => {
      for (const [i, name] of ["a", "b", "c", "d"].entries()) {
        startWaiter(tg, condition, name, woke);
        await until(() => condition.statistics().tasksWaiting === i + 1, `${i + 1} waiters`);
      }
      {
        using _ = await condition.acquire();
        condition.notify();
        expect(condition.statistics().tasksWaiting).toBe(3);
      }
      await until(() => woke.length === 1, "one woke");
      {
        using _ = await condition.acquire();
        condition.notify(2);
        expect(condition.statistics().tasksWaiting).toBe(1);
      }
      await until(() => woke.length === 3, "three woke");
      {
        using _ = await condition.acquire();
        condition.notify(0);
        expect(condition.statistics().tasksWaiting).toBe(1);
        condition.notifyAll();
        expect(condition.statistics().tasksWaiting).toBe(0);
        condition.notify(5); // nobody left: fine
      }
    });
    expect(woke).toEqual(["a", "b", "c", "d"]);
  });

  it("notify(1) after the first waiter was cancelled wakes the second", async () => {
    const condition = new Condition();
    const woke: string[] = [];
    await failAfter(2_000, () =>
      taskGroup(async (tg) => {
        const first = startWaiter(tg, condition, "first", woke);
        await until(() => condition.statistics().tasksWaiting === 1, "first waits");
        startWaiter(tg, condition, "second", woke);
        await until(() => condition.statistics().tasksWaiting === 2, "second waits");
        first.cancel();
        expect(condition.statistics().tasksWaiting).toBe(1);
        using _ = await condition.acquire();
        condition.notify(1);
      })
    );
    expect(woke).toEqual(["second"]);
  });

  it("a waiter notified but cancelled in the same tick passes the notification on", async () => {
    const condition = new Condition();
    const woke: string[] = [];
    let first!: CancelScope;
    await failAfter(2_000, () =>
      taskGroup(async (tg) => {
        first = startWaiter(tg, condition, "first", woke);
        await until(() => condition.statistics().tasksWaiting === 1, "first waits");
        startWaiter(tg, condition, "second", woke);
        await until(() => condition.statistics().tasksWaiting === 2, "second waits");
        using _ = await condition.acquire();
        condition.notify(1);
        first.cancel(); // same tick: first has not resumed yet
      })
    );
    expect(woke).toEqual(["second"]);
    expect(first.cancelledCaught).toBe(true);
    expect(condition.statistics()).toEqual({
      tasksWaiting: 0,
      lockStatistics: { locked: false, owner: undefined, tasksWaiting: 0 },
    });
  });

  it("a cancelled wait re-acquires the lock before it raises", async () => {
    const condition = new Condition();
    const scope = new CancelScope();
    let heldAfterCancel: boolean | undefined;
    let lockWasFreeWhileWaiting = false;
    await taskGroup(async (tg) => {
      tg.startSoon(async function waiter() {
        using _ = await condition.acquire();
        const outcome = await scope.run(() => condition.wait().then(() => "notified", (error: unknown) => error));
        expect(outcome).toBeInstanceOf(Cancelled);
        heldAfterCancel = condition.statistics().lockStatistics.owner === getCurrentTask();
      });
      await until(() => condition.statistics().tasksWaiting === 1, "the waiter waits");
      const probe = condition.acquireNowait(); // the lock is free while waiting
      lockWasFreeWhileWaiting = true;
      scope.cancel();
      expect(condition.statistics().tasksWaiting).toBe(0);
      await settle();
      expect(heldAfterCancel).toBeUndefined(); // blocked re-acquiring: we hold the lock
      probe[Symbol.dispose]();
    });
    expect(lockWasFreeWhileWaiting).toBe(true);
    expect(heldAfterCancel).toBe(true);
    expect(condition.locked()).toBe(false);
  });

  it("wait in a cancelled scope raises at once and keeps the lock", async () => {
    const condition = new Condition();
    using _ = await condition.acquire();
    const outcome = await new CancelScope().run(async (scope) => {
      scope.cancel();
      return condition.wait().then(() => "returned", (error: unknown) => error);
    });
    expect(outcome).toBeInstanceOf(Cancelled);
    expect(condition.statistics()).toEqual({
      tasksWaiting: 0,
      lockStatistics: { locked: true, owner: getCurrentTask(), tasksWaiting: 0 },
    });
  });

  it("waitFor waits until the predicate is truthy and returns its value", async () => {
    const condition = new Condition();
    let value: string | undefined;
    let result: string | undefined;
    let calls = 0;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        using _ = await condition.acquire();
        result = await condition.waitFor(() => {
          calls++;
          return value;
        });
      });
      await until(() => condition.statistics().tasksWaiting === 1, "the waiter waits");
      {
        using _ = await condition.acquire();
        condition.notifyAll();
      }
      await until(() => calls === 2 && condition.statistics().tasksWaiting === 1, "the waiter re-checked");
      expect(result).toBeUndefined();
      using _ = await condition.acquire();
      value = "ready";
      condition.notifyAll();
    });
    expect(result).toBe("ready");
    expect(calls).toBe(3);
  });

  it("waitFor is a checkpoint even when the predicate is already true", async () => {
    const condition = new Condition();
    using _ = await condition.acquire();
    expect(await condition.waitFor(() => 42)).toBe(42);
    const outcome = await new CancelScope().run(async (scope) => {
      scope.cancel();
      return condition.waitFor(() => true).then(() => "returned", (error: unknown) => error);
    });
    expect(outcome).toBeInstanceOf(Cancelled);
    expect(condition.locked()).toBe(true);
  });

  it("wait, waitFor, notify and notifyAll require holding the lock", async () => {
    const condition = new Condition();
    await expect(condition.wait()).rejects.toThrow(/does not hold the underlying lock/);
    await expect(condition.waitFor(() => true)).rejects.toThrow(/does not hold/);
    expect(() => condition.notify()).toThrow(/does not hold/);
    expect(() => condition.notifyAll()).toThrow(/does not hold/);
    await taskGroup(async (tg) => {
      const got = new Event();
      const done = new Event();
      tg.startSoon(async () => {
        using _ = await condition.acquire();
        got.set();
        await done.wait();
      });
      await got.wait();
      await expect(condition.wait()).rejects.toThrow(/does not hold/);
      expect(() => condition.notify()).toThrow(/does not hold/);
      expect(condition.locked()).toBe(true);
      done.set();
    });
    expect(condition.statistics().tasksWaiting).toBe(0);
    expect(condition.locked()).toBe(false);
  });

  it("rejects a bad notify count, naming n, and stays consistent", async () => {
    const condition = new Condition();
    const woke: string[] = [];
    await taskGroup(async (tg) => {
      startWaiter(tg, condition, "waiter", woke);
      await until(() => condition.statistics().tasksWaiting === 1, "the waiter waits");
      using _ = await condition.acquire();
      expect(() => condition.notify(-1)).toThrow(RangeError);
      expect(() => condition.notify(-1)).toThrow(/\bn\b/);
      expect(() => condition.notify(1.5)).toThrow(RangeError);
      expect(() => condition.notify(NaN)).toThrow(RangeError);
      expect(() => condition.notify("1" as unknown as number)).toThrow(TypeError);
      expect(condition.statistics().tasksWaiting).toBe(1);
      expect(condition.statistics().lockStatistics.owner).toBe(getCurrentTask());
      condition.notify(1);
    });
    expect(woke).toEqual(["waiter"]);
  });

  it("uses the lock it is given", async () => {
    const lock = new Lock();
    const condition = new Condition(lock);
    {
      using _ = condition.acquireNowait();
      expect(lock.locked()).toBe(true);
      expect(condition.locked()).toBe(true);
    }
    expect(lock.locked()).toBe(false);
    await lock.acquire();
    expect(condition.locked()).toBe(true);
    condition.release();
    expect(lock.locked()).toBe(false);
    expect(() => new Condition("lock" as unknown as Lock)).toThrow(TypeError);
    expect(() => new Condition("lock" as unknown as Lock)).toThrow(/lock must be a Lock/);
  });

  it("reports its waiters and its lock's statistics", async () => {
    const condition = new Condition();
    const woke: string[] = [];
    expect(condition.statistics()).toEqual({
      tasksWaiting: 0,
      lockStatistics: { locked: false, owner: undefined, tasksWaiting: 0 },
    });
    await taskGroup(async (tg) => {
      for (let i = 1; i <= 2; i++) {
        startWaiter(tg, condition, `w${i}`, woke);
        await until(() => condition.statistics().tasksWaiting === i, `${i} waiters`);
      }
      for (let i = 1; i >= 0; i--) {
        using _ = await condition.acquire();
        expect(condition.statistics().lockStatistics.locked).toBe(true);
        condition.notify(1);
        expect(condition.statistics().tasksWaiting).toBe(i);
      }
    });
    expect(woke).toEqual(["w1", "w2"]);
  });
});
