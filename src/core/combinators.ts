/**
 * Structured counterparts of `Promise.all` and `Promise.race`, built on task groups: no
 * call outlives them, and a failure cancels the rest.
 *
 * @module
 */
import { TaskGroupError } from "./errors.ts";
import { checkOptions } from "./options.ts";
import { taskGroup } from "./task-group.ts";

/** The awaited results of a tuple of functions. */
export type GatherResults<F extends readonly (() => unknown)[]> = { -readonly [K in keyof F]: Awaited<ReturnType<F[K]>> };

/**
 * Structured `Promise.all`: runs every function as a task and resolves to their results in
 * argument order. The first failure cancels the others; every error is thrown together as
 * {@linkcode TaskGroupError}.
 *
 * @example
 * ```ts
 * import { gather, sleep } from "@anyts/anyts";
 * const [a, b] = await gather(
 *   async () => { await sleep(20); return "a"; },
 *   async () => { await sleep(10); return 2; },
 * );
 * console.log(a, b); // "a" 2
 * ```
 */
export async function gather<const F extends readonly (() => unknown)[]>(...fns: F): Promise<GatherResults<F>> {
  fns.forEach((fn, index) => requireFunction(fn, `gather: argument ${index}`));
  const results = new Array(fns.length);
  await taskGroup((tg) => {
    fns.forEach((fn, index) => tg.startSoon(async () => (results[index] = await fn())));
  });
  return results as GatherResults<F>;
}

/**
 * Options of {@linkcode amap}.
 *
 * @example
 * ```ts
 * import { amap } from "@anyts/anyts";
 * await amap([1, 2, 3], async (n) => n, { limit: 2 });
 * ```
 */
export interface AmapOptions {
  /** How many calls may run at once: a positive integer, or `Infinity` (default). */
  limit?: number;
}

/**
 * Structured concurrent map: calls `fn(item, index)` for every item, at most `limit` at
 * once, and resolves to the results in input order. Items are taken from the iterable
 * lazily, as slots free up. The first failure cancels the rest.
 *
 * @example
 * ```ts
 * import { amap, sleep } from "@anyts/anyts";
 * const doubled = await amap([3, 1, 2], async (n) => { await sleep(n); return n * 2; }, { limit: 2 });
 * console.log(doubled); // [6, 2, 4]
 * ```
 */
export async function amap<T, R>(
  items: Iterable<T>,
  fn: (item: T, index: number) => R | Promise<R>,
  options?: AmapOptions,
): Promise<R[]> {
  if (items == null || typeof (items as Iterable<T>)[Symbol.iterator] !== "function") {
    throw new TypeError("amap: items must be iterable");
  }
  requireFunction(fn, "amap: fn");
  checkOptions(options, ["limit"], "amap");
  const limit = options?.limit ?? Infinity;
  if (typeof limit !== "number" || !(limit === Infinity || (Number.isInteger(limit) && limit >= 1))) {
    throw new RangeError(`amap: limit must be a positive integer or Infinity, got ${String(limit)}`);
  }
  const results: R[] = [];
  const iterator = items[Symbol.iterator]();
  let nextIndex = 0;
  await taskGroup((tg) => {
    if (limit === Infinity) {
      for (let step = iterator.next(); !step.done; step = iterator.next()) {
        const index = nextIndex++;
        const item = step.value;
        tg.startSoon(async () => (results[index] = await fn(item, index)));
      }
      return;
    }
    const worker = async () => {
      for (let step = iterator.next(); !step.done; step = iterator.next()) {
        const index = nextIndex++;
        results[index] = await fn(step.value, index);
      }
    };
    for (let i = 0; i < limit; i++) tg.startSoon(worker);
  });
  results.length = nextIndex;
  return results;
}

/**
 * Structured `Promise.race`: runs every function as a task; the first to return a value
 * wins, and the others are cancelled and awaited before `race` resolves to that value. A
 * failure before any win cancels the rest and is thrown (as {@linkcode TaskGroupError},
 * with any errors the losers raised while being cancelled).
 *
 * @example
 * ```ts
 * import { race, sleep } from "@anyts/anyts";
 * const winner = await race(
 *   async () => { await sleep(50); return "slow"; },
 *   async () => { await sleep(5); return "fast"; },
 * );
 * console.log(winner); // "fast"
 * ```
 */
export async function race<T>(...fns: Array<() => T | Promise<T>>): Promise<T> {
  if (fns.length === 0) throw new RangeError("race: needs at least one function");
  fns.forEach((fn, index) => requireFunction(fn, `race: argument ${index}`));
  let won = false;
  let winner: T | undefined;
  await taskGroup((tg) => {
    for (const fn of fns) {
      tg.startSoon(async () => {
        const value = await fn();
        if (won) return;
        won = true;
        winner = value;
        tg.cancelScope.cancel("another task won the race");
      });
    }
  });
  if (!won) throw new TaskGroupError([], "race: every task was cancelled before one finished");
  return winner as T;
}

function requireFunction(fn: unknown, what: string): void {
  if (typeof fn !== "function") throw new TypeError(`${what} must be a function, got ${fn === null ? "null" : typeof fn}`);
}
