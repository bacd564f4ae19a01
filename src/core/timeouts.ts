/**
 * Timeouts as cancel scopes: move on, or fail, when a deadline passes.
 *
 * @module
 */
import { CancelScope, currentFrame } from "./cancel-scope.ts";
import type { Frame } from "./context.ts";
import { TimeoutError } from "./errors.ts";
import { checkOptions } from "./options.ts";

/**
 * Options of {@linkcode moveOnAfter} and {@linkcode moveOnAt}.
 *
 * @example
 * ```ts
 * import { moveOnAfter, sleep } from "@anyts/anyts";
 * await moveOnAfter(100, () => sleep(10), { shield: true });
 * ```
 */
export interface MoveOnOptions {
  /** Shield the scope from outer cancellation. */
  shield?: boolean;
}

/**
 * Options of {@linkcode failAfter} and {@linkcode failAt}.
 *
 * @example
 * ```ts
 * import { failAfter, sleep } from "@anyts/anyts";
 * await failAfter(100, () => sleep(10), { reason: "fetching the config" });
 * ```
 */
export interface FailOptions extends MoveOnOptions {
  /**
   * What timed out, for the message of the {@linkcode TimeoutError}: it becomes
   * `"<reason>: timed out after <ms> ms"` (or `"… deadline <t> passed"` for `failAt`).
   */
  reason?: string;
}

/**
 * Runs `fn` in a cancel scope that is cancelled after `ms` milliseconds (`null`: never).
 * Resolves to `fn`'s result, or `undefined` if the timeout cancelled it; the scope (passed
 * to `fn`) tells which through `cancelledCaught`.
 *
 * @example
 * ```ts
 * import { moveOnAfter, sleep } from "@anyts/anyts";
 * const result = await moveOnAfter(10, async () => { await sleep(1_000); return 1; });
 * console.log(result); // undefined
 * ```
 */
export function moveOnAfter<T>(
  ms: number | null,
  fn: (scope: CancelScope) => Promise<T> | T,
  options?: MoveOnOptions,
): Promise<T | undefined> {
  try {
    if (options !== undefined) checkOptions(options, MOVE_ON_OPTIONS, "moveOnAfter");
    const frame = currentFrame();
    return scopeAfter(frame, ms, options?.shield, "moveOnAfter")._runIn(frame, fn);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Like {@linkcode moveOnAfter} with an absolute deadline on the {@linkcode currentTime}
 * clock (`null`: none).
 *
 * @example
 * ```ts
 * import { currentTime, moveOnAt, sleepForever } from "@anyts/anyts";
 * await moveOnAt(currentTime() + 10, sleepForever);
 * ```
 */
export function moveOnAt<T>(
  deadline: number | null,
  fn: (scope: CancelScope) => Promise<T> | T,
  options?: MoveOnOptions,
): Promise<T | undefined> {
  try {
    checkDeadline(deadline, "moveOnAt");
    const shield = checkOptions(options, MOVE_ON_OPTIONS, "moveOnAt").shield;
    return new CancelScope(shield === undefined ? { deadline: deadline ?? Infinity } : { deadline: deadline ?? Infinity, shield })
      .run(fn);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Runs `fn` in a cancel scope that is cancelled after `ms` milliseconds (`null`: never)
 * and then throws {@linkcode TimeoutError}. If the scope (passed to `fn`) is cancelled by
 * hand instead, resolves to `undefined`.
 *
 * @example
 * ```ts
 * import { failAfter, sleep, TimeoutError } from "@anyts/anyts";
 * await failAfter(10, () => sleep(1_000)).catch((e) => console.log(e instanceof TimeoutError));
 * ```
 */
export function failAfter<T>(
  ms: number | null,
  fn: (scope: CancelScope) => Promise<T> | T,
  options?: FailOptions,
): Promise<T> {
  try {
    if (options !== undefined) checkOptions(options, FAIL_OPTIONS, "failAfter");
    const frame = currentFrame();
    return failWithin(frame, scopeAfter(frame, ms, options?.shield, "failAfter"), fn, options?.reason, ms ?? undefined);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Like {@linkcode failAfter} with an absolute deadline on the {@linkcode currentTime} clock
 * (`null`: none).
 *
 * @example
 * ```ts
 * import { currentTime, failAt, sleep } from "@anyts/anyts";
 * await failAt(currentTime() + 1_000, () => sleep(1));
 * ```
 */
export function failAt<T>(
  deadline: number | null,
  fn: (scope: CancelScope) => Promise<T> | T,
  options?: FailOptions,
): Promise<T> {
  try {
    checkDeadline(deadline, "failAt");
    checkOptions(options, FAIL_OPTIONS, "failAt");
    const shield = options?.shield;
    const scope = new CancelScope(shield === undefined ? { deadline: deadline ?? Infinity } : { deadline: deadline ?? Infinity, shield });
    return failWithin(currentFrame(), scope, fn, options?.reason, undefined);
  } catch (error) {
    return Promise.reject(error);
  }
}

const MOVE_ON_OPTIONS: readonly (keyof MoveOnOptions)[] = ["shield"];
const FAIL_OPTIONS: readonly (keyof FailOptions)[] = ["shield", "reason"];

async function failWithin<T>(
  frame: Frame,
  scope: CancelScope,
  fn: (scope: CancelScope) => Promise<T> | T,
  reason: string | undefined,
  timeout: number | undefined,
): Promise<T> {
  if (reason !== undefined && typeof reason !== "string") {
    throw new TypeError(`reason must be a string, got ${typeof reason}`);
  }
  const result = await scope._runIn(frame, fn);
  if (scope._cancelledCaught && scope._deadlineExpired) {
    const deadline = scope._deadline;
    const what = timeout !== undefined ? `timed out after ${timeout} ms` : `deadline ${Math.round(deadline * 1000) / 1000} (currentTime(), ms) passed`;
    throw new TimeoutError(reason === undefined ? what : `${reason}: ${what}`, { timeout, deadline });
  }
  return result as T;
}

/** A scope whose deadline is `ms` from now (none for `null`), for moveOnAfter and failAfter. */
function scopeAfter(frame: Frame, ms: number | null, shield: boolean | undefined, where: string): CancelScope {
  const scope = new CancelScope();
  if (shield !== undefined) scope.shield = shield;
  if (ms === null) return scope;
  if (typeof ms !== "number") throw new TypeError(`${where}: ms must be a number or null, got ${typeof ms}`);
  if (!(ms >= 0)) throw new RangeError(`${where}: ms must be a non-negative number of milliseconds, got ${ms}`);
  scope._deadline = frame._scope._run._now() + ms;
  // Computed from the clock just now: entering need not read it again to know it lies ahead.
  scope._deadlineAhead = ms > 0 && ms !== Infinity;
  return scope;
}

function checkDeadline(deadline: number | null, where: string): void {
  if (deadline === null) return;
  if (typeof deadline !== "number") throw new TypeError(`${where}: deadline must be a number or null, got ${typeof deadline}`);
  if (Number.isNaN(deadline)) throw new RangeError(`${where}: deadline must not be NaN`);
}
