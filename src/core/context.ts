/**
 * The async context that carries the running code's frame — its innermost cancel scope
 * and its task — across awaits. One `AsyncLocalStorage.run` happens per task start and per
 * cancel scope entry; nothing else switches context.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { CancelScope } from "./cancel-scope.ts";

/** What identifies a task: the owner of locks and limiter tokens. Internal. */
export interface TaskIdentity {
  /** The task's name, for messages. */
  readonly name: string;
}

/**
 * What the async context holds: the innermost cancel scope of the running code and the
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

/** The storage behind `currentFrame()`. Internal. */
export const frameStorage: AsyncLocalStorage<Frame> = new AsyncLocalStorage<Frame>();
