// Idle workers exit by themselves after the idle timeout (10 s for threads, 5 minutes for
// processes by default; the internal _configureWorkers shortens both here).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toProcess, toWorker } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { _closeWorkerPools, _configureWorkers, _workerCensus } from "../../src/workers/pool.ts";
import { eventually, expectNoWorkersLeft, FIXTURE_TIMEOUT, fixture, processExists } from "./helpers.ts";

const test = backendTests(it);
let work: URL;

beforeAll(async () => {
  work = await fixture("work.ts");
  await _closeWorkerPools();
  _configureWorkers({ threadIdleTimeout: 150, processIdleTimeout: 150 });
}, FIXTURE_TIMEOUT);
afterAll(expectNoWorkersLeft);

describe("idle exit", () => {
  test("an idle worker thread exits after the idle timeout; a busy one does not", async () => {
    const { threadId } = await toWorker.run<{ threadId: number }>(work, "whoAmI");
    expect(_workerCensus().threadIds).toContain(threadId);
    // Busy for longer than the timeout: still the same worker afterwards.
    expect(await toWorker.run(work, "slowly", [300, "busy"])).toBe("busy");
    expect((await toWorker.run<{ threadId: number }>(work, "whoAmI")).threadId).toBe(threadId);
    await eventually(() => !_workerCensus().threadIds.includes(threadId), "the idle thread exited");
    expect((await toWorker.run<{ threadId: number }>(work, "whoAmI")).threadId).not.toBe(threadId);
  });

  test("an idle child process exits after the idle timeout", async () => {
    const { pid } = await toProcess.run<{ pid: number }>(work, "whoAmI");
    await eventually(() => !_workerCensus().pids.includes(pid) && !processExists(pid), "the idle child exited");
    expect((await toProcess.run<{ pid: number }>(work, "whoAmI")).pid).not.toBe(pid);
  });
});
