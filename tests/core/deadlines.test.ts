import { describe, expect, it } from "vitest";
import {
  CancelScope,
  checkpoint,
  checkpointIfCancelled,
  currentTime,
  moveOnAfter,
  run,
  sleep,
  sleepUntil,
  taskGroup,
} from "../../mod.ts";
import { DeadlineQueue, TimerEntry } from "../../src/core/deadline-queue.ts";
import { RunState } from "../../src/core/run-state.ts";
import type { Backend } from "../../src/backend/index.ts";
import { backendTests, MockClock } from "../../testing.ts";

describe("a deadline fires in a loop of checkpoints that never yields to timers", () => {
  backendTests(it)("moveOnAfter(5) stops a checkpoint loop after about 5 ms", async () => {
    const t0 = currentTime();
    let iterations = 0;
    const scope = await moveOnAfter(5, async (scope) => {
      while (currentTime() - t0 < 2_000) {
        await checkpoint();
        iterations++;
      }
      return scope;
    });
    const elapsed = currentTime() - t0;
    expect(scope).toBeUndefined(); // cancelled: moveOnAfter resolved undefined
    expect(iterations).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(500); // about 5 ms; generous for a loaded machine
  });

  it("checkpointIfCancelled in a synchronous-looking loop sees the deadline too", async () => {
    const t0 = currentTime();
    await new CancelScope({ deadline: t0 + 5 }).run(async () => {
      for (;;) {
        checkpointIfCancelled();
        await null;
        if (currentTime() - t0 > 2_000) throw new Error("the deadline never fired");
      }
    });
    expect(currentTime() - t0).toBeLessThan(500);
  });
});

describe("the deadline queue", () => {
  it("keeps a heap: entries fire in deadline order, first in first out on ties, removals anywhere", () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const queue = new DeadlineQueue();
    const fired: number[] = [];
    const live = new Map<number, TimerEntry>();
    for (let i = 0; i < 2_000; i++) {
      const when = Math.floor(random() * 100);
      const entry = new TimerEntry(() => fired.push(i));
      live.set(i, entry);
      queue.add(entry, when);
      if (random() < 0.3) {
        const keys = [...live.keys()];
        const victim = keys[Math.floor(random() * keys.length)]!;
        queue.remove(live.get(victim)!);
        live.delete(victim);
      }
    }
    queue.fireExpired(Infinity);
    const expected = [...live.entries()].sort(([a, x], [b, y]) => x._when - y._when || a - b).map(([i]) => i);
    expect(fired).toEqual(expected);
    expect(queue.size).toBe(0);
  });

  it("a run arms one runtime timer for many deadlines, not one per scope or sleep", async () => {
    let timersSet = 0;
    const base = await import("../../src/backend/index.ts");
    const counting: Backend = {
      ...base.provisionalBackend,
      setTimer: (delay, callback) => {
        timersSet++;
        return base.standardClock.setTimer(delay, callback);
      },
    };
    const state = new RunState(counting, undefined, true);
    const set = timersSet; // the keep-alive timer
    const entries = Array.from({ length: 1_000 }, () => new TimerEntry(() => {}));
    const now = state._now();
    entries.forEach((entry, i) => state._addDeadline(entry, now + 10_000 + i));
    entries.forEach((entry) => state._removeDeadline(entry));
    expect(timersSet - set).toBe(1);
    state._close();
  });

  backendTests(it)("10,000 sequential scopes with a deadline and concurrent sleeps all behave", async () => {
    for (let i = 0; i < 10_000; i++) await moveOnAfter(10_000, () => checkpoint());
    const order: number[] = [];
    // In virtual time, so that a stall of the (loaded) machine cannot make two of them due
    // at once (then either order is right).
    await run(async () => {
      const base = currentTime();
      await taskGroup(async (tg) => {
        for (const ms of [60, 20, 40, 1]) tg.startSoon(async () => {
          await sleepUntil(base + ms);
          order.push(ms);
        });
      });
    }, { clock: new MockClock({ autojumpThreshold: 0 }) });
    expect(order).toEqual([1, 20, 40, 60]);
  });

  it("outside any run, a removed deadline's timer does not keep the process alive (cleared a turn later)", async () => {
    await moveOnAfter(60_000, () => checkpoint());
    await new Promise((resolve) => setTimeout(resolve, 5));
    // The implicit root's timer was cleared: nothing is armed for the 60 s deadline.
    const { currentScope } = await import("../../src/core/cancel-scope.ts");
    expect(currentScope()._run._timer).toBeUndefined();
  });

  it("inside a run, the run keeps one timer (its keep-alive) and clears it at the end", async () => {
    let state: RunState | undefined;
    await run(async () => {
      const { currentScope } = await import("../../src/core/cancel-scope.ts");
      state = currentScope()._run;
      expect(state._timer).toBeDefined();
    });
    expect(state!._timer).toBeUndefined();
  });
});
