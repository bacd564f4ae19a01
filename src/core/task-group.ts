/**
 * Task groups (Trio's nurseries): structured concurrency. A group's tasks cannot outlive
 * it, a failing task cancels its siblings, and no error is lost.
 *
 * @module
 */
import { CancelScope, currentFrame, isThenable } from "./cancel-scope.ts";
import { type Frame, frameStorage, type TaskIdentity } from "./context.ts";
import { Cancelled, TaskGroupError, withCallSite } from "./errors.ts";
import { finalizerFailure, NO_ERROR } from "./finalizers.ts";
import { checkOptions } from "./options.ts";
import { Task, TASK_CANCELLED, TASK_FAILED, TASK_FINISHED, type TaskHandle, type TaskOutcome } from "./task.ts";
import { beginUncancellableWait, endUncancellableWait } from "./wait.ts";

/**
 * What a task started with {@linkcode TaskGroup.start} calls once it is ready; the value
 * becomes the result of `start`.
 *
 * @example
 * ```ts
 * import { sleepForever, taskGroup, type TaskStatus } from "@anyts/anyts";
 * async function server(status: TaskStatus<number>) {
 *   status.started(8080);
 *   await sleepForever();
 * }
 * await taskGroup(async (tg) => {
 *   console.log(await tg.start(server)); // 8080
 *   tg.cancelScope.cancel();
 * });
 * ```
 */
export interface TaskStatus<T> {
  /** Signals that the task is ready; moves it from the caller of `start` into the group. */
  started(value?: T): void;
}

/**
 * The handle passed to the body of {@linkcode taskGroup}, for starting tasks in it.
 *
 * @example
 * ```ts
 * import { sleep, taskGroup } from "@anyts/anyts";
 * await taskGroup(async (tg) => {
 *   tg.startSoon(sleep, 10);
 *   tg.startSoon(sleep, 20);
 * }); // returns after 20 ms, when both tasks are done
 * ```
 */
export interface TaskGroup {
  /** The scope of the group: cancelling it cancels the body and every task. */
  readonly cancelScope: CancelScope;
  /**
   * Starts `fn(...args)` as a task of the group. It begins running after the caller's
   * current synchronous code, on the next microtask turn. Pass {@linkcode TaskOptions}
   * first to name the task: `tg.startSoon({ name: "worker 1" }, worker, 1)`.
   */
  startSoon<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void;
  /** {@linkcode TaskGroup.startSoon} with {@linkcode TaskOptions} (a name) first. */
  startSoon<A extends unknown[]>(options: TaskOptions, fn: (...args: A) => unknown, ...args: A): void;
  /**
   * Starts `fn(status)` and waits until it calls `status.started(value)`; resolves to
   * that value. Until then the task runs in the caller's scope and its errors go to the
   * caller; after it, the task belongs to the group. Returning without calling `started()`
   * is an error. If the caller's scope is cancelled when `started()` is called, the task
   * stays where it is (as in Trio): `start` waits for it to end and then resolves to the
   * value if it returned, or rethrows its `Cancelled` or error.
   */
  start<T = undefined>(fn: (status: TaskStatus<T>) => unknown): Promise<T>;
  /** {@linkcode TaskGroup.start} with {@linkcode TaskOptions} (a name) first. */
  start<T = undefined>(options: TaskOptions, fn: (status: TaskStatus<T>) => unknown): Promise<T>;
  /** Starts `fn(...args)` as a task and returns a handle to await or cancel it. */
  spawn<T, A extends unknown[]>(fn: (...args: A) => T | Promise<T>, ...args: A): TaskHandle<T>;
  /** {@linkcode TaskGroup.spawn} with {@linkcode TaskOptions} (a name) first. */
  spawn<T, A extends unknown[]>(options: TaskOptions, fn: (...args: A) => T | Promise<T>, ...args: A): TaskHandle<T>;
}

/**
 * Options of a task, passed before the function to {@linkcode TaskGroup.startSoon},
 * {@linkcode TaskGroup.start} and {@linkcode TaskGroup.spawn} (AnyIO's `name=` keyword;
 * a TypeScript rest parameter cannot be followed by options, so they come first).
 *
 * @example
 * ```ts
 * import { getCurrentTask, taskGroup } from "@anyts/anyts";
 * await taskGroup(async (tg) => {
 *   tg.startSoon({ name: "fetch user 7" }, async (id: number) => {
 *     console.log(getCurrentTask().name, id); // "fetch user 7" 7
 *   }, 7);
 * });
 * ```
 */
export interface TaskOptions {
  /** The task's name in TaskInfo, TaskHandle.name, formatTaskTree and error messages. */
  name?: string;
}

const resolved: Promise<void> = Promise.resolve();
const TASK_OPTIONS: readonly (keyof TaskOptions)[] = ["name"];

/** Splits `(options?, fn, ...args)` into the name, the function and the arguments. */
function taskCall(method: string, first: unknown, rest: unknown[]): [string | undefined, unknown, unknown[]] {
  if (typeof first === "function" || first === null || typeof first !== "object") return [undefined, first, rest];
  const options = checkOptions(first as TaskOptions, TASK_OPTIONS, method);
  const name = options.name;
  if (name !== undefined && typeof name !== "string") {
    throw new TypeError(`${method}: name must be a string, got ${typeof name}`);
  }
  return [name, rest[0], rest.slice(1)];
}

/** @ignore The implementation of TaskGroup. Internal (formatTaskTree reads it). */
export class TaskGroupImpl implements TaskGroup {
  readonly cancelScope: CancelScope;
  /** @ignore The task that entered the group (its body runs in it). */
  readonly _host: TaskIdentity;
  /** @ignore Tasks started and not yet finished. */
  _pending = 0;
  /** @ignore */
  _closed = false;
  /** @ignore */
  _errors: unknown[] = [];
  /** @ignore */
  _onIdle: (() => void) | undefined = undefined;
  /** @ignore Tasks waiting for their first turn; one microtask starts them all, in order. */
  _queue: Array<Task<unknown>> = [];
  /** @ignore The live tasks, a linked list in start order. */
  _firstTask: Task<unknown> | undefined = undefined;
  /** @ignore */
  _lastTask: Task<unknown> | undefined = undefined;

  constructor(scope: CancelScope, host: TaskIdentity) {
    this.cancelScope = scope;
    this._host = host;
    scope._group = this;
  }

  startSoon(first: unknown, ...rest: unknown[]): void {
    if (typeof first === "function") {
      this._launch(first as (...args: never[]) => unknown, rest, "startSoon", undefined, undefined, undefined);
      return;
    }
    const [name, fn, args] = taskCall("startSoon", first, rest);
    this._launch(fn as (...args: never[]) => unknown, args, "startSoon", undefined, undefined, name);
  }

  spawn(first: unknown, ...rest: unknown[]): TaskHandle<never> {
    const [name, fn, args] = typeof first === "function" ? [undefined, first, rest] : taskCall("spawn", first, rest);
    return this._launch(fn as (...args: never[]) => unknown, args, "spawn", this.cancelScope, undefined, name) as Task<never>;
  }

  start<T = undefined>(first: unknown, second?: unknown): Promise<T> {
    let name: string | undefined;
    let fn: unknown;
    try {
      [name, fn] = typeof first === "function" ? [undefined, first] : taskCall("start", first, [second]);
      this._check(fn, "start");
    } catch (error) {
      return Promise.reject(error);
    }
    const frame = currentFrame();
    const caller = frame._task;
    return new Promise<T>((resolve, reject) => {
      // The caller waits (blocked, for autojump and formatTaskTree) until started().
      const status = new StartStatus<T>(this, (value) => {
        endUncancellableWait(caller);
        resolve(value);
      }, (error) => {
        endUncancellableWait(caller);
        reject(error);
      });
      // Until started(), the task runs in the caller's scope.
      status._task = this._launch(fn as (...args: never[]) => unknown, [status], "start", frame, status as StartStatus<never>, name);
      beginUncancellableWait(caller, "TaskGroup.start");
    });
  }

  /** @ignore */
  _check(fn: unknown, method: string): void {
    if (typeof fn !== "function") {
      throw new TypeError(`${method}: the task must be a function, got ${fn === null ? "null" : typeof fn}`);
    }
    if (this._closed) {
      throw new Error(`${method}: this task group has exited; no task can be started in it`);
    }
  }

  /**
   * @ignore Creates a task and queues its start. With `parent`, the task gets a scope of
   * its own under that frame; without, it shares the group's scope.
   */
  _launch(
    fn: (...args: never[]) => unknown,
    args: unknown[],
    method: string,
    parent: Frame | undefined,
    starting: StartStatus<never> | undefined,
    name: string | undefined,
  ): Task<unknown> {
    this._check(fn, method);
    const taskName = name ?? (fn.name || "anonymous");
    const call = fn as (...args: unknown[]) => unknown;
    let task: Task<unknown>;
    if (parent === undefined) task = new Task(taskName, this.cancelScope, false, call, args, this, this._host);
    else {
      const scope = new CancelScope();
      scope._enter(parent);
      task = new Task(taskName, scope, true, call, args, this, this._host);
    }
    task._startStatus = starting;
    this._pending++;
    task._run._live++;
    const last = this._lastTask;
    task._prevInGroup = last;
    if (last === undefined) this._firstTask = task;
    else last._nextInGroup = task;
    this._lastTask = task;
    if (this._queue.push(task) === 1) resolved.then(this._startQueued);
    return task;
  }

  /** @ignore Starts every queued task, each in its own frame. */
  _startQueued = (): void => {
    const queue = this._queue;
    this._queue = [];
    for (let i = 0; i < queue.length; i++) frameStorage.run(queue[i]!, startTask, this, queue[i]!);
  };

  /** @ignore Records a failure (once per error object) and cancels the group. */
  _fail(error: unknown, culprit: string): void {
    if (!this._errors.includes(error)) this._errors.push(error);
    this.cancelScope.cancel(`${culprit} failed`);
  }

  /** @ignore */
  _taskDone(task: Task<unknown>, outcome: TaskOutcome, result: unknown): void {
    const prev = task._prevInGroup;
    const next = task._nextInGroup;
    if (prev === undefined) this._firstTask = next;
    else prev._nextInGroup = next;
    if (next === undefined) this._lastTask = prev;
    else next._prevInGroup = prev;
    task._prevInGroup = task._nextInGroup = undefined;
    task._settle(outcome, result);
    const starting = task._startStatus as StartStatus<never> | undefined;
    if (starting !== undefined && (!starting._started || starting._inPlace)) starting._ended(task, outcome, result);
    else if (outcome === TASK_FAILED) this._fail(result, `task ${task.name}`);
    if (--this._pending === 0 && this._onIdle !== undefined) this._onIdle();
    task._run._taskEnded(task);
  }
}

class StartStatus<T> implements TaskStatus<T> {
  /** @ignore */
  _started = false;
  /** @ignore Whether started() was called while the caller's scope was cancelled. */
  _inPlace = false;
  /** @ignore */
  _value: unknown = undefined;
  /** @ignore */
  _task: Task<unknown> | undefined = undefined;
  private readonly group: TaskGroupImpl;
  private readonly resolve: (value: T) => void;
  private readonly reject: (error: unknown) => void;

  constructor(group: TaskGroupImpl, resolve: (value: T) => void, reject: (error: unknown) => void) {
    this.group = group;
    this.resolve = resolve;
    this.reject = reject;
  }

  started(value?: T): void {
    const task = this._task!;
    if (this._started) throw new Error(`started() was already called for task ${task.name}`);
    if (task._outcome !== 0) throw new Error(`started() called after task ${task.name} returned`);
    if (this.group._closed) throw new Error("started(): the task group has exited");
    this._started = true;
    if (task._scope._cancelledBy() !== undefined) {
      // The caller's scope is cancelled: moving the task would take it out of that
      // cancellation (and a Cancelled in flight out of the scope that catches it). It stays
      // where it is, as in Trio; start() settles when it ends.
      this._inPlace = true;
      this._value = value;
      return;
    }
    task._scope._reparent(this.group.cancelScope);
    this.resolve(value as T);
  }

  /** @ignore The task ended while it still belonged to the caller of start(). */
  _ended(task: Task<unknown>, outcome: TaskOutcome, result: unknown): void {
    if (outcome === TASK_FINISHED) {
      if (this._inPlace) this.resolve(this._value as T);
      else this.reject(new Error(`task ${task.name} returned without calling status.started()`));
    } else this.reject(result); // a failure or a cancellation belongs to the caller of start()
  }
}

/** Runs in the task's frame: calls its function and watches the outcome. */
function startTask(group: TaskGroupImpl, task: Task<unknown>): void {
  const fn = task._fn!;
  const args = task._args!;
  task._fn = task._args = undefined;
  let value: unknown;
  try {
    value = fn(...args);
  } catch (error) {
    endTask(group, task, error, true);
    return;
  }
  if (isThenable(value)) {
    Promise.resolve(value).then(
      (result) => endTask(group, task, result, false),
      (error) => endTask(group, task, error, true),
    );
  } else endTask(group, task, value, false);
}

function endTask(group: TaskGroupImpl, task: Task<unknown>, result: unknown, failed: boolean): void {
  if (task._ownsScope && task._scope._finalizers !== undefined) {
    finalizeTask(group, task, result, failed);
    return;
  }
  // A Cancelled is the task's cancellation only if its scope really is cancelled.
  const outcome = !failed
    ? TASK_FINISHED
    : result instanceof Cancelled && task._scope._cancelledBy() !== undefined
    ? TASK_CANCELLED
    : TASK_FAILED;
  if (task._ownsScope) task._scope._exit();
  group._taskDone(task, outcome, result);
}

/**
 * The end of a task whose own scope (spawn, start) has finalizers: they run while the task
 * still counts as alive; a finalizer's error makes the task fail with it (see
 * `finalizerFailure`), so it reaches the group's TaskGroupError (or the caller of `start`).
 */
function finalizeTask(group: TaskGroupImpl, task: Task<unknown>, result: unknown, failed: boolean): void {
  task._scope._finalize().then((errors) => {
    if (errors.length === 0) endTask(group, task, result, failed);
    else endTask(group, task, finalizerFailure(failed ? result : NO_ERROR, errors), true);
  });
}

/**
 * Runs `fn` with a new {@linkcode TaskGroup} and returns its result once `fn` and every
 * task started in the group have finished.
 *
 * - A task (or the body) that fails cancels the group's scope: the body and the other
 *   tasks are cancelled at their next checkpoint.
 * - Every error other than cancellation, of the body and the tasks, is thrown together as
 *   {@linkcode TaskGroupError} (`errors` in the order they happened), even a single one.
 * - If the group's own scope was cancelled (`tg.cancelScope.cancel()`), the group catches
 *   that cancellation and resolves to `fn`'s result, or `undefined` if `fn` was
 *   interrupted. Cancellation from outside propagates as {@linkcode Cancelled} once every
 *   task has finished.
 * - Resources opened in the group's own scope (by the body or a `startSoon` task) and
 *   still open once every task has finished — a child process nobody waited for — are then
 *   cleaned up (a process is killed and reaped) before the group exits; an error of that
 *   cleanup joins the {@linkcode TaskGroupError}.
 *
 * @example
 * ```ts
 * import { sleep, taskGroup } from "@anyts/anyts";
 * const order: string[] = [];
 * await taskGroup(async (tg) => {
 *   tg.startSoon(async () => { await sleep(20); order.push("slow"); });
 *   tg.startSoon(async () => { await sleep(10); order.push("fast"); });
 * });
 * console.log(order); // ["fast", "slow"]
 * ```
 */
export async function taskGroup<T>(fn: (tg: TaskGroup) => Promise<T> | T): Promise<T> {
  if (typeof fn !== "function") throw new TypeError(`taskGroup: fn must be a function, got ${typeof fn}`);
  // Where the group was entered, for the stack of a TaskGroupError (formatted only then).
  const entry: { stack?: string } = {};
  captureStackTrace?.(entry, taskGroup);
  const frame = currentFrame();
  const scope = new CancelScope();
  scope._enter(frame);
  const group = new TaskGroupImpl(scope, frame._task);
  let result: T | undefined;
  let bodyCancelled: Cancelled | undefined;
  try {
    result = await frameStorage.run(scope, fn, group);
  } catch (error) {
    if (error instanceof Cancelled) bodyCancelled = error;
    else group._fail(error, "the task group's body");
  }
  if (group._pending !== 0) {
    const host = frame._task;
    beginUncancellableWait(host, "taskGroup (waiting for its tasks)");
    await new Promise<void>((resolve) => {
      group._onIdle = () => {
        endUncancellableWait(host);
        resolve();
      };
    });
  }
  group._closed = true;
  // Then what resources opened in the group's scope left to clean up (finalizers.ts).
  if (scope._finalizers !== undefined) {
    for (const error of await scope._finalize()) group._errors.push(error);
  }
  scope._exit();
  if (group._errors.length !== 0) throw withCallSite(new TaskGroupError(group._errors), entry.stack);
  if (bodyCancelled !== undefined) {
    if (scope._catches(bodyCancelled)) return undefined as T;
    throw bodyCancelled;
  }
  // Leaving the group is a checkpoint for cancellation from outside.
  const outer = scope._shield ? undefined : scope._parent!._cancelledBy();
  if (outer !== undefined) throw new Cancelled(outer._cancelReason);
  return result as T;
}

const captureStackTrace = (Error as { captureStackTrace?: (target: object, constructor?: unknown) => void })
  .captureStackTrace;
