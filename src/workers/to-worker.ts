/**
 * `toWorker`: running a module's export in a pool of worker threads of the same runtime,
 * as AnyIO's `to_thread` does with a function (JavaScript cannot move a closure to another
 * thread, so the work is named by module and export). See `call.ts` for the contract.
 *
 * @module
 */
import type { CapacityLimiter } from "../sync/capacity-limiter.ts";
import { type CallSite, runInWorker, type WorkerRunOptions } from "./call.ts";
import { defaultLimiterOf } from "./limiters.ts";

const site: CallSite = { where: "toWorker.run", kind: "thread", destination: "the worker thread" };

/**
 * Runs work in worker threads.
 *
 * @example
 * ```ts
 * import { run, toWorker } from "@anyts/anyts";
 * const module = "data:text/javascript,export function square(n) { return n * n; }";
 * await run(async () => {
 *   console.log(await toWorker.run<number>(module, "square", [12])); // 144
 * });
 * ```
 */
export interface ToWorker {
  /**
   * Runs the export `exportName` (a function, sync or async) of `module` in a worker
   * thread of the pool with `args`, and resolves to its result.
   *
   * - `module`: a `URL` (`new URL("./work.ts", import.meta.url)`), an absolute path, a
   *   URL string or a package specifier; not a relative path. TypeScript modules work
   *   where the runtime runs them (Deno, Bun, Node ≥ 22.18; not Node 20).
   * - Arguments and the result travel by structured clone (`transfer` moves buffers); a
   *   value that cannot be cloned is a `DataCloneError` naming its position (`args[1].x`).
   *   A function among `args` is proxied: in the worker it is an async function that runs
   *   the original here, as a child task of the calling task.
   * - An error thrown in the worker is rethrown here with its class name, message, stack,
   *   `cause` and own properties; a worker that exits, crashes or runs out of memory
   *   rejects the call with `BrokenWorkerError` and is replaced.
   * - Workers are reused (one call at a time each); an idle one exits after 10 s and an
   *   idle pool never keeps the process alive. The call holds a token of `limiter`
   *   (default: `toWorker.defaultLimiter()`); cancelled while it waits for one, it never starts.
   * - Cancellation: see {@linkcode WorkerRunOptions.cancellable}.
   *
   * @example
   * ```ts
   * import { toWorker } from "@anyts/anyts";
   * const module = "data:text/javascript,export async function add(a, b) { return a + b; }";
   * console.log(await toWorker.run<number>(module, "add", [1, 2])); // 3
   * ```
   */
  run<R = unknown>(module: string | URL, exportName: string, args?: unknown[], options?: WorkerRunOptions): Promise<R>;
  /**
   * The limiter that calls without a `limiter` option share: one per run, with
   * `availableParallelism()` tokens (set its `totalTokens` to change that).
   *
   * @example
   * ```ts
   * import { run, toWorker } from "@anyts/anyts";
   * await run(async () => {
   *   toWorker.defaultLimiter().totalTokens = 2;
   * });
   * ```
   */
  defaultLimiter(): CapacityLimiter;
}

/**
 * Runs a module's export in a pool of worker threads (see {@linkcode ToWorker}).
 *
 * @example
 * ```ts
 * import { toWorker } from "@anyts/anyts";
 * const module = "data:text/javascript,export const upper = (s) => s.toUpperCase();";
 * console.log(await toWorker.run(module, "upper", ["hi"])); // "HI"
 * ```
 */
export const toWorker: ToWorker = {
  run: <R>(module: string | URL, exportName: string, args?: unknown[], options?: WorkerRunOptions) =>
    runInWorker(site, module, exportName, args, options) as Promise<R>,
  defaultLimiter: () => defaultLimiterOf("thread"),
};
