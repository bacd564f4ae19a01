import { describe, expect, it } from "vitest";
import { CancelScope, Cancelled, checkpoint, Event, Semaphore, taskGroup, WouldBlock } from "../../mod.ts";
import { until } from "./helpers.ts";

describe("Semaphore", () => {
  it("acquire takes a slot and the Disposable gives it back", async () => {
    const semaphore = new Semaphore(2);
    expect(semaphore.value).toBe(2);
    expect(semaphore.maxValue).toBeUndefined();
    {
      using _a = await semaphore.acquire();
      using _b = await semaphore.acquire();
      expect(semaphore.value).toBe(0);
    }
    expect(semaphore.value).toBe(2);
  });

  it("lets at most `initial` tasks in at once", async () => {
    const semaphore = new Semaphore(3);
    let inside = 0;
    let most = 0;
    await taskGroup(async (tg) => {
      for (let i = 0; i < 10; i++) {
        tg.startSoon(async () => {
          using _ = await semaphore.acquire();
          inside++;
          most = Math.max(most, inside);
          await checkpoint();
          await checkpoint();
          inside--;
        });
      }
    });
    expect(most).toBe(3);
    expect(semaphore.value).toBe(3);
  });

  it("serves waiters in FIFO order", async () => {
    const semaphore = new Semaphore(0);
    const order: number[] = [];
    await taskGroup(async (tg) => {
      const arrival = [2, 0, 3, 1];
      for (const [i, n] of arrival.entries()) {
        tg.startSoon(async () => {
          await semaphore.acquire();
          order.push(n);
        });
        await until(() => semaphore.statistics().tasksWaiting === i + 1, `${i + 1} waiters`);
      }
      for (let i = 0; i < arrival.length; i++) semaphore.release();
    });
    expect(order).toEqual([2, 0, 3, 1]);
    expect(semaphore.value).toBe(0);
  });

  it("release hands the slot to a waiter: the value stays 0 and acquireNowait cannot barge in", async () => {
    const semaphore = new Semaphore(1);
    await taskGroup(async (tg) => {
      semaphore.acquireNowait();
      tg.startSoon(async () => {
        using _ = await semaphore.acquire();
      });
      await until(() => semaphore.statistics().tasksWaiting === 1, "the waiter is queued");
      semaphore.release();
      expect(semaphore.value).toBe(0);
      expect(semaphore.statistics().tasksWaiting).toBe(0);
      expect(() => semaphore.acquireNowait()).toThrow(WouldBlock);
    });
    expect(semaphore.value).toBe(1);
  });

  it("a cancelled acquire takes nothing", async () => {
    const semaphore = new Semaphore(0, { maxValue: 1 });
    const scope = new CancelScope();
    let acquired = false;
    await taskGroup(async (tg) => {
      tg.startSoon(() =>
        scope.run(async () => {
          await semaphore.acquire();
          acquired = true;
        })
      );
      await until(() => semaphore.statistics().tasksWaiting === 1, "the waiter is queued");
      scope.cancel();
      expect(semaphore.statistics().tasksWaiting).toBe(0);
      semaphore.release();
      expect(semaphore.value).toBe(1);
    });
    expect(acquired).toBe(false);
    expect(semaphore.value).toBe(1);
  });

  it("a waiter handed a slot but cancelled in the same tick passes it on", async () => {
    const semaphore = new Semaphore(0, { maxValue: 1 });
    const scope = new CancelScope();
    const acquired: string[] = [];
    await taskGroup(async (tg) => {
      tg.startSoon(() =>
        scope.run(async () => {
          await semaphore.acquire();
          acquired.push("first");
        })
      );
      await until(() => semaphore.statistics().tasksWaiting === 1, "first is queued");
      tg.startSoon(async () => {
        using _ = await semaphore.acquire();
        acquired.push("second");
      });
      await until(() => semaphore.statistics().tasksWaiting === 2, "second is queued");
      semaphore.release();
      scope.cancel();
    });
    expect(acquired).toEqual(["second"]);
    expect(scope.cancelledCaught).toBe(true);
    expect(semaphore.value).toBe(1);
  });

  it("a waiter handed a slot but cancelled in the same tick gives it back when nobody else waits", async () => {
    const semaphore = new Semaphore(0, { maxValue: 1 });
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      tg.startSoon(() => scope.run(() => semaphore.acquire()));
      await until(() => semaphore.statistics().tasksWaiting === 1, "the waiter is queued");
      semaphore.release();
      scope.cancel();
      expect(semaphore.value).toBe(0);
    });
    expect(semaphore.value).toBe(1);
    expect(semaphore.statistics().tasksWaiting).toBe(0);
    semaphore.acquireNowait();
  });

  it("an acquire in a cancelled scope raises Cancelled and takes nothing", async () => {
    const semaphore = new Semaphore(1);
    const outcome = await new CancelScope().run(async (scope) => {
      scope.cancel();
      return semaphore.acquire().then(() => "acquired", (error: unknown) => error);
    });
    expect(outcome).toBeInstanceOf(Cancelled);
    expect(semaphore.value).toBe(1);
  });

  it("release past maxValue throws a RangeError and changes nothing", async () => {
    const semaphore = new Semaphore(1, { maxValue: 2 });
    semaphore.release();
    expect(semaphore.value).toBe(2);
    expect(() => semaphore.release()).toThrow(RangeError);
    expect(() => semaphore.release()).toThrow(/maxValue/);
    expect(semaphore.value).toBe(2);
    using _ = await semaphore.acquire();
    expect(semaphore.value).toBe(1);
  });

  it("releasing without maxValue raises the value without bound", () => {
    const semaphore = new Semaphore(0);
    for (let i = 0; i < 5; i++) semaphore.release();
    expect(semaphore.value).toBe(5);
  });

  it("acquireNowait takes a free slot or throws WouldBlock", () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.acquireNowait();
    expect(semaphore.value).toBe(0);
    expect(() => semaphore.acquireNowait()).toThrow(WouldBlock);
    expect(semaphore.value).toBe(0);
    held[Symbol.dispose]();
    expect(semaphore.value).toBe(1);
  });

  it("disposing an acquisition twice releases it once", async () => {
    const semaphore = new Semaphore(2, { maxValue: 2 });
    const a = await semaphore.acquire();
    const b = await semaphore.acquire();
    a[Symbol.dispose]();
    a[Symbol.dispose]();
    expect(semaphore.value).toBe(1);
    b[Symbol.dispose]();
    expect(semaphore.value).toBe(2);
  });

  it("may be released by another task than the one that acquired it", async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    await taskGroup(async (tg) => {
      tg.startSoon(() => semaphore.release());
    });
    expect(semaphore.value).toBe(1);
  });

  it("rejects bad initial values and maxValues, naming the argument", () => {
    expect(() => new Semaphore(-1)).toThrow(RangeError);
    expect(() => new Semaphore(-1)).toThrow(/initial/);
    expect(() => new Semaphore(1.5)).toThrow(/initial must be an integer/);
    expect(() => new Semaphore(NaN)).toThrow(RangeError);
    expect(() => new Semaphore(Infinity)).toThrow(RangeError);
    expect(() => new Semaphore("1" as unknown as number)).toThrow(TypeError);
    expect(() => new Semaphore(3, { maxValue: 2 })).toThrow(/maxValue must be >= initial/);
    expect(() => new Semaphore(1, { maxValue: 2.5 })).toThrow(/maxValue/);
    expect(() => new Semaphore(1, { maxValue: NaN })).toThrow(RangeError);
    expect(() => new Semaphore(1, { fastAcquire: "yes" as unknown as boolean })).toThrow(/fastAcquire/);
    expect(new Semaphore(2, { maxValue: 2 }).maxValue).toBe(2);
  });

  it("reports the number of waiting tasks", async () => {
    const semaphore = new Semaphore(0);
    expect(semaphore.statistics()).toEqual({ tasksWaiting: 0 });
    await taskGroup(async (tg) => {
      for (let i = 1; i <= 3; i++) {
        tg.startSoon(() => semaphore.acquire());
        await until(() => semaphore.statistics().tasksWaiting === i, `${i} waiters`);
      }
      for (let i = 2; i >= 0; i--) {
        semaphore.release();
        expect(semaphore.statistics()).toEqual({ tasksWaiting: i });
      }
    });
  });

  it("without fastAcquire, a cancellation during the uncontended acquire's yield gives the slot back", async () => {
    const semaphore = new Semaphore(1);
    const scope = new CancelScope();
    let acquired = false;
    await scope.run(() =>
      taskGroup(async (tg) => {
        tg.startSoon(() => scope.cancel());
        await semaphore.acquire();
        acquired = true;
      })
    );
    expect(acquired).toBe(false);
    expect(semaphore.value).toBe(1);
  });

  it("with fastAcquire, an uncontended acquire keeps the slot; the next checkpoint raises", async () => {
    const semaphore = new Semaphore(1, { fastAcquire: true });
    const scope = new CancelScope();
    let valueWhileCancelled = -1;
    let passedCheckpoint = false;
    await scope.run(() =>
      taskGroup(async (tg) => {
        tg.startSoon(() => scope.cancel());
        using _ = await semaphore.acquire();
        valueWhileCancelled = semaphore.value;
        await checkpoint();
        passedCheckpoint = true;
      })
    );
    expect(valueWhileCancelled).toBe(0);
    expect(passedCheckpoint).toBe(false);
    expect(semaphore.value).toBe(1);
  });

  it("a blocked acquire waits for a release from another task", async () => {
    const semaphore = new Semaphore(0);
    const released = new Event();
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await released.wait();
        semaphore.release();
      });
      const waiting = semaphore.acquire();
      released.set();
      using _ = await waiting;
      expect(semaphore.value).toBe(0);
    });
    expect(semaphore.value).toBe(1);
  });
});
