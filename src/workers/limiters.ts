/**
 * The default capacity limiters of `toWorker` and `toProcess` (one of each per run, with
 * `availableParallelism()` tokens, as AnyIO's per-event-loop default thread limiter), and
 * the backend whose workers a call uses.
 *
 * @module
 */
import { type Backend, getAvailableBackends, loadBackend, provisionalBackend } from "../backend/index.ts";
import type { RawWorkerKind } from "../backend/worker.ts";
import { type CancelScope, currentScope } from "../core/cancel-scope.ts";
import { CapacityLimiter } from "../sync/capacity-limiter.ts";

/** Keyed by the run's state (code outside any `run` shares the implicit run's). */
const limiters = new WeakMap<object, Partial<Record<RawWorkerKind, CapacityLimiter>>>();

/** The default limiter of `kind` of the run of `scope`, created on first use. */
export function defaultLimiterOf(kind: RawWorkerKind, scope: CancelScope = currentScope()): CapacityLimiter {
  const root = scope._run;
  let byKind = limiters.get(root);
  if (byKind === undefined) limiters.set(root, (byKind = {}));
  let limiter = byKind[kind];
  if (limiter === undefined) {
    limiter = byKind[kind] = new CapacityLimiter(Math.max(1, scope._backend.workers.availableParallelism()));
  }
  return limiter;
}

/**
 * The backend whose workers the code of `scope` uses: its run's backend (outside any
 * `run`, the native one, loaded first if it is still loading).
 */
export function backendOf(scope: CancelScope): Backend | Promise<Backend> {
  const backend = scope._backend;
  if (backend !== provisionalBackend) return backend;
  const native = getAvailableBackends()[0];
  if (native === undefined) return Promise.reject(new Error("no anyts backend is available on this runtime"));
  return loadBackend(native);
}
