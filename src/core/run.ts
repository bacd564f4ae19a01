/**
 * The entry point: run a function as a root task on a chosen backend.
 *
 * @module
 */
import { type BackendName, getAvailableBackends, loadBackend } from "../backend/index.ts";
import { CancelScope, currentFrame, currentScope } from "./cancel-scope.ts";
import type { Clock } from "./clock.ts";
import { frameStorage } from "./context.ts";
import { finalizerFailure, NO_ERROR } from "./finalizers.ts";
import { checkOptions } from "./options.ts";
import { RootTask, RunState } from "./run-state.ts";
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
   * A virtual clock (`MockClock` from `@anyts/anyts/testing`) that every timer and
   * deadline of this run follows instead of real time. A clock serves one run at a time.
   */
  clock?: Clock;
  /**
   * OS signals that cancel the run, as Ctrl-C does under `asyncio.run` and Trio: the first
   * one cancels the root scope (every `finally` and `aclose` runs) and `run` rejects with
   * an Error naming it; a second one ends the process at once with 128 + its number (130
   * for SIGINT, 143 for SIGTERM).
   */
  cancelOnSignals?: readonly SignalName[];
}

const RUN_OPTIONS: readonly (keyof RunOptions)[] = ["backend", "signal", "clock", "cancelOnSignals"];

/**
 * Runs `fn` as a root task on a backend (default: this runtime's native one) and resolves
 * to its result. If `signal` aborts, the root scope is cancelled; if that interrupts `fn`,
 * `run` rejects with `signal.reason` (as `fetch` does).
 *
 * Calling `run` is optional: code outside any `run` behaves as inside an implicit root task
 * that is never cancelled, on the default backend. A `run` keeps the process alive until it
 * returns, even while every task waits only on anyts (an event, `sleepForever()`): outside
 * a run, only pending timers and I/O keep it alive, as with plain promises.
 *
 * Resources opened at the top level of the run (in its root scope) and still open when
 * `fn` has returned — a child process nobody waited for — are cleaned up (a process is
 * killed and reaped) before `run` settles.
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
  checkOptions(options, RUN_OPTIONS, "run");
  const name = options?.backend ?? getAvailableBackends()[0];
  if (name === undefined) throw new Error("run: no backend is available on this runtime");
  const clock = options?.clock;
  if (clock !== undefined && (clock === null || typeof clock !== "object" || typeof clock._attach !== "function")) {
    throw new TypeError("run: clock must be a MockClock (a Clock)");
  }
  const backend = await loadBackend(name);
  const signals = options?.cancelOnSignals === undefined
    ? undefined
    : watchSignalsForRun(options.cancelOnSignals, backend, options.signal);
  const signal = signals?.signal ?? options?.signal;
  const scope = new CancelScope(signal === undefined ? undefined : { signal });
  const frame = currentFrame();
  const state = new RunState(backend, clock, true);
  try {
    clock?._attach(state);
  } catch (error) {
    state._close();
    signals?.[Symbol.dispose]();
    throw error;
  }
  const root = new RootTask("root", state, frame._scope._run._keepAlive ? frame._task.id : undefined);
  state._live = 1;
  state._rootTask = root;
  state._rootScope = scope;
  scope._enter(frame);
  scope._backend = backend;
  scope._run = state;
  scope._task = root;
  try {
    let result: T;
    try {
      result = await frameStorage.run(scope, fn);
    } catch (error) {
      if (scope._finalizers !== undefined) await finalizeRoot(scope, error);
      if (scope._catches(error)) throw signal!.reason;
      throw error;
    }
    if (scope._finalizers !== undefined) await finalizeRoot(scope, NO_ERROR);
    return result;
  } finally {
    scope._exit();
    root._done = true;
    state._live = 0;
    state._close();
    clock?._detach(state);
    signals?.[Symbol.dispose]();
  }
}

/**
 * Cleans up what resources opened at the top level of the run left open (finalizers.ts);
 * throws if a cleanup failed (with the error `fn` failed with, unless that is `NO_ERROR`).
 */
async function finalizeRoot(scope: CancelScope, error: unknown): Promise<void> {
  const errors = await scope._finalize();
  if (errors.length !== 0) throw finalizerFailure(error, errors);
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
