/**
 * The pools of workers behind `toWorker.run` (threads) and `toProcess.run` (child
 * processes): one pool of each kind per backend, workers reused most-recent first, each
 * running one call at a time, unref'd while idle (an idle pool never keeps the process
 * alive) and stopped after an idle timeout (10 s for threads, 5 minutes for processes).
 * A worker that dies is dropped; the next call starts a new one.
 *
 * @module
 */
import { standardClock } from "../backend/index.ts";
import type { RawWorker, RawWorkerExit, RawWorkerKind, WorkerBackend, WorkerResourceLimits } from "../backend/worker.ts";
import { BrokenWorkerError } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import { DEAD, ERROR, FAULT, FLAG_SYNC_REPLY, PROXY_CALL, PROXY_REPLY, RESULT, reviveThrown, serializeError } from "./protocol.ts";

/** What a pool worker reports to the call it runs. */
export interface CallSink {
  /** The call's id. */
  readonly id: number;
  /** The worker's RESULT. */
  settle(kind: number, payload: unknown): void;
  /** A PROXY_CALL of the worker. */
  proxyCall(message: readonly unknown[]): void;
  /** The worker died while running the call (`fault`: the uncaught error it reported). */
  broken(exit: RawWorkerExit, fault: unknown): void;
}

/** The settings of the pools (internal: tests shorten the idle timeouts). */
interface WorkerSettings {
  /** Milliseconds an idle worker thread lives (default 10 s). */
  threadIdleTimeout: number;
  /** Milliseconds an idle child process lives (default 5 minutes). */
  processIdleTimeout: number;
  /** V8 heap limits of new pool threads, where the runtime has them. */
  resourceLimits: WorkerResourceLimits | undefined;
}

const DEFAULT_SETTINGS: WorkerSettings = {
  threadIdleTimeout: 10_000,
  processIdleTimeout: 300_000,
  resourceLimits: undefined,
};

const settings: WorkerSettings = { ...DEFAULT_SETTINGS };

/**
 * @internal Changes the pools' settings (for tests: short idle timeouts, small heaps);
 * `undefined` for a key restores its default. Applies to workers that go idle or start
 * from now on.
 */
export function _configureWorkers(changes: { [K in keyof WorkerSettings]?: WorkerSettings[K] | undefined }): void {
  checkOptions(changes, ["threadIdleTimeout", "processIdleTimeout", "resourceLimits"], "_configureWorkers");
  for (const key of ["threadIdleTimeout", "processIdleTimeout"] as const) {
    if (!(key in changes)) continue;
    const value = changes[key];
    if (value === undefined) settings[key] = DEFAULT_SETTINGS[key];
    else if (typeof value !== "number" || !(value >= 0)) throw new RangeError(`_configureWorkers: ${key} must be a number >= 0`);
    else settings[key] = value;
  }
  if ("resourceLimits" in changes) settings.resourceLimits = changes.resourceLimits;
}

// ---------------------------------------------------------------- census

const live = new Set<RawWorker>();

/** Counts a started worker until its exit. */
export function track(raw: RawWorker): void {
  live.add(raw);
}

/** Stops counting a worker that exited. */
export function untrack(raw: RawWorker): void {
  live.delete(raw);
}

/**
 * @internal The workers started by anyts that have not exited yet (pool workers, idle or
 * busy, abandoned ones still running, portals): their counts and ids (thread ids, pids).
 */
export function _workerCensus(): { threads: number; processes: number; threadIds: number[]; pids: number[] } {
  const threadIds: number[] = [];
  const pids: number[] = [];
  for (const raw of live) (raw.kind === "thread" ? threadIds : pids).push(raw.id);
  return { threads: threadIds.length, processes: pids.length, threadIds, pids };
}

/** @internal How many pool workers are running a call now. */
export function _busyWorkers(): number {
  let busy = 0;
  for (const pool of allPools) busy += pool._busy.size;
  return busy;
}

/**
 * @internal Stops every idle pool worker now and resolves once every worker anyts started
 * has exited (or rejects after `timeoutMs`, naming what is left). For tests.
 */
export async function _closeWorkerPools(timeoutMs = 5_000): Promise<void> {
  for (const pool of allPools) pool._stopIdle();
  const deadline = standardClock.currentTime() + timeoutMs;
  while (live.size !== 0) {
    if (standardClock.currentTime() > deadline) {
      const census = _workerCensus();
      throw new Error(`workers still running: ${census.threads} thread(s), ${census.processes} process(es) (pids ${census.pids.join(", ")})`);
    }
    await new Promise<void>((resolve) => standardClock.setTimer(5, resolve));
  }
}

// ---------------------------------------------------------------- pools

const allPools = new Set<WorkerPool>();
const poolsByBackend = new WeakMap<WorkerBackend, Partial<Record<RawWorkerKind, WorkerPool>>>();

/** The pool of `kind` of a backend's workers. */
export function poolFor(workers: WorkerBackend, kind: RawWorkerKind): WorkerPool {
  let pools = poolsByBackend.get(workers);
  if (pools === undefined) poolsByBackend.set(workers, (pools = {}));
  let pool = pools[kind];
  if (pool === undefined) {
    pool = pools[kind] = new WorkerPool(workers, kind);
    allPools.add(pool);
  }
  return pool;
}

/** One worker of a pool. */
export class PoolWorker {
  /** The runtime's worker. */
  readonly raw: RawWorker;
  /** The thread's shared flags (threads only). */
  readonly flags: Int32Array | undefined;
  /** The call it runs, if any. */
  call: CallSink | undefined = undefined;
  /** When it last went idle (currentTime). */
  idleSince = 0;
  /** It exited, or was terminated or abandoned: never used again. */
  dead = false;
  /** The uncaught error it reported before exiting, if any. */
  fault: unknown = undefined;
  /** The keys of the exports it has run (later calls send only the key). */
  readonly known: Set<number> = new Set();
  private readonly pool: WorkerPool;

  constructor(pool: WorkerPool, raw: RawWorker, flags: Int32Array | undefined) {
    this.pool = pool;
    this.raw = raw;
    this.flags = flags;
    raw.onMessage = (message) => this.#onMessage(message as readonly unknown[]);
    raw.onExit = (exit) => this.#onExit(exit);
  }

  #onMessage(message: readonly unknown[]): void {
    switch (message[0]) {
      case RESULT: {
        const call = this.call;
        if (call !== undefined && call.id === message[1]) call.settle(message[2] as number, message[3]);
        break;
      }
      case PROXY_CALL: {
        const call = this.call;
        if (call !== undefined && call.id === message[1]) call.proxyCall(message);
        else this.replyProxy(message[1] as number, message[2] as number, message[5] === true, ERROR, serializeError(endedProxyError()));
        break;
      }
      case FAULT:
        // The worker is about to exit: nothing may take it meanwhile.
        this.fault = reviveThrown(message[1] as number, message[2]);
        this.dead = true;
        this.pool._drop(this);
        break;
      case DEAD:
        break;
    }
  }

  #onExit(exit: RawWorkerExit): void {
    untrack(this.raw);
    const stopped = this.dead; // terminated or dropped by anyts (or it reported a fault)
    this.dead = true;
    this.pool._drop(this);
    const call = this.call;
    this.call = undefined;
    if (call !== undefined) call.broken(exit, this.fault);
    else if (this.fault !== undefined || (exit.error !== undefined && !stopped)) reportLostFault(this.raw, this.fault ?? exit.error);
  }

  /** Answers a proxied call of the worker (async: a message; sync: the sync channel and flag). */
  replyProxy(callId: number, seq: number, sync: boolean, kind: number, payload: unknown): void {
    if (this.dead) return;
    const raw = this.raw;
    try {
      if (sync) {
        try {
          raw.sync!.post([seq, kind, payload]);
        } catch (error) {
          raw.sync!.post([seq, ERROR, serializeError(resultCloneError(error))]);
        }
        Atomics.add(this.flags!, FLAG_SYNC_REPLY, 1);
        Atomics.notify(this.flags!, FLAG_SYNC_REPLY);
      } else {
        try {
          raw.post([PROXY_REPLY, callId, seq, kind, payload]);
        } catch (error) {
          raw.post([PROXY_REPLY, callId, seq, ERROR, serializeError(resultCloneError(error))]);
        }
      }
    } catch {
      // The worker is gone; its exit is reported through onExit.
    }
  }
}

function resultCloneError(error: unknown): DOMException {
  const reason = error instanceof Error ? error.message : String(error);
  return new DOMException(`the result of the proxied function could not be cloned: ${reason}`, "DataCloneError");
}

/** The error of a proxy called (by the worker) for a call that has ended. */
export function endedProxyError(): Error {
  const error = new Error(
    "this proxied function belonged to a call that has ended: a function passed among the args works only while its call runs",
  );
  (error as { code?: string }).code = "ERR_WORKER_PROXY_ENDED";
  return error;
}

/** The BrokenWorkerError of a worker that ended while it ran `task` (e.g. `"sum" of file:///…`). */
export function brokenWorkerError(raw: RawWorker, exit: RawWorkerExit, fault: unknown, task: string): BrokenWorkerError {
  const what = raw.kind === "thread" ? `the worker thread ${raw.id}` : `the child process ${raw.id}`;
  const runtimeError = exit.error as { code?: unknown; message?: unknown } | undefined;
  const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  let how: string;
  if (fault !== undefined) how = `crashed with an uncaught error (${describe(fault)})`;
  else if (runtimeError?.code === "ERR_WORKER_OUT_OF_MEMORY") how = "ran out of memory";
  else if (exit.signal !== null) how = `was killed by ${exit.signal}`;
  else if (runtimeError !== undefined && exit.code === null) how = `could not start (${String(runtimeError.message ?? runtimeError)})`;
  // An uncaught error that reached the runtime instead of the entry's handler (bun test
  // delivers a worker's uncaught errors straight to the parent).
  else if (runtimeError !== undefined) how = `crashed with an uncaught error (${describe(runtimeError)})`;
  else how = `exited with code ${exit.code}`;
  const cause = fault ?? exit.error;
  return new BrokenWorkerError(`${what} ${how} while running ${task}`, cause === undefined ? undefined : { cause });
}

/**
 * A worker that failed after its call returned has no caller to tell: say it on stderr,
 * as an uncaught error would be (the process stays up, the pool replaces the worker).
 */
function reportLostFault(raw: RawWorker, fault: unknown): void {
  const what = raw.kind === "thread" ? `worker thread ${raw.id}` : `child process ${raw.id}`;
  console.error(`anyts: ${what} failed with an uncaught error while idle, and was replaced:`, fault);
}

/** The pool of one kind of worker of one backend. */
export class WorkerPool {
  /** The backend's workers. */
  readonly workers: WorkerBackend;
  /** Threads or child processes. */
  readonly kind: RawWorkerKind;
  /** @ignore Idle workers, the most recently used last. */
  _idle: PoolWorker[] = [];
  /** @ignore Workers running a call. */
  _busy: Set<PoolWorker> = new Set();
  #timer: unknown = undefined;

  constructor(workers: WorkerBackend, kind: RawWorkerKind) {
    this.workers = workers;
    this.kind = kind;
  }

  /** An idle worker, or `undefined`. */
  take(): PoolWorker | undefined {
    const worker = this._idle.pop();
    if (worker !== undefined) {
      this._busy.add(worker);
      worker.raw.ref();
    }
    return worker;
  }

  /** Starts a new worker (a thread at once, a child process once its module loaded). */
  spawn(): PoolWorker | Promise<PoolWorker> {
    if (this.kind === "thread") {
      const flags = new SharedArrayBuffer(16);
      const limits = settings.resourceLimits;
      const raw = this.workers.startThread(limits === undefined ? { mode: "pool", flags } : { mode: "pool", flags, resourceLimits: limits });
      return this.#adopt(raw, new Int32Array(flags));
    }
    return this.workers.startProcess().then((raw) => this.#adopt(raw, undefined));
  }

  #adopt(raw: RawWorker, flags: Int32Array | undefined): PoolWorker {
    track(raw);
    const worker = new PoolWorker(this, raw, flags);
    this._busy.add(worker);
    return worker;
  }

  /** Takes back a worker whose call ended: idle (unref'd) until reused or timed out. */
  release(worker: PoolWorker): void {
    this._busy.delete(worker);
    if (worker.dead) return;
    worker.raw.unref();
    worker.idleSince = standardClock.currentTime();
    this._idle.push(worker);
    if (this.#timer === undefined) this.#arm(this.#idleTimeout());
  }

  /** Stops a worker now and never uses it again (its exit is still counted when it comes). */
  abandon(worker: PoolWorker): void {
    this._drop(worker);
    worker.dead = true;
    worker.raw.unref();
    worker.raw.terminate();
  }

  /** @ignore Forgets a worker (it died or is being stopped). */
  _drop(worker: PoolWorker): void {
    this._busy.delete(worker);
    const index = this._idle.indexOf(worker);
    if (index !== -1) this._idle.splice(index, 1);
  }

  /** @ignore Stops every idle worker now. */
  _stopIdle(): void {
    for (const worker of this._idle.splice(0)) {
      worker.dead = true;
      worker.raw.terminate();
    }
  }

  #idleTimeout(): number {
    return this.kind === "thread" ? settings.threadIdleTimeout : settings.processIdleTimeout;
  }

  #arm(delay: number): void {
    this.#timer = this.workers.setIdleTimer(Math.max(delay, 1), () => this.#sweep());
  }

  /** Stops the workers idle for the timeout; re-arms for the next one. */
  #sweep(): void {
    this.#timer = undefined;
    const timeout = this.#idleTimeout();
    const now = standardClock.currentTime();
    let next = Infinity;
    const keep: PoolWorker[] = [];
    for (const worker of this._idle) {
      const due = worker.idleSince + timeout;
      if (due <= now + 1) {
        worker.dead = true;
        worker.raw.terminate();
      } else {
        keep.push(worker);
        next = Math.min(next, due);
      }
    }
    this._idle = keep;
    if (next !== Infinity) this.#arm(next - now);
  }
}
