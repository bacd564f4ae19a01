/**
 * A task: one concurrent call running in a task group, with its own cancel scope.
 * {@linkcode TaskHandle} is the view of it that `spawn` returns.
 *
 * @module
 */
import type { CancelScope } from "./cancel-scope.ts";
import { type Frame, nextTaskId, type TaskIdentity } from "./context.ts";
import { TaskCancelledError } from "./errors.ts";
import type { RunState } from "./run-state.ts";
import { waitCancellable } from "./wait.ts";

/**
 * Where a task is in its life: running (`pending`, or `cancelling` once its scope is
 * cancelled), or done (`finished`, `cancelled` or `failed`).
 */
export type TaskState = "pending" | "cancelling" | "finished" | "cancelled" | "failed";

/**
 * A running task that can be awaited and cancelled on its own, returned by
 * `TaskGroup.spawn`.
 *
 * Awaiting it is a checkpoint. It resolves to the task's result; it rejects with the
 * task's error if it failed (the error is also reported by the task group), and with
 * {@linkcode TaskCancelledError} if the task was cancelled while the awaiting code was not.
 *
 * @example
 * ```ts
 * import { sleep, taskGroup } from "@anyts/anyts";
 * await taskGroup(async (tg) => {
 *   const handle = tg.spawn(async (ms: number) => { await sleep(ms); return ms * 2; }, 5);
 *   console.log(handle.status); // "pending"
 *   console.log(await handle);  // 10
 * });
 * ```
 */
export interface TaskHandle<T> extends PromiseLike<T> {
  /** The task's name: the `name` option, else the function's name, else `anonymous`. */
  readonly name: string;
  /** The task's id, as {@linkcode getRunningTasks} reports it. */
  readonly id: number;
  /** Where the task is in its life. */
  readonly status: TaskState;
  /** Cancels this task only (its scope); idempotent. */
  cancel(reason?: string): void;
}

const RUNNING = 0;
const FINISHED = 1;
const CANCELLED = 2;
const FAILED = 3;

/** @internal The outcome codes of a task. */
export type TaskOutcome = typeof FINISHED | typeof CANCELLED | typeof FAILED;
/** @ignore */
export const TASK_FINISHED: TaskOutcome = FINISHED;
/** @ignore */
export const TASK_CANCELLED: TaskOutcome = CANCELLED;
/** @ignore */
export const TASK_FAILED: TaskOutcome = FAILED;

/**
 * @ignore The task record behind a TaskHandle, and the frame its code runs in. A task
 * started with `startSoon` shares its group's scope; `spawn` and `start` give it a scope of
 * its own (its handle cancels it; `start` moves it into the group). Internal.
 */
export class Task<T> implements TaskHandle<T>, TaskIdentity, Frame {
  readonly name: string;
  readonly id: number = nextTaskId();
  readonly parentId: number | undefined;
  /** @ignore */
  readonly _task: TaskIdentity = this;
  /** @ignore */
  readonly _run: RunState;
  /** @ignore */
  _waits = 0;
  /** @ignore */
  _blockedIn = "";
  /** @ignore */
  _done = false;
  /** @ignore The task group the task runs in (for formatTaskTree). */
  _group: unknown;
  /** @ignore The live tasks of the group, a linked list in start order. */
  _prevInGroup: Task<unknown> | undefined = undefined;
  /** @ignore */
  _nextInGroup: Task<unknown> | undefined = undefined;
  /** @ignore The task's innermost scope at its start: its own, or its group's. */
  _scope: CancelScope;
  /** @ignore Whether `_scope` belongs to this task alone (exited when the task ends). */
  readonly _ownsScope: boolean;
  /** @ignore */
  _outcome: number = RUNNING;
  /** @ignore The function's value or error, once done. */
  _result: unknown = undefined;
  /** @ignore The function and its arguments, until the task starts. */
  _fn: ((...args: unknown[]) => unknown) | undefined;
  /** @ignore */
  _args: unknown[] | undefined;
  /** @ignore The status object of a task launched by `start()`. */
  _startStatus: unknown = undefined;
  /** @ignore */
  _watchers: Set<() => void> | undefined = undefined;

  constructor(
    name: string,
    scope: CancelScope,
    ownsScope: boolean,
    fn: (...args: unknown[]) => unknown,
    args: unknown[],
    group: unknown,
    host: TaskIdentity,
  ) {
    this.name = name;
    this._group = group;
    this._run = host._run;
    this.parentId = host.id;
    this._scope = scope;
    this._ownsScope = ownsScope;
    this._fn = fn;
    this._args = args;
    if (ownsScope) scope._task = this;
  }

  get status(): TaskState {
    switch (this._outcome) {
      case FINISHED:
        return "finished";
      case CANCELLED:
        return "cancelled";
      case FAILED:
        return "failed";
      default:
        return this._scope._cancelledBy() === undefined ? "pending" : "cancelling";
    }
  }

  cancel(reason?: string): void {
    this._scope.cancel(reason);
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this._outcomePromise().then(onFulfilled, onRejected);
  }

  /** @ignore */
  _settle(outcome: TaskOutcome, result: unknown): void {
    this._outcome = outcome;
    this._result = result;
    const watchers = this._watchers;
    if (watchers !== undefined) {
      this._watchers = undefined;
      for (const watcher of watchers) watcher();
    }
  }

  /** @ignore */
  _outcomePromise(): Promise<T> {
    return waitCancellable<void>((resolve) => {
      if (this._outcome !== RUNNING) return resolve();
      const watchers = (this._watchers ??= new Set());
      watchers.add(resolve);
      return () => watchers.delete(resolve);
    }, undefined, `TaskHandle (task ${this.name})`).then(() => {
      if (this._outcome === FINISHED) return this._result as T;
      if (this._outcome === FAILED) throw this._result;
      throw new TaskCancelledError(this.name);
    });
  }
}
