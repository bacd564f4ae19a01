// Workers that die: process.exit(), an uncaught error during a call or after it, running
// out of memory. Each rejects its call with BrokenWorkerError (or, when idle, is just
// replaced) and the next call works.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokenWorkerError, detectRuntime, toWorker } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { _closeWorkerPools, _configureWorkers, _workerCensus } from "../../src/workers/pool.ts";
import { eventually, expectNoWorkersLeft, FIXTURE_TIMEOUT, fixture } from "./helpers.ts";
import { runsOnlyOn } from "../helpers.ts";

const test = backendTests(it);
// Bun ignores resourceLimits: there, a worker that allocates without bound would grow the process.
const enforcesResourceLimits = detectRuntime() !== "bun" ||
  runsOnlyOn("node", "tests/workers/faults.test.ts (out of memory)", "Bun ignores resourceLimits") && false;
let work: URL;

beforeAll(async () => {
  work = await fixture("work.ts");
}, FIXTURE_TIMEOUT);
afterAll(expectNoWorkersLeft);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("a worker that dies", () => {
  test("process.exit() in the worker: BrokenWorkerError, and the next call works", async () => {
    const error = await rejection(toWorker.run(work, "exitWith", [3]));
    expect(error).toBeInstanceOf(BrokenWorkerError);
    expect(error.message).toMatch(/^the worker thread \d+ exited with code 3 while running "exitWith" of file:/);
    expect(await toWorker.run(work, "add", [1, 1])).toBe(2);
  });

  test("an uncaught error while the call runs: BrokenWorkerError with that error as cause", async () => {
    const error = await rejection(toWorker.run(work, "crashLater"));
    expect(error).toBeInstanceOf(BrokenWorkerError);
    expect(error.message).toContain("crashed with an uncaught error (Error: boom, later)");
    expect((error.cause as Error).message).toBe("boom, later");
    expect((error.cause as Error).stack).toContain("fixtures/work.");
    expect(await toWorker.run(work, "echo", ["recovered"])).toBe("recovered");
  });

  test("an error thrown after the call returned: the call succeeds, the worker is replaced", async () => {
    const before = _workerCensus().threads;
    const { threadId } = await toWorker.run<{ threadId: number }>(work, "whoAmI");
    expect(await toWorker.run(work, "throwAfterReturn")).toBe("returned");
    await eventually(() => !_workerCensus().threadIds.includes(threadId), "the failed worker exited");
    expect(_workerCensus().threads).toBeLessThanOrEqual(before);
    const next = await toWorker.run<{ threadId: number }>(work, "whoAmI");
    expect(next.threadId).not.toBe(threadId);
  });

  it.skipIf(!enforcesResourceLimits)(
    "running out of memory (resourceLimits): BrokenWorkerError, and the next call works",
    async () => {
      // Fresh workers, with a small heap.
      await _closeWorkerPools();
      _configureWorkers({ resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
      try {
        const error = await rejection(toWorker.run(work, "allocateForever"));
        expect(error).toBeInstanceOf(BrokenWorkerError);
        expect(error.message).toContain("ran out of memory");
        expect((error.cause as { code?: string }).code).toBe("ERR_WORKER_OUT_OF_MEMORY");
        expect(await toWorker.run(work, "echo", ["after"])).toBe("after");
      } finally {
        _configureWorkers({ resourceLimits: undefined });
        await _closeWorkerPools();
      }
    },
  );
});
