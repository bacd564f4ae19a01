/**
 * The Node adapter's workers: threads on node:worker_threads (`backends/shared/worker-threads.ts`)
 * and child processes on node:child_process with a v8-serialized IPC channel
 * (`backends/shared/worker-process.ts`). It runs on Deno's and Bun's node: compatibility
 * too, starting their own runtime.
 *
 * @module
 */
import os from "node:os";
import { setTimeout as setNodeTimeout } from "node:timers";
import type { WorkerBackend } from "../../src/backend/worker.ts";
import { startThread } from "../shared/worker-threads.ts";

/** The Node backend's workers. */
export const nodeWorkers: WorkerBackend = {
  availableParallelism: () => (typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length) || 1,
  startThread,
  // node:child_process loads on first use (as on Deno, where it costs ~10 ms).
  startProcess: () => import("../shared/worker-process.ts").then((module) => module.startChildProcess()),
  setIdleTimer: (delayMs, callback) => setNodeTimeout(callback, delayMs).unref(),
  clearIdleTimer: (handle) => clearTimeout(handle as ReturnType<typeof setNodeTimeout>),
};
