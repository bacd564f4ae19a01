/**
 * The async context that carries the current cancel scope (and through it, the current
 * task and backend) across awaits. One `AsyncLocalStorage.run` happens per task start and
 * per cancel scope entry; nothing else switches context.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { CancelScope } from "./cancel-scope.ts";

/** The storage behind {@linkcode currentScope}. Internal. */
export const scopeStorage: AsyncLocalStorage<CancelScope> = new AsyncLocalStorage<CancelScope>();

/** What identifies a task: the owner of locks and limiter tokens. Internal. */
export interface TaskIdentity {
  /** The task's name, for messages. */
  readonly name: string;
}
