/**
 * Worker threads on `node:worker_threads`, for every adapter.
 *
 * Chosen over the Web `Worker` on Deno and Bun too, by measurement (Deno 2.9.6, Bun
 * 1.4.5, this repository's CI machine): a postMessage round trip costs the same on both
 * APIs (Deno ~52 µs Web Worker vs ~54 µs worker_threads, Bun ~42 vs ~44 µs), but only
 * `node:worker_threads` has what the pool needs: an `exit` event (a Web Worker that calls
 * `close()`, `process.exit()` or crashes just goes silent, so no BrokenWorkerError could
 * be raised), `ref()`/`unref()` on Deno (an idle Web Worker keeps Deno alive), the
 * `resourceLimits` that turn an out-of-memory worker into an error instead of a dead
 * process (Node, Deno), and `receiveMessageOnPort` for `fromWorker.callSync` and the
 * BlockingPortal (the Web API has no synchronous receive).
 *
 * Measured facts this file relies on: `terminate()` stops a thread busy in a synchronous
 * loop at once on Node, Deno and Bun, and `exit` follows; Bun ignores `resourceLimits`;
 * Deno 2.9.6 hangs a worker that reaches its `resourceLimits` inside a message handler or
 * a microtask (not in a macrotask).
 *
 * @module
 */
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { detectRuntime } from "../../src/backend/index.ts";
import type { RawWorker, RawWorkerExit, StartWorkerOptions } from "../../src/backend/worker.ts";
import { workerEntrySource } from "./worker-entry.ts";

const ignore = (): void => {};

/** Starts a worker thread running the worker entry. */
export function startThread(options: StartWorkerOptions): RawWorker {
  const { port1, port2 } = new MessageChannel();
  const flags = options.flags ?? new SharedArrayBuffer(16);
  let worker: Worker;
  try {
    worker = new Worker(workerEntrySource, {
      eval: true,
      // Deno hangs when a worker reaches its resourceLimits inside a message handler (see
      // the entry): with limits, its calls start from a macrotask.
      workerData: { anyts: 1, mode: options.mode, flags, syncPort: port2, deferCalls: options.resourceLimits !== undefined && detectRuntime() === "deno" },
      transferList: [port2],
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: { ...options.resourceLimits } }),
    });
  } catch (error) {
    port1.close();
    return failedThread(error);
  }
  let error: unknown;
  let exited = false;
  const raw: RawWorker = {
    kind: "thread",
    id: worker.threadId,
    sync: {
      post: (message) => port1.postMessage(message),
      receive: () => receiveMessageOnPort(port1),
      close: () => port1.close(),
    },
    post: (message, transfer) => worker.postMessage(message, transfer as never),
    onMessage: undefined,
    onExit: undefined,
    ref: () => {
      if (!exited) worker.ref();
    },
    unref: () => worker.unref(),
    terminate: () => {
      if (!exited) worker.terminate().then(ignore, ignore);
    },
  };
  worker.on("message", (message) => raw.onMessage?.(message));
  // A message the main thread cannot deserialize: the entry only sends what it could
  // serialize, so this is a runtime fault; the call then fails when the worker is replaced.
  worker.on("messageerror", (failure) => {
    error ??= failure;
    raw.terminate();
  });
  // Uncaught errors are handled by the entry (it reports them and exits); what arrives
  // here is what it cannot catch: running out of memory, a failure to start.
  worker.on("error", (failure) => (error ??= failure));
  worker.on("exit", (code) => {
    exited = true;
    port1.close();
    const exit: RawWorkerExit = error === undefined ? { code, signal: null } : { code, signal: null, error };
    raw.onExit?.(exit);
  });
  return raw;
}

/** A thread that could not be created: it reports its exit on the next turn. */
function failedThread(error: unknown): RawWorker {
  const raw: RawWorker = {
    kind: "thread",
    id: -1,
    sync: undefined,
    post: ignore,
    onMessage: undefined,
    onExit: undefined,
    ref: ignore,
    unref: ignore,
    terminate: ignore,
  };
  queueMicrotask(() => raw.onExit?.({ code: null, signal: null, error }));
  return raw;
}
