/**
 * `toProcess`: running a module's export in a pool of child processes of the same runtime
 * (AnyIO's `to_process`): the contract of `toWorker`, with a process's isolation.
 *
 * @module
 */
import type { CapacityLimiter } from "../sync/capacity-limiter.ts";
import { type CallSite, runInWorker, type WorkerRunOptions } from "./call.ts";
import { defaultLimiterOf } from "./limiters.ts";

const site: CallSite = { where: "toProcess.run", kind: "process", destination: "the child process" };

/**
 * Runs work in child processes.
 *
 * @example
 * ```ts
 * import { run, toProcess } from "@anyts/anyts";
 * const module = "data:text/javascript,export const pid = () => process.pid;";
 * await run(async () => {
 *   console.log(await toProcess.run<number>(module, "pid") !== process.pid); // true
 * });
 * ```
 */
export interface ToProcess {
  /**
   * Runs the export `exportName` of `module` in a child process of the pool, with the
   * contract of `toWorker.run` and these differences:
   * - the child is the same runtime (`node`, `deno eval`, `bun -e`) with the parent's
   *   stdout and stderr, and values travel over an IPC channel with v8 serialization;
   *   `transfer` can hold only ArrayBuffers (they are copied, and detached here);
   * - an idle child exits after 5 minutes; `cancellable: true` kills it (SIGKILL);
   * - proxied functions work (async), but `fromWorker.callSync` cannot (no shared memory),
   *   and `fromWorker.checkCancelled()` sees a cancellation only once the child's event
   *   loop has received it.
   *
   * @example
   * ```ts
   * import { toProcess } from "@anyts/anyts";
   * const module = "data:text/javascript,export const twice = (n) => 2 * n;";
   * console.log(await toProcess.run<number>(module, "twice", [21])); // 42
   * ```
   */
  run<R = unknown>(module: string | URL, exportName: string, args?: unknown[], options?: WorkerRunOptions): Promise<R>;
  /**
   * The limiter that calls without a `limiter` option share: one per run, with
   * `availableParallelism()` tokens.
   *
   * @example
   * ```ts
   * import { toProcess } from "@anyts/anyts";
   * console.log(toProcess.defaultLimiter().totalTokens >= 1); // true
   * ```
   */
  defaultLimiter(): CapacityLimiter;
}

/**
 * Runs a module's export in a pool of child processes (see {@linkcode ToProcess}).
 *
 * @example
 * ```ts
 * import { toProcess } from "@anyts/anyts";
 * const module = "data:text/javascript,export const upper = (s) => s.toUpperCase();";
 * console.log(await toProcess.run(module, "upper", ["hi"])); // "HI"
 * ```
 */
export const toProcess: ToProcess = {
  run: <R>(module: string | URL, exportName: string, args?: unknown[], options?: WorkerRunOptions) =>
    runInWorker(site, module, exportName, args, options) as Promise<R>,
  defaultLimiter: () => defaultLimiterOf("process"),
};
