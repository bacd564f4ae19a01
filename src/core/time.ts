/**
 * Time and checkpoints. Durations are milliseconds; deadlines are absolute values of
 * {@linkcode currentTime} (a monotonic clock, in milliseconds).
 *
 * @module
 */
import { type CancelScope, currentScope } from "./cancel-scope.ts";
import { TimerEntry } from "./deadline-queue.ts";
import { Cancelled } from "./errors.ts";
import { pollDeadlines, waitCancellable } from "./wait.ts";

const resolved: Promise<void> = Promise.resolve();

/**
 * The monotonic clock that deadlines are measured on, in milliseconds.
 *
 * @example
 * ```ts
 * import { currentTime, sleep } from "@anyts/anyts";
 * const start = currentTime();
 * await sleep(10);
 * console.log(currentTime() - start >= 10); // true
 * ```
 */
export function currentTime(): number {
  return currentScope()._run._now();
}

/**
 * Raises {@linkcode Cancelled} if the current scope is effectively cancelled, then yields
 * to other ready tasks (one microtask turn: cheap, but it does not let I/O callbacks run;
 * use `sleep(0)` for that). A deadline that passed during a loop of checkpoints that never
 * lets timers run still cancels: every 64th checkpoint fires the deadlines that are due,
 * so such a loop stops within microseconds of its deadline (as in Trio).
 *
 * @example
 * ```ts
 * import { checkpoint } from "@anyts/anyts";
 * for (let i = 0; i < 1_000; i++) {
 *   await checkpoint(); // a long loop stays cancellable
 * }
 * ```
 */
export function checkpoint(): Promise<void> {
  const scope = currentScope();
  pollDeadlines(scope);
  const source = scope._cancelledBy();
  if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
  return resolved;
}

/**
 * Raises {@linkcode Cancelled}, synchronously, if the current scope is effectively
 * cancelled; does not yield.
 *
 * @example
 * ```ts
 * import { checkpointIfCancelled } from "@anyts/anyts";
 * checkpointIfCancelled();
 * ```
 */
export function checkpointIfCancelled(): void {
  const scope = currentScope();
  pollDeadlines(scope);
  const source = scope._cancelledBy();
  if (source !== undefined) throw new Cancelled(source._cancelReason);
}

/**
 * Yields to other ready tasks without checking for cancellation.
 *
 * @example
 * ```ts
 * import { cancelShieldedCheckpoint } from "@anyts/anyts";
 * await cancelShieldedCheckpoint();
 * ```
 */
export function cancelShieldedCheckpoint(): Promise<void> {
  return resolved;
}

/**
 * Sleeps for `ms` milliseconds (at least), as a cancellable checkpoint. `sleep(0)` waits
 * for one turn of the event loop, so that I/O callbacks can run. `Infinity` sleeps until
 * cancelled. A negative or NaN duration throws a RangeError.
 *
 * @example
 * ```ts
 * import { sleep } from "@anyts/anyts";
 * await sleep(10);
 * ```
 */
export function sleep(ms: number): Promise<void> {
  try {
    validateDuration(ms, "ms");
  } catch (error) {
    return Promise.reject(error);
  }
  if (ms === Infinity) return sleepForever();
  const scope = currentScope();
  return sleepUntilOn(scope._run._now() + ms, scope);
}

/**
 * Sleeps until `deadline` on the {@linkcode currentTime} clock, as a cancellable
 * checkpoint. A deadline in the past still checkpoints; NaN throws a RangeError.
 *
 * @example
 * ```ts
 * import { currentTime, sleepUntil } from "@anyts/anyts";
 * await sleepUntil(currentTime() + 10);
 * ```
 */
export function sleepUntil(deadline: number): Promise<void> {
  if (typeof deadline !== "number") {
    return Promise.reject(new TypeError(`deadline must be a number, got ${typeof deadline}`));
  }
  if (Number.isNaN(deadline)) return Promise.reject(new RangeError("deadline must not be NaN"));
  if (deadline === Infinity) return sleepForever();
  return sleepUntilOn(deadline, currentScope());
}

/**
 * Sleeps until cancelled.
 *
 * @example
 * ```ts
 * import { moveOnAfter, sleepForever } from "@anyts/anyts";
 * await moveOnAfter(10, sleepForever);
 * ```
 */
export function sleepForever(): Promise<never> {
  return waitCancellable<never>(noop, undefined, "sleepForever");
}

function sleepUntilOn(deadline: number, scope: CancelScope): Promise<void> {
  const run = scope._run;
  return waitCancellable<void>((resolve) => {
    if (deadline <= run._now()) {
      // Due already: still one turn of the event loop, so that I/O callbacks can run.
      const backend = run._backend;
      const timer = backend.setTimer(0, resolve);
      return () => backend.clearTimer(timer);
    }
    const entry = new TimerEntry(resolve as () => void);
    run._addDeadline(entry, deadline);
    return () => run._removeDeadline(entry);
  }, scope, "sleep");
}

/** @ignore Throws unless `value` is a number that is not negative or NaN. */
export function validateDuration(value: number, name: string): void {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!(value >= 0)) throw new RangeError(`${name} must be a non-negative number of milliseconds, got ${value}`);
}

function noop(): void {}
