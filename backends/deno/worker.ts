/**
 * The Deno adapter's workers.
 *
 * - Threads: node:worker_threads (`backends/shared/worker-threads.ts`), not the Web
 *   `Worker`: measured at the same round-trip cost (~52 vs ~54 µs), but the Web Worker has
 *   no exit event (a worker that exits or crashes would go unnoticed), no `unref()` (an idle
 *   pool would keep Deno alive) and no `resourceLimits`.
 * - Child processes: node:child_process with a v8-serialized IPC channel
 *   (`backends/shared/worker-process.ts`): `Deno.Command` has no IPC channel.
 * - Idle timers: the global `setTimeout` with `Deno.unrefTimer`.
 *
 * @module
 */
import type { WorkerBackend } from "../../src/backend/worker.ts";
import { startThread } from "../shared/worker-threads.ts";

interface DenoTimers {
  unrefTimer(id: number): void;
}

const deno = (): DenoTimers => (globalThis as unknown as { Deno: DenoTimers }).Deno;

/** The Deno backend's workers. */
export const denoWorkers: WorkerBackend = {
  availableParallelism: () =>
    (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency || 1,
  startThread,
  // node:child_process loads on first use: importing it costs ~10 ms on Deno.
  startProcess: () => import("../shared/worker-process.ts").then((module) => module.startChildProcess()),
  setIdleTimer: (delayMs, callback) => {
    const id = setTimeout(callback, delayMs) as unknown as number;
    deno().unrefTimer(id);
    return id;
  },
  clearIdleTimer: (handle) => clearTimeout(handle as number),
};
