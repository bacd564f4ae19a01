/**
 * waitAllTasksBlocked: wait until every other task of the run is blocked (Trio's
 * `trio.testing.wait_all_tasks_blocked`).
 *
 * @module
 */
import { currentFrame } from "../core/cancel-scope.ts";
import type { IdleWaiter } from "../core/run-state.ts";
import { waitCancellable } from "../core/wait.ts";

/**
 * Waits until every other task of the current run is blocked in an anyts wait (a sleep,
 * an event, a lock, a stream or socket receive…) and has stayed so, with nothing woken, for
 * `cushion` real milliseconds (default 0: one turn of the event loop). With several
 * waiters, the ones with the smallest cushion wake first (all of those with the same
 * cushion together), and their waking starts the others' count again. With a `MockClock`
 * autojump, a waiter whose cushion is at most the threshold wakes before the clock jumps.
 * A checkpoint; a negative or NaN cushion is a RangeError.
 *
 * @example
 * ```ts
 * import { Event, run, taskGroup } from "@anyts/anyts";
 * import { waitAllTasksBlocked } from "@anyts/anyts/testing";
 * await run(async () => {
 *   const event = new Event();
 *   let waiting = false;
 *   await taskGroup(async (tg) => {
 *     tg.startSoon(async () => { waiting = true; await event.wait(); });
 *     await waitAllTasksBlocked();
 *     console.log(waiting, event.statistics().tasksWaiting); // true 1
 *     event.set();
 *   });
 * });
 * ```
 */
export function waitAllTasksBlocked(cushion: number = 0): Promise<void> {
  if (typeof cushion !== "number") {
    return Promise.reject(new TypeError(`waitAllTasksBlocked: cushion must be a number, got ${typeof cushion}`));
  }
  if (!(cushion >= 0)) {
    return Promise.reject(new RangeError(`waitAllTasksBlocked: cushion must be a non-negative number of milliseconds, got ${cushion}`));
  }
  const run = currentFrame()._scope._run;
  return waitCancellable<void>((resolve) => {
    const waiter: IdleWaiter = { cushion, wake: resolve as () => void };
    run._idleWaiters.push(waiter);
    return () => {
      const index = run._idleWaiters.indexOf(waiter);
      if (index >= 0) run._idleWaiters.splice(index, 1);
    };
  }, undefined, "waitAllTasksBlocked");
}
