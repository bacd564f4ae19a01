/**
 * What every listener's `serve` shares: its arguments (`serve(handler, taskGroup?,
 * options?)`, the options also in place of the task group) and the life of one
 * connection's handler.
 *
 * @module
 */
import { Cancelled } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import type { TaskGroup } from "../core/task-group.ts";
import type { ServeOptions } from "./types.ts";

/**
 * @internal The task group and options of `serve(handler, taskGroup?, options?)`, where
 * the options may also come second; checked (TypeError naming what is wrong).
 */
export function serveArguments(
  taskGroup: TaskGroup | ServeOptions | undefined,
  options: ServeOptions | undefined,
): { group: TaskGroup | undefined; options: ServeOptions | undefined } {
  let group: TaskGroup | undefined;
  if (taskGroup !== undefined && typeof (taskGroup as { startSoon?: unknown }).startSoon !== "function") {
    if (options !== undefined) throw new TypeError("serve: taskGroup must be a TaskGroup when options are given too");
    options = taskGroup as ServeOptions;
  } else group = taskGroup as TaskGroup | undefined;
  checkOptions(options, ["onHandlerError"], "serve");
  const report = options?.onHandlerError;
  if (report !== undefined && typeof report !== "function") {
    throw new TypeError(`serve: onHandlerError must be a function, got ${report === null ? "null" : typeof report}`);
  }
  return { group, options };
}

/**
 * @internal Runs a connection handler and closes the connection when it returns or fails.
 * The failure goes to the task group (as AnyIO's serve does), or to `onHandlerError` when
 * given (the server goes on). Cancellation always propagates.
 */
export async function handleConnection<T extends { aclose(): Promise<void> }>(
  handler: (connection: T) => unknown,
  connection: T,
  onHandlerError?: (error: unknown) => void,
): Promise<void> {
  try {
    await handler(connection);
  } catch (error) {
    if (onHandlerError === undefined || error instanceof Cancelled) throw error;
    try {
      onHandlerError(error);
    } catch {
      // A reporter must not take the server down.
    }
  } finally {
    await connection.aclose();
  }
}
