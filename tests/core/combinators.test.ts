import { describe, expect, it } from "vitest";
import { amap, Cancelled, checkpoint, gather, race, sleep, sleepForever, TaskGroupError } from "../../mod.ts";

describe("gather", () => {
  it("returns results in argument order, not completion order", async () => {
    const finished: string[] = [];
    const results = await gather(
      async () => {
        await sleep(15);
        finished.push("a");
        return "a";
      },
      async () => {
        await sleep(1);
        finished.push("b");
        return 2;
      },
      () => "sync",
    );
    expect(results).toEqual(["a", 2, "sync"]);
    expect(finished).toEqual(["b", "a"]);
  });

  it("the first failure cancels the rest", async () => {
    let cancelled = false;
    const error = new Error("nope");
    const thrown = await gather(
      async () => {
        try {
          await sleepForever();
        } catch (e) {
          cancelled = e instanceof Cancelled;
          throw e;
        }
      },
      async () => {
        await checkpoint();
        throw error;
      },
    ).catch((e) => e);
    expect(thrown).toBeInstanceOf(TaskGroupError);
    expect(thrown.errors).toEqual([error]);
    expect(cancelled).toBe(true);
  });

  it("with no functions resolves to an empty array; rejects non-functions by position", async () => {
    await expect(gather()).resolves.toEqual([]);
    await expect(gather(async () => 1, 5 as never)).rejects.toThrow(/gather: argument 1 must be a function/);
  });
});

describe("amap", () => {
  it("maps concurrently and keeps input order", async () => {
    const results = await amap([30, 10, 20], async (ms, index) => {
      await sleep(ms / 10);
      return `${index}:${ms}`;
    });
    expect(results).toEqual(["0:30", "1:10", "2:20"]);
  });

  it("never runs more than `limit` calls at once, and takes items lazily", async () => {
    let running = 0;
    let peak = 0;
    let pulled = 0;
    function* items() {
      for (let i = 0; i < 20; i++) {
        pulled++;
        yield i;
      }
    }
    const results = await amap(items(), async (n) => {
      running++;
      peak = Math.max(peak, running);
      // At most `limit` items are pulled ahead of the calls that finished.
      expect(pulled).toBeLessThanOrEqual(n + 3);
      await sleep(1);
      running--;
      return n * n;
    }, { limit: 3 });
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * i));
  });

  it("the first failure cancels the other calls", async () => {
    const error = new Error("item 2");
    let cancelledCalls = 0;
    const thrown = await amap([1, 2, 3, 4], async (n) => {
      if (n === 2) {
        await checkpoint();
        throw error;
      }
      try {
        await sleepForever();
      } catch (e) {
        cancelledCalls++;
        throw e;
      }
    }, { limit: 10 }).catch((e) => e);
    expect(thrown.errors).toEqual([error]);
    expect(cancelledCalls).toBe(3);
  });

  it("rejects a bad limit, non-iterables and non-functions", async () => {
    for (const limit of [0, -1, 1.5, NaN]) {
      await expect(amap([1], async (n) => n, { limit })).rejects.toThrow(/limit must be a positive integer/);
    }
    await expect(amap(5 as never, async (n) => n)).rejects.toThrow(/items must be iterable/);
    await expect(amap([1], "f" as never)).rejects.toThrow(/fn must be a function/);
    await expect(amap([], async (n) => n, { limit: 2 })).resolves.toEqual([]);
  });
});

describe("race", () => {
  it("returns the first result, and cancels and awaits the losers", async () => {
    const loserCleanedUp: boolean[] = [];
    const winner = await race(
      async () => {
        try {
          await sleepForever();
        } finally {
          loserCleanedUp.push(true);
        }
        return "loser";
      },
      async () => {
        await sleep(1);
        return "winner";
      },
    );
    expect(winner).toBe("winner");
    expect(loserCleanedUp).toEqual([true]); // awaited before race returned
  });

  it("a failure before any win is thrown", async () => {
    const error = new Error("lost");
    const thrown = await race(
      () => sleepForever(),
      async () => {
        await checkpoint();
        throw error;
      },
    ).catch((e) => e);
    expect(thrown).toBeInstanceOf(TaskGroupError);
    expect(thrown.errors).toEqual([error]);
  });

  it("rejects an empty race and non-functions", async () => {
    await expect(race()).rejects.toThrow(RangeError);
    await expect(race(null as never)).rejects.toThrow(/race: argument 0 must be a function/);
  });
});
