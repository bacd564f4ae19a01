/**
 * Timeouts as cancel scopes: move on, or fail, when a deadline passes.
 *
 * @module
 */
import { CancelScope } from "./cancel-scope.ts";
import { TimeoutError } from "./errors.ts";
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
  /** The message of the {@linkcode TimeoutError}. */
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
    return moveOnAt(deadlineAfter(ms), fn, options);
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
    return new CancelScope({ deadline: deadline ?? Infinity, shield: options?.shield }).run(fn);
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
    return failAt(deadlineAfter(ms), fn, options);
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
export async function failAt<T>(
  deadline: number | null,
  fn: (scope: CancelScope) => Promise<T> | T,
  options?: FailOptions,
): Promise<T> {
  const scope = new CancelScope({ deadline: deadline ?? Infinity, shield: options?.shield });
  const result = await scope.run(fn);
  if (scope._cancelledCaught && scope._deadlineExpired) {
    throw new TimeoutError(options?.reason ?? "deadline exceeded");
  }
  return result as T;
}

function deadlineAfter(ms: number | null): number {
  if (ms === null) return Infinity;
  validateDuration(ms, "ms");
  return currentTime() + ms;
}
