/**
 * The error classes of anyts. Each extends `Error` and sets `name`, so they can be
 * told apart with `instanceof` or by name after crossing a realm or a worker.
 *
 * @module
 */

/**
 * Raised at a checkpoint when the task's effective cancel scope is cancelled.
 *
 * It is the cancellation signal, not a failure: let it propagate (or rethrow it after
 * cleaning up). The cancel scope that caused it catches it; code that swallows it breaks
 * cancellation.
 *
 * @example
 * ```ts
 * import { Cancelled, moveOnAfter, sleep } from "@anyts/anyts";
 *
 * await moveOnAfter(10, async () => {
 *   try {
 *     await sleep(1_000);
 *   } catch (error) {
 *     if (error instanceof Cancelled) console.log("cleaning up");
 *     throw error; // always rethrow
 *   }
 * });
 * ```
 */
export class Cancelled extends Error {
  /**
   * Creates the error.
   * @param reason why the scope was cancelled, when the canceller gave one
   */
  constructor(reason?: string) {
    super(reason === undefined ? "cancelled" : `cancelled: ${reason}`);
    this.name = "Cancelled";
  }
}

/**
 * @ignore A {@linkcode Cancelled} without a stack trace, for waits woken by a timer or a
 * `cancel()` call: their stack would show only anyts internals, and capturing it is most
 * of the cost of a timeout. `checkpoint()` keeps the stack of the code that checked.
 */
export function cancelledWithoutStack(reason: string | undefined): Cancelled {
  const errorClass = Error as { stackTraceLimit?: number | undefined };
  const limit = errorClass.stackTraceLimit;
  errorClass.stackTraceLimit = 0;
  try {
    return new Cancelled(reason);
  } finally {
    errorClass.stackTraceLimit = limit;
  }
}

/**
 * Thrown by {@linkcode failAfter} and {@linkcode failAt} when the deadline passes. The
 * message names the duration (`failAfter`) or the deadline (`failAt`), after the
 * `reason` if one was given; `timeout` and `deadline` hold them.
 *
 * @example
 * ```ts
 * import { failAfter, sleep, TimeoutError } from "@anyts/anyts";
 *
 * try {
 *   await failAfter(10, () => sleep(1_000), { reason: "fetching the config" });
 * } catch (error) {
 *   if (error instanceof TimeoutError) console.log(error.message); // "fetching the config: timed out after 10 ms"
 * }
 * ```
 */
export class TimeoutError extends Error {
  /** The duration of a `failAfter`, in milliseconds (`undefined` for `failAt`). */
  readonly timeout: number | undefined;
  /** The deadline that passed, on the `currentTime()` clock (`undefined` if not known). */
  readonly deadline: number | undefined;

  /**
   * Creates the error.
   * @param message what timed out
   * @param details the duration (`timeout`, ms) or the `deadline` that passed
   */
  constructor(message = "deadline exceeded", details?: { timeout?: number | undefined; deadline?: number | undefined }) {
    super(message);
    this.name = "TimeoutError";
    this.timeout = details?.timeout;
    this.deadline = details?.deadline;
  }
}

/**
 * Every error raised by the body and the children of a task group, in the order they
 * happened. Thrown even when there is only one, so that handling code has one shape.
 *
 * @example
 * ```ts
 * import { taskGroup, TaskGroupError } from "@anyts/anyts";
 *
 * try {
 *   await taskGroup(async (tg) => {
 *     tg.startSoon(async () => { throw new Error("a"); });
 *   });
 * } catch (error) {
 *   if (error instanceof TaskGroupError) console.log(error.errors.length); // 1
 * }
 * ```
 */
export class TaskGroupError extends AggregateError {
  /**
   * Creates the error.
   *
   * @param errors the errors, first to happen first
   * @param message a summary
   */
  constructor(errors: readonly unknown[], message?: string) {
    super(
      errors,
      message ??
        `${errors.length} error${errors.length === 1 ? "" : "s"} in task group: ` +
          errors.map(describeError).join("; "),
    );
    this.name = "TaskGroupError";
  }

  /**
   * The part of this group whose errors match `condition` (an error class, or a predicate
   * called with each error and each nested group), keeping the nesting of nested
   * `TaskGroupError`s, as Python's `ExceptionGroup.subgroup`; `undefined` if nothing
   * matches. A group that matches as a whole is returned itself.
   *
   * @example
   * ```ts
   * import { taskGroup, TaskGroupError, TimeoutError } from "@anyts/anyts";
   * try {
   *   await taskGroup(async (tg) => {
   *     tg.startSoon(async () => { throw new TimeoutError("slow"); });
   *   });
   * } catch (error) {
   *   if (!(error instanceof TaskGroupError)) throw error;
   *   const timeouts = error.subgroup(TimeoutError);
   *   console.log(timeouts?.errors.length); // 1
   * }
   * ```
   */
  subgroup(condition: ErrorCondition): TaskGroupError | undefined {
    return this.split(condition)[0];
  }

  /**
   * Splits this group in two, as Python's `ExceptionGroup.split`: `[match, rest]`, the
   * errors that match `condition` (an error class, or a predicate called with each error
   * and each nested group) and those that do not, each a `TaskGroupError` with the same
   * message, stack and cause and the same nesting, or `undefined` when empty.
   *
   * @example
   * ```ts
   * import { taskGroup, TaskGroupError, TimeoutError } from "@anyts/anyts";
   * try {
   *   await taskGroup(async (tg) => {
   *     tg.startSoon(async () => { throw new TimeoutError("slow"); });
   *     tg.startSoon(async () => { throw new RangeError("bad"); });
   *   });
   * } catch (error) {
   *   if (!(error instanceof TaskGroupError)) throw error;
   *   const [timeouts, rest] = error.split(TimeoutError);
   *   console.log(timeouts?.errors.length); // 1: handled here
   *   if (rest !== undefined) throw rest;   // the others propagate
   * }
   * ```
   */
  split(condition: ErrorCondition): [match: TaskGroupError | undefined, rest: TaskGroupError | undefined] {
    const test = toPredicate(condition);
    return splitGroup(this, test);
  }
}

/**
 * What {@linkcode TaskGroupError.split} and {@linkcode TaskGroupError.subgroup} match: an
 * error class (matched with `instanceof`) or a predicate.
 *
 * @example
 * ```ts
 * import type { ErrorCondition } from "@anyts/anyts";
 * const isNetwork: ErrorCondition = (error) => (error as { code?: string }).code === "ECONNRESET";
 * ```
 */
export type ErrorCondition =
  // deno-lint-ignore no-explicit-any
  | (abstract new (...args: any[]) => unknown)
  | ((error: unknown) => boolean);

function toPredicate(condition: ErrorCondition): (error: unknown) => boolean {
  if (typeof condition !== "function") {
    throw new TypeError(`condition must be an error class or a predicate, got ${condition === null ? "null" : typeof condition}`);
  }
  const prototype = (condition as { prototype?: unknown }).prototype;
  if (condition === Error || prototype instanceof Error) {
    return (error) => error instanceof (condition as abstract new () => unknown);
  }
  return condition as (error: unknown) => boolean;
}

function splitGroup(
  group: TaskGroupError,
  test: (error: unknown) => boolean,
): [TaskGroupError | undefined, TaskGroupError | undefined] {
  if (test(group)) return [group, undefined];
  const matching: unknown[] = [];
  const rest: unknown[] = [];
  for (const error of group.errors) {
    if (error instanceof TaskGroupError) {
      const [inner, outer] = splitGroup(error, test);
      if (inner !== undefined) matching.push(inner);
      if (outer !== undefined) rest.push(outer);
    } else if (test(error)) matching.push(error);
    else rest.push(error);
  }
  return [derive(group, matching), derive(group, rest)];
}

/** A group like `group` (message, stack, cause) holding `errors`; `undefined` if none. */
function derive(group: TaskGroupError, errors: unknown[]): TaskGroupError | undefined {
  if (errors.length === 0) return undefined;
  if (errors.length === group.errors.length && errors.every((error, i) => error === group.errors[i])) return group;
  const derived = new TaskGroupError(errors, group.message);
  if (group.stack !== undefined) derived.stack = group.stack;
  if (group.cause !== undefined) derived.cause = group.cause;
  return derived;
}

/**
 * @ignore Appends to `error`'s stack the frames of `callSite` (a stack captured where a
 * task group was entered), so that the stack names the user's code on every runtime, even
 * when no async stack trace leads there. Returns `error`.
 */
export function withCallSite<E extends Error>(error: E, callSite: string | undefined): E {
  if (callSite === undefined) return error;
  const frames = callSite.split("\n").filter((line) => /^\s+at /.test(line));
  if (frames.length === 0) return error;
  error.stack = `${error.stack ?? `${error.name}: ${error.message}`}\n    --- the task group was entered at ---\n${frames.join("\n")}`;
  return error;
}

/**
 * Thrown by awaiting a {@linkcode TaskHandle} whose task was cancelled while the awaiting
 * task itself was not. (Awaiting from a cancelled scope raises {@linkcode Cancelled}.)
 *
 * @example
 * ```ts
 * import { sleepForever, taskGroup, TaskCancelledError } from "@anyts/anyts";
 *
 * await taskGroup(async (tg) => {
 *   const handle = tg.spawn(sleepForever);
 *   handle.cancel();
 *   await Promise.resolve(handle).catch((e) => console.log(e instanceof TaskCancelledError));
 * });
 * ```
 */
export class TaskCancelledError extends Error {
  /**
   * Creates the error.
   * @param taskName the name of the cancelled task
   */
  constructor(taskName: string) {
    super(`task ${taskName} was cancelled`);
    this.name = "TaskCancelledError";
  }
}

/**
 * A `*Nowait` operation could not complete without waiting.
 *
 * @example
 * ```ts
 * import { WouldBlock } from "@anyts/anyts";
 * console.log(new WouldBlock().name); // "WouldBlock"
 * ```
 */
export class WouldBlock extends Error {
  /**
   * Creates the error.
   * @param message what would have blocked
   */
  constructor(message = "the operation would block") {
    super(message);
    this.name = "WouldBlock";
  }
}

/**
 * The other end of a stream was closed (or sent EOF): nothing more will arrive.
 * Receive streams' async iterators end on it instead of throwing.
 *
 * @example
 * ```ts
 * import { EndOfStream } from "@anyts/anyts";
 * console.log(new EndOfStream().name); // "EndOfStream"
 * ```
 */
export class EndOfStream extends Error {
  /**
   * Creates the error.
   * @param message details
   */
  constructor(message = "end of stream") {
    super(message);
    this.name = "EndOfStream";
  }
}

/**
 * The resource was closed by this side and cannot be used any more. The message names the
 * resource: `new ClosedResourceError("SocketStream")` says "SocketStream is closed", and a
 * detail, if given, follows it.
 *
 * @example
 * ```ts
 * import { ClosedResourceError } from "@anyts/anyts";
 * const error = new ClosedResourceError("MemoryObjectSendStream");
 * console.log(error.message, error.resource); // "MemoryObjectSendStream is closed" "MemoryObjectSendStream"
 * ```
 */
export class ClosedResourceError extends Error {
  /** The name of the resource that is closed (`"the resource"` when not given). */
  readonly resource: string;

  /**
   * Creates the error.
   * @param resource the name of the resource, e.g. `"SocketStream"`
   * @param detail what was attempted or why, appended to the message
   */
  constructor(resource = "the resource", detail?: string) {
    super(`${resource} is closed${detail === undefined ? "" : `: ${detail}`}`);
    this.name = "ClosedResourceError";
    this.resource = resource;
  }
}

/**
 * The resource broke because of something outside this side's control (the peer went
 * away, the connection was reset).
 *
 * @example
 * ```ts
 * import { BrokenResourceError } from "@anyts/anyts";
 * console.log(new BrokenResourceError().name); // "BrokenResourceError"
 * ```
 */
export class BrokenResourceError extends Error {
  /**
   * Creates the error.
   *
   * @param message details
   * @param options the underlying error as `cause`
   */
  constructor(message = "the resource is broken", options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokenResourceError";
  }
}

/**
 * Another task is already using the resource in a way that cannot be shared (two
 * concurrent receives on one socket, say).
 *
 * @example
 * ```ts
 * import { BusyResourceError } from "@anyts/anyts";
 * console.log(new BusyResourceError("receiving").message);
 * ```
 */
export class BusyResourceError extends Error {
  /**
   * Creates the error.
   * @param action what the other task is doing, such as "receiving"
   */
  constructor(action: string) {
    super(`another task is already ${action} on this resource`);
    this.name = "BusyResourceError";
  }
}

/**
 * The stream ended before the requested number of bytes arrived.
 *
 * @example
 * ```ts
 * import { IncompleteRead } from "@anyts/anyts";
 * console.log(new IncompleteRead().name); // "IncompleteRead"
 * ```
 */
export class IncompleteRead extends Error {
  /**
   * Creates the error.
   * @param message details
   */
  constructor(message = "the stream ended before the requested bytes arrived") {
    super(message);
    this.name = "IncompleteRead";
  }
}

/**
 * The delimiter was not found within the allowed number of bytes.
 *
 * @example
 * ```ts
 * import { DelimiterNotFound } from "@anyts/anyts";
 * console.log(new DelimiterNotFound(1024).message);
 * ```
 */
export class DelimiterNotFound extends Error {
  /**
   * Creates the error.
   * @param maxBytes the limit that was reached
   */
  constructor(maxBytes: number) {
    super(`the delimiter was not found within the first ${maxBytes} bytes`);
    this.name = "DelimiterNotFound";
  }
}

/**
 * A typed attribute was asked of a resource that does not have it, with no default.
 *
 * @example
 * ```ts
 * import { TypedAttributeLookupError } from "@anyts/anyts";
 * console.log(new TypedAttributeLookupError().name);
 * ```
 */
export class TypedAttributeLookupError extends Error {
  /**
   * Creates the error.
   * @param message details
   */
  constructor(message = "the attribute is not provided by this resource") {
    super(message);
    this.name = "TypedAttributeLookupError";
  }
}

/**
 * Connecting failed; `cause` holds every underlying error (an `AggregateError` when
 * several addresses were tried).
 *
 * @example
 * ```ts
 * import { ConnectionFailed } from "@anyts/anyts";
 * const error = new ConnectionFailed("example.com", 80, [new Error("refused")]);
 * console.log(error.errors.length); // 1
 * ```
 */
export class ConnectionFailed extends Error {
  /** Every error of every attempt, in the order they happened. */
  readonly errors: readonly unknown[];
  /**
   * Creates the error.
   *
   * @param host the host that was being connected to
   * @param port the port
   * @param errors every underlying error
   */
  constructor(host: string, port: number, errors: readonly unknown[]) {
    super(
      `could not connect to ${host}:${port}: ` + errors.map(describeError).join("; "),
      { cause: errors.length === 1 ? errors[0] : new AggregateError(errors) },
    );
    this.name = "ConnectionFailed";
    this.errors = errors;
  }
}

/**
 * A worker thread died (crashed, or was terminated) while running a call.
 *
 * @example
 * ```ts
 * import { BrokenWorkerError } from "@anyts/anyts";
 * console.log(new BrokenWorkerError().name);
 * ```
 */
export class BrokenWorkerError extends Error {
  /**
   * Creates the error.
   *
   * @param message details
   * @param options the underlying error as `cause`
   */
  constructor(message = "the worker died", options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokenWorkerError";
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
