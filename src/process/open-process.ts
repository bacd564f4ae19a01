/**
 * {@linkcode openProcess}: validates a command and its options, spawns the child on the
 * current backend and wraps it in a {@linkcode Process}.
 *
 * @module
 */
import { loadBackend, type RawProcess, type RawStdio, type SpawnOptions } from "../backend/index.ts";
import { currentScope } from "../core/cancel-scope.ts";
import { Cancelled } from "../core/errors.ts";
import { checkOptions, describeType } from "../core/options.ts";
import { checkpointIfCancelled, validateDuration } from "../core/time.ts";
import type { AsyncFile } from "../fs/async-file.ts";
import { type SignalName, validateSignalName } from "../signals/names.ts";
import { checkStdioFile, isAsyncFile, prepareStdioFiles, type StdioFiles, type StdioName } from "./file-stdio.ts";
import { Process } from "./process.ts";

/**
 * What a child's standard stream is connected to: a new pipe (`"pipe"`, the default: the
 * parent reads or writes it through `process.stdin`/`stdout`/`stderr`), the parent's own
 * stream (`"inherit"`), `/dev/null` (`"ignore"`), or an open {@linkcode AsyncFile}
 * (binary or text mode), which the child reads or writes from the file's position.
 *
 * With a file, its write buffer is written out and its read-ahead dropped before the
 * spawn, so the child starts at the file's position. On Node and Bun (Linux) the child
 * inherits the file's descriptor, and afterwards the file's position is where the child
 * left the shared offset; where that cannot be done (Deno, whose `Deno.Command` takes no
 * descriptor, or a file read ahead or seeked, whose offset node:fs cannot move back) the
 * child gets a pipe that the parent pumps to or from the file, and the position moves by
 * what was pumped. Either way `wait()` returns only once the child's output is in the
 * file. The file stays open: don't use it while the child runs.
 *
 * @example
 * ```ts
 * import { openFile, openProcess, type ProcessStdio } from "@anyts/anyts";
 * const stdio: ProcessStdio = "inherit";
 * await using log = await openFile("/tmp/anyts-example.log", "w");
 * await using child = await openProcess(["echo", "hi"], { stdin: stdio, stdout: log });
 * await child.wait(); // the file holds "hi\n"
 * ```
 */
export type ProcessStdio = "pipe" | "inherit" | "ignore" | AsyncFile<string> | AsyncFile<Uint8Array>;

/**
 * Options of {@linkcode openProcess}.
 *
 * @example
 * ```ts
 * import { openFile, openProcess, type ProcessOptions } from "@anyts/anyts";
 * const options: ProcessOptions = { cwd: "/tmp", env: { LC_ALL: "C" }, stderr: "stdout" };
 * await using child = await openProcess(["ls", "-l"], options);
 * await using input = await openFile("/etc/hostname", "rb");
 * await using sorted = await openProcess(["sort"], { stdin: input, stdout: "inherit" });
 * ```
 */
export interface ProcessOptions {
  /** The child's standard input (a file: opened for reading); default `"pipe"`. */
  stdin?: ProcessStdio;
  /** The child's standard output (a file: opened for writing); default `"pipe"`. */
  stdout?: ProcessStdio;
  /**
   * The child's standard error; default `"pipe"`. `"stdout"` sends it wherever stdout
   * goes, in order (one pipe: `process.stderr` is then `null`). The same file as `stdout`
   * also keeps the two in order.
   */
  stderr?: ProcessStdio | "stdout";
  /** The child's working directory (a path or a `file:` URL); default: the parent's. */
  cwd?: string | URL;
  /**
   * Environment variables set for the child, over the parent's environment (or over an
   * empty one with `clearEnv`); a variable set to `undefined` is removed.
   */
  env?: Record<string, string | undefined>;
  /** Start from an empty environment instead of the parent's; default `false`. */
  clearEnv?: boolean;
  /**
   * The child leads a new process group (and session), and every signal, including the
   * one of cancellation, goes to the whole group, so no grandchild outlives the scope.
   * Default `false`.
   */
  processGroup?: boolean;
  /** The signal that cancellation sends first; default `"SIGTERM"`. */
  killSignal?: SignalName;
  /**
   * Milliseconds that cancellation waits after `killSignal` before it sends SIGKILL;
   * default 5000. `Infinity`: never SIGKILL.
   */
  forceKillAfter?: number;
}

/** The keys of {@linkcode ProcessOptions}. */
export const PROCESS_OPTION_KEYS: readonly (keyof ProcessOptions)[] = [
  "stdin",
  "stdout",
  "stderr",
  "cwd",
  "env",
  "clearEnv",
  "processGroup",
  "killSignal",
  "forceKillAfter",
];

const STDIO: readonly string[] = ["pipe", "inherit", "ignore"];

function validateStdio<T extends string = never>(
  value: unknown,
  name: StdioName,
  where: string,
  files: StdioFiles,
  extra?: T,
): RawStdio | T {
  if (value === undefined) return "pipe";
  if (typeof value === "string" && (STDIO.includes(value) || value === extra)) return value as RawStdio | T;
  if (isAsyncFile(value)) {
    checkStdioFile(value, name, where);
    files[name] = value;
    return "pipe"; // replaced by a descriptor or a pumped pipe at the spawn (file-stdio.ts)
  }
  const choices = [...STDIO, ...(extra === undefined ? [] : [extra])].map((choice) => `"${choice}"`).join(", ");
  throw new TypeError(
    `${where}: ${name} must be one of ${choices} or an open AsyncFile, got ${
      typeof value === "string" ? JSON.stringify(value) : describeType(value)
    }`,
  );
}

function checkNoNul(value: string, name: string, where: string): void {
  if (value.includes("\0")) throw new TypeError(`${where}: ${name} must not contain a NUL character`);
}

/** @internal The argv of `command`: an array as given, a string as `/bin/sh -c command`. */
export function commandArgv(command: unknown, where: string): string[] {
  if (typeof command === "string") {
    if (command.trim() === "") throw new TypeError(`${where}: command must not be empty`);
    checkNoNul(command, "command", where);
    return ["/bin/sh", "-c", command];
  }
  if (!Array.isArray(command)) {
    throw new TypeError(`${where}: command must be a string or an array of strings, got ${describeType(command)}`);
  }
  if (command.length === 0) throw new TypeError(`${where}: command must not be an empty array`);
  const argv: string[] = [];
  for (let i = 0; i < command.length; i++) {
    const arg: unknown = command[i];
    if (typeof arg !== "string") throw new TypeError(`${where}: command[${i}] must be a string, got ${describeType(arg)}`);
    checkNoNul(arg, `command[${i}]`, where);
    argv.push(arg);
  }
  if (argv[0] === "") throw new TypeError(`${where}: command[0] (the executable) must not be empty`);
  return argv;
}

function validateCwd(cwd: unknown, where: string): string | undefined {
  if (cwd === undefined) return undefined;
  if (cwd instanceof URL) {
    if (cwd.protocol !== "file:") throw new TypeError(`${where}: cwd must be a path or a file: URL, got ${cwd.protocol} URL`);
    cwd = decodeURIComponent(cwd.pathname);
  }
  if (typeof cwd !== "string") throw new TypeError(`${where}: cwd must be a string or a URL, got ${describeType(cwd)}`);
  if (cwd === "") throw new TypeError(`${where}: cwd must not be empty`);
  checkNoNul(cwd as string, "cwd", where);
  return cwd as string;
}

function validateEnv(env: unknown, where: string): Record<string, string | undefined> | undefined {
  if (env === undefined) return undefined;
  if (typeof env !== "object" || env === null || Array.isArray(env)) {
    throw new TypeError(`${where}: env must be an object of strings, got ${describeType(env)}`);
  }
  const copy: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key === "" || key.includes("=") || key.includes("\0")) {
      throw new TypeError(`${where}: env has an invalid variable name ${JSON.stringify(key)}`);
    }
    if (value !== undefined && typeof value !== "string") {
      throw new TypeError(`${where}: env.${key} must be a string (or undefined to remove it), got ${describeType(value)}`);
    }
    if (value !== undefined) checkNoNul(value, `env.${key}`, where);
    copy[key] = value;
  }
  return copy;
}

function validateBoolean(value: unknown, name: string, where: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new TypeError(`${where}: ${name} must be a boolean, got ${describeType(value)}`);
  return value;
}

/** @internal A validated command and options, ready for the backend. */
export interface ProcessRequest {
  readonly args: string | readonly string[];
  readonly spawn: SpawnOptions;
  /** The `AsyncFile`s given as standard streams (their places in `spawn` say `"pipe"`). */
  readonly files: StdioFiles;
  readonly killSignal: SignalName;
  readonly forceKillAfter: number;
}

/** @internal Validates `command` and `options` (already checked for unknown keys). */
export function processRequest(command: unknown, options: ProcessOptions, where: string): ProcessRequest {
  const argv = commandArgv(command, where);
  const killSignal = options.killSignal === undefined ? "SIGTERM" : validateSignalName(options.killSignal, `${where}: killSignal`);
  const forceKillAfter = options.forceKillAfter ?? 5_000;
  try {
    validateDuration(forceKillAfter, "forceKillAfter");
  } catch (error) {
    const ErrorClass = error instanceof RangeError ? RangeError : TypeError;
    throw new ErrorClass(`${where}: ${(error as Error).message}`);
  }
  const files: StdioFiles = {};
  return {
    args: typeof command === "string" ? command : [...argv],
    files,
    spawn: {
      argv,
      cwd: validateCwd(options.cwd, where),
      env: validateEnv(options.env, where),
      clearEnv: validateBoolean(options.clearEnv, "clearEnv", where),
      stdin: validateStdio<never>(options.stdin, "stdin", where, files),
      stdout: validateStdio<never>(options.stdout, "stdout", where, files),
      stderr: validateStdio(options.stderr, "stderr", where, files, "stdout"),
      processGroup: validateBoolean(options.processGroup, "processGroup", where),
    },
    killSignal,
    forceKillAfter,
  };
}

/** @internal Spawns a validated request in the current scope (see {@linkcode openProcess}). */
export async function spawnProcess(request: ProcessRequest): Promise<Process> {
  checkpointIfCancelled();
  const scope = currentScope();
  // The real backend (outside any run, the scope's may be the provisional one).
  const backend = await loadBackend(scope._backend.name);
  if (backend.signals.signalNumber(request.killSignal) === undefined) {
    throw new TypeError(`killSignal ${request.killSignal} does not exist on this platform`);
  }
  let spawnOptions = request.spawn;
  let wrap: ((raw: RawProcess) => RawProcess) | undefined;
  if (request.files.stdin !== undefined || request.files.stdout !== undefined || request.files.stderr !== undefined) {
    const prepared = await prepareStdioFiles(request.spawn, request.files, backend.process);
    checkpointIfCancelled();
    spawnOptions = prepared.options;
    wrap = prepared.wrap;
  }
  const spawned = await backend.process.spawn(spawnOptions);
  const raw = wrap === undefined ? spawned : wrap(spawned);
  const process = new Process(raw, {
    args: request.args,
    killSignal: request.killSignal,
    forceKillAfter: request.forceKillAfter,
    processGroup: request.spawn.processGroup,
    signals: backend.signals,
  });
  // Spawning cannot be interrupted: a caller cancelled meanwhile gets no child left behind.
  const source = scope._cancelledBy();
  if (source !== undefined) {
    await process.stdin?.aclose();
    await process._terminateAndReap();
    await process.stdout?.aclose();
    await process.stderr?.aclose();
    throw new Cancelled(source._cancelReason);
  }
  return process;
}

/**
 * Starts a child process and returns it running (see {@linkcode Process}).
 *
 * - An array `command` is executed directly (the first element is the executable,
 *   searched in `PATH` when it has no slash); only a string goes through the shell,
 *   `/bin/sh -c command`.
 * - `stdin`, `stdout`, `stderr`: `"pipe"` (default), `"inherit"`, `"ignore"` or an open
 *   `AsyncFile` (see {@linkcode ProcessStdio}); `stderr: "stdout"` merges the child's
 *   standard error into its standard output, in order.
 * - `cwd`, `env` (merged over the parent's unless `clearEnv`), `processGroup`,
 *   `killSignal` (default `"SIGTERM"`) and `forceKillAfter` (default 5000 ms): see
 *   {@linkcode ProcessOptions}.
 * - Errors: a TypeError or RangeError naming the bad argument (an empty command, a
 *   non-string argument, `input` with `stdin`, an unknown signal, an unknown option, a
 *   file not open for reading as stdin or for writing as stdout); a closed file is a
 *   `ClosedResourceError` naming the option; an
 *   OS error with `code` `"ENOENT"` naming the executable when it is not found, or naming
 *   the directory when `cwd` does not exist, and `"EACCES"` for a file that is not
 *   executable. No process is left behind by a failed or cancelled call.
 *
 * @example
 * ```ts
 * import { openProcess } from "@anyts/anyts";
 * await using child = await openProcess(["cat"]);
 * await child.stdin!.send(new TextEncoder().encode("hello"));
 * await child.stdin!.sendEof();
 * for await (const chunk of child.stdout!) console.log(new TextDecoder().decode(chunk)); // "hello"
 * console.log(await child.wait()); // 0
 * ```
 */
export function openProcess(command: string | readonly string[], options?: ProcessOptions): Promise<Process> {
  let request: ProcessRequest;
  try {
    request = processRequest(command, checkOptions(options, PROCESS_OPTION_KEYS, "openProcess"), "openProcess");
  } catch (error) {
    return Promise.reject(error);
  }
  return spawnProcess(request);
}
