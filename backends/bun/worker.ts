/**
 * The Bun adapter's workers.
 *
 * - Threads: node:worker_threads (`backends/shared/worker-threads.ts`), not the Web
 *   `Worker`: measured at the same round-trip cost (~42 vs ~44 µs), but the Web Worker has
 *   no exit event, so a worker that exits or crashes would go unnoticed. Bun ignores
 *   `resourceLimits` (a worker that allocates without bound grows the process).
 * - Child processes: `Bun.spawn` with its native IPC channel and `serialization:
 *   "advanced"` (v8 serialization; ~43 µs a round trip, against ~66 µs through Bun's
 *   node:child_process).
 * - Idle timers: `setTimeout(...).unref()`.
 *
 * Facts about Bun 1.4.5 this file relies on (checked by experiment): `subprocess.send` of
 * a value that cannot be cloned throws a DataCloneError synchronously; `unref()` also
 * stops the IPC channel from keeping the process alive; `onExit` gets the signal's name.
 *
 * @module
 */
import type { RawWorker, WorkerBackend } from "../../src/backend/worker.ts";
import { selfCommand } from "../shared/self-command.ts";
import { startThread } from "../shared/worker-threads.ts";

interface BunSubprocess {
  readonly pid: number;
  send(message: unknown): void;
  kill(signal?: string | number): void;
  ref(): void;
  unref(): void;
}

interface BunSpawnOptions {
  cmd: string[];
  stdio: ["ignore", "inherit", "inherit"];
  serialization: "advanced";
  ipc(message: unknown): void;
  onExit(subprocess: BunSubprocess, exitCode: number | null, signalCode: string | null, error?: unknown): void;
}

const bun = (): { spawn(options: BunSpawnOptions): BunSubprocess } =>
  (globalThis as unknown as { Bun: { spawn(options: BunSpawnOptions): BunSubprocess } }).Bun;

function startBunProcess(): RawWorker {
  const [command, args] = selfCommand();
  let exited = false;
  let subprocess: BunSubprocess | undefined;
  const raw: RawWorker = {
    kind: "process",
    id: -1,
    sync: undefined,
    post: (message) => {
      if (exited || subprocess === undefined) return;
      subprocess.send(message);
    },
    onMessage: undefined,
    onExit: undefined,
    ref: () => {
      if (!exited) subprocess?.ref();
    },
    unref: () => subprocess?.unref(),
    terminate: () => {
      if (!exited) subprocess?.kill("SIGKILL");
    },
  };
  try {
    subprocess = bun().spawn({
      cmd: [command, ...args],
      stdio: ["ignore", "inherit", "inherit"],
      serialization: "advanced",
      ipc: (message) => raw.onMessage?.(message),
      onExit: (_subprocess, exitCode, signalCode, error) => {
        exited = true;
        raw.onExit?.(error === undefined ? { code: exitCode, signal: signalCode } : { code: exitCode, signal: signalCode, error });
      },
    });
    (raw as { id: number }).id = subprocess.pid;
  } catch (error) {
    exited = true;
    queueMicrotask(() => raw.onExit?.({ code: null, signal: null, error }));
  }
  return raw;
}

/** The Bun backend's workers. */
export const bunWorkers: WorkerBackend = {
  availableParallelism: () =>
    (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency || 1,
  startThread,
  startProcess: () => Promise.resolve(startBunProcess()),
  setIdleTimer: (delayMs, callback) => setTimeout(callback, delayMs).unref(),
  clearIdleTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
