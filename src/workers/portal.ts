/**
 * The BlockingPortal: synchronous code calling async code. A portal owns one worker
 * thread with its own event loop; `call` posts the call there and blocks the calling
 * thread (`Atomics.wait` on shared flags) until the export settled, then takes the result
 * from the thread's sync channel without an event-loop turn (what synckit does, with
 * anyts' errors, timeouts and cancellation).
 *
 * Each call has an id: a result that arrives after its call timed out is recognised and
 * dropped, so a portal stays usable after a `TimeoutError`.
 *
 * @module
 */
import { standardClock } from "../backend/index.ts";
import type { RawSyncPort, RawWorker, RawWorkerExit } from "../backend/worker.ts";
import { currentScope } from "../core/cancel-scope.ts";
import { BrokenWorkerError, ClosedResourceError, TimeoutError } from "../core/errors.ts";
import { checkOptions, describeType } from "../core/options.ts";
import { brokenWorkerError, track, untrack } from "./pool.ts";
import {
  argumentCloneError,
  CALL,
  CANCEL,
  checkExportName,
  DEAD,
  FAULT,
  FLAG_CANCELLED,
  FLAG_PORTAL,
  moduleSpecifier,
  RESULT,
  reviveThrown,
  VALUE,
} from "./protocol.ts";

/**
 * Options of {@linkcode startBlockingPortal}.
 *
 * @example
 * ```ts
 * import { startBlockingPortal } from "@anyts/anyts";
 * using portal = startBlockingPortal({ timeout: 5_000 });
 * console.log(portal.timeout); // 5000
 * ```
 */
export interface BlockingPortalOptions {
  /**
   * Milliseconds a `call` may block before it throws `TimeoutError` (default `Infinity`);
   * settable later as {@linkcode BlockingPortal.timeout}.
   */
  timeout?: number;
}

let lastCallId = 0;

function checkTimeout(timeout: unknown, where: string): number {
  if (typeof timeout !== "number") throw new TypeError(`${where}: timeout must be a number of milliseconds, got ${describeType(timeout)}`);
  if (!(timeout >= 0)) throw new RangeError(`${where}: timeout must be >= 0 (or Infinity), got ${timeout}`);
  return timeout;
}

/**
 * A worker thread running its own event loop, which synchronous code calls into: `call`
 * blocks the calling thread until the async export has settled there and returns its
 * value (or throws its error). Start one with {@linkcode startBlockingPortal}; close it
 * with `close()` or `using`.
 *
 * @example
 * ```ts
 * import { startBlockingPortal } from "@anyts/anyts";
 * const module = "data:text/javascript,export async function load(name) { return { name, port: 8080 }; }";
 * function loadConfigSync(): { name: string; port: number } {
 *   using portal = startBlockingPortal();
 *   return portal.call(module, "load", "demo");
 * }
 * console.log(loadConfigSync().port); // 8080
 * ```
 */
export class BlockingPortal implements Disposable {
  readonly #raw: RawWorker;
  readonly #sync: RawSyncPort;
  readonly #flags: Int32Array;
  #timeout: number;
  #closed = false;
  #broken: BrokenWorkerError | undefined = undefined;
  #fault: unknown = undefined;

  /**
   * Starts the portal's worker thread (as {@linkcode startBlockingPortal}).
   *
   * @param options the default `timeout` of calls
   */
  constructor(options?: BlockingPortalOptions) {
    const { timeout = Infinity } = checkOptions(options, ["timeout"], "startBlockingPortal");
    this.#timeout = checkTimeout(timeout, "startBlockingPortal");
    const flags = new SharedArrayBuffer(16);
    const raw = currentScope()._backend.workers.startThread({ mode: "portal", flags });
    this.#raw = raw;
    this.#sync = raw.sync!;
    this.#flags = new Int32Array(flags);
    track(raw);
    // Blocked calls do not need the event loop, and an idle portal must not hold the process open.
    raw.unref();
    raw.onExit = (exit) => {
      untrack(raw);
      this.#died(exit, "its work");
    };
  }

  /**
   * Milliseconds a call may block before it throws `TimeoutError` (`Infinity`: no limit).
   *
   * @example
   * ```ts
   * import { startBlockingPortal } from "@anyts/anyts";
   * using portal = startBlockingPortal();
   * portal.timeout = 1_000;
   * ```
   */
  get timeout(): number {
    return this.#timeout;
  }
  set timeout(value: number) {
    this.#timeout = checkTimeout(value, "BlockingPortal.timeout");
  }

  /**
   * Whether `close()` was called.
   *
   * @example
   * ```ts
   * import { startBlockingPortal } from "@anyts/anyts";
   * const portal = startBlockingPortal();
   * portal.close();
   * console.log(portal.closed); // true
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs the export `exportName` of `module` (sync or async) in the portal's thread with
   * `args` and blocks until it settled: returns its value, or throws its error (rebuilt as
   * `toWorker.run` does). Throws `TimeoutError` after `timeout` ms (the call is then told
   * through `fromWorker.signal`, and the portal stays usable), `BrokenWorkerError` if the
   * portal's thread died, `ClosedResourceError` once closed, a `DataCloneError` naming an
   * argument that cannot be cloned (a function cannot be proxied: this thread is blocked).
   *
   * @example
   * ```ts
   * import { startBlockingPortal } from "@anyts/anyts";
   * using portal = startBlockingPortal();
   * const module = "data:text/javascript,export const wait = (ms) => new Promise((r) => setTimeout(() => r(ms), ms));";
   * console.log(portal.call(module, "wait", 10)); // 10
   * ```
   */
  call<R = unknown>(module: string | URL, exportName: string, ...args: unknown[]): R {
    const where = "BlockingPortal.call";
    if (this.#closed) throw new ClosedResourceError("BlockingPortal", `${where} after close()`);
    const spec = moduleSpecifier(module, where);
    const name = checkExportName(exportName, where);
    const task = `"${name}" of ${spec}`;
    if (this.#broken !== undefined) {
      throw new BrokenWorkerError(`${where}: the portal's worker thread has died (${this.#broken.message})`, { cause: this.#broken });
    }
    args.forEach((arg, i) => {
      if (typeof arg === "function") {
        throw new DOMException(
          `${where}: args[${i}] is a function, which cannot be proxied to a portal (the calling thread is blocked while the call runs)`,
          "DataCloneError",
        );
      }
    });
    lastCallId = lastCallId === 0x7fffffff ? 1 : lastCallId + 1;
    const id = lastCallId;
    const flags = this.#flags;
    let seen = Atomics.load(flags, FLAG_PORTAL);
    try {
      this.#raw.post([CALL, id, 0, spec, name, args]);
    } catch (error) {
      throw argumentCloneError(where, args, undefined, error, "the portal's worker thread");
    }
    const timeout = this.#timeout;
    const deadline = timeout === Infinity ? Infinity : standardClock.currentTime() + timeout;
    for (;;) {
      for (let received = this.#sync.receive(); received !== undefined; received = this.#sync.receive()) {
        const message = received.message as readonly unknown[];
        if (message[0] === RESULT) {
          if (message[1] !== id) continue; // the late result of a call that timed out
          if (message[2] === VALUE) return message[3] as R;
          throw reviveThrown(message[2] as number, message[3]);
        }
        if (message[0] === FAULT) {
          // An uncaught error: the thread exits next (without a DEAD message).
          this.#fault = reviveThrown(message[1] as number, message[2]);
          this.#died({ code: null, signal: null }, task);
        } else if (message[0] === DEAD) this.#died({ code: message[1] as number, signal: null }, task);
      }
      if (this.#broken !== undefined) {
        this.#raw.terminate();
        throw this.#broken;
      }
      const remaining = deadline - standardClock.currentTime();
      if (remaining <= 0) {
        Atomics.store(flags, FLAG_CANCELLED, id);
        this.#raw.post([CANCEL, id]);
        throw new TimeoutError(`${where}: ${task} did not settle within ${timeout} ms`);
      }
      Atomics.wait(flags, FLAG_PORTAL, seen, remaining === Infinity ? undefined : remaining);
      seen = Atomics.load(flags, FLAG_PORTAL);
    }
  }

  #died(exit: RawWorkerExit, task: string): void {
    if (this.#broken !== undefined || this.#closed) return;
    this.#broken = brokenWorkerError(this.#raw, exit, this.#fault, task);
  }

  /**
   * Stops the portal's thread (a call still running there is abandoned). Idempotent.
   *
   * @example
   * ```ts
   * import { startBlockingPortal } from "@anyts/anyts";
   * startBlockingPortal().close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#raw.terminate();
  }

  /**
   * `close()`, for `using`.
   *
   * @example
   * ```ts
   * import { startBlockingPortal } from "@anyts/anyts";
   * {
   *   using _portal = startBlockingPortal();
   * } // closed here
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Starts a {@linkcode BlockingPortal}: a worker thread with its own event loop that
 * synchronous code can call async exports in, blocking until they settle. Usable from
 * code that cannot await (a synchronous config loader that needs an async library), once
 * the anyts backend has loaded: inside `run()`, or after the first event-loop turn.
 *
 * @example
 * ```ts
 * import { startBlockingPortal } from "@anyts/anyts";
 * const module = "data:text/javascript,export async function double(n) { return 2 * n; }";
 * using portal = startBlockingPortal();
 * console.log(portal.call<number>(module, "double", 21)); // 42
 * ```
 */
export function startBlockingPortal(options?: BlockingPortalOptions): BlockingPortal {
  return new BlockingPortal(options);
}
