/**
 * The entry point: run a function as a root task on a chosen backend.
 *
 * @module
 */
import { type BackendName, getAvailableBackends, loadBackend } from "../backend/index.ts";
import { CancelScope, currentFrame, currentScope } from "./cancel-scope.ts";
import { frameStorage } from "./context.ts";
import type { SignalName } from "../signals/names.ts";
import { watchSignalsForRun } from "../signals/cancel-on-signals.ts";

/**
 * Options of {@linkcode run}.
 *
 * @example
 * ```ts
 * import { run } from "@anyts/anyts";
 * await run(async () => {}, { backend: "node", signal: AbortSignal.timeout(1_000) });
 * ```
 */
export interface RunOptions {
  /** The backend to run on; default: the native one of this runtime. */
  backend?: BackendName;
  /** Aborting it cancels the root scope; `run` then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * OS signals that cancel the run, as Ctrl-C does under `asyncio.run` and Trio: the first
   * one cancels the root scope (every `finally` and `aclose` runs) and `run` rejects with
   * an Error naming it; a second one ends the process at once with 128 + its number (130
   * for SIGINT, 143 for SIGTERM).
   */
  cancelOnSignals?: readonly SignalName[];
}

/**
 * Runs `fn` as a root task on a backend (default: this runtime's native one) and resolves
 * to its result. If `signal` aborts, the root scope is cancelled; if that interrupts `fn`,
 * `run` rejects with `signal.reason` (as `fetch` does).
 *
 * Calling `run` is optional: code outside any `run` behaves as inside an implicit root task
 * that is never cancelled, on the default backend.
 *
 * @example
 * ```ts
 * import { currentBackend, run, sleep } from "@anyts/anyts";
 * const name = await run(async () => {
 *   await sleep(1);
 *   return currentBackend();
 * });
 * console.log(name); // "node", "deno" or "bun"
 * ```
 */
export async function run<T>(fn: () => Promise<T> | T, options?: RunOptions): Promise<T> {
  if (typeof fn !== "function") throw new TypeError(`run: fn must be a function, got ${typeof fn}`);
  const name = options?.backend ?? getAvailableBackends()[0];
  if (name === undefined) throw new Error("run: no backend is available on this runtime");
  const backend = await loadBackend(name);
  const signals = options?.cancelOnSignals === undefined
    ? undefined
    : watchSignalsForRun(options.cancelOnSignals, backend, options.signal);
  const signal = signals?.signal ?? options?.signal;
  const scope = new CancelScope({ signal });
  scope._enter(currentFrame());
  scope._backend = backend;
  scope._task = { name: "root" };
  try {
    return await frameStorage.run(scope, fn);
  } catch (error) {
    if (scope._catches(error)) throw signal!.reason;
    throw error;
  } finally {
    scope._exit();
    signals?.[Symbol.dispose]();
  }
}

/**
 * The name of the backend of the enclosing `run` (outside any `run`: the default backend).
 *
 * @example
 * ```ts
 * import { currentBackend, run } from "@anyts/anyts";
 * await run(() => console.log(currentBackend()), { backend: "node" }); // "node"
 * ```
 */
export function currentBackend(): BackendName {
  return currentScope()._backend.name;
}
