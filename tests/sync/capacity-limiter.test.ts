import { describe, expect, it } from "vitest";
import {
  CancelScope,
  Cancelled,
  CapacityLimiter,
  checkpoint,
  Event,
  failAfter,
  getCurrentTask,
  taskGroup,
  WouldBlock,
} from "../../mod.ts";
import { settle, until } from "./helpers.ts";

describe("CapacityLimiter", () => {
  it("lends tokens to tasks and takes them back through the Disposable", async () => {
    const limiter = new CapacityLimiter(2);
    expect(limiter.totalTokens).toBe(2);
    expect(limiter.availableTokens).toBe(2);
    {
      using _ = await limiter.acquire();
      expect(limiter.borrowedTokens).toBe(1);
      expect(limiter.availableTokens).toBe(1);
      expect(limiter.statistics().borrowers).toEqual([getCurrentTask()]);
    }
    expect(limiter.borrowedTokens).toBe(0);
  });

  it("lets at most totalTokens tasks in at once", async () => {
    const limiter = new CapacityLimiter(3);
    let inside = 0;
    let most = 0;
    await taskGroup(async (tg) => {
      for (let i = 0; i < 10; i++) {
        tg.startSoon(async () => {
          using _ = await limiter.acquire();
          inside++;
          most = Math.max(most, inside);
          await checkpoint();
          await checkpoint();
          inside--;
        });
      }
    });
    expect(most).toBe(3);
    expect(limiter.borrowedTokens).toBe(0);
  });

  it("serves waiters in FIFO order", async () => {
    const limiter = new CapacityLimiter(1);
    const order: string[] = [];
    await taskGroup(async (tg) => {
      limiter.acquireOnBehalfOfNowait("holder");
      const arrival = ["c", "a", "d", "b"];
      for (const [i, name] of arrival.entries()) {
        tg.startSoon(async () => {
          using _ = await limiter.acquireOnBehalfOf(name);
          order.push(name);
          await checkpoint();
        });
        await until(() => limiter.statistics().tasksWaiting === i + 1, `${i + 1} waiters`);
      }
      limiter.releaseOnBehalfOf("holder");
    });
    expect(order).toEqual(["c", "a", "d", "b"]);
  });

  it("raising totalTokens from 1 to 3 admits waiters at once, in order", async () => {
    const limiter = new CapacityLimiter(1);
    const admitted: string[] = [];
    const done = new Event();
    await taskGroup(async (tg) => {
      limiter.acquireOnBehalfOfNowait("holder");
      for (const [i, name] of ["w1", "w2", "w3"].entries()) {
        tg.startSoon(async () => {
          using _ = await limiter.acquireOnBehalfOf(name);
          admitted.push(name);
          await done.wait();
        });
        await until(() => limiter.statistics().tasksWaiting === i + 1, `${i + 1} waiters`);
      }
      limiter.totalTokens = 3;
      expect(limiter.statistics()).toEqual({
        borrowedTokens: 3,
        totalTokens: 3,
        borrowers: ["holder", "w1", "w2"],
        tasksWaiting: 1,
      });
      await until(() => admitted.length === 2, "two admitted");
      await settle();
      expect(admitted).toEqual(["w1", "w2"]);
      limiter.totalTokens = Infinity;
      await until(() => admitted.length === 3, "all admitted");
      expect(limiter.availableTokens).toBe(Infinity);
      limiter.releaseOnBehalfOf("holder");
      done.set();
    });
    expect(limiter.borrowedTokens).toBe(0);
  });

  it("lowering totalTokens takes nothing back and admits nobody until enough tokens return", async () => {
    const limiter = new CapacityLimiter(3);
    for (const b of ["a", "b", "c"]) limiter.acquireOnBehalfOfNowait(b);
    limiter.totalTokens = 1;
    expect(limiter.borrowedTokens).toBe(3);
    expect(limiter.availableTokens).toBe(0);
    limiter.releaseOnBehalfOf("a");
    limiter.releaseOnBehalfOf("b");
    expect(() => limiter.acquireOnBehalfOfNowait("d")).toThrow(WouldBlock);
    limiter.releaseOnBehalfOf("c");
    using _ = limiter.acquireOnBehalfOfNowait("d");
    expect(limiter.availableTokens).toBe(0);
  });

  it("a total of 0 admits nobody until it is raised", async () => {
    const limiter = new CapacityLimiter(0);
    expect(() => limiter.acquireNowait()).toThrow(WouldBlock);
    let admitted = false;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        using _ = await limiter.acquire();
        admitted = true;
      });
      await until(() => limiter.statistics().tasksWaiting === 1, "the waiter is queued");
      await settle();
      expect(admitted).toBe(false);
      limiter.totalTokens = 1;
    });
    expect(admitted).toBe(true);
  });

  it("a borrower cancelled after its grant passes the token on", async () => {
    const limiter = new CapacityLimiter(1);
    const admitted: string[] = [];
    const scope = new CancelScope();
    await failAfter(2_000, () =>
      taskGroup(async (tg) => {
        limiter.acquireOnBehalfOfNowait("holder");
        tg.startSoon(() =>
          scope.run(async () => {
            using _ = await limiter.acquireOnBehalfOf("first");
            admitted.push("first");
          })
        );
        await until(() => limiter.statistics().tasksWaiting === 1, "first is queued");
        tg.startSoon(async () => {
          using _ = await limiter.acquireOnBehalfOf("second");
          admitted.push("second");
        });
        await until(() => limiter.statistics().tasksWaiting === 2, "second is queued");
        limiter.releaseOnBehalfOf("holder");
        expect(limiter.statistics().borrowers).toEqual(["first"]);
        scope.cancel(); // same tick: "first" has not resumed yet
      })
    );
    expect(admitted).toEqual(["second"]);
    expect(scope.cancelledCaught).toBe(true);
    expect(limiter.statistics()).toEqual({ borrowedTokens: 0, totalTokens: 1, borrowers: [], tasksWaiting: 0 });
  });

  it("a borrower cancelled while waiting leaves the queue and takes nothing", async () => {
    const limiter = new CapacityLimiter(1);
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      limiter.acquireOnBehalfOfNowait("holder");
      tg.startSoon(() => scope.run(() => limiter.acquireOnBehalfOf("waiter")));
      await until(() => limiter.statistics().tasksWaiting === 1, "the waiter is queued");
      scope.cancel();
      expect(limiter.statistics().tasksWaiting).toBe(0);
      limiter.releaseOnBehalfOf("holder");
      expect(limiter.borrowedTokens).toBe(0);
    });
    // The cancelled borrower may try again.
    using _ = limiter.acquireOnBehalfOfNowait("waiter");
    expect(limiter.statistics().borrowers).toEqual(["waiter"]);
  });

  it("an acquire in a cancelled scope raises Cancelled and takes nothing", async () => {
    const limiter = new CapacityLimiter(1);
    const outcome = await new CancelScope().run(async (scope) => {
      scope.cancel();
      return limiter.acquire().then(() => "acquired", (error: unknown) => error);
    });
    expect(outcome).toBeInstanceOf(Cancelled);
    expect(limiter.borrowedTokens).toBe(0);
  });

  it("a cancellation during the uncontended acquire's yield gives the token back", async () => {
    const limiter = new CapacityLimiter(1);
    const scope = new CancelScope();
    let acquired = false;
    await scope.run(() =>
      taskGroup(async (tg) => {
        tg.startSoon(() => scope.cancel());
        await limiter.acquireOnBehalfOf("b");
        acquired = true;
      })
    );
    expect(acquired).toBe(false);
    expect(limiter.borrowedTokens).toBe(0);
  });

  it("a token returned while a waiter is queued is reserved for it: nowait acquires cannot barge in", async () => {
    const limiter = new CapacityLimiter(1);
    limiter.acquireOnBehalfOfNowait("A");
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await limiter.acquireOnBehalfOf("B");
      });
      await until(() => limiter.statistics().tasksWaiting === 1, "B is queued");
      limiter.releaseOnBehalfOf("A");
      expect(() => limiter.acquireOnBehalfOfNowait("X")).toThrow(WouldBlock);
    });
    expect(limiter.statistics().borrowers).toEqual(["B"]);
    limiter.releaseOnBehalfOf("B");
    expect(limiter.borrowedTokens).toBe(0);
  });

  it("a borrower holds at most one token; releasing what it does not hold throws", async () => {
    const limiter = new CapacityLimiter(5);
    const borrower = { name: "job-1" };
    using _ = await limiter.acquireOnBehalfOf(borrower);
    await expect(limiter.acquireOnBehalfOf(borrower)).rejects.toThrow(/"job-1" already holds a token/);
    expect(() => limiter.acquireOnBehalfOfNowait(borrower)).toThrow(/already holds/);
    expect(() => limiter.releaseOnBehalfOf("nobody")).toThrow(/"nobody" holds no token/);
    expect(() => limiter.release()).toThrow(/holds no token/);
    expect(limiter.statistics()).toEqual({ borrowedTokens: 1, totalTokens: 5, borrowers: [borrower], tasksWaiting: 0 });
    using _t = limiter.acquireNowait();
    expect(() => limiter.acquireNowait()).toThrow(/already holds/);
    await expect(limiter.acquire()).rejects.toThrow(/already holds/);
    expect(limiter.borrowedTokens).toBe(2);
  });

  it("a borrower already waiting cannot queue a second time", async () => {
    const limiter = new CapacityLimiter(1);
    limiter.acquireOnBehalfOfNowait("holder");
    await taskGroup(async (tg) => {
      tg.startSoon(() => limiter.acquireOnBehalfOf("job"));
      await until(() => limiter.statistics().tasksWaiting === 1, "job is queued");
      await expect(limiter.acquireOnBehalfOf("job")).rejects.toThrow(/already waiting/);
      expect(limiter.statistics().tasksWaiting).toBe(1);
      limiter.releaseOnBehalfOf("holder");
    });
    expect(limiter.statistics().borrowers).toEqual(["job"]);
  });

  it("rejects an undefined borrower", async () => {
    const limiter = new CapacityLimiter(1);
    expect(() => limiter.acquireOnBehalfOfNowait(undefined)).toThrow(TypeError);
    await expect(limiter.acquireOnBehalfOf(undefined)).rejects.toThrow(/borrower/);
    expect(limiter.borrowedTokens).toBe(0);
  });

  it("rejects bad token totals, naming totalTokens, and keeps the old total", () => {
    for (const bad of [-1, 1.5, NaN, -Infinity]) {
      expect(() => new CapacityLimiter(bad)).toThrow(RangeError);
      expect(() => new CapacityLimiter(bad)).toThrow(/totalTokens/);
    }
    expect(() => new CapacityLimiter("2" as unknown as number)).toThrow(TypeError);
    const limiter = new CapacityLimiter(2);
    limiter.acquireOnBehalfOfNowait("a");
    for (const bad of [-1, 2.5, NaN]) {
      expect(() => {
        limiter.totalTokens = bad;
      }).toThrow(/totalTokens/);
    }
    expect(() => {
      limiter.totalTokens = null as unknown as number;
    }).toThrow(TypeError);
    expect(limiter.statistics()).toEqual({ borrowedTokens: 1, totalTokens: 2, borrowers: ["a"], tasksWaiting: 0 });
    expect(new CapacityLimiter(Infinity).availableTokens).toBe(Infinity);
  });

  it("disposing a token twice returns it once", async () => {
    const limiter = new CapacityLimiter(1);
    const token = await limiter.acquireOnBehalfOf("a");
    token[Symbol.dispose]();
    limiter.acquireOnBehalfOfNowait("a");
    token[Symbol.dispose](); // stale: the new loan of "a" stays
    expect(limiter.statistics().borrowers).toEqual(["a"]);
  });

  it("tokens borrowed by a task belong to that task", async () => {
    const limiter = new CapacityLimiter(2);
    await taskGroup(async (tg) => {
      const got = new Event();
      const done = new Event();
      let task: unknown;
      tg.startSoon(async function borrower() {
        using _ = await limiter.acquire();
        task = getCurrentTask();
        got.set();
        await done.wait();
      });
      await got.wait();
      expect(limiter.statistics().borrowers).toEqual([task]);
      expect(() => limiter.release()).toThrow(/holds no token/);
      done.set();
    });
    expect(limiter.borrowedTokens).toBe(0);
  });
});
