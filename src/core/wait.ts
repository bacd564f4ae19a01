/**
 * The one way the library blocks: a promise that the cancellation of the waiting code's
 * scope interrupts. Every primitive that waits (sleep, events, locks, streams, I/O) is
 * built on {@linkcode waitCancellable}. Internal to anyts, exported for adapters.
 *
 * @module
 */
import { type CancelScope, currentScope } from "./cancel-scope.ts";
import { Cancelled, cancelledWithoutStack } from "./errors.ts";

/** Undoes what `arm` set up: removes the waiter from a queue, clears a timer. */
export type Disarm = () => void;

/**
 * Waits for `arm` to settle the returned promise, unless the current scope is (or becomes)
 * cancelled: then `disarm` runs and the promise rejects with {@linkcode Cancelled}. If
 * the current scope is already cancelled, `arm` is not called at all.
 *
 * Whatever settles first wins: a wait resolved in the same tick as its scope is cancelled
 * returns its value (the next checkpoint raises). Primitives that must give back what they
 * were granted when cancelled check for that themselves.
 *
 * @example
 * ```ts
 * import { waitCancellable } from "@anyts/anyts";
 * const value = await waitCancellable<number>((resolve) => {
 *   const timer = setTimeout(() => resolve(42), 10);
 *   return () => clearTimeout(timer);
 * });
 * ```
 */
export function waitCancellable<T>(
  arm: (resolve: (value: T) => void, reject: (error: unknown) => void) => Disarm | void,
  scope: CancelScope = currentScope(),
): Promise<T> {
  const source = scope._cancelledBy();
  if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let disarm: Disarm | void = undefined;
    const wake = (source: CancelScope) => {
      if (settled) return;
      settled = true;
      waiters.delete(wake);
      if (disarm) disarm();
      reject(cancelledWithoutStack(source._cancelReason));
    };
    const waiters = (scope._waiters ??= new Set());
    waiters.add(wake);
    disarm = arm(
      (value) => {
        if (settled) return;
        settled = true;
        waiters.delete(wake);
        resolve(value);
      },
      (error) => {
        if (settled) return;
        settled = true;
        waiters.delete(wake);
        reject(error);
      },
    );
  });
}
