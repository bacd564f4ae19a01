import { describe, expect, it } from "vitest";
import { BusyResourceError, Event, ResourceGuard, taskGroup } from "../../mod.ts";

describe("ResourceGuard", () => {
  it("throws BusyResourceError, naming the action, while it is entered", () => {
    const guard = new ResourceGuard("receiving");
    expect(guard.action).toBe("receiving");
    {
      using _ = guard.enter();
      expect(guard.statistics()).toEqual({ guarded: true });
      expect(() => guard.enter()).toThrow(BusyResourceError);
      expect(() => guard.enter()).toThrow(/receiving/);
      expect(guard.statistics()).toEqual({ guarded: true });
    }
    expect(guard.statistics()).toEqual({ guarded: false });
    using _again = guard.enter();
    expect(guard.statistics().guarded).toBe(true);
  });

  it("defaults the action to using", () => {
    const guard = new ResourceGuard();
    using _ = guard.enter();
    expect(() => guard.enter()).toThrow(/using/);
    expect(() => new ResourceGuard(3 as unknown as string)).toThrow(TypeError);
  });

  it("detects a second task using the resource concurrently", async () => {
    const guard = new ResourceGuard("sending");
    const entered = new Event();
    const tried = new Event();
    const outcomes: string[] = [];
    async function send(name: string): Promise<void> {
      try {
        using _ = guard.enter();
        entered.set();
        await tried.wait();
        outcomes.push(`${name} sent`);
      } catch (error) {
        if (!(error instanceof BusyResourceError)) throw error;
        outcomes.push(`${name} busy`);
      } finally {
        if (name === "second") tried.set();
      }
    }
    await taskGroup(async (tg) => {
      tg.startSoon(send, "first");
      await entered.wait();
      tg.startSoon(send, "second");
    });
    expect(outcomes).toEqual(["second busy", "first sent"]);
    expect(guard.statistics().guarded).toBe(false);
  });

  it("leaves the guard once: a stale Disposable does not end a later entry", () => {
    const guard = new ResourceGuard();
    const first = guard.enter();
    first[Symbol.dispose]();
    const second = guard.enter();
    first[Symbol.dispose]();
    expect(guard.statistics().guarded).toBe(true);
    expect(() => guard.enter()).toThrow(BusyResourceError);
    second[Symbol.dispose]();
    expect(guard.statistics().guarded).toBe(false);
  });
});
