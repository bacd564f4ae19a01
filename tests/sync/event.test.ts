import { describe, expect, it } from "vitest";
import { CancelScope, Cancelled, checkpoint, Event, taskGroup } from "../../mod.ts";
import { settle, until } from "./helpers.ts";

describe("Event", () => {
  it("set wakes every waiter, in the order they started waiting", async () => {
    const event = new Event();
    const woke: number[] = [];
    await taskGroup(async (tg) => {
      for (let i = 0; i < 3; i++) {
        tg.startSoon(async () => {
          await event.wait();
          woke.push(i);
        });
        await until(() => event.statistics().tasksWaiting === i + 1, `${i + 1} waiters`);
      }
      await settle();
      expect(woke).toEqual([]);
      expect(event.isSet()).toBe(false);
      event.set();
      expect(event.isSet()).toBe(true);
      expect(event.statistics().tasksWaiting).toBe(0);
    });
    expect(woke).toEqual([0, 1, 2]);
  });

  it("waiting on a set event returns at once; setting it again does nothing", async () => {
    const event = new Event();
    event.set();
    event.set();
    await event.wait();
    await event.wait();
    expect(event.isSet()).toBe(true);
  });

  it("waiting on a set event is still a checkpoint: it raises in a cancelled scope", async () => {
    const event = new Event();
    event.set();
    const outcome = await new CancelScope().run(async (scope) => {
      scope.cancel();
      return event.wait().then(() => "returned", (error: unknown) => error);
    });
    expect(outcome).toBeInstanceOf(Cancelled);
  });

  it("a waiter whose scope is cancelled raises Cancelled and leaves the queue", async () => {
    const event = new Event();
    const scope = new CancelScope();
    let woke = false;
    await taskGroup(async (tg) => {
      tg.startSoon(() =>
        scope.run(async () => {
          await event.wait();
          woke = true;
        })
      );
      await until(() => event.statistics().tasksWaiting === 1, "the waiter is queued");
      scope.cancel();
      expect(event.statistics().tasksWaiting).toBe(0);
    });
    expect(woke).toBe(false);
    expect(scope.cancelledCaught).toBe(true);
  });

  it("an event set and the waiter's scope cancelled in the same tick still wakes it", async () => {
    const event = new Event();
    const scope = new CancelScope();
    const steps: string[] = [];
    await taskGroup(async (tg) => {
      tg.startSoon(() =>
        scope.run(async () => {
          await event.wait();
          steps.push("woke");
          await checkpoint(); // the cancellation is still there, level-triggered
          steps.push("passed a checkpoint");
        })
      );
      await until(() => event.statistics().tasksWaiting === 1, "the waiter is queued");
      event.set();
      scope.cancel();
    });
    expect(steps).toEqual(["woke"]);
    expect(scope.cancelledCaught).toBe(true);
  });

  it("a scope cancelled before the event is set, in the same tick, does not wake the waiter", async () => {
    const event = new Event();
    let woke = false;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await event.wait();
        woke = true;
      });
      await until(() => event.statistics().tasksWaiting === 1, "the waiter is queued");
      tg.cancelScope.cancel();
      event.set();
    });
    expect(woke).toBe(false);
  });

  it("reports the number of waiting tasks", async () => {
    const event = new Event();
    expect(event.statistics()).toEqual({ tasksWaiting: 0 });
    await taskGroup(async (tg) => {
      for (let i = 1; i <= 2; i++) {
        tg.startSoon(() => event.wait());
        await until(() => event.statistics().tasksWaiting === i, `${i} waiters`);
      }
      event.set();
    });
    expect(event.statistics()).toEqual({ tasksWaiting: 0 });
  });
});
