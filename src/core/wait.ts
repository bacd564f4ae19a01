/**
 * The one way the library blocks: a promise that the cancellation of the waiting code's
 * scope interrupts. Every primitive that waits (sleep, events, locks, streams, I/O) is
 * built on {@linkcode waitCancellable}, which also counts the waiting task as blocked
 * (for `MockClock`'s autojump, `waitAllTasksBlocked` and `formatTaskTree`). Internal to
 * anyts, exported for adapters.
 *
 * @module
 */
import { type CancelScope, currentFrame, type WaitLink, type Waker } from "./cancel-scope.ts";
import type { TaskIdentity } from "./context.ts";
import { Cancelled, cancelledWithoutStack } from "./errors.ts";
import { blockTask, unblockTask } from "./run-state.ts";

/** Undoes what `arm` set up: removes the waiter from a queue, clears a timer. */
export type Disarm = () => void;

let ticks = 0;

/**
 * @ignore Lets the deadlines of `scope`'s run that are due fire, every 64th call: a loop of
 * checkpoints that never yields to the event loop still sees its deadline pass, and the
 * others pay one increment. Internal.
 */
export function pollDeadlines(scope: CancelScope): void {
  if ((++ticks & 63) === 0) scope._run._poll();
}

/**
 * Waits for `arm` to settle the returned promise, unless the current scope is (or becomes)
 * cancelled: then `disarm` runs and the promise rejects with {@linkcode Cancelled}. If
 * the current scope is already cancelled, `arm` is not called at all.
 *
 * Whatever settles first wins: a wait resolved in the same tick as its scope is cancelled
 * returns its value (the next checkpoint raises). Primitives that must give back what they
 * were granted when cancelled check for that themselves.
 *
 * While it waits, the task counts as blocked in `what` (shown by `formatTaskTree()`).
 *
 * @example
 * ```ts
 * import { waitCancellable } from "@anyts/anyts";
 * const value = await waitCancellable<number>((resolve) => {
 *   const timer = setTimeout(() => resolve(42), 10);
 *   return () => clearTimeout(timer);
 * }, undefined, "my timer");
 * ```
 */
export function waitCancellable<T>(
  arm: (resolve: (value: T) => void, reject: (error: unknown) => void) => Disarm | void,
  scope?: CancelScope,
  what: string = "waitCancellable",
): Promise<T> {
  const frame = currentFrame();
  const waitScope = scope ?? frame._scope;
  pollDeadlines(waitScope);
  const source = waitScope._cancelledBy();
  if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
  const task = frame._task;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let blocked = false;
    let disarm: Disarm | void = undefined;
    const wake = (source: CancelScope) => {
      if (settled) return;
      settled = true;
      removeWake(waitScope, wake);
      if (blocked) unblockTask(task);
      if (disarm) disarm();
      reject(cancelledWithoutStack(source._cancelReason));
    };
    addWake(waitScope, wake);
    disarm = arm(
      (value) => {
        if (settled) return;
        settled = true;
        removeWake(waitScope, wake);
        if (blocked) unblockTask(task);
        resolve(value);
      },
      (error) => {
        if (settled) return;
        settled = true;
        removeWake(waitScope, wake);
        if (blocked) unblockTask(task);
        reject(error);
      },
    );
    if (!settled) {
      blocked = true;
      blockTask(task, what);
    }
  });
}

/**
 * @internal For the specialised waits that register their waker on `scope._waiters`
 * themselves instead of calling {@linkcode waitCancellable} (SocketStream, TLSStream):
 * adds `wake` and counts `task` (the current one) as blocked in `what`. Returns the task, to be
 * passed to {@linkcode _removeWaiter} when the wait ends (whatever ends it).
 */
export function _addWaiter(scope: CancelScope, wake: Waker, what: string, task: TaskIdentity = currentFrame()._task): TaskIdentity {
  addWake(scope, wake);
  blockTask(task, what);
  return task;
}

/** @internal Ends a wait begun with {@linkcode _addWaiter}: removes `wake`, unblocks `task`. */
export function _removeWaiter(scope: CancelScope, wake: Waker, task: TaskIdentity): void {
  removeWake(scope, wake);
  unblockTask(task);
}

/**
 * @internal The allocation-free form of {@linkcode _addWaiter}: links `link` (an object
 * the waiting code has anyway, such as its stream) into `scope`'s waits and counts `task`
 * as blocked in `what`. The scope's cancellation unlinks it and calls
 * `link._cancelWait(source)`, which must end the wait with {@linkcode _endWait}.
 */
export function _linkWait(scope: CancelScope, link: WaitLink, what: string, task: TaskIdentity): void {
  scope._linkWait(link);
  blockTask(task, what);
}

/** @internal Ends a wait begun with {@linkcode _linkWait}, whatever ended it: unlinks `link` (if still linked), unblocks `task`. */
export function _endWait(link: WaitLink, task: TaskIdentity): void {
  const scope = link._waitScope;
  if (scope !== undefined) scope._unlinkWait(link);
  unblockTask(task);
}

/** Registers `wake` with `scope`: in its one-waiter slot when free, else in its set. */
function addWake(scope: CancelScope, wake: Waker): void {
  if (scope._waiter === undefined) scope._waiter = wake;
  else (scope._waiters ??= new Set()).add(wake);
}

function removeWake(scope: CancelScope, wake: Waker): void {
  if (scope._waiter === wake) scope._waiter = undefined;
  else scope._waiters?.delete(wake);
}

/**
 * @ignore Counts the current task as blocked in `what` for a wait that cancellation does
 * not interrupt (a task group waiting for its tasks); returns the task for
 * {@linkcode endUncancellableWait}. Internal.
 */
export function beginUncancellableWait(task: TaskIdentity, what: string): void {
  blockTask(task, what);
}

/** @ignore Ends a wait begun with {@linkcode beginUncancellableWait}. Internal. */
export function endUncancellableWait(task: TaskIdentity): void {
  unblockTask(task);
}
