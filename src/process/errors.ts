/**
 * {@linkcode CalledProcessError}: what `runProcess` throws for a child that failed.
 *
 * @module
 */

/** How much of the child's standard error the message shows. */
const TAIL_LINES = 10;
const TAIL_CHARS = 2_000;

function describeCommand(args: string | readonly string[]): string {
  return typeof args === "string" ? JSON.stringify(args) : `[${args.map((arg) => JSON.stringify(arg)).join(", ")}]`;
}

/** The last lines of `stderr`, for the message ("" when there is none). */
function stderrTail(stderr: Uint8Array | string | null): string {
  if (stderr === null || stderr.length === 0) return "";
  let text = typeof stderr === "string"
    ? stderr.slice(-TAIL_CHARS * 4)
    : new TextDecoder().decode(stderr.subarray(Math.max(0, stderr.length - TAIL_CHARS * 4)));
  text = text.replace(/\s+$/, "");
  if (text === "") return "";
  let lines = text.split("\n");
  let cut = false;
  if (lines.length > TAIL_LINES) {
    lines = lines.slice(-TAIL_LINES);
    cut = true;
  }
  let tail = lines.join("\n");
  if (tail.length > TAIL_CHARS) {
    tail = tail.slice(-TAIL_CHARS);
    cut = true;
  }
  return `\nstderr${cut ? " (last lines)" : ""}:\n${cut ? "…" : ""}${tail}`;
}

/**
 * A child run by `runProcess` (with `check`, the default) ended with a non-zero
 * returncode. It carries what `runProcess` would have returned: `args` (the command as
 * given), `returncode` (minus the signal number if a signal killed it), and the captured
 * `stdout` and `stderr` (bytes, strings with `text: true`, `null` when not captured). The
 * message shows the command, how it ended and the last lines of its standard error.
 *
 * @example
 * ```ts
 * import { CalledProcessError, runProcess } from "@anyts/anyts";
 * try {
 *   await runProcess(["ls", "/no/such/dir"]);
 * } catch (error) {
 *   if (!(error instanceof CalledProcessError)) throw error;
 *   console.log(error.returncode, error.message);
 *   // 2 'command ["ls", "/no/such/dir"] exited with code 2\nstderr:\nls: cannot access …'
 * }
 * ```
 */
export class CalledProcessError extends Error {
  /** The command as it was given (a string ran through `/bin/sh -c`). */
  readonly args: string | readonly string[];
  /** Its exit code; minus the signal number if a signal killed it. */
  readonly returncode: number;
  /** Its captured standard output, or `null` when it was not captured. */
  readonly stdout: Uint8Array<ArrayBuffer> | string | null;
  /** Its captured standard error, or `null` when it was not captured. */
  readonly stderr: Uint8Array<ArrayBuffer> | string | null;

  /**
   * Creates the error.
   *
   * @param args the command as given
   * @param returncode its exit code (negative: killed by that signal)
   * @param stdout captured standard output
   * @param stderr captured standard error
   * @param signalName the name of the signal that killed it, for the message
   */
  constructor(
    args: string | readonly string[],
    returncode: number,
    stdout: Uint8Array<ArrayBuffer> | string | null = null,
    stderr: Uint8Array<ArrayBuffer> | string | null = null,
    signalName?: string,
  ) {
    const how = returncode < 0
      ? `was killed by ${signalName ?? `signal ${-returncode}`}`
      : `exited with code ${returncode}`;
    super(`command ${describeCommand(args)} ${how}${stderrTail(stderr)}`);
    this.name = "CalledProcessError";
    this.args = args;
    this.returncode = returncode;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}
