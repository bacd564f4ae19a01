/**
 * One call of `toWorker.run` or `toProcess.run`: a limiter token, a pool worker, the call
 * posted, its result or error, cancellation in both modes, and the proxied functions.
 *
 * Cancellation: while the call waits for a token it can be cancelled like any wait (the
 * call never starts). Once the worker runs it:
 * - `cancellable: false` (default): the worker is told (its `fromWorker.signal` aborts,
 *   `fromWorker.checkCancelled()` throws), the call waits, shielded, until the worker
 *   answers, and then raises `Cancelled`; the token is held until then.
 * - `cancellable: true`: the worker is terminated and dropped from the pool, and the call
 *   raises `Cancelled` at once, without waiting for the worker to exit (a thread a runtime
 *   could not stop would be abandoned, unref'd, and replaced by the next call).
 *
 * Proxies: each function among the args stays on this side; the worker gets an async
 * function in its place. Its calls run as child tasks of the calling task (inside the
 * call's cancel scope, with the caller's async context), started from the caller's own
 * wait loop so that they inherit its context; their values or errors go back to the worker.
 *
 * @module
 */
import type { RawWorkerExit, RawWorkerKind, WorkerTransferable } from "../backend/worker.ts";
import { CancelScope, currentScope } from "../core/cancel-scope.ts";
import { Cancelled } from "../core/errors.ts";
import { checkOptions, describeType } from "../core/options.ts";
import { taskGroup } from "../core/task-group.ts";
import { waitCancellable } from "../core/wait.ts";
import { CapacityLimiter } from "../sync/capacity-limiter.ts";
import { backendOf, defaultLimiterOf } from "./limiters.ts";
import { brokenWorkerError, type CallSink, poolFor, type PoolWorker, type WorkerPool } from "./pool.ts";
import {
  argumentCloneError,
  CALL,
  CANCEL,
  checkExportName,
  exportKey,
  FLAG_CANCELLED,
  moduleSpecifier,
  reviveThrown,
  thrownPayload,
  VALUE,
} from "./protocol.ts";

/**
 * Options of `toWorker.run` and `toProcess.run`.
 *
 * @example
 * ```ts
 * import { CapacityLimiter, toWorker } from "@anyts/anyts";
 * const limiter = new CapacityLimiter(2);
 * const buffer = new ArrayBuffer(1024);
 * const options = { limiter, cancellable: true, transfer: [buffer] };
 * const module = "data:text/javascript,export const size = (b) => b.byteLength;";
 * console.log(await toWorker.run(module, "size", [buffer], options)); // 1024
 * ```
 */
export interface WorkerRunOptions {
  /** The limiter whose token the call holds (default: `defaultLimiter()` of the run). */
  limiter?: CapacityLimiter;
  /**
   * `false` (default): a cancelled call lets the worker finish (telling it through
   * `fromWorker.signal`), then raises `Cancelled`. `true`: the worker is stopped at once.
   */
  cancellable?: boolean;
  /** ArrayBuffers (and, for threads, MessagePorts) among the args to move instead of copy. */
  transfer?: WorkerTransferable[];
}

/** How the two entry points differ. */
export interface CallSite {
  /** `toWorker.run` or `toProcess.run`, for messages. */
  readonly where: string;
  /** The worker kind. */
  readonly kind: RawWorkerKind;
  /** `the worker thread` or `the child process`, for messages. */
  readonly destination: string;
}

let lastCallId = 0;

/** Runs `exportName` of `module` in a pool worker of `site.kind` (see the module comment). */
export async function runInWorker(
  site: CallSite,
  module: unknown,
  exportName: unknown,
  args: unknown,
  options: WorkerRunOptions | undefined,
): Promise<unknown> {
  const where = site.where;
  const spec = moduleSpecifier(module, where);
  const name = checkExportName(exportName, where);
  if (args !== undefined && !Array.isArray(args)) throw new TypeError(`${where}: args must be an array, got ${describeType(args)}`);
  const { limiter, cancellable = false, transfer } = checkOptions(options, ["limiter", "cancellable", "transfer"], where);
  if (limiter !== undefined && !(limiter instanceof CapacityLimiter)) {
    throw new TypeError(`${where}: limiter must be a CapacityLimiter, got ${describeType(limiter)}`);
  }
  if (typeof cancellable !== "boolean") throw new TypeError(`${where}: cancellable must be a boolean, got ${describeType(cancellable)}`);
  if (transfer !== undefined) checkTransfer(transfer, site);

  const callArgs: unknown[] = args === undefined ? [] : args;
  let sent = callArgs;
  let proxies: number[] | undefined;
  for (let i = 0; i < callArgs.length; i++) {
    if (typeof callArgs[i] !== "function") continue;
    if (proxies === undefined) {
      proxies = [];
      sent = callArgs.slice();
    }
    proxies.push(i);
    sent[i] = undefined;
  }

  const scope = currentScope();
  const found = backendOf(scope);
  const backend = found instanceof Promise ? await found : found;
  const tokens = limiter ?? defaultLimiterOf(site.kind, scope);
  const borrower = new CallBorrower(where, name);
  // A call cancelled while it waits here never starts. A free token is taken without a
  // promise round (the call is a checkpoint all the same: it raises if cancelled, and it
  // yields while the worker runs).
  if (tokens._waiters.size === 0 && tokens.availableTokens > 0 && scope._cancelledBy() === undefined) {
    tokens.acquireOnBehalfOfNowait(borrower);
  } else {
    await tokens.acquireOnBehalfOf(borrower);
  }
  try {
    const pool = poolFor(backend.workers, site.kind);
    let worker = pool.take();
    if (worker === undefined) {
      const spawned = pool.spawn();
      worker = spawned instanceof Promise ? await spawned : spawned;
      const source = scope._cancelledBy();
      if (source !== undefined) {
        pool.release(worker);
        throw new Cancelled(source._cancelReason);
      }
    }
    const key = exportKey(spec, name);
    const call = new WorkerCall(pool, worker, `"${name}" of ${spec}`, cancellable, proxies === undefined ? undefined : callArgs, key);
    worker.call = call;
    try {
      const message = worker.known.has(key)
        ? [CALL, call.id, key, undefined, undefined, sent, proxies]
        : [CALL, call.id, key, spec, name, sent, proxies];
      worker.raw.post(message, transfer);
    } catch (error) {
      worker.call = undefined;
      pool.release(worker);
      throw argumentCloneError(where, callArgs, proxies, error, site.destination, site.kind === "process");
    }
    // A child process got a copy: move means the caller's buffers are detached, as a thread's are.
    if (transfer !== undefined && site.kind === "process" && transfer.length !== 0) structuredClone(transfer, { transfer: transfer as ArrayBuffer[] });
    return await (proxies === undefined ? call.wait(scope) : call.waitServingProxies());
  } finally {
    tokens.releaseOnBehalfOf(borrower);
  }
}

function checkTransfer(transfer: unknown, site: CallSite): void {
  if (!Array.isArray(transfer)) throw new TypeError(`${site.where}: transfer must be an array, got ${describeType(transfer)}`);
  if (site.kind === "process") {
    transfer.forEach((item, i) => {
      if (!(item instanceof ArrayBuffer)) {
        throw new TypeError(`${site.where}: transfer[${i}] must be an ArrayBuffer (nothing else can move to another process), got ${describeType(item)}`);
      }
    });
  }
}

/** Who holds a limiter token for a call (one borrower per call, so one task may run several). */
class CallBorrower {
  readonly description: string;
  constructor(where: string, exportName: string) {
    this.description = `${where}("${exportName}")`;
  }
  toString(): string {
    return this.description;
  }
}

type Outcome = { kind: number; payload: unknown } | { error: unknown };

/** The main side of one running call. */
class WorkerCall implements CallSink {
  readonly id: number;
  readonly #pool: WorkerPool;
  readonly #worker: PoolWorker;
  readonly #task: string;
  readonly #cancellable: boolean;
  readonly #fns: readonly unknown[] | undefined;
  readonly #key: number;
  #outcome: Outcome | undefined = undefined;
  #abandoned = false;
  #events: (readonly unknown[])[] = [];
  #wake: (() => void) | undefined = undefined;

  constructor(pool: WorkerPool, worker: PoolWorker, task: string, cancellable: boolean, fns: readonly unknown[] | undefined, key: number) {
    lastCallId = lastCallId === 0x7fffffff ? 1 : lastCallId + 1;
    this.id = lastCallId;
    this.#pool = pool;
    this.#worker = worker;
    this.#task = task;
    this.#cancellable = cancellable;
    this.#fns = fns;
    this.#key = key;
  }

  settle(kind: number, payload: unknown): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = { kind, payload };
    // It ran the export: later calls on this worker send only its key.
    if (kind === VALUE) this.#worker.known.add(this.#key);
    this.#worker.call = undefined;
    this.#pool.release(this.#worker);
    this.#notify();
  }

  broken(exit: RawWorkerExit, fault: unknown): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = { error: brokenWorkerError(this.#worker.raw, exit, fault, this.#task) };
    this.#notify();
  }

  proxyCall(message: readonly unknown[]): void {
    this.#events.push(message);
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    if (wake !== undefined) {
      this.#wake = undefined;
      wake();
    }
  }

  /** Resolves once there is an outcome or a proxy call to serve; cancellable in `scope`. */
  #next(scope: CancelScope): Promise<void> | undefined {
    if (this.#outcome !== undefined || this.#events.length !== 0) return undefined;
    return waitCancellable<void>((resolve) => {
      this.#wake = resolve;
      return () => (this.#wake = undefined);
    }, scope);
  }

  /** Resolves once there is an outcome; not cancellable (the shielded wait of `cancellable: false`). */
  #settled(): Promise<void> | undefined {
    if (this.#outcome !== undefined) return undefined;
    return new Promise<void>((resolve) => {
      const again = () => (this.#outcome !== undefined ? resolve() : (this.#wake = again));
      this.#wake = again;
    });
  }

  #result(): unknown {
    const outcome = this.#outcome!;
    if ("error" in outcome) throw outcome.error;
    if (outcome.kind === VALUE) return outcome.payload;
    throw reviveThrown(outcome.kind, outcome.payload);
  }

  /** The call was cancelled while the worker runs it: stop it, or tell it. */
  #onCancelled(): void {
    if (this.#cancellable) {
      this.#abandoned = true;
      this.#outcome = { error: undefined };
      this.#worker.call = undefined;
      this.#pool.abandon(this.#worker);
      return;
    }
    const flags = this.#worker.flags;
    if (flags !== undefined) Atomics.store(flags, FLAG_CANCELLED, this.id);
    try {
      this.#worker.raw.post([CANCEL, this.id]);
    } catch {
      // The worker is gone: its exit settles the call.
    }
  }

  /** The wait of a call without proxies. */
  async wait(scope: CancelScope): Promise<unknown> {
    try {
      await this.#next(scope);
    } catch (error) {
      // Only Cancelled gets here (waitCancellable rejects with nothing else).
      this.#onCancelled();
      if (!this.#abandoned) await this.#settled();
      throw error;
    }
    return this.#result();
  }

  /** The wait of a call with proxies: serves their calls as child tasks until the outcome. */
  async waitServingProxies(): Promise<unknown> {
    const cancelled = await taskGroup(async (tg) => {
      let cancellation: unknown = undefined;
      for (;;) {
        try {
          if (cancellation === undefined) await this.#next(currentScope());
          else await new CancelScope({ shield: true }).run((shield) => this.#next(shield));
        } catch (error) {
          if (!(error instanceof Cancelled) || cancellation !== undefined) throw error;
          cancellation = error;
          this.#onCancelled();
          if (this.#abandoned) return cancellation;
          continue;
        }
        if (this.#outcome !== undefined) {
          // The worker answered. The proxied calls it made before (in order, and not
          // awaited) still start, but run only to their first checkpoint: the group is
          // cancelled, as the calls still running have nobody to answer to.
          for (const message of this.#events.splice(0)) tg.startSoon(serveProxy, this, message);
          tg.cancelScope.cancel("the call of the worker ended");
          return cancellation;
        }
        const message = this.#events.shift()!;
        tg.startSoon(serveProxy, this, message);
      }
    });
    if (cancelled !== undefined) throw cancelled;
    return this.#result();
  }

  /** @ignore Runs one proxied call and answers the worker. */
  async _serve(message: readonly unknown[]): Promise<void> {
    const index = message[3] as number;
    const args = message[4] as unknown[];
    let kind = VALUE;
    let payload: unknown;
    try {
      payload = await (this.#fns![index] as (...args: unknown[]) => unknown)(...args);
    } catch (error) {
      [kind, payload] = thrownPayload(error);
    }
    if (this.#abandoned) return;
    this.#worker.replyProxy(this.id, message[2] as number, message[5] === true, kind, payload);
  }
}

/** A child task of the calling task: one proxied call. */
function serveProxy(call: WorkerCall, message: readonly unknown[]): Promise<void> {
  return call._serve(message);
}
