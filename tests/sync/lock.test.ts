import { describe, expect, it } from "vitest";
import {
  CancelScope,
  Cancelled,
  checkpoint,
  Event,
  getCurrentTask,
  Lock,
  taskGroup,
  WouldBlock,
} from "../../mod.ts";
import { settle, until } from "./helpers.ts";

describe("Lock", () => {
  it("acquire resolves to a Disposable that releases the lock at the end of a using block", async () => {
    const lock = new Lock();
    expect(lock.locked()).toBe(false);
    {
      using _ = await lock.acquire();
      expect(lock.locked()).toBe(true);
    }
    expect(lock.locked()).toBe(false);
    await expect(
      (async () => {
        using _ = await lock.acquire();
        throw new Error("inside");
      })(),
    ).rejects.toThrow("inside");
    expect(lock.locked()).toBe(false);
  });

  it("keeps tasks out of the critical section while one holds it", async () => {
    const lock = new Lock();
    let inside = 0;
    let most = 0;
    await taskGroup(async (tg) => {
      for (let i = 0; i < 5; i++) {
        tg.startSoon(async () => {
          using _ = await lock.acquire();
          inside++;
          most = Math.max(most, inside);
          await checkpoint();
          await checkpoint();
          inside--;
        });
      }
    });
    expect(most).toBe(1);
    expect(lock.locked()).toBe(false);
  });

  it("serves waiters in FIFO order", async () => {
    const lock = new Lock();
    const order: number[] = [];
    await taskGroup(async (tg) => {
      const held = lock.acquireNowait();
      const arrival = [3, 1, 4, 0, 2];
      for (const [i, n] of arrival.entries()) {
        tg.startSoon(async () => {
          using _ = await lock.acquire();
          order.push(n);
          await checkpoint();
        });
        await until(() => lock.statistics().tasksWaiting === i + 1, `${i + 1} waiters`);
      }
      held[Symbol.dispose]();
    });
    expect(order).toEqual([3, 1, 4, 0, 2]);
  });

  it("hands the lock straight to the oldest waiter: nobody can barge in", async () => {
    const lock = new Lock();
    await taskGroup(async (tg) => {
      lock.acquireNowait();
      tg.startSoon(async function waiter() {
        using _ = await lock.acquire();
      });
      await until(() => lock.statistics().tasksWaiting === 1, "the waiter is queued");
      lock.release();
      const stats = lock.statistics();
      expect(stats.locked).toBe(true);
      expect(stats.owner?.name).toBe("waiter");
      expect(stats.tasksWaiting).toBe(0);
      tg.startSoon(() => {
        expect(() => lock.acquireNowait()).toThrow(WouldBlock);
      });
    });
    expect(lock.locked()).toBe(false);
  });

  it("a cancelled acquire leaves the lock free and the queue empty", async () => {
    const lock = new Lock();
    const scope = new CancelScope();
    let acquired = false;
    await taskGroup(async (tg) => {
      const held = lock.acquireNowait();
      tg.startSoon(() =>
        scope.run(async () => {
          await lock.acquire();
          acquired = true;
        })
      );
      await until(() => lock.statistics().tasksWaiting === 1, "the waiter is queued");
      scope.cancel();
      expect(lock.statistics().tasksWaiting).toBe(0);
      held[Symbol.dispose]();
      expect(lock.locked()).toBe(false);
    });
    expect(acquired).toBe(false);
    expect(scope.cancelledCaught).toBe(true);
    using _ = lock.acquireNowait();
    expect(lock.statistics().owner).toBe(getCurrentTask());
  });

  it("a waiter handed the lock but cancelled in the same tick passes it on", async () => {
    const lock = new Lock();
    const events: string[] = [];
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      lock.acquireNowait();
      tg.startSoon(async function first() {
        await scope.run(async () => {
          using _ = await lock.acquire();
          events.push("first acquired");
        });
      });
      await until(() => lock.statistics().tasksWaiting === 1, "first is queued");
      tg.startSoon(async function second() {
        using _ = await lock.acquire();
        events.push("second acquired");
      });
      await until(() => lock.statistics().tasksWaiting === 2, "second is queued");
      lock.release();
      expect(lock.statistics().owner?.name).toBe("first");
      scope.cancel(); // same tick: first has not resumed yet
    });
    expect(events).toEqual(["second acquired"]);
    expect(scope.cancelledCaught).toBe(true);
    expect(lock.locked()).toBe(false);
  });

  it("a waiter handed the lock and cancelled in the same tick frees it when nobody else waits", async () => {
    const lock = new Lock();
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      lock.acquireNowait();
      tg.startSoon(() => scope.run(() => lock.acquire()));
      await until(() => lock.statistics().tasksWaiting === 1, "the waiter is queued");
      lock.release();
      scope.cancel();
    });
    expect(lock.statistics()).toEqual({ locked: false, owner: undefined, tasksWaiting: 0 });
  });

  it("an acquire in a cancelled scope raises Cancelled and takes nothing, even uncontended", async () => {
    const lock = new Lock();
    const failure = await new CancelScope({ shield: true }).run(async (scope) => {
      scope.cancel();
      return lock.acquire().then(() => "acquired", (error: unknown) => error);
    });
    expect(failure).toBeInstanceOf(Cancelled);
    expect(lock.locked()).toBe(false);
  });

  it("releasing a lock that is not held throws and changes nothing", async () => {
    const lock = new Lock();
    expect(() => lock.release()).toThrow(/not held/);
    expect(lock.statistics()).toEqual({ locked: false, owner: undefined, tasksWaiting: 0 });
    using _ = await lock.acquire();
    expect(lock.locked()).toBe(true);
  });

  it("releasing a lock held by another task throws; the owner keeps it", async () => {
    const lock = new Lock();
    await taskGroup(async (tg) => {
      const got = new Event();
      const done = new Event();
      tg.startSoon(async function owner() {
        using _ = await lock.acquire();
        got.set();
        await done.wait();
      });
      await got.wait();
      expect(() => lock.release()).toThrow(/held by task owner/);
      expect(lock.statistics().owner?.name).toBe("owner");
      done.set();
    });
    expect(lock.locked()).toBe(false);
  });

  it("re-acquiring a held lock in the same task throws instead of deadlocking", async () => {
    for (const fastAcquire of [false, true]) {
      const lock = new Lock({ fastAcquire });
      using _ = await lock.acquire();
      await expect(lock.acquire()).rejects.toThrow(/already holds this lock/);
      expect(() => lock.acquireNowait()).toThrow(/already holds this lock/);
      expect(lock.statistics()).toEqual({ locked: true, owner: getCurrentTask(), tasksWaiting: 0 });
    }
  });

  it("acquireNowait throws WouldBlock while another task holds the lock", async () => {
    const lock = new Lock();
    await taskGroup(async (tg) => {
      const got = new Event();
      const done = new Event();
      tg.startSoon(async () => {
        using _ = lock.acquireNowait();
        got.set();
        await done.wait();
      });
      await got.wait();
      expect(() => lock.acquireNowait()).toThrow(WouldBlock);
      expect(lock.statistics().tasksWaiting).toBe(0);
      done.set();
    });
    using _ = lock.acquireNowait();
    expect(lock.locked()).toBe(true);
  });

  it("disposing an acquisition twice releases it once", async () => {
    const lock = new Lock();
    const first = await lock.acquire();
    first[Symbol.dispose]();
    await taskGroup(async (tg) => {
      const got = new Event();
      const done = new Event();
      tg.startSoon(async function other() {
        using _ = await lock.acquire();
        got.set();
        await done.wait();
      });
      await got.wait();
      first[Symbol.dispose](); // stale: must not touch the other task's lock
      expect(lock.statistics().owner?.name).toBe("other");
      done.set();
    });
    expect(lock.locked()).toBe(false);
  });

  it("reports statistics: locked, the owning task, and the number of waiters", async () => {
    const lock = new Lock();
    expect(lock.statistics()).toEqual({ locked: false, owner: undefined, tasksWaiting: 0 });
    await taskGroup(async (tg) => {
      const got = new Event();
      const done = new Event();
      let ownerTask: unknown;
      tg.startSoon(async function holder() {
        using _ = await lock.acquire();
        ownerTask = getCurrentTask();
        got.set();
        await done.wait();
      });
      await got.wait();
      expect(lock.statistics()).toEqual({ locked: true, owner: ownerTask, tasksWaiting: 0 });
      for (let i = 1; i <= 2; i++) {
        tg.startSoon(async () => {
          using _ = await lock.acquire();
        });
        await until(() => lock.statistics().tasksWaiting === i, `${i} waiters`);
      }
      done.set();
    });
    expect(lock.statistics()).toEqual({ locked: false, owner: undefined, tasksWaiting: 0 });
  });

  it("an uncontended acquire is a checkpoint: other ready tasks run first", async () => {
    const lock = new Lock();
    let ran = false;
    await taskGroup(async (tg) => {
      tg.startSoon(() => {
        ran = true;
      });
      using _ = await lock.acquire();
      expect(ran).toBe(true);
    });
  });

  it("without fastAcquire, a cancellation during the uncontended acquire's yield gives the lock back", async () => {
    const lock = new Lock();
    const scope = new CancelScope();
    let acquired = false;
    await scope.run(() =>
      taskGroup(async (tg) => {
        tg.startSoon(() => scope.cancel()); // runs during the acquire's yield
        await lock.acquire();
        acquired = true;
      })
    );
    expect(acquired).toBe(false);
    expect(scope.cancelledCaught).toBe(true);
    expect(lock.locked()).toBe(false);
  });

  it("with fastAcquire, an uncontended acquire keeps the lock; the next checkpoint raises", async () => {
    const lock = new Lock({ fastAcquire: true });
    const scope = new CancelScope();
    let ownerWhileCancelled: unknown;
    let passedCheckpoint = false;
    await scope.run(() =>
      taskGroup(async (tg) => {
        tg.startSoon(() => scope.cancel());
        using _ = await lock.acquire();
        expect(scope.cancelCalled).toBe(true);
        ownerWhileCancelled = lock.statistics().owner;
        await checkpoint();
        passedCheckpoint = true;
      })
    );
    expect(ownerWhileCancelled).toBe(getCurrentTask());
    expect(passedCheckpoint).toBe(false);
    expect(lock.locked()).toBe(false); // released by `using` while unwinding
  });

  it("rejects a non-boolean fastAcquire", () => {
    expect(() => new Lock({ fastAcquire: 1 as unknown as boolean })).toThrow(/fastAcquire/);
  });

  it("does not wake a waiter that nobody released for", async () => {
    const lock = new Lock();
    let acquired = false;
    await taskGroup(async (tg) => {
      lock.acquireNowait();
      tg.startSoon(async () => {
        await lock.acquire();
        acquired = true;
        lock.release();
      });
      await settle();
      expect(acquired).toBe(false);
      lock.release();
    });
    expect(acquired).toBe(true);
  });
});
