/**
 * Timeouts as cancel scopes: move on, or fail, when a deadline passes.
 *
 * @module
 */
import { CancelScope } from "./cancel-scope.ts";
import { TimeoutError } from "./errors.ts";
import { checkOptions } from "./options.ts";
import { currentTime, validateDuration } from "./time.ts";

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
    return moveOnAt(deadlineAfter(ms, "moveOnAfter"), fn, checkOptions(options, MOVE_ON_OPTIONS, "moveOnAfter"));
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
    checkOptions(options, FAIL_OPTIONS, "failAfter");
    return failWithin(deadlineAfter(ms, "failAfter"), fn, options, ms ?? undefined);
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
    return failWithin(deadline ?? Infinity, fn, options, undefined);
  } catch (error) {
    return Promise.reject(error);
  }
}

const MOVE_ON_OPTIONS: readonly (keyof MoveOnOptions)[] = ["shield"];
const FAIL_OPTIONS: readonly (keyof FailOptions)[] = ["shield", "reason"];

async function failWithin<T>(
  deadline: number,
  fn: (scope: CancelScope) => Promise<T> | T,
  options: FailOptions | undefined,
  timeout: number | undefined,
): Promise<T> {
  const reason = options?.reason;
  if (reason !== undefined && typeof reason !== "string") {
    throw new TypeError(`reason must be a string, got ${typeof reason}`);
  }
  const shield = options?.shield;
  const scope = new CancelScope(shield === undefined ? { deadline } : { deadline, shield });
  const result = await scope.run(fn);
  if (scope._cancelledCaught && scope._deadlineExpired) {
    const what = timeout !== undefined ? `timed out after ${timeout} ms` : `deadline ${Math.round(deadline * 1000) / 1000} (currentTime(), ms) passed`;
    throw new TimeoutError(reason === undefined ? what : `${reason}: ${what}`, { timeout, deadline });
  }
  return result as T;
}

function deadlineAfter(ms: number | null, where: string): number {
  if (ms === null) return Infinity;
  validateDuration(ms, `${where}: ms`);
  return currentTime() + ms;
}

function checkDeadline(deadline: number | null, where: string): void {
  if (deadline === null) return;
  if (typeof deadline !== "number") throw new TypeError(`${where}: deadline must be a number or null, got ${typeof deadline}`);
  if (Number.isNaN(deadline)) throw new RangeError(`${where}: deadline must not be NaN`);
}
