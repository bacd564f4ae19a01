/**
 * `fromWorker`: what the code of a worker (a call of `toWorker.run`, `toProcess.run` or
 * `BlockingPortal.call`) uses to hear about the caller's cancellation and to call a
 * proxied function synchronously. It reads the state that the worker entry
 * (`backends/shared/worker-entry.ts`) installs under `Symbol.for("anyts.worker")`, so it
 * works with whichever copy of anyts the worker's module imports.
 *
 * @module
 */
import { Cancelled } from "../core/errors.ts";

/** What the worker entry installs (see `backends/shared/worker-entry.ts`). */
interface WorkerState {
  signal(makeReason: () => unknown): AbortSignal | undefined;
  cancelled(): boolean | undefined;
  callSync(fn: unknown, args: unknown[]): unknown;
}

const KEY = Symbol.for("anyts.worker");

function state(): WorkerState | undefined {
  return (globalThis as { [KEY]?: WorkerState })[KEY];
}

function notInCall(what: string): Error {
  return new Error(`${what}: not inside a call of toWorker.run, toProcess.run or BlockingPortal.call (it works only in their workers, while a call runs)`);
}

const reason = (): Cancelled => new Cancelled("the caller of the worker was cancelled");

/**
 * The worker's side of a call.
 *
 * @example
 * ```ts
 * // work.ts, run with toWorker.run(new URL("./work.ts", import.meta.url), "count", [1e9])
 * import { fromWorker } from "@anyts/anyts";
 * export function count(n: number): number {
 *   let i = 0;
 *   for (; i < n; i++) if (i % 1_000_000 === 0) fromWorker.checkCancelled();
 *   return i;
 * }
 * ```
 */
export interface FromWorker {
  /**
   * An AbortSignal of the running call: it aborts (with a `Cancelled` reason) when the
   * caller's scope is cancelled while the call runs (`cancellable: false`, or a
   * BlockingPortal call that timed out). Throws outside a call.
   *
   * @example
   * ```ts
   * import { fromWorker } from "@anyts/anyts";
   * export async function download(url: string): Promise<string> {
   *   const response = await fetch(url, { signal: fromWorker.signal });
   *   return await response.text();
   * }
   * ```
   */
  readonly signal: AbortSignal;
  /**
   * Throws `Cancelled` if the caller was cancelled: synchronous, so a CPU-bound loop can
   * stop early. In a thread it sees the cancellation at once (shared memory); in a child
   * process once the child's event loop received it. Throws an Error outside a call.
   *
   * @example
   * ```ts
   * import { fromWorker } from "@anyts/anyts";
   * export function spin(n: number): void {
   *   for (let i = 0; i < n; i++) fromWorker.checkCancelled();
   * }
   * ```
   */
  checkCancelled(): void;
  /**
   * Calls a proxy (a function the caller passed among the args) and blocks this worker
   * thread until the caller's thread has run it, returning its result (awaited) or
   * throwing its error. Only in worker threads of `toWorker.run`; a proxy whose call has
   * ended is an error.
   *
   * @example
   * ```ts
   * import { fromWorker } from "@anyts/anyts";
   * export function work(report: (done: number) => void): void {
   *   for (let done = 0; done <= 100; done += 10) fromWorker.callSync(report, done);
   * }
   * ```
   */
  callSync<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Awaited<R>;
}

/**
 * The worker's side of a call (see {@linkcode FromWorker}).
 *
 * @example
 * ```ts
 * import { fromWorker } from "@anyts/anyts";
 * export function busy(): number {
 *   let n = 0;
 *   while (true) {
 *     fromWorker.checkCancelled();
 *     n++;
 *   }
 * }
 * ```
 */
export const fromWorker: FromWorker = {
  get signal(): AbortSignal {
    const signal = state()?.signal(reason);
    if (signal === undefined) throw notInCall("fromWorker.signal");
    return signal;
  },
  checkCancelled(): void {
    const cancelled = state()?.cancelled();
    if (cancelled === undefined) throw notInCall("fromWorker.checkCancelled");
    if (cancelled) throw reason();
  },
  callSync<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Awaited<R> {
    const current = state();
    if (current === undefined) throw notInCall("fromWorker.callSync");
    return current.callSync(fn, args) as Awaited<R>;
  },
};
