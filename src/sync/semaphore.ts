/**
 * Semaphore: a counter of free slots, with FIFO hand-off.
 *
 * @module
 */
import { type CancelScope, currentScope } from "../core/cancel-scope.ts";
import { Cancelled, WouldBlock } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import { validateCount } from "./validate.ts";

import { WaiterQueue } from "./waiter-queue.ts";

const resolved: Promise<void> = Promise.resolve();

/**
 * Options of {@linkcode Semaphore}.
 *
 * @example
 * ```ts
 * import { Semaphore, type SemaphoreOptions } from "@anyts/anyts";
 * const options: SemaphoreOptions = { maxValue: 4, fastAcquire: false };
 * new Semaphore(2, options);
 * ```
 */
export interface SemaphoreOptions {
  /**
   * The highest value the semaphore may reach: a `release()` beyond it throws a
   * RangeError. An integer `>= initial`; default none.
   */
  maxValue?: number;
  /** Skip the scheduling step of an uncontended `acquire()`, as {@linkcode Lock}'s option. */
  fastAcquire?: boolean;
}

/**
 * What {@linkcode Semaphore.statistics} reports.
 *
 * @example
 * ```ts
 * import { Semaphore, type SemaphoreStatistics } from "@anyts/anyts";
 * const stats: SemaphoreStatistics = new Semaphore(1).statistics();
 * console.log(stats.tasksWaiting); // 0
 * ```
 */
export interface SemaphoreStatistics {
  /** The number of tasks blocked in {@linkcode Semaphore.acquire}. */
  readonly tasksWaiting: number;
}

/**
 * A counter of free slots: `acquire()` takes one (waiting while there are none),
 * `release()` gives one back. Unlike a {@linkcode Lock}, a semaphore has no owner: any
 * task may release it.
 *
 * - `acquire()` resolves to a `Disposable` that releases the slot once
 *   (`using _ = await semaphore.acquire()`).
 * - Fair: waiters are served first come, first served; `release()` hands the slot
 *   directly to the oldest waiter (the value stays 0), so `acquireNowait` cannot barge in.
 * - `acquire()` is a checkpoint, even uncontended.
 * - A cancelled acquirer takes nothing: a waiter cancelled before its turn leaves the
 *   queue; one that was handed a slot but whose scope was cancelled before it resumed
 *   passes the slot on and raises {@linkcode Cancelled} (as AnyIO does); without
 *   `fastAcquire`, an uncontended acquire cancelled while it yields gives its slot back.
 * - `release()` beyond `maxValue` throws a RangeError and changes nothing.
 *
 * @example
 * ```ts
 * import { Semaphore, sleep, taskGroup } from "@anyts/anyts";
 *
 * const slots = new Semaphore(2); // at most two downloads at once
 * await taskGroup(async (tg) => {
 *   for (let i = 0; i < 5; i++) {
 *     tg.startSoon(async () => {
 *       using _ = await slots.acquire();
 *       await sleep(10);
 *     });
 *   }
 * });
 * ```
 */
export class Semaphore {
  /** @ignore */
  _value: number;
  /** @ignore */
  _maxValue: number | undefined;
  /** @ignore */
  _fastAcquire: boolean;
  /** @ignore */
  _waiters: WaiterQueue<undefined> = new WaiterQueue();

  /**
   * Creates a semaphore with `initial` free slots. Throws a TypeError or RangeError unless
   * `initial` is an integer `>= 0` and `maxValue`, if given, an integer `>= initial`.
   *
   * @param initial the initial value
   * @param options `maxValue` and `fastAcquire`
   */
  constructor(initial: number, options?: SemaphoreOptions) {
    validateCount(initial, "initial", 0);
    checkOptions(options, ["maxValue", "fastAcquire"], "Semaphore");
    const maxValue = options?.maxValue;
    if (maxValue !== undefined) {
      validateCount(maxValue, "maxValue", 0);
      if (maxValue < initial) {
        throw new RangeError(`maxValue must be >= initial (${initial}), got ${maxValue}`);
      }
    }
    const fastAcquire = options?.fastAcquire ?? false;
    if (typeof fastAcquire !== "boolean") {
      throw new TypeError(`fastAcquire must be a boolean, got ${typeof fastAcquire}`);
    }
    this._value = initial;
    this._maxValue = maxValue;
    this._fastAcquire = fastAcquire;
  }

  /**
   * Takes a slot, waiting for one if there is none. Resolves to a Disposable that gives
   * it back. A checkpoint.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@anyts/anyts";
   * const semaphore = new Semaphore(1);
   * {
   *   using _ = await semaphore.acquire();
   *   console.log(semaphore.value); // 0
   * }
   * console.log(semaphore.value); // 1
   * ```
   */
  acquire(): Promise<Disposable> {
    const scope = currentScope();
    if (this._value > 0) {
      // A free slot implies nobody is queued: release() hands slots straight to waiters.
      const source = scope._cancelledBy();
      if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
      this._value--;
      const token = new SemaphoreToken(this);
      if (this._fastAcquire) return Promise.resolve(token);
      return resolved.then(() => this._keepUnlessCancelled(scope, token));
    }
    return this._acquireQueued(scope);
  }

  /**
   * Takes a slot if one is free; otherwise throws {@linkcode WouldBlock}. Not a checkpoint.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@anyts/anyts";
   * const semaphore = new Semaphore(1);
   * using _ = semaphore.acquireNowait();
   * console.log(semaphore.value); // 0
   * ```
   */
  acquireNowait(): Disposable {
    if (this._value === 0) throw new WouldBlock("the semaphore's value is 0");
    this._value--;
    return new SemaphoreToken(this);
  }

  /**
   * Gives a slot back, to the oldest waiter if there is one. Throws a RangeError (and
   * changes nothing) if that would raise the value above `maxValue`.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@anyts/anyts";
   * const semaphore = new Semaphore(0);
   * semaphore.release();
   * console.log(semaphore.value); // 1
   * ```
   */
  release(): void {
    const maxValue = this._maxValue;
    if (maxValue !== undefined && this._value >= maxValue) {
      throw new RangeError(`Semaphore.release: the value would exceed maxValue (${maxValue})`);
    }
    const next = this._waiters.shift();
    if (next === undefined) this._value++;
    else next.wake();
  }

  /**
   * The number of free slots.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@anyts/anyts";
   * console.log(new Semaphore(3).value); // 3
   * ```
   */
  get value(): number {
    return this._value;
  }

  /**
   * The highest value allowed, or `undefined` for no limit.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@anyts/anyts";
   * console.log(new Semaphore(1, { maxValue: 2 }).maxValue); // 2
   * ```
   */
  get maxValue(): number | undefined {
    return this._maxValue;
  }

  /**
   * A snapshot of the semaphore's state.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@anyts/anyts";
   * console.log(new Semaphore(1).statistics()); // { tasksWaiting: 0 }
   * ```
   */
  statistics(): SemaphoreStatistics {
    return { tasksWaiting: this._waiters.size };
  }

  /** @ignore */
  async _acquireQueued(scope: CancelScope): Promise<Disposable> {
    await this._waiters.wait(undefined, scope, "Semaphore.acquire");
    // Handed a slot; if the scope was cancelled in the same tick, pass it on.
    const source = scope._cancelledBy();
    if (source !== undefined) {
      this._giveBack();
      throw new Cancelled(source._cancelReason);
    }
    return new SemaphoreToken(this);
  }

  /** @ignore */
  _keepUnlessCancelled(scope: CancelScope, token: SemaphoreToken): Disposable {
    const source = scope._cancelledBy();
    if (source !== undefined) {
      token._released = true;
      this._giveBack();
      throw new Cancelled(source._cancelReason);
    }
    return token;
  }

  /** @ignore Returns a slot that was just taken (never beyond maxValue). */
  _giveBack(): void {
    const next = this._waiters.shift();
    if (next !== undefined) next.wake();
    else if (this._maxValue === undefined || this._value < this._maxValue) this._value++;
  }
}

/** The Disposable of one acquisition: releases its slot once. */
class SemaphoreToken implements Disposable {
  /** @ignore */
  readonly _semaphore: Semaphore;
  /** @ignore */
  _released = false;

  constructor(semaphore: Semaphore) {
    this._semaphore = semaphore;
  }

  [Symbol.dispose](): void {
    if (this._released) return;
    this._released = true;
    this._semaphore.release();
  }
}
