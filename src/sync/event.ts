/**
 * Event: a one-shot flag that tasks can wait for.
 *
 * @module
 */
import { currentScope } from "../core/cancel-scope.ts";
import { checkpoint } from "../core/time.ts";
import { WaiterQueue } from "./waiter-queue.ts";

/**
 * What {@linkcode Event.statistics} reports.
 *
 * @example
 * ```ts
 * import { Event, type EventStatistics } from "@anyts/anyts";
 * const stats: EventStatistics = new Event().statistics();
 * console.log(stats.tasksWaiting); // 0
 * ```
 */
export interface EventStatistics {
  /** The number of tasks blocked in {@linkcode Event.wait}. */
  readonly tasksWaiting: number;
}

/**
 * A flag that starts unset and, once {@linkcode Event.set | set}, stays set: every task
 * waiting for it wakes, and later waits return at once. An event cannot be cleared; make
 * a new one instead (as in Trio and AnyIO).
 *
 * Cancellation: `wait()` is a checkpoint. A waiter whose scope is cancelled before the
 * event is set raises {@linkcode Cancelled} and leaves the queue. An event set in the same
 * tick as the waiter's scope is cancelled, but before it, still wakes the waiter normally
 * (there is nothing to give back; the next checkpoint raises). Waiting on an event that is
 * already set is still a checkpoint: it raises if the scope is cancelled.
 *
 * @example
 * ```ts
 * import { Event, taskGroup } from "@anyts/anyts";
 *
 * const ready = new Event();
 * await taskGroup(async (tg) => {
 *   tg.startSoon(async () => {
 *     await ready.wait();
 *     console.log("go");
 *   });
 *   ready.set();
 * });
 * ```
 */
export class Event {
  /** @ignore */
  _isSet = false;
  /** @ignore */
  _waiters: WaiterQueue<undefined> = new WaiterQueue();

  /**
   * Sets the flag and wakes every waiting task, in the order they started waiting.
   * Setting an event that is already set does nothing.
   *
   * @example
   * ```ts
   * import { Event } from "@anyts/anyts";
   * const event = new Event();
   * event.set();
   * console.log(event.isSet()); // true
   * ```
   */
  set(): void {
    if (this._isSet) return;
    this._isSet = true;
    const waiters = this._waiters;
    for (let waiter = waiters.shift(); waiter !== undefined; waiter = waiters.shift()) waiter.wake();
  }

  /**
   * Whether the event has been set.
   *
   * @example
   * ```ts
   * import { Event } from "@anyts/anyts";
   * console.log(new Event().isSet()); // false
   * ```
   */
  isSet(): boolean {
    return this._isSet;
  }

  /**
   * Waits until the event is set; returns at once (after a checkpoint) if it already is.
   * A checkpoint: raises {@linkcode Cancelled} if the task's scope is cancelled first.
   *
   * @example
   * ```ts
   * import { Event, moveOnAfter } from "@anyts/anyts";
   * const event = new Event();
   * await moveOnAfter(10, () => event.wait()); // gives up after 10 ms
   * ```
   */
  wait(): Promise<void> {
    if (this._isSet) return checkpoint();
    return this._waiters.wait(undefined, currentScope(), "Event.wait");
  }

  /**
   * A snapshot of the event's state.
   *
   * @example
   * ```ts
   * import { Event } from "@anyts/anyts";
   * console.log(new Event().statistics()); // { tasksWaiting: 0 }
   * ```
   */
  statistics(): EventStatistics {
    return { tasksWaiting: this._waiters.size };
  }
}
