/**
 * The clock a run reads its time from. By default a run follows real (monotonic) time; a
 * run started with `run(fn, { clock })` follows that clock instead — in practice a
 * `MockClock` from `@anyts/anyts/testing`, whose time is virtual.
 *
 * @module
 */

/** @ignore What a clock tells when its time or rate changes: the run using it. Internal. */
export interface ClockListener {
  /** @ignore The clock jumped, or its rate or autojump threshold changed. */
  _clockChanged(): void;
}

/**
 * A clock that a run can follow instead of real time (`run(fn, { clock })`). Implemented by
 * `MockClock` from `@anyts/anyts/testing`; every timer and deadline of such a run
 * (`sleep`, `moveOnAfter`, `failAfter`, scope deadlines, the timeouts of the I/O layer)
 * follows it, and `currentTime()` inside the run reads it.
 *
 * @example
 * ```ts
 * import { type Clock, currentTime, run } from "@anyts/anyts";
 * import { MockClock } from "@anyts/anyts/testing";
 * const clock: Clock = new MockClock();
 * await run(() => console.log(currentTime()), { clock }); // 0
 * ```
 */
export interface Clock {
  /** The clock's current time, in milliseconds. */
  currentTime(): number;
  /** How many clock milliseconds pass per real millisecond (0: time moves only by jumps). */
  readonly rate: number;
  /**
   * After this many real milliseconds during which every task of the run was blocked, the
   * clock jumps to the run's next deadline; `Infinity`: never.
   */
  readonly autojumpThreshold: number;
  /** @internal Binds the clock to a run; throws if another run uses it. */
  _attach(listener: ClockListener): void;
  /** @internal Unbinds the clock from the run. */
  _detach(listener: ClockListener): void;
  /** @internal Moves the clock forward to `time` (an autojump); never backwards. */
  _advanceTo(time: number): void;
}
