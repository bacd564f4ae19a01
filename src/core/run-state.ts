/**
 * What one run shares between its scopes and tasks: its backend, its clock (real time, or
 * a MockClock's virtual time), its one deadline queue with the single runtime timer armed
 * for the earliest deadline, and the bookkeeping of which tasks are blocked (for autojump,
 * `waitAllTasksBlocked` and `formatTaskTree`). Code outside any `run` shares the state of
 * the implicit root. Internal to anyts.
 *
 * @module
 */
import type { Backend, TimerHandle } from "../backend/index.ts";
import type { CancelScope } from "./cancel-scope.ts";
import type { Clock, ClockListener } from "./clock.ts";
import { nextTaskId, type TaskIdentity } from "./context.ts";
import { type DeadlineEntry, DeadlineQueue } from "./deadline-queue.ts";

/** The longest delay a runtime timer takes (2^31 - 1 ms, about 24.8 days). */
const LONGEST_TIMER = 2_147_483_647;

/** @ignore A task blocked in `waitAllTasksBlocked(cushion)`. Internal. */
export interface IdleWaiter {
  readonly cushion: number;
  readonly wake: () => void;
}

/** @ignore The root task of a run (or the implicit root). Internal. */
export class RootTask implements TaskIdentity {
  readonly id: number = nextTaskId();
  readonly name: string;
  readonly parentId: number | undefined;
  readonly _run: RunState;
  _waits = 0;
  _blockedIn = "";
  _done = false;
  constructor(name: string, run: RunState, parentId: number | undefined) {
    this.name = name;
    this._run = run;
    this.parentId = parentId;
  }
}

/** @ignore The state shared by the scopes and tasks of one run. Internal. */
export class RunState implements ClockListener {
  /** @ignore */
  _backend: Backend;
  /** @ignore A virtual clock, or `undefined` for real time (the backend's clock). */
  readonly _clock: Clock | undefined;
  /** @ignore Whether the run keeps the process alive until it ends (every `run`, not the implicit root). */
  readonly _keepAlive: boolean;
  /** @ignore */
  readonly _queue: DeadlineQueue = new DeadlineQueue();
  /** @ignore The one runtime timer of the run. */
  _timer: TimerHandle | undefined = undefined;
  /** @ignore The clock time the timer is armed for (`Infinity`: a keep-alive timer, or none). */
  _timerAt = Infinity;
  /** @ignore Whether a check that clears an unneeded timer is scheduled (implicit root). */
  _clearPending = false;
  /** @ignore */
  _active = true;
  /** @ignore The run's root scope and task (set by `run`). */
  _rootScope: CancelScope | undefined = undefined;
  /** @ignore */
  _rootTask: TaskIdentity | undefined = undefined;
  /** @ignore Tasks alive in the run (the root task included). */
  _live = 0;
  /** @ignore Tasks blocked in an anyts wait. */
  _blocked = 0;
  /** @ignore How many times a blocked task was woken; an idle period ends when it changes. */
  _wakes = 0;
  /** @ignore Tasks in `waitAllTasksBlocked`. */
  _idleWaiters: IdleWaiter[] = [];
  /** @ignore The real-time timer of the current idle period (every task blocked). */
  _idleTimer: TimerHandle | undefined = undefined;
  /** @ignore When (real time) the idle period began, and the wake count then. */
  _idleSince = 0;
  /** @ignore */
  _idleWakes = 0;
  /** @ignore Whether an autojump of this idle period found nothing to jump to. */
  _autojumpSpent = false;

  constructor(backend: Backend, clock: Clock | undefined, keepAlive: boolean) {
    this._backend = backend;
    this._clock = clock;
    this._keepAlive = keepAlive;
    if (keepAlive) this._arm();
  }

  /** @ignore The run's current time: its clock's, or the backend's real time. */
  _now(): number {
    return this._clock === undefined ? this._backend.currentTime() : this._clock.currentTime();
  }

  /** @ignore Queues a deadline; arms the runtime timer if it is the new earliest. */
  _addDeadline(entry: DeadlineEntry, when: number): void {
    if (this._queue.add(entry, when) && when < this._timerAt) this._arm();
  }

  /**
   * @ignore Takes a deadline out of the queue. The timer stays armed (a later deadline or
   * the timer itself re-arms it): clearing and re-arming a runtime timer per scope is what
   * the queue saves. Outside a run, an unneeded timer is cleared one macrotask later, so
   * that it does not keep the process alive.
   */
  _removeDeadline(entry: DeadlineEntry): void {
    this._queue.remove(entry);
    if (!this._keepAlive && this._queue.size === 0 && this._timer !== undefined && !this._clearPending) {
      this._clearPending = true;
      this._backend.setTimer(0, this._clearIfIdle);
    }
  }

  /** @ignore Fires the deadlines that are due (called by checkpoints, which may never yield to timers). */
  _poll(): void {
    const queue = this._queue;
    if (queue._heap.length === 0) return;
    const now = this._now();
    if (queue.earliest() <= now) queue.fireExpired(now);
  }

  /** @ignore (Re-)arms the runtime timer for the earliest deadline (or to keep the process alive). */
  _arm(): void {
    const backend = this._backend;
    if (this._timer !== undefined) backend.clearTimer(this._timer);
    this._timer = undefined;
    this._timerAt = Infinity;
    if (!this._active) return;
    const earliest = this._queue.earliest();
    let delay = Infinity;
    if (earliest !== Infinity) {
      const ahead = earliest - this._now();
      const rate = this._clock === undefined ? 1 : this._clock.rate;
      delay = ahead <= 0 ? 0 : rate > 0 ? ahead / rate : Infinity;
    }
    if (delay !== Infinity) {
      this._timerAt = earliest;
      this._timer = backend.setTimer(Math.min(delay, LONGEST_TIMER), this._onTimer);
    } else if (this._keepAlive) {
      this._timer = backend.setTimer(LONGEST_TIMER, this._onTimer);
    }
  }

  /** @ignore */
  _onTimer = (): void => {
    this._timer = undefined;
    this._timerAt = Infinity;
    if (!this._active) return;
    this._queue.fireExpired(this._now());
    if (this._timer === undefined) this._arm();
  };

  /** @ignore */
  _clearIfIdle = (): void => {
    this._clearPending = false;
    if (this._queue.size === 0 && this._timer !== undefined) {
      this._backend.clearTimer(this._timer);
      this._timer = undefined;
      this._timerAt = Infinity;
    }
  };

  /** @ignore The clock jumped or changed rate: fire what is due and re-arm. */
  _clockChanged(): void {
    if (!this._active) return;
    this._queue.fireExpired(this._now());
    this._arm();
    if (this._blocked === this._live) this._allBlocked();
  }

  /** @ignore Ends the run: no timer is left behind. */
  _close(): void {
    this._active = false;
    if (this._timer !== undefined) this._backend.clearTimer(this._timer);
    this._timer = undefined;
    if (this._idleTimer !== undefined) this._backend.clearTimer(this._idleTimer);
    this._idleTimer = undefined;
  }

  /** @ignore `task` of the run ended (a wait it left behind no longer counts). */
  _taskEnded(task: TaskIdentity): void {
    task._done = true;
    if (task._waits > 0) this._blocked--;
    if (this._blocked === --this._live && this._live !== 0) this._allBlocked();
  }

  /** @ignore Whether anything watches for idle periods (autojump, waitAllTasksBlocked). */
  _watchesIdle(): boolean {
    return this._idleWaiters.length !== 0 ||
      (this._clock !== undefined && this._clock.autojumpThreshold !== Infinity);
  }

  /** @ignore Every task of the run is blocked: an idle period begins. */
  _allBlocked(): void {
    if (!this._active || !this._watchesIdle()) return;
    if (this._idleTimer !== undefined) this._backend.clearTimer(this._idleTimer);
    this._idleTimer = undefined;
    this._idleSince = this._backend.currentTime();
    this._idleWakes = this._wakes;
    this._autojumpSpent = false;
    this._armIdle();
  }

  /** @ignore The smallest cushion of the waiters of waitAllTasksBlocked. */
  _smallestCushion(): number {
    let smallest = Infinity;
    for (const waiter of this._idleWaiters) if (waiter.cushion < smallest) smallest = waiter.cushion;
    return smallest;
  }

  /** @ignore The autojump threshold, if an autojump may act in this idle period. */
  _autojumpCushion(): number {
    if (this._clock === undefined || this._autojumpSpent || this._queue.size === 0) return Infinity;
    return this._clock.autojumpThreshold;
  }

  /** @ignore */
  _armIdle(): void {
    const target = Math.min(this._smallestCushion(), this._autojumpCushion());
    if (target === Infinity) return;
    const delay = Math.max(0, this._idleSince + target - this._backend.currentTime());
    this._idleTimer = this._backend.setTimer(Math.min(delay, LONGEST_TIMER), this._onIdle);
  }

  /**
   * @ignore An idle period lasted its cushion: wake the waiters with the smallest cushion
   * (they win a tie with the autojump, as in Trio), or autojump to the next deadline.
   */
  _onIdle = (): void => {
    this._idleTimer = undefined;
    if (!this._active || this._blocked !== this._live) return;
    if (this._wakes !== this._idleWakes) {
      this._allBlocked();
      return;
    }
    const cushion = this._smallestCushion();
    if (cushion <= this._autojumpCushion()) {
      const waking = this._idleWaiters.filter((waiter) => waiter.cushion === cushion);
      this._idleWaiters = this._idleWaiters.filter((waiter) => waiter.cushion !== cushion);
      for (const waiter of waking) waiter.wake();
    } else {
      const next = this._queue.earliest();
      const now = this._now();
      if (next > now) this._clock!._advanceTo(next);
      else this._queue.fireExpired(now);
      if (this._wakes === this._idleWakes) this._autojumpSpent = true;
    }
    if (this._active && this._blocked === this._live && this._idleTimer === undefined) {
      if (this._wakes !== this._idleWakes) this._allBlocked();
      else this._armIdle();
    }
  };
}

/** @ignore Counts `task` as blocked in `what` (an anyts wait). Internal. */
export function blockTask(task: TaskIdentity, what: string): void {
  task._blockedIn = what;
  if (task._waits++ === 0 && !task._done) {
    const run = task._run;
    if (++run._blocked === run._live) run._allBlocked();
  }
}

/** @ignore Ends one wait of `task` counted by {@linkcode blockTask}. Internal. */
export function unblockTask(task: TaskIdentity): void {
  if (--task._waits === 0 && !task._done) {
    const run = task._run;
    run._blocked--;
    run._wakes++;
  }
}
