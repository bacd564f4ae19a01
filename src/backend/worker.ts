/**
 * The raw worker contract that each runtime adapter implements for `src/workers/`: start a
 * worker thread or a child process of the same runtime running the worker entry (the
 * adapters own its code, see `backends/shared/worker-entry.ts`), post messages to it, hear
 * its messages and its death, keep it from holding the process open while it idles.
 *
 * The pool, the call protocol, cancellation, proxies and the BlockingPortal are written
 * once in `src/workers/` on top of this.
 *
 * @module
 */

/**
 * What a call may move to a worker instead of copying: ArrayBuffers, and (to a thread)
 * MessagePorts. The web's `Transferable`, declared here because the library's types have
 * no DOM.
 */
export type WorkerTransferable = ArrayBuffer | { postMessage(message: unknown): void; close(): void };

/** What kind of worker to start: a thread (`toWorker`, the portal) or a child process (`toProcess`). */
export type RawWorkerKind = "thread" | "process";

/** How a worker ended, as {@linkcode RawWorker.onExit} reports it. */
export interface RawWorkerExit {
  /** The exit code, when it exited (a thread: `process.exit(n)`, 1 when terminated). */
  readonly code: number | null;
  /** The signal that killed a child process, e.g. `"SIGKILL"`. */
  readonly signal: string | null;
  /**
   * The runtime's error, when it reported one: a thread that ran out of memory
   * (`ERR_WORKER_OUT_OF_MEMORY`), a child process that could not start.
   */
  readonly error?: unknown;
}

/**
 * The main side of a thread's synchronous channel: replies to `fromWorker.callSync` go
 * through it, and a BlockingPortal receives its results from it without an event-loop
 * turn.
 */
export interface RawSyncPort {
  /** Posts a message to the worker's end (structured clone; throws a DataCloneError). */
  post(message: unknown): void;
  /** Takes the next message the worker posted, synchronously; `undefined` if none is queued. */
  receive(): { message: unknown } | undefined;
  /** Closes this end. */
  close(): void;
}

/**
 * One started worker: a thread or a child process running the worker entry.
 *
 * It starts referenced (it keeps the process alive); the pool unrefs it while it idles.
 * Messages posted before the entry has loaded are queued by the runtime.
 */
export interface RawWorker {
  /** Thread or child process. */
  readonly kind: RawWorkerKind;
  /** The thread id or the process id. */
  readonly id: number;
  /** The synchronous channel and the shared flags (threads only). */
  readonly sync: RawSyncPort | undefined;
  /**
   * Posts `message` (structured clone; the child-process transport serializes with v8 where
   * the runtime has it). Throws synchronously, never asynchronously, when the message
   * cannot be cloned: a `DataCloneError` or the runtime's equivalent. `transfer` moves
   * ArrayBuffers and ports where the transport can (threads); elsewhere they are copied.
   */
  post(message: unknown, transfer?: readonly WorkerTransferable[]): void;
  /** Called with each message from the worker's entry. */
  onMessage: ((message: unknown) => void) | undefined;
  /** Called once when the worker has ended, for whatever reason. */
  onExit: ((exit: RawWorkerExit) => void) | undefined;
  /** Lets the worker keep the process alive (while it runs a call). */
  ref(): void;
  /** Stops the worker from keeping the process alive (while it idles, or once abandoned). */
  unref(): void;
  /**
   * Stops the worker at once (a thread: `terminate()`; a child process: SIGKILL). Safe to
   * call more than once and after it exited; `onExit` follows once it has really ended.
   */
  terminate(): void;
}

/** Options of {@linkcode WorkerBackend.startThread}. */
export interface StartWorkerOptions {
  /**
   * What the entry serves: `"pool"` (calls of `toWorker.run`, one at a time) or
   * `"portal"` (calls of a BlockingPortal, results through the sync channel).
   */
  readonly mode: "pool" | "portal";
  /**
   * The shared flags of a thread (an `Int32Array`'s buffer, 4 slots): 0 the id of the
   * cancelled call, 1 the counter of callSync replies, 2 the counter of portal messages.
   */
  readonly flags?: SharedArrayBuffer;
  /** V8 heap limits of a thread, where the runtime enforces them (Node, Deno; not Bun). */
  readonly resourceLimits?: WorkerResourceLimits;
}

/** V8 heap limits of a worker thread (as node:worker_threads' `resourceLimits`). */
export interface WorkerResourceLimits {
  /** The old generation's maximum size in MiB. */
  readonly maxOldGenerationSizeMb?: number;
  /** The young generation's maximum size in MiB. */
  readonly maxYoungGenerationSizeMb?: number;
}

/**
 * What an adapter provides for `toWorker`, `toProcess` and the BlockingPortal.
 *
 * @example
 * ```ts
 * import { loadBackend } from "@anyts/anyts";
 * const backend = await loadBackend("node");
 * console.log(backend.workers.availableParallelism() >= 1); // true
 * ```
 */
export interface WorkerBackend {
  /** How many threads can run in parallel here (`os.availableParallelism()`). */
  availableParallelism(): number;
  /**
   * Starts a worker thread of the same runtime running the worker entry. Synchronous (a
   * portal starts from sync code); a failure to start is reported through `onExit` with
   * its `error`.
   */
  startThread(options: StartWorkerOptions): RawWorker;
  /**
   * Starts a child process of the same runtime running the worker entry, its stdout and
   * stderr the parent's, with a structured-clone channel. Asynchronous only because the
   * adapter loads its process module on first use (node:child_process costs ~10 ms to
   * load on Deno); a failure to start is reported through `onExit` with its `error`.
   */
  startProcess(): Promise<RawWorker>;
  /** Calls `callback` once after `delayMs`; the timer never keeps the process alive. */
  setIdleTimer(delayMs: number, callback: () => void): unknown;
  /** Cancels a timer of {@linkcode WorkerBackend.setIdleTimer}. */
  clearIdleTimer(handle: unknown): void;
}

/**
 * @internal The `workers` of the provisional backend: each method delegates to the native
 * backend's once it has loaded (`load` starts or joins the loading). Before that,
 * `availableParallelism` falls back to `navigator.hardwareConcurrency`, `startProcess`
 * waits, and the synchronous `startThread` throws a clear error (`src/workers/` awaits the
 * native backend before starting pool workers, so only a portal started before the first
 * event-loop turn meets it).
 */
export function delegatingWorkerBackend(load: () => Promise<{ readonly workers: WorkerBackend }>): WorkerBackend {
  let native: WorkerBackend | undefined;
  let loading = false;
  const get = (): WorkerBackend | undefined => {
    if (native === undefined && !loading) {
      loading = true;
      load().then((backend) => (native = backend.workers), () => (loading = false));
    }
    return native;
  };
  const notYet = (what: string): Error =>
    new Error(
      `${what}: the anyts backend of this runtime is still loading (it loads in the first event-loop turn after the import); call it inside run(), or after an await`,
    );
  return {
    availableParallelism: () =>
      get()?.availableParallelism() ??
        ((globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1),
    startThread: (options) => {
      const workers = get();
      if (workers === undefined) throw notYet("starting a worker thread");
      return workers.startThread(options);
    },
    startProcess: () => load().then((backend) => backend.workers.startProcess()),
    setIdleTimer: (delayMs, callback) => {
      const workers = get();
      if (workers === undefined) throw notYet("setIdleTimer");
      return workers.setIdleTimer(delayMs, callback);
    },
    clearIdleTimer: (handle) => get()?.clearIdleTimer(handle),
  };
}
