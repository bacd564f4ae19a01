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
  const errorClass = Error as { stackTraceLimit?: number };
  const limit = errorClass.stackTraceLimit;
  errorClass.stackTraceLimit = 0;
  try {
    return new Cancelled(reason);
  } finally {
    errorClass.stackTraceLimit = limit;
  }
}

/**
 * Thrown by {@linkcode failAfter} and {@linkcode failAt} when the deadline passes.
 *
 * @example
 * ```ts
 * import { failAfter, sleep, TimeoutError } from "@anyts/anyts";
 *
 * try {
 *   await failAfter(10, () => sleep(1_000));
 * } catch (error) {
 *   console.log(error instanceof TimeoutError); // true
 * }
 * ```
 */
export class TimeoutError extends Error {
  /**
   * Creates the error.
   * @param message what timed out
   */
  constructor(message = "deadline exceeded") {
    super(message);
    this.name = "TimeoutError";
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
 * The resource was closed by this side and cannot be used any more.
 *
 * @example
 * ```ts
 * import { ClosedResourceError } from "@anyts/anyts";
 * console.log(new ClosedResourceError().name); // "ClosedResourceError"
 * ```
 */
export class ClosedResourceError extends Error {
  /**
   * Creates the error.
   * @param message details
   */
  constructor(message = "the resource is closed") {
    super(message);
    this.name = "ClosedResourceError";
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
 * A process run with `check: true` exited with a non-zero code.
 *
 * @example
 * ```ts
 * import { CalledProcessError } from "@anyts/anyts";
 * const error = new CalledProcessError(["false"], 1);
 * console.log(error.returncode); // 1
 * ```
 */
export class CalledProcessError extends Error {
  /** The command that was run. */
  readonly cmd: string | readonly string[];
  /** Its exit code; minus the signal number if a signal killed it. */
  readonly returncode: number;
  /** Its captured standard output, if any. */
  readonly stdout: Uint8Array | undefined;
  /** Its captured standard error, if any. */
  readonly stderr: Uint8Array | undefined;
  /**
   * Creates the error.
   *
   * @param cmd the command
   * @param returncode its exit code (negative: killed by that signal)
   * @param stdout captured standard output
   * @param stderr captured standard error
   */
  constructor(
    cmd: string | readonly string[],
    returncode: number,
    stdout?: Uint8Array,
    stderr?: Uint8Array,
  ) {
    super(
      `command ${JSON.stringify(cmd)} ${
        returncode < 0 ? `was killed by signal ${-returncode}` : `exited with code ${returncode}`
      }`,
    );
    this.name = "CalledProcessError";
    this.cmd = cmd;
    this.returncode = returncode;
    this.stdout = stdout;
    this.stderr = stderr;
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
