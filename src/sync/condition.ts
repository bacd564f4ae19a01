/**
 * Condition: a lock plus a queue of tasks waiting to be notified.
 *
 * @module
 */
import { CancelScope, currentFrame, getCurrentTask } from "../core/cancel-scope.ts";
import type { TaskInfo } from "../core/context.ts";
import { Cancelled } from "../core/errors.ts";
import { checkpoint } from "../core/time.ts";
import { Lock, type LockStatistics } from "./lock.ts";
import { validateCount } from "./validate.ts";
import { WaiterQueue } from "./waiter-queue.ts";

/**
 * What {@linkcode Condition.statistics} reports.
 *
 * @example
 * ```ts
 * import { Condition, type ConditionStatistics } from "@anyts/anyts";
 * const stats: ConditionStatistics = new Condition().statistics();
 * console.log(stats.tasksWaiting, stats.lockStatistics.locked); // 0 false
 * ```
 */
export interface ConditionStatistics {
  /** The number of tasks blocked in {@linkcode Condition.wait}. */
  readonly tasksWaiting: number;
  /** The statistics of the underlying {@linkcode Lock}. */
  readonly lockStatistics: LockStatistics;
}

/**
 * A {@linkcode Lock} combined with notifications (AnyIO's `Condition`): a task holding the
 * lock calls `wait()`, which releases the lock, sleeps until another task calls
 * `notify()`, and re-acquires the lock before returning.
 *
 * - `wait`, `waitFor`, `notify` and `notifyAll` require the current task to hold the lock
 *   (an `Error` otherwise).
 * - Waiters are notified first come, first served. `notify(n)` wakes the `n` oldest
 *   waiters; a waiter cancelled before it was notified has left the queue, so the
 *   notification goes to the next one.
 * - A waiter that was notified but whose scope was cancelled before it resumed passes the
 *   notification on to the next waiter and raises {@linkcode Cancelled} (as AnyIO does).
 * - Whether cancelled or not, `wait()` re-acquires the lock (shielded from cancellation)
 *   before it returns or throws, so the caller's `using` block releases it as usual.
 *
 * @example
 * ```ts
 * import { Condition, taskGroup } from "@anyts/anyts";
 *
 * const condition = new Condition();
 * const queue: string[] = [];
 * await taskGroup(async (tg) => {
 *   tg.startSoon(async () => {
 *     using _ = await condition.acquire();
 *     const item = await condition.waitFor(() => queue.shift());
 *     console.log("got", item);
 *   });
 *   using _ = await condition.acquire();
 *   queue.push("job");
 *   condition.notify();
 * });
 * ```
 */
export class Condition {
  /** @ignore */
  _lock: Lock;
  /** @ignore */
  _waiters: WaiterQueue<undefined> = new WaiterQueue();

  /**
   * Creates a condition over `lock` (a TypeError if it is not a {@linkcode Lock}).
   *
   * @param lock the lock to use; default a new one
   */
  constructor(lock?: Lock) {
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new TypeError(`lock must be a Lock, got ${lock === null ? "null" : typeof lock}`);
    }
    this._lock = lock ?? new Lock();
  }

  /**
   * Acquires the underlying lock; see {@linkcode Lock.acquire}.
   *
   * @example
   * ```ts
   * import { Condition } from "@anyts/anyts";
   * const condition = new Condition();
   * using _ = await condition.acquire();
   * console.log(condition.locked()); // true
   * ```
   */
  acquire(): Promise<Disposable> {
    return this._lock.acquire();
  }

  /**
   * Acquires the underlying lock without waiting; see {@linkcode Lock.acquireNowait}.
   *
   * @example
   * ```ts
   * import { Condition } from "@anyts/anyts";
   * const condition = new Condition();
   * using _ = condition.acquireNowait();
   * ```
   */
  acquireNowait(): Disposable {
    return this._lock.acquireNowait();
  }

  /**
   * Releases the underlying lock; see {@linkcode Lock.release}.
   *
   * @example
   * ```ts
   * import { Condition } from "@anyts/anyts";
   * const condition = new Condition();
   * await condition.acquire();
   * condition.release();
   * ```
   */
  release(): void {
    this._lock.release();
  }

  /**
   * Whether the underlying lock is held.
   *
   * @example
   * ```ts
   * import { Condition } from "@anyts/anyts";
   * console.log(new Condition().locked()); // false
   * ```
   */
  locked(): boolean {
    return this._lock.locked();
  }

  /**
   * Releases the lock, waits for a notification, and re-acquires the lock. A checkpoint;
   * throws an `Error` if the current task does not hold the lock.
   *
   * @example
   * ```ts
   * import { Condition, moveOnAfter } from "@anyts/anyts";
   * const condition = new Condition();
   * using _ = await condition.acquire();
   * await moveOnAfter(10, () => condition.wait()); // nobody notifies: gives up
   * console.log(condition.locked()); // true: held again
   * ```
   */
  async wait(): Promise<void> {
    const frame = currentFrame();
    const scope = frame._scope;
    const task = frame._task;
    this._checkHeld(task, "wait");
    const early = scope._cancelledBy();
    if (early !== undefined) throw new Cancelled(early._cancelReason);
    const notified = this._waiters.wait(undefined, scope, "Condition.wait");
    this._lock._releaseBy(task, "release");
    let failure: unknown = undefined;
    try {
      await notified;
      // Notified; if the scope was cancelled in the same tick, pass the notification on.
      const source = scope._cancelledBy();
      if (source !== undefined) {
        this._waiters.shift()?.wake();
        failure = new Cancelled(source._cancelReason);
      }
    } catch (error) {
      failure = error;
    }
    await new CancelScope({ shield: true }).run(() => this._lock.acquire());
    if (failure !== undefined) throw failure;
  }

  /**
   * Waits (with {@linkcode Condition.wait}) until `predicate()` returns a truthy value,
   * and returns that value. The predicate is called with the lock held. A checkpoint even
   * when the predicate is true at once; throws an `Error` if the current task does not
   * hold the lock.
   *
   * @example
   * ```ts
   * import { Condition } from "@anyts/anyts";
   * const condition = new Condition();
   * const ready = true;
   * using _ = await condition.acquire();
   * console.log(await condition.waitFor(() => ready)); // true
   * ```
   */
  async waitFor<T>(predicate: () => T): Promise<T> {
    if (typeof predicate !== "function") {
      throw new TypeError(`predicate must be a function, got ${predicate === null ? "null" : typeof predicate}`);
    }
    this._checkHeld(getCurrentTask(), "waitFor");
    await checkpoint();
    let result: T;
    while (!(result = predicate())) await this.wait();
    return result;
  }

  /**
   * Wakes the `n` oldest waiters (default 1; fewer if fewer are waiting). `n` must be an
   * integer `>= 0`; throws an `Error` if the current task does not hold the lock.
   *
   * @example
   * ```ts
   * import { Condition } from "@anyts/anyts";
   * const condition = new Condition();
   * using _ = await condition.acquire();
   * condition.notify(2);
   * ```
   */
  notify(n = 1): void {
    validateCount(n, "n", 0);
    this._checkHeld(getCurrentTask(), "notify");
    const waiters = this._waiters;
    for (let i = 0; i < n && waiters.size !== 0; i++) waiters.shift()!.wake();
  }

  /**
   * Wakes every waiter. Throws an `Error` if the current task does not hold the lock.
   *
   * @example
   * ```ts
   * import { Condition } from "@anyts/anyts";
   * const condition = new Condition();
   * using _ = await condition.acquire();
   * condition.notifyAll();
   * ```
   */
  notifyAll(): void {
    this._checkHeld(getCurrentTask(), "notifyAll");
    const waiters = this._waiters;
    for (let waiter = waiters.shift(); waiter !== undefined; waiter = waiters.shift()) waiter.wake();
  }

  /**
   * A snapshot of the condition's state.
   *
   * @example
   * ```ts
   * import { Condition } from "@anyts/anyts";
   * console.log(new Condition().statistics().tasksWaiting); // 0
   * ```
   */
  statistics(): ConditionStatistics {
    return { tasksWaiting: this._waiters.size, lockStatistics: this._lock.statistics() };
  }

  /** @ignore */
  _checkHeld(task: TaskInfo, method: string): void {
    if (this._lock._owner !== task) {
      throw new Error(`Condition.${method}: the current task (${task.name}) does not hold the underlying lock`);
    }
  }
}
