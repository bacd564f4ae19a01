/**
 * Lock: mutual exclusion owned by a task, with FIFO hand-off.
 *
 * @module
 */
import { type CancelScope, currentFrame, getCurrentTask } from "../core/cancel-scope.ts";
import type { TaskInfo } from "../core/context.ts";
import { Cancelled, WouldBlock } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import { WaiterQueue } from "./waiter-queue.ts";

const resolved: Promise<void> = Promise.resolve();

/**
 * Options of {@linkcode Lock}.
 *
 * @example
 * ```ts
 * import { Lock, type LockOptions } from "@anyts/anyts";
 * const options: LockOptions = { fastAcquire: true };
 * new Lock(options);
 * ```
 */
export interface LockOptions {
  /**
   * Skip the scheduling step of an uncontended `acquire()` (AnyIO's `fast_acquire`).
   * Default `false`. See {@linkcode Lock} for what that changes.
   */
  fastAcquire?: boolean;
}

/**
 * What {@linkcode Lock.statistics} reports.
 *
 * @example
 * ```ts
 * import { Lock, type LockStatistics } from "@anyts/anyts";
 * const stats: LockStatistics = new Lock().statistics();
 * console.log(stats); // { locked: false, owner: undefined, tasksWaiting: 0 }
 * ```
 */
export interface LockStatistics {
  /** Whether the lock is held. */
  readonly locked: boolean;
  /** The task holding the lock (see {@linkcode getCurrentTask}), or `undefined`. */
  readonly owner: TaskInfo | undefined;
  /** The number of tasks blocked in {@linkcode Lock.acquire}. */
  readonly tasksWaiting: number;
}

/**
 * A mutual exclusion lock that belongs to the task that acquired it (Trio's and AnyIO's
 * `Lock`).
 *
 * - `acquire()` resolves to a `Disposable`: `using _ = await lock.acquire()` releases the
 *   lock at the end of the block. Disposing it a second time does nothing.
 * - Only the owning task may release it; releasing a lock the current task does not hold
 *   throws an `Error`. Acquiring a lock the current task already holds throws an `Error`
 *   instead of deadlocking (it is not re-entrant).
 * - Fair: waiters are served first come, first served, and `release()` hands the lock
 *   directly to the oldest waiter, so nobody can barge in between (`acquireNowait` throws
 *   {@linkcode WouldBlock} while anyone is queued).
 * - `acquire()` is a checkpoint, even uncontended: it raises {@linkcode Cancelled} if the
 *   task's scope is cancelled, and yields to other ready tasks.
 * - A cancelled acquirer takes nothing: a waiter cancelled before its turn leaves the
 *   queue; a waiter that was handed the lock but whose scope was cancelled before it
 *   resumed (in the same tick) passes the lock on to the next waiter and raises
 *   `Cancelled` (as AnyIO does). Without `fastAcquire`, an uncontended acquire whose scope
 *   is cancelled while it yields also gives the lock back and raises `Cancelled`.
 * - `fastAcquire: true`: an uncontended acquire still raises if already cancelled, but
 *   then takes the lock and keeps it, returning an already resolved promise; any
 *   cancellation is raised by the next checkpoint. (Awaiting a promise always yields one
 *   microtask turn in JavaScript; the option skips the extra turn and the re-check.)
 *
 * @example
 * ```ts
 * import { Lock, taskGroup } from "@anyts/anyts";
 *
 * const lock = new Lock();
 * let counter = 0;
 * await taskGroup(async (tg) => {
 *   for (let i = 0; i < 10; i++) {
 *     tg.startSoon(async () => {
 *       using _ = await lock.acquire();
 *       const seen = counter;
 *       await Promise.resolve();
 *       counter = seen + 1;
 *     });
 *   }
 * });
 * console.log(counter); // 10
 * ```
 */
export class Lock {
  /** @ignore */
  _owner: TaskInfo | undefined = undefined;
  /** @ignore */
  _waiters: WaiterQueue<TaskInfo> = new WaiterQueue();
  /** @ignore */
  _fastAcquire: boolean;

  /**
   * Creates an unlocked lock.
   *
   * @param options `fastAcquire` (default `false`)
   */
  constructor(options?: LockOptions) {
    checkOptions(options, ["fastAcquire"], "Lock");
    const fastAcquire = options?.fastAcquire ?? false;
    if (typeof fastAcquire !== "boolean") {
      throw new TypeError(`fastAcquire must be a boolean, got ${typeof fastAcquire}`);
    }
    this._fastAcquire = fastAcquire;
  }

  /**
   * Acquires the lock, waiting for it if another task holds it. Resolves to a Disposable
   * that releases it. A checkpoint; throws an `Error` if the current task already holds
   * the lock.
   *
   * @example
   * ```ts
   * import { Lock } from "@anyts/anyts";
   * const lock = new Lock();
   * {
   *   using _ = await lock.acquire();
   *   console.log(lock.locked()); // true
   * }
   * console.log(lock.locked()); // false
   * ```
   */
  acquire(): Promise<Disposable> {
    const frame = currentFrame();
    const scope = frame._scope;
    const task = frame._task;
    const owner = this._owner;
    if (owner === undefined) {
      // Free implies nobody is queued: release() hands the lock straight to a waiter.
      const source = scope._cancelledBy();
      if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
      this._owner = task;
      const token = new LockToken(this, task);
      if (this._fastAcquire) return Promise.resolve(token);
      return resolved.then(() => this._keepUnlessCancelled(scope, token));
    }
    if (owner === task) return Promise.reject(reentryError("acquire", task));
    return this._acquireQueued(scope, task);
  }

  /**
   * Acquires the lock if that needs no waiting; otherwise throws {@linkcode WouldBlock}.
   * Not a checkpoint. Throws an `Error` if the current task already holds the lock.
   *
   * @example
   * ```ts
   * import { Lock, WouldBlock } from "@anyts/anyts";
   * const lock = new Lock();
   * try {
   *   using _ = lock.acquireNowait();
   *   console.log("got it without waiting");
   * } catch (error) {
   *   if (!(error instanceof WouldBlock)) throw error;
   * }
   * ```
   */
  acquireNowait(): Disposable {
    const task = getCurrentTask();
    const owner = this._owner;
    if (owner === undefined) {
      this._owner = task;
      return new LockToken(this, task);
    }
    if (owner === task) throw reentryError("acquireNowait", task);
    throw new WouldBlock("the lock is held by another task");
  }

  /**
   * Releases the lock, handing it to the oldest waiter if there is one. Throws an `Error`
   * if the current task does not hold the lock.
   *
   * @example
   * ```ts
   * import { Lock } from "@anyts/anyts";
   * const lock = new Lock();
   * await lock.acquire();
   * lock.release();
   * ```
   */
  release(): void {
    this._releaseBy(getCurrentTask(), "release");
  }

  /**
   * Whether some task holds the lock.
   *
   * @example
   * ```ts
   * import { Lock } from "@anyts/anyts";
   * console.log(new Lock().locked()); // false
   * ```
   */
  locked(): boolean {
    return this._owner !== undefined;
  }

  /**
   * A snapshot of the lock's state.
   *
   * @example
   * ```ts
   * import { Lock } from "@anyts/anyts";
   * const lock = new Lock();
   * lock.acquireNowait();
   * console.log(lock.statistics().locked); // true
   * ```
   */
  statistics(): LockStatistics {
    return { locked: this._owner !== undefined, owner: this._owner, tasksWaiting: this._waiters.size };
  }

  /** @ignore */
  async _acquireQueued(scope: CancelScope, task: TaskInfo): Promise<Disposable> {
    await this._waiters.wait(task, scope, "Lock.acquire");
    // Handed the lock; if the scope was cancelled in the same tick, pass it on.
    const source = scope._cancelledBy();
    if (source !== undefined) {
      this._releaseBy(task, "acquire");
      throw new Cancelled(source._cancelReason);
    }
    return new LockToken(this, task);
  }

  /** @ignore After the yield of an uncontended acquire: gives the lock back if cancelled meanwhile. */
  _keepUnlessCancelled(scope: CancelScope, token: LockToken): Disposable {
    const source = scope._cancelledBy();
    if (source !== undefined) {
      token._released = true;
      this._releaseBy(token._task, "acquire");
      throw new Cancelled(source._cancelReason);
    }
    return token;
  }

  /** @ignore Releases the lock held by `task`, handing it to the oldest waiter. */
  _releaseBy(task: TaskInfo, method: string): void {
    const owner = this._owner;
    if (owner !== task) {
      throw new Error(
        owner === undefined
          ? `Lock.${method}: the lock is not held`
          : `Lock.${method}: the lock is held by task ${owner.name}, not by task ${task.name}`,
      );
    }
    const next = this._waiters.shift();
    if (next === undefined) this._owner = undefined;
    else {
      this._owner = next.data;
      next.wake();
    }
  }
}

function reentryError(method: string, task: TaskInfo): Error {
  return new Error(`Lock.${method}: task ${task.name} already holds this lock (a Lock is not re-entrant)`);
}

/** The Disposable of one acquisition: releases it once. */
class LockToken implements Disposable {
  /** @ignore */
  readonly _lock: Lock;
  /** @ignore */
  readonly _task: TaskInfo;
  /** @ignore */
  _released = false;

  constructor(lock: Lock, task: TaskInfo) {
    this._lock = lock;
    this._task = task;
  }

  [Symbol.dispose](): void {
    if (this._released) return;
    this._released = true;
    this._lock._releaseBy(this._task, "release");
  }
}
