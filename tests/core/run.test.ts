import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  type BackendName,
  CancelScope,
  currentBackend,
  detectRuntime,
  getAvailableBackends,
  loadBackend,
  moveOnAfter,
  run,
  sleep,
  sleepForever,
  taskGroup,
} from "../../mod.ts";
import { backendTests, backendsUnderTest, trackUnhandledRejections } from "../../testing.ts";

const expectedBackends: Record<string, BackendName[]> = {
  node: ["node"],
  deno: ["deno", "node"],
  bun: ["bun", "node"],
};

describe("runtime detection", () => {
  it("detects the runtime even though Deno and Bun fake process.versions.node", () => {
    const g = globalThis as { Deno?: unknown; Bun?: unknown };
    const expected = g.Deno !== undefined ? "deno" : g.Bun !== undefined ? "bun" : "node";
    expect(detectRuntime()).toBe(expected);
  });

  it("lists the available backends, native first", () => {
    expect(getAvailableBackends()).toEqual(expectedBackends[detectRuntime()]);
    expect(backendsUnderTest()).toEqual(getAvailableBackends());
  });

  it("rejects a backend this runtime lacks, and an unknown name, with a clear error", async () => {
    const missing = (["node", "deno", "bun"] as const).filter((name) => !getAvailableBackends().includes(name));
    for (const name of missing) {
      await expect(run(async () => {}, { backend: name })).rejects.toThrow(
        new RegExp(`backend "${name}" is not available on ${detectRuntime()}`),
      );
    }
    await expect(run(async () => {}, { backend: "python" as never })).rejects.toThrow(TypeError);
    await expect(loadBackend("python" as never)).rejects.toThrow(/backend must be one of/);
    await expect(run("main" as never)).rejects.toThrow(/run: fn must be a function/);
  });
});

describe("run on each backend", () => {
  backendTests(it)("runs fn and reports its backend", async ({ backend }) => {
    const result = await run(async () => {
      await sleep(1);
      return currentBackend();
    }, { backend });
    expect(result).toBe(backend);
  });

  backendTests(it)("task groups and timeouts work on this backend", async ({ backend }) => {
    const log: string[] = [];
    await run(async () => {
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          await moveOnAfter(5, sleepForever);
          log.push(`timeout on ${currentBackend()}`);
        });
      });
    }, { backend });
    expect(log).toEqual([`timeout on ${backend}`]);
  });

  backendTests(it)("an external AbortSignal cancels the run, which rejects with the signal's reason", async ({ backend }) => {
    const controller = new AbortController();
    const reason = new Error("shutting down");
    let cleanedUp = false;
    const running = run(async () => {
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          try {
            await sleepForever();
          } finally {
            cleanedUp = true;
          }
        });
        await sleep(1);
        controller.abort(reason);
        await sleepForever();
      });
    }, { backend, signal: controller.signal });
    await expect(running).rejects.toBe(reason);
    expect(cleanedUp).toBe(true);
  });

  backendTests(it)("an already-aborted signal cancels at the first checkpoint", async ({ backend }) => {
    const reason = new Error("too late");
    await expect(run(() => sleep(10_000), { backend, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});

describe("outside any run", () => {
  it("library calls work in an implicit root that is never cancelled", async () => {
    expect(getAvailableBackends()).toContain(currentBackend());
    await sleep(1);
    const scope = new CancelScope();
    await scope.run(() => sleep(1));
    expect(scope.cancelledCaught).toBe(false);
  });
});

describe("unhandled rejections", () => {
  it("the tracker that fails the suite sees a real rejection nobody handled", async () => {
    if (detectRuntime() === "bun") {
      // bun test intercepts unhandled rejections before process listeners: check in a child.
      const child = spawnSync(process.execPath, [fileURLToPath(new URL("../fixtures/unhandled-rejection.ts", import.meta.url))]);
      expect(child.stdout.toString().trim()).toBe(JSON.stringify(["deliberately unhandled"]));
      return;
    }
    // The test runner fails whichever test is running when a rejection goes unhandled, so its
    // own listeners are detached while this test provokes one on purpose.
    const runnerListeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    try {
      using tracker = trackUnhandledRejections();
      const reason = new Error("deliberately unhandled");
      void Promise.reject(reason);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(tracker.takeAll()).toEqual([reason]);
    } finally {
      for (const listener of runnerListeners) process.on("unhandledRejection", listener);
    }
  });

  it("failing, cancelled and timed-out task groups leave no unhandled rejection", async () => {
    using tracker = trackUnhandledRejections();
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        throw new Error("x");
      });
      tg.spawn(async () => {
        throw new Error("y");
      }); // a failing handle nobody awaits
      await sleepForever();
    }).catch(() => {});
    await moveOnAfter(1, () => taskGroup(async (tg) => tg.startSoon(sleepForever)));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(tracker.rejections).toEqual([]);
  });
});
