import { describe, expect, it } from "vitest";
import {
  amap,
  CancelScope,
  failAfter,
  failAt,
  Lock,
  moveOnAfter,
  moveOnAt,
  run,
  Semaphore,
  sleep,
} from "../../mod.ts";
import { backendTests, MockClock } from "../../testing.ts";

describe("every options object of the core and sync API rejects unknown keys", () => {
  it("run", async () => {
    await expect(run(async () => {}, { backnd: "node" } as never)).rejects.toThrow(/run: unknown option "backnd"; known options: backend, signal, clock/);
    await expect(run(async () => {}, { clock: {} } as never)).rejects.toThrow(/run: clock must be a MockClock/);
  });

  it("CancelScope", () => {
    expect(() => new CancelScope({ Shield: true } as never)).toThrow(/CancelScope: unknown option "Shield" \(did you mean "shield"\?\)/);
    expect(() => new CancelScope("soon" as never)).toThrow(/CancelScope: options must be an object, got string/);
  });

  it("moveOnAfter, moveOnAt, failAfter, failAt", async () => {
    await expect(moveOnAfter(1, () => sleep(0), { sheild: true } as never)).rejects.toThrow(/moveOnAfter: unknown option "sheild"/);
    await expect(moveOnAt(null, () => sleep(0), { reason: "x" } as never)).rejects.toThrow(/moveOnAt: unknown option "reason"/);
    await expect(failAfter(1, () => sleep(0), { message: "x" } as never)).rejects.toThrow(/failAfter: unknown option "message"; known options: shield, reason/);
    await expect(failAt(null, () => sleep(0), { deadline: 1 } as never)).rejects.toThrow(/failAt: unknown option "deadline"/);
    await expect(moveOnAfter(-1, () => sleep(0))).rejects.toThrow(RangeError);
    await expect(moveOnAfter(Number.NaN, () => sleep(0))).rejects.toThrow(/moveOnAfter: ms must be a non-negative number/);
    await expect(failAt(Number.NaN, () => sleep(0))).rejects.toThrow(/failAt: deadline must not be NaN/);
    await expect(moveOnAfter(1, () => sleep(0), { shield: "yes" } as never)).rejects.toThrow(/shield must be a boolean/);
  });

  it("Lock and Semaphore", () => {
    expect(() => new Lock({ fast: true } as never)).toThrow(/Lock: unknown option "fast"; known options: fastAcquire/);
    expect(() => new Semaphore(1, { max: 2 } as never)).toThrow(/Semaphore: unknown option "max"; known options: maxValue, fastAcquire/);
  });

  it("amap", async () => {
    await expect(amap([1], async (n) => n, { limt: 1 } as never)).rejects.toThrow(/amap: unknown option "limt"/);
  });

  it("MockClock and backendTests", () => {
    expect(() => new MockClock({ autoJumpThreshold: 0 } as never)).toThrow(/MockClock: unknown option "autoJumpThreshold" \(did you mean "autojumpThreshold"\?\)/);
    expect(() => backendTests(it, { backend: ["node"] } as never)).toThrow(/backendTests: unknown option "backend"/);
    expect(() => backendTests(it, { clock: new MockClock() } as never)).toThrow(/clock must be a function that returns a MockClock/);
  });
});
