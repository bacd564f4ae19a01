import { describe, expect, it } from "vitest";
import {
  CancelScope,
  Cancelled,
  checkpoint,
  currentTime,
  moveOnAfter,
  sleep,
  sleepForever,
  sleepUntil,
} from "../../mod.ts";

describe("time", () => {
  it("currentTime is monotonic milliseconds", async () => {
    const a = currentTime();
    await sleep(2);
    const b = currentTime();
    expect(b - a).toBeGreaterThanOrEqual(2);
    expect(b - a).toBeLessThan(5_000);
  });

  it("sleep waits at least the duration; sleepUntil until the deadline", async () => {
    const start = currentTime();
    await sleep(10);
    expect(currentTime() - start).toBeGreaterThanOrEqual(10);
    const deadline = currentTime() + 10;
    await sleepUntil(deadline);
    expect(currentTime()).toBeGreaterThanOrEqual(deadline);
    await sleepUntil(currentTime() - 100); // a past deadline is fine
  });

  it("sleep(0) lets a timer callback (a macrotask) run", async () => {
    let timerRan = false;
    setTimeout(() => (timerRan = true), 0);
    await sleep(0);
    await sleep(0);
    expect(timerRan).toBe(true);
  });

  it("sleep is a checkpoint even when it would not block", async () => {
    const scope = new CancelScope();
    scope.cancel();
    let thrown: unknown;
    await scope.run(async () => {
      try {
        await sleep(0);
      } catch (e) {
        thrown = e;
        throw e;
      }
    });
    expect(thrown).toBeInstanceOf(Cancelled);
  });

  it("sleep(Infinity) and sleepForever sleep until cancelled", async () => {
    await expect(moveOnAfter(2, () => sleep(Infinity))).resolves.toBeUndefined();
    await expect(moveOnAfter(2, () => sleepUntil(Infinity))).resolves.toBeUndefined();
    await expect(moveOnAfter(2, sleepForever)).resolves.toBeUndefined();
  });

  it("a cancelled sleep clears its timer and raises Cancelled", async () => {
    const scope = new CancelScope();
    const start = currentTime();
    const sleeping = scope.run(() => sleep(60_000));
    await checkpoint();
    scope.cancel();
    await sleeping;
    expect(scope.cancelledCaught).toBe(true);
    expect(currentTime() - start).toBeLessThan(10_000);
  });

  it("rejects negative and NaN durations and NaN deadlines, naming the argument", async () => {
    await expect(sleep(-1)).rejects.toThrow(RangeError);
    await expect(sleep(-1)).rejects.toThrow(/ms must be a non-negative number/);
    await expect(sleep(NaN)).rejects.toThrow(RangeError);
    await expect(sleep("1" as never)).rejects.toThrow(TypeError);
    await expect(sleepUntil(NaN)).rejects.toThrow(/deadline must not be NaN/);
    await expect(sleepUntil("x" as never)).rejects.toThrow(TypeError);
  });
});
