/**
 * {@linkcode runProcess}: run a command to completion, feeding its input and capturing
 * its output concurrently.
 *
 * @module
 */
import { BrokenResourceError, EndOfStream, TaskGroupError } from "../core/errors.ts";
import { checkOptions, describeType } from "../core/options.ts";
import { taskGroup } from "../core/task-group.ts";
import { describeSignalNumber } from "../signals/names.ts";
import { CalledProcessError } from "./errors.ts";
import { PROCESS_OPTION_KEYS, type ProcessOptions, processRequest, spawnProcess } from "./open-process.ts";
import type { ProcessReceiveStream, ProcessSendStream } from "./pipe-streams.ts";
import type { Process } from "./process.ts";

/**
 * Options of {@linkcode runProcess}: those of {@linkcode openProcess}, and what to feed
 * and how to capture. `stdin` defaults to `"ignore"` (the child reads end of file) unless
 * `input` is given; `stdout` and `stderr` default to `"pipe"` (captured).
 *
 * @example
 * ```ts
 * import { runProcess, type RunProcessOptions } from "@anyts/anyts";
 * const options: RunProcessOptions = { input: "b\na\n", text: true, check: true };
 * console.log((await runProcess(["sort"], options)).stdout); // "a\nb\n"
 * ```
 */
export interface RunProcessOptions extends ProcessOptions {
  /** Bytes or a string (UTF-8) written to the child's stdin, which is then closed. Not with `stdin`. */
  input?: Uint8Array | string;
  /** Throw {@linkcode CalledProcessError} when the returncode is not 0; default `true`. */
  check?: boolean;
  /** Decode stdout and stderr as UTF-8 strings; default `false` (bytes). */
  text?: boolean;
  /**
   * The most bytes captured from stdout, and from stderr; more kills the child and throws a
   * RangeError. Default 100 MiB; `Infinity` for no limit.
   */
  maxBuffer?: number;
}

/**
 * What {@linkcode runProcess} resolves to: the command as given, its returncode (minus
 * the signal number if a signal killed it), and its captured output (`null` for a stream
 * that was not captured: `"inherit"`, `"ignore"`, an `AsyncFile`, or stderr merged into
 * stdout).
 *
 * @example
 * ```ts
 * import { type CompletedProcess, runProcess } from "@anyts/anyts";
 * const result: CompletedProcess<string> = await runProcess(["echo", "hi"], { text: true });
 * console.log(result.returncode, result.stdout); // 0 "hi\n"
 * ```
 */
export interface CompletedProcess<T> {
  /** The command as it was given. */
  readonly args: string | readonly string[];
  /** The exit code, or minus the number of the signal that killed the child. */
  readonly returncode: number;
  /** The captured standard output. */
  readonly stdout: T | null;
  /** The captured standard error. */
  readonly stderr: T | null;
}

const RUN_OPTION_KEYS: readonly (keyof RunProcessOptions)[] = [...PROCESS_OPTION_KEYS, "input", "check", "text", "maxBuffer"];
const DEFAULT_MAX_BUFFER = 100 * 1024 * 1024;

/**
 * Runs a command to completion (see {@linkcode openProcess} for `command` and the
 * process options) and resolves to a {@linkcode CompletedProcess}.
 *
 * - `input` is written to the child's stdin, then closed, while stdout and stderr are
 *   read; all three run concurrently, so a child that fills both output pipes before it
 *   reads its input never deadlocks. A child that exits without reading all of its input
 *   is not an error.
 * - `check` (default `true`): a non-zero returncode throws {@linkcode CalledProcessError}
 *   with the command, the returncode, the output and the tail of stderr in its message.
 * - `text`: stdout and stderr as UTF-8 strings instead of bytes.
 * - `maxBuffer` (default 100 MiB, per stream): more output terminates the child (as
 *   cancellation does) and throws a RangeError.
 * - Cancellation: the child gets `killSignal`, then SIGKILL after `forceKillAfter` ms, is
 *   reaped, and {@linkcode Cancelled} is raised.
 *
 * @example
 * ```ts
 * import { runProcess } from "@anyts/anyts";
 * const { stdout } = await runProcess(["tr", "a-z", "A-Z"], { input: "shout", text: true });
 * console.log(stdout); // "SHOUT"
 * ```
 */
export function runProcess(
  command: string | readonly string[],
  options: RunProcessOptions & { text: true },
): Promise<CompletedProcess<string>>;
/**
 * {@linkcode runProcess} capturing bytes (without `text: true`).
 *
 * @example
 * ```ts
 * import { runProcess } from "@anyts/anyts";
 * const { stdout } = await runProcess(["head", "-c", "4", "/dev/zero"]);
 * console.log(stdout); // Uint8Array(4) [0, 0, 0, 0]
 * ```
 */
export function runProcess(
  command: string | readonly string[],
  options?: RunProcessOptions & { text?: false },
): Promise<CompletedProcess<Uint8Array<ArrayBuffer>>>;
/**
 * {@linkcode runProcess} when whether `text` is set is known only at run time.
 *
 * @example
 * ```ts
 * import { runProcess } from "@anyts/anyts";
 * declare const asText: boolean;
 * const { stdout } = await runProcess(["echo", "hi"], { text: asText }); // string or bytes
 * ```
 */
export function runProcess(
  command: string | readonly string[],
  options?: RunProcessOptions,
): Promise<CompletedProcess<Uint8Array<ArrayBuffer> | string>>;
export function runProcess(
  command: string | readonly string[],
  options?: RunProcessOptions,
): Promise<CompletedProcess<Uint8Array<ArrayBuffer> | string>> {
  let run: () => Promise<CompletedProcess<Uint8Array<ArrayBuffer> | string>>;
  try {
    run = prepare(command, options);
  } catch (error) {
    return Promise.reject(error);
  }
  return run();
}

function prepare(
  command: string | readonly string[],
  options: RunProcessOptions | undefined,
): () => Promise<CompletedProcess<Uint8Array<ArrayBuffer> | string>> {
  const where = "runProcess";
  const { input, check = true, text = false, maxBuffer = DEFAULT_MAX_BUFFER, ...processOptions } = checkOptions(
    options,
    RUN_OPTION_KEYS,
    where,
  );
  let inputBytes: Uint8Array | undefined;
  if (input !== undefined) {
    if (typeof input === "string") inputBytes = new TextEncoder().encode(input);
    else if (input instanceof Uint8Array) inputBytes = input;
    else throw new TypeError(`${where}: input must be a Uint8Array or a string, got ${describeType(input)}`);
    if (processOptions.stdin !== undefined) {
      throw new TypeError(`${where}: input and stdin cannot both be given (input is written to a stdin pipe)`);
    }
  }
  if (typeof check !== "boolean") throw new TypeError(`${where}: check must be a boolean, got ${describeType(check)}`);
  if (typeof text !== "boolean") throw new TypeError(`${where}: text must be a boolean, got ${describeType(text)}`);
  if (typeof maxBuffer !== "number") throw new TypeError(`${where}: maxBuffer must be a number, got ${describeType(maxBuffer)}`);
  if (!(maxBuffer >= 0) || (!Number.isInteger(maxBuffer) && maxBuffer !== Infinity)) {
    throw new RangeError(`${where}: maxBuffer must be a non-negative integer or Infinity, got ${maxBuffer}`);
  }
  processOptions.stdin ??= inputBytes === undefined ? "ignore" : "pipe";
  const request = processRequest(command, processOptions, where);
  return async () => {
    const process = await spawnProcess(request);
    const [stdout, stderr] = await communicate(process, inputBytes, maxBuffer);
    const returncode = process.returncode!;
    const decode = (bytes: Uint8Array<ArrayBuffer> | null) => bytes === null || !text ? bytes : new TextDecoder().decode(bytes);
    const result = { args: process.args, returncode, stdout: decode(stdout), stderr: decode(stderr) };
    if (check && returncode !== 0) {
      const signal = returncode < 0 ? describeSignalNumber(-returncode, (name) => process._signalNumber(name)) : undefined;
      throw new CalledProcessError(result.args, returncode, result.stdout, result.stderr, signal);
    }
    return result;
  };
}

/** Feeds `input`, captures stdout and stderr and waits for the child, all at once. */
async function communicate(
  process: Process,
  input: Uint8Array | undefined,
  maxBuffer: number,
): Promise<[Uint8Array<ArrayBuffer> | null, Uint8Array<ArrayBuffer> | null]> {
  let stdout: Uint8Array<ArrayBuffer> | null = null;
  let stderr: Uint8Array<ArrayBuffer> | null = null;
  try {
    await taskGroup(async (tg) => {
      if (input !== undefined && process.stdin !== null) tg.startSoon(feed, process.stdin, input);
      if (process.stdout !== null) {
        const pipe = process.stdout;
        tg.startSoon(async () => (stdout = await capture(pipe, "stdout", maxBuffer)));
      }
      if (process.stderr !== null) {
        const pipe = process.stderr;
        tg.startSoon(async () => (stderr = await capture(pipe, "stderr", maxBuffer)));
      }
      // Cancelled (from outside, or by a failing capture): terminates and reaps the child.
      await process.wait();
    });
  } catch (error) {
    if (error instanceof TaskGroupError && error.errors.length === 1) throw error.errors[0];
    throw error;
  } finally {
    if (process.returncode === null) await process._terminateAndReap();
    await process.stdin?.aclose();
    await process.stdout?.aclose();
    await process.stderr?.aclose();
  }
  return [stdout, stderr];
}

async function feed(stdin: ProcessSendStream, input: Uint8Array): Promise<void> {
  try {
    await stdin.send(input);
    await stdin.sendEof();
  } catch (error) {
    // The child closed its stdin (or exited) before reading everything: not an error.
    if (!(error instanceof BrokenResourceError)) throw error;
    await stdin.aclose();
  }
}

async function capture(pipe: ProcessReceiveStream, what: string, maxBuffer: number): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: Uint8Array;
    try {
      chunk = await pipe.receive();
    } catch (error) {
      if (error instanceof EndOfStream) break;
      throw error;
    }
    total += chunk.length;
    if (total > maxBuffer) {
      throw new RangeError(`runProcess: the child's ${what} exceeded maxBuffer (${maxBuffer} bytes); the child was terminated`);
    }
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array<ArrayBuffer>;
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}
