/**
 * Scope finalizers: how a resource opened in a scope (a child process) is cleaned up when
 * that scope exits, so that no resource outlives the task group or cancel scope that owned
 * it (DESIGN.md, I/O).
 *
 * A resource registers an async finalizer with the scope it was opened in
 * ({@linkcode _addFinalizer}) and takes it back once it has been closed by its user
 * ({@linkcode _removeFinalizer}). When that scope exits — the end of `CancelScope.run` (and
 * so `moveOnAfter`, `failAfter`…), of a `taskGroup` after every task has finished, of a
 * `spawn`ed or `start`ed task's own scope, or of a `run` — the finalizers still registered
 * run before the scope is left:
 *
 * - all at once (each may wait, as a child's grace period does), started in reverse order
 *   of registration, in a shielded scope under the exiting one (outer cancellation does not
 *   interrupt them; the run's clock, real or virtual, drives their deadlines);
 * - awaited: the scope is left only when every one has settled;
 * - their errors are never lost: a task group adds them to its {@linkcode TaskGroupError};
 *   elsewhere they propagate (see {@linkcode finalizerFailure}).
 *
 * Nothing is recorded when nothing registers: a scope only carries an `undefined` field,
 * checked once on exit. The implicit root (code outside every `run` and scope) never exits,
 * so nothing is registered there. Internal to anyts.
 *
 * @module
 */
import type { CancelScope } from "./cancel-scope.ts";
import { Cancelled, TaskGroupError } from "./errors.ts";

/** @internal The cleanup of a resource, run when the scope it was opened in exits. */
export type Finalizer = () => Promise<void>;

/**
 * @internal Registers `finalizer` with the scope that owns what is opened in `scope` (the
 * current scope, normally): `scope` itself, or, if code runs on in a scope that has exited
 * already, the nearest enclosing scope still active. Returns that scope, for
 * {@linkcode _removeFinalizer}; `undefined` (nothing registered) for the implicit root,
 * which never exits.
 */
export function _addFinalizer(scope: CancelScope, finalizer: Finalizer): CancelScope | undefined {
  const owner = scope._owner();
  if (owner !== undefined) (owner._finalizers ??= new Set()).add(finalizer);
  return owner;
}

/** @internal Takes back a finalizer registered with {@linkcode _addFinalizer} (the resource was closed). */
export function _removeFinalizer(owner: CancelScope, finalizer: Finalizer): void {
  owner._finalizers?.delete(finalizer);
}

/**
 * @ignore Runs the finalizers registered with `scope` (which is exiting, still active), as
 * the module documentation says, until none is left (a finalizer may register another);
 * resolves to their errors in the order they happened. `shield` makes the shielded scope
 * they run in (a fresh one per round). Never rejects. Internal.
 */
export async function runFinalizers(scope: CancelScope, shield: () => CancelScope): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (let set = scope._finalizers; set !== undefined && set.size !== 0; set = scope._finalizers) {
    const finalizers = [...set].reverse();
    set.clear();
    try {
      // The scope is a frame: the finalizers run in its task, under it.
      await shield()._runIn(scope, () => Promise.all(finalizers.map((finalizer) => callFinalizer(finalizer, errors))));
    } catch (error) {
      errors.push(error); // only a finalizer registered with the shield itself can get here
    }
  }
  scope._finalizers = undefined;
  return errors;
}

async function callFinalizer(finalizer: Finalizer, errors: unknown[]): Promise<void> {
  try {
    await finalizer();
  } catch (error) {
    errors.push(error);
  }
}

/** @ignore The marker of {@linkcode finalizerFailure} for code that did not fail. Internal. */
export const NO_ERROR: unique symbol = Symbol("no error");

/**
 * @ignore What a scope that is not a task group raises when its finalizers failed: the
 * error alone if there is one, else a {@linkcode TaskGroupError} of them all; the error the
 * scope's own code failed with comes first, unless it was a cancellation (which a cleanup
 * error replaces, as in Trio; the cancellation stays level-triggered, so the next
 * checkpoint of outer code raises it again). Internal.
 */
export function finalizerFailure(bodyError: unknown, errors: readonly unknown[]): unknown {
  const all = bodyError === NO_ERROR || bodyError instanceof Cancelled ? [...errors] : [bodyError, ...errors];
  return all.length === 1 ? all[0] : new TaskGroupError(all);
}
