/**
 * CapacityLimiter: a pool of tokens lent to borrowers (tasks or any other object).
 *
 * @module
 */
import { type CancelScope, currentFrame, currentScope, getCurrentTask } from "../core/cancel-scope.ts";
import { Cancelled, WouldBlock } from "../core/errors.ts";
import { waitCancellable } from "../core/wait.ts";
import { validateCount } from "./validate.ts";
import { WaiterQueue } from "./waiter-queue.ts";

const resolved: Promise<void> = Promise.resolve();

/**
 * What {@linkcode CapacityLimiter.statistics} reports.
 *
 * @example
 * ```ts
 * import { CapacityLimiter, type CapacityLimiterStatistics } from "@anyts/anyts";
 * const stats: CapacityLimiterStatistics = new CapacityLimiter(4).statistics();
 * console.log(stats); // { borrowedTokens: 0, totalTokens: 4, borrowers: [], tasksWaiting: 0 }
 * ```
 */
export interface CapacityLimiterStatistics {
  /** The number of tokens currently borrowed. */
  readonly borrowedTokens: number;
  /** The total number of tokens (possibly `Infinity`). */
  readonly totalTokens: number;
  /** The borrowers holding a token, in the order they got it. */
  readonly borrowers: readonly unknown[];
  /** The number of borrowers waiting for a token. */
  readonly tasksWaiting: number;
}

/**
 * Limits how many borrowers may use something at once (AnyIO's and Trio's
 * `CapacityLimiter`). A borrower is the current task (`acquire`, `release`) or any value
 * you choose (`acquireOnBehalfOf(borrower)`); each borrower holds at most one token:
 * borrowing a second time throws an `Error`, and so does releasing a token it does not
 * hold.
 *
 * - `totalTokens` is an integer `>= 0` or `Infinity`, and can be changed at any time:
 *   raising it hands the new tokens to the waiters at once, in order; lowering it takes
 *   nothing back (borrowers return their tokens as usual and nobody is admitted until
 *   fewer than `totalTokens` are borrowed). `0` admits nobody (AnyIO ≥ 4.12).
 * - Acquiring resolves to a `Disposable` that returns the token once.
 * - Fair: waiters get tokens first come, first served; a returned token goes straight to
 *   the oldest waiter, so the `*Nowait` methods throw {@linkcode WouldBlock} while anyone
 *   is queued.
 * - Acquiring is a checkpoint, even when a token is free. A cancelled borrower takes
 *   nothing: one cancelled while queued leaves the queue; one that was handed a token but
 *   whose scope was cancelled before it resumed passes the token on to the next waiter
 *   and raises {@linkcode Cancelled} (as AnyIO does); one that got a free token and is
 *   cancelled during the acquire's yield gives it back.
 *
 * @example
 * ```ts
 * import { CapacityLimiter, sleep, taskGroup } from "@anyts/anyts";
 *
 * const limiter = new CapacityLimiter(3); // at most three requests in flight
 * await taskGroup(async (tg) => {
 *   for (let i = 0; i < 10; i++) {
 *     tg.startSoon(async () => {
 *       using _ = await limiter.acquire();
 *       await sleep(5);
 *     });
 *   }
 * });
 * ```
 */
export class CapacityLimiter {
  /** @ignore */
  _totalTokens = 0;
  /** @ignore */
  _borrowers: Set<unknown> = new Set();
  /** @ignore */
  _waiters: WaiterQueue<unknown> = new WaiterQueue();
  /** @ignore The borrowers in `_waiters`, for the "already waiting" check. */
  _queued: Set<unknown> = new Set();

  /**
   * Creates a limiter with `totalTokens` tokens; a TypeError or RangeError if that is not
   * an integer `>= 0` or `Infinity`.
   *
   * @param totalTokens the number of tokens
   */
  constructor(totalTokens: number) {
    this._totalTokens = validateCount(totalTokens, "totalTokens", 0, true);
  }

  /**
   * The total number of tokens. Setting it (an integer `>= 0` or `Infinity`; otherwise a
   * TypeError or RangeError and no change) admits as many waiters as the new total allows.
   *
   * @example
   * ```ts
   * import { CapacityLimiter } from "@anyts/anyts";
   * const limiter = new CapacityLimiter(1);
   * limiter.totalTokens = Infinity;
   * console.log(limiter.availableTokens); // Infinity
   * ```
   */
  get totalTokens(): number {
    return this._totalTokens;
  }
  set totalTokens(value: number) {
    this._totalTokens = validateCount(value, "totalTokens", 0, true);
    this._admit();
  }

  /**
   * The number of tokens currently borrowed.
   *
   * @example
   * ```ts
   * import { CapacityLimiter } from "@anyts/anyts";
   * const limiter = new CapacityLimiter(2);
   * limiter.acquireNowait();
   * console.log(limiter.borrowedTokens); // 1
   * ```
   */
  get borrowedTokens(): number {
    return this._borrowers.size;
  }

  /**
   * The number of tokens free to borrow: `totalTokens - borrowedTokens`, never negative
   * (it is 0 while a lowered total is still exceeded).
   *
   * @example
   * ```ts
   * import { CapacityLimiter } from "@anyts/anyts";
   * console.log(new CapacityLimiter(2).availableTokens); // 2
   * ```
   */
  get availableTokens(): number {
    return Math.max(0, this._totalTokens - this._borrowers.size);
  }

  /**
   * Borrows a token for the current task, waiting for one if none is free. Resolves to a
   * Disposable that returns it. A checkpoint.
   *
   * @example
   * ```ts
   * import { CapacityLimiter } from "@anyts/anyts";
   * const limiter = new CapacityLimiter(1);
   * {
   *   using _ = await limiter.acquire();
   *   console.log(limiter.availableTokens); // 0
   * }
   * ```
   */
  acquire(): Promise<Disposable> {
    const frame = currentFrame();
    return this._acquire(frame._scope, frame._task, "acquire");
  }

  /**
   * Borrows a token for `borrower` (any value but `undefined`), waiting for one if none is
   * free. Resolves to a Disposable that returns it. A checkpoint.
   *
   * @example
   * ```ts
   * import { CapacityLimiter } from "@anyts/anyts";
   * const limiter = new CapacityLimiter(1);
   * const job = { id: 1 };
   * await limiter.acquireOnBehalfOf(job);
   * limiter.releaseOnBehalfOf(job);
   * ```
   */
  acquireOnBehalfOf(borrower: unknown): Promise<Disposable> {
    return this._acquire(currentScope(), borrower, "acquireOnBehalfOf");
  }

  /**
   * Borrows a token for the current task if one is free; otherwise throws
   * {@linkcode WouldBlock}. Not a checkpoint.
   *
   * @example
   * ```ts
   * import { CapacityLimiter } from "@anyts/anyts";
   * const limiter = new CapacityLimiter(1);
   * using _ = limiter.acquireNowait();
   * ```
   */
  acquireNowait(): Disposable {
    return this._acquireNowait(getCurrentTask(), "acquireNowait");
  }

  /**
   * Borrows a token for `borrower` if one is free; otherwise throws {@linkcode WouldBlock}.
   * Not a checkpoint.
   *
   * @example
   * ```ts
   * import { CapacityLimiter } from "@anyts/anyts";
   * const limiter = new CapacityLimiter(1);
   * limiter.acquireOnBehalfOfNowait("job 1");
   * limiter.releaseOnBehalfOf("job 1");
   * ```
   */
  acquireOnBehalfOfNowait(borrower: unknown): Disposable {
    return this._acquireNowait(borrower, "acquireOnBehalfOfNowait");
  }

  /**
   * Returns the current task's token, to the oldest waiter if there is one. Throws an
   * `Error` if the current task holds none.
   *
   * @example
   * ```ts
   * import { CapacityLimiter } from "@anyts/anyts";
   * const limiter = new CapacityLimiter(1);
   * await limiter.acquire();
   * limiter.release();
   * ```
   */
  release(): void {
    this._release(getCurrentTask(), "release");
  }

  /**
   * Returns `borrower`'s token, to the oldest waiter if there is one. Throws an `Error`
   * if `borrower` holds none.
   *
   * @example
   * ```ts
   * import { CapacityLimiter } from "@anyts/anyts";
   * const limiter = new CapacityLimiter(1);
   * limiter.acquireOnBehalfOfNowait("job");
   * limiter.releaseOnBehalfOf("job");
   * ```
   */
  releaseOnBehalfOf(borrower: unknown): void {
    this._release(borrower, "releaseOnBehalfOf");
  }

  /**
   * A snapshot of the limiter's state.
   *
   * @example
   * ```ts
   * import { CapacityLimiter } from "@anyts/anyts";
   * const limiter = new CapacityLimiter(2);
   * limiter.acquireOnBehalfOfNowait("a");
   * console.log(limiter.statistics().borrowers); // ["a"]
   * ```
   */
  statistics(): CapacityLimiterStatistics {
    return {
      borrowedTokens: this._borrowers.size,
      totalTokens: this._totalTokens,
      borrowers: [...this._borrowers],
      tasksWaiting: this._waiters.size,
    };
  }

  /** @ignore */
  _acquire(scope: CancelScope, borrower: unknown, method: string): Promise<Disposable> {
    try {
      this._checkBorrower(borrower, method);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this._waiters.size === 0 && this._borrowers.size < this._totalTokens) {
      const source = scope._cancelledBy();
      if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
      this._borrowers.add(borrower);
      const token = new LimiterToken(this, borrower);
      return resolved.then(() => this._keepUnlessCancelled(scope, token));
    }
    return this._acquireQueued(scope, borrower);
  }

  /** @ignore */
  _acquireNowait(borrower: unknown, method: string): Disposable {
    this._checkBorrower(borrower, method);
    if (this._waiters.size !== 0 || this._borrowers.size >= this._totalTokens) {
      throw new WouldBlock("no token of the capacity limiter is free");
    }
    this._borrowers.add(borrower);
    return new LimiterToken(this, borrower);
  }

  /** @ignore */
  _checkBorrower(borrower: unknown, method: string): void {
    if (borrower === undefined) throw new TypeError(`CapacityLimiter.${method}: borrower must not be undefined`);
    if (this._borrowers.has(borrower)) {
      throw new Error(`CapacityLimiter.${method}: borrower ${describe(borrower)} already holds a token of this limiter`);
    }
    if (this._queued.has(borrower)) {
      throw new Error(`CapacityLimiter.${method}: borrower ${describe(borrower)} is already waiting for a token`);
    }
  }

  /** @ignore */
  async _acquireQueued(scope: CancelScope, borrower: unknown): Promise<Disposable> {
    await waitCancellable<void>((resolve) => {
      const waiter = this._waiters.push(borrower, resolve as () => void);
      this._queued.add(borrower);
      return () => {
        this._waiters.remove(waiter);
        this._queued.delete(borrower);
      };
    }, scope, "CapacityLimiter.acquire");
    // Handed a token; if the scope was cancelled in the same tick, pass it on.
    const source = scope._cancelledBy();
    if (source !== undefined) {
      this._release(borrower, "acquire");
      throw new Cancelled(source._cancelReason);
    }
    return new LimiterToken(this, borrower);
  }

  /** @ignore */
  _keepUnlessCancelled(scope: CancelScope, token: LimiterToken): Disposable {
    const source = scope._cancelledBy();
    if (source !== undefined) {
      token._released = true;
      this._release(token._borrower, "acquire");
      throw new Cancelled(source._cancelReason);
    }
    return token;
  }

  /** @ignore */
  _release(borrower: unknown, method: string): void {
    if (!this._borrowers.delete(borrower)) {
      throw new Error(`CapacityLimiter.${method}: borrower ${describe(borrower)} holds no token of this limiter`);
    }
    this._admit();
  }

  /** @ignore Hands free tokens to the oldest waiters. */
  _admit(): void {
    const waiters = this._waiters;
    while (waiters.size !== 0 && this._borrowers.size < this._totalTokens) {
      const next = waiters.shift()!;
      this._queued.delete(next.data);
      this._borrowers.add(next.data);
      next.wake();
    }
  }
}

function describe(borrower: unknown): string {
  if (typeof borrower === "string") return JSON.stringify(borrower);
  if (typeof borrower === "object" && borrower !== null && typeof (borrower as { name?: unknown }).name === "string") {
    return `"${(borrower as { name: string }).name}"`;
  }
  try {
    return String(borrower);
  } catch {
    return typeof borrower;
  }
}

/** The Disposable of one borrowed token: returns it once. */
class LimiterToken implements Disposable {
  /** @ignore */
  readonly _limiter: CapacityLimiter;
  /** @ignore */
  readonly _borrower: unknown;
  /** @ignore */
  _released = false;

  constructor(limiter: CapacityLimiter, borrower: unknown) {
    this._limiter = limiter;
    this._borrower = borrower;
  }

  [Symbol.dispose](): void {
    if (this._released) return;
    this._released = true;
    this._limiter._release(this._borrower, "release");
  }
}
