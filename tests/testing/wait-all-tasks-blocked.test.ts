import { describe, expect, it } from "vitest";
import { Event, moveOnAfter, sleep, taskGroup } from "../../mod.ts";
import { backendTests, waitAllTasksBlocked } from "../../testing.ts";

describe("waitAllTasksBlocked", () => {
  backendTests(it)("returns once every other task is blocked in an anyts wait", async () => {
    const event = new Event();
    const progress: string[] = [];
    await taskGroup(async (tg) => {
      for (const name of ["a", "b"]) {
        tg.startSoon(async () => {
          for (let i = 0; i < 20; i++) await Promise.resolve(); // busy, but not blocked
          progress.push(`${name} waiting`);
          await event.wait();
          progress.push(`${name} done`);
        });
      }
      await waitAllTasksBlocked();
      expect(progress).toEqual(["a waiting", "b waiting"]);
      expect(event.statistics().tasksWaiting).toBe(2);
      event.set();
    });
    expect(progress.slice(2).sort()).toEqual(["a done", "b done"]);
  });

  backendTests(it)("waiters wake in order of cushion; equal cushions wake together", async () => {
    const order: string[] = [];
    await taskGroup(async (tg) => {
      for (const [name, cushion] of [["c20", 20], ["c0", 0], ["c5 a", 5], ["c5 b", 5]] as const) {
        tg.startSoon(async () => {
          await waitAllTasksBlocked(cushion);
          order.push(name);
        });
      }
      await sleep(0);
      const release = new Event();
      await moveOnAfter(300, () => release.wait()); // the body blocks too; never set
    });
    expect(order[0]).toBe("c0");
    expect(order.slice(1, 3).sort()).toEqual(["c5 a", "c5 b"]);
    expect(order[3]).toBe("c20");
  });

  it("a task running plain promise code (not an anyts wait) keeps it waiting", async () => {
    let busy = true;
    let returnedWhileBusy = false;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await new Promise((resolve) => setTimeout(resolve, 30)); // not an anyts wait
        busy = false;
      });
      await waitAllTasksBlocked();
      returnedWhileBusy = busy;
    });
    expect(returnedWhileBusy).toBe(false);
  });

  it("bad cushion", async () => {
    await expect(waitAllTasksBlocked(-1)).rejects.toThrow(RangeError);
    await expect(waitAllTasksBlocked(Number.NaN)).rejects.toThrow(/cushion must be a non-negative number/);
    await expect(waitAllTasksBlocked("1" as never)).rejects.toThrow(TypeError);
  });
});
