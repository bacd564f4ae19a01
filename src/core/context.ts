/**
 * The async context that carries the running code's frame — its innermost cancel scope
 * and its task — across awaits. One `AsyncLocalStorage.run` happens per task start and per
 * cancel scope entry; nothing else switches context.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { CancelScope } from "./cancel-scope.ts";
import type { RunState } from "./run-state.ts";

/**
 * What {@linkcode getCurrentTask} and {@linkcode getRunningTasks} report about a task
 * (AnyIO's `TaskInfo`). The object is the task's own record: the same object for the whole
 * life of the task, so it can be compared with `===` (locks report their owner as one).
 *
 * @example
 * ```ts
 * import { getCurrentTask, type TaskInfo } from "@anyts/anyts";
 * const info: TaskInfo = getCurrentTask();
 * console.log(info.id, info.name, info.parentId);
 * ```
 */
export interface TaskInfo {
  /** A number unique to the task in this process. */
  readonly id: number;
  /** The name given with the `name` option, else the function's name, else `"anonymous"`. */
  readonly name: string;
  /** The id of the task hosting the task group the task runs in; `undefined` for a root. */
  readonly parentId: number | undefined;
}

/** @ignore What identifies a task inside anyts: the owner of locks and limiter tokens. Internal. */
export interface TaskIdentity extends TaskInfo {
  /** @ignore The run the task belongs to. */
  readonly _run: RunState;
  /** @ignore How many anyts waits the task is blocked in (usually 0 or 1). */
  _waits: number;
  /** @ignore What the task last blocked in (shown by formatTaskTree while `_waits > 0`). */
  _blockedIn: string;
  /** @ignore Whether the task has ended (waits left behind in its context count no more). */
  _done: boolean;
}

/**
 * @internal What the async context holds: the innermost cancel scope of the running code and the
 * task it belongs to. A cancel scope is the frame of the code inside it; a task started
 * with `startSoon` is a frame of its own that shares its group's scope (it has no handle
 * to be cancelled by, so it needs no scope of its own). Internal.
 */
export interface Frame {
  /** The innermost cancel scope. */
  readonly _scope: CancelScope;
  /** The task running the code. */
  readonly _task: TaskIdentity;
}

/** @internal The storage behind `currentFrame()` (left out of the published types, which need no node:async_hooks). */
export const frameStorage: AsyncLocalStorage<Frame> = new AsyncLocalStorage<Frame>();

let lastTaskId = 0;

/** @ignore A new task id, unique in the process. Internal. */
export function nextTaskId(): number {
  return ++lastTaskId;
}
