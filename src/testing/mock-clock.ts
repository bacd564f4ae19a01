/**
 * MockClock: virtual time for one run (Trio's `trio.testing.MockClock`).
 *
 * @module
 */
import type { Clock, ClockListener } from "../core/clock.ts";
import { checkOptions } from "../core/options.ts";

/**
 * Options of {@linkcode MockClock}.
 *
 * @example
 * ```ts
 * import { MockClock, type MockClockOptions } from "@anyts/anyts/testing";
 * const options: MockClockOptions = { autojumpThreshold: 0 };
 * new MockClock(options);
 * ```
 */
export interface MockClockOptions {
  /** Virtual milliseconds per real millisecond; default 0 (time moves only by jumps). */
  rate?: number;
  /**
   * Real milliseconds during which every task of the run must stay blocked before the
   * clock jumps to the next deadline; default `Infinity` (no autojump). 0 jumps as soon as
   * the run is idle for one turn of the event loop.
   */
  autojumpThreshold?: number;
}

const MOCK_CLOCK_OPTIONS: readonly (keyof MockClockOptions)[] = ["rate", "autojumpThreshold"];

/**
 * A virtual clock for tests: pass it as `run(fn, { clock })` and every timer and deadline
 * of that run (`sleep`, `moveOnAfter`, `failAfter`, scope deadlines, and the timeouts of the
 * I/O layer: TLS handshakes, happy eyeballs, a process's `forceKillAfter`) follows virtual
 * time; `currentTime()` in the run reads it. Other runs, and the real I/O of this one, are
 * unaffected. Time starts at 0.
 *
 * - `rate` (default 0): virtual milliseconds per real millisecond; 0 stops time, so that
 *   it moves only by {@linkcode MockClock.jump} or autojumps.
 * - `autojumpThreshold` (default `Infinity`): when every task of the run has been blocked
 *   in an anyts wait (a sleep, an event, a lock, a stream or socket receive: a wait on real
 *   I/O counts as blocked, as in Trio) and nothing woke for that many real milliseconds, the
 *   clock jumps to the run's earliest deadline. A test of an hour-long timeout then takes
 *   milliseconds. `waitAllTasksBlocked` waiters with a cushion up to the threshold are
 *   woken before the autojump.
 * - A clock serves one run at a time: passing it to a second run while the first is still
 *   going throws.
 *
 * @example
 * ```ts
 * import { currentTime, run, sleep } from "@anyts/anyts";
 * import { MockClock } from "@anyts/anyts/testing";
 *
 * const clock = new MockClock({ autojumpThreshold: 0 });
 * const elapsed = await run(async () => {
 *   const start = currentTime();
 *   await sleep(60 * 60_000); // an hour of virtual time, a few real milliseconds
 *   return currentTime() - start;
 * }, { clock });
 * console.log(elapsed); // 3600000
 * ```
 */
export class MockClock implements Clock {
  #rate: number;
  #autojumpThreshold: number;
  /** The virtual time at #realBase. */
  #base = 0;
  #realBase = performance.now();
  #listener: ClockListener | undefined = undefined;

  /**
   * Creates a clock at virtual time 0.
   *
   * @param options `rate` (default 0) and `autojumpThreshold` (default `Infinity`)
   */
  constructor(options?: MockClockOptions) {
    checkOptions(options, MOCK_CLOCK_OPTIONS, "MockClock");
    this.#rate = checkRate(options?.rate ?? 0);
    this.#autojumpThreshold = checkThreshold(options?.autojumpThreshold ?? Infinity);
  }

  /**
   * The virtual time, in milliseconds.
   *
   * @example
   * ```ts
   * import { MockClock } from "@anyts/anyts/testing";
   * const clock = new MockClock();
   * clock.jump(5);
   * console.log(clock.currentTime()); // 5
   * ```
   */
  currentTime(): number {
    const rate = this.#rate;
    return rate === 0 ? this.#base : this.#base + (performance.now() - this.#realBase) * rate;
  }

  /**
   * Virtual milliseconds per real millisecond (0 or more, finite). Settable.
   *
   * @example
   * ```ts
   * import { MockClock } from "@anyts/anyts/testing";
   * const clock = new MockClock();
   * clock.rate = 10; // ten times faster than real time
   * ```
   */
  get rate(): number {
    return this.#rate;
  }
  set rate(value: number) {
    checkRate(value);
    this.#base = this.currentTime();
    this.#realBase = performance.now();
    this.#rate = value;
    this.#listener?._clockChanged();
  }

  /**
   * Real milliseconds of a fully blocked run before an autojump (0 or more, or
   * `Infinity` for none). Settable.
   *
   * @example
   * ```ts
   * import { MockClock } from "@anyts/anyts/testing";
   * const clock = new MockClock();
   * clock.autojumpThreshold = 0;
   * ```
   */
  get autojumpThreshold(): number {
    return this.#autojumpThreshold;
  }
  set autojumpThreshold(value: number) {
    this.#autojumpThreshold = checkThreshold(value);
    this.#listener?._clockChanged();
  }

  /**
   * Moves virtual time forward by `ms` milliseconds; the deadlines that it passes fire at
   * once, in order. A negative or NaN `ms` is a RangeError.
   *
   * @example
   * ```ts
   * import { currentTime, run, sleep, taskGroup } from "@anyts/anyts";
   * import { MockClock } from "@anyts/anyts/testing";
   * const clock = new MockClock();
   * await run(() =>
   *   taskGroup(async (tg) => {
   *     tg.startSoon(() => sleep(1_000));
   *     await Promise.resolve();
   *     clock.jump(1_000); // the sleep ends now
   *   }), { clock });
   * ```
   */
  jump(ms: number): void {
    if (typeof ms !== "number") throw new TypeError(`jump: ms must be a number, got ${typeof ms}`);
    if (!(ms >= 0)) throw new RangeError(`jump: ms must be a non-negative number of milliseconds, got ${ms}`);
    this.#base += ms;
    this.#listener?._clockChanged();
  }

  /** @internal */
  _attach(listener: ClockListener): void {
    if (this.#listener !== undefined && this.#listener !== listener) {
      throw new Error("MockClock: this clock is already used by another run; a clock serves one run at a time");
    }
    this.#listener = listener;
  }

  /** @internal */
  _detach(listener: ClockListener): void {
    if (this.#listener === listener) this.#listener = undefined;
  }

  /** @internal */
  _advanceTo(time: number): void {
    const now = this.currentTime();
    if (time > now) this.#base += time - now;
    this.#listener?._clockChanged();
  }
}

function checkRate(value: unknown): number {
  if (typeof value !== "number") throw new TypeError(`MockClock: rate must be a number, got ${typeof value}`);
  if (!(value >= 0) || value === Infinity) throw new RangeError(`MockClock: rate must be a finite number >= 0, got ${value}`);
  return value;
}

function checkThreshold(value: unknown): number {
  if (typeof value !== "number") throw new TypeError(`MockClock: autojumpThreshold must be a number, got ${typeof value}`);
  if (!(value >= 0)) throw new RangeError(`MockClock: autojumpThreshold must be a number >= 0 or Infinity, got ${value}`);
  return value;
}
