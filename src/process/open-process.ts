/**
 * {@linkcode openProcess}: validates a command and its options, spawns the child on the
 * current backend and wraps it in a {@linkcode Process}.
 *
 * @module
 */
import { loadBackend, type RawStdio, type SpawnOptions } from "../backend/index.ts";
import { currentScope } from "../core/cancel-scope.ts";
import { Cancelled } from "../core/errors.ts";
import { checkOptions, describeType } from "../core/options.ts";
import { checkpointIfCancelled, validateDuration } from "../core/time.ts";
import { type SignalName, validateSignalName } from "../signals/names.ts";
import { Process } from "./process.ts";

/**
 * What a child's standard stream is connected to: a new pipe (`"pipe"`, the default: the
 * parent reads or writes it through `process.stdin`/`stdout`/`stderr`), the parent's own
 * stream (`"inherit"`) or `/dev/null` (`"ignore"`).
 *
 * Coming with the files API: an open `AsyncFile`, whose file the child reads or writes
 * directly.
 *
 * @example
 * ```ts
 * import type { ProcessStdio } from "@anyts/anyts";
 * const stdio: ProcessStdio = "inherit";
 * ```
 */
export type ProcessStdio = "pipe" | "inherit" | "ignore";

/**
 * Options of {@linkcode openProcess}.
 *
 * @example
 * ```ts
 * import { openProcess, type ProcessOptions } from "@anyts/anyts";
 * const options: ProcessOptions = { cwd: "/tmp", env: { LC_ALL: "C" }, stderr: "stdout" };
 * await using child = await openProcess(["ls", "-l"], options);
 * ```
 */
export interface ProcessOptions {
  /** The child's standard input; default `"pipe"`. */
  stdin?: ProcessStdio;
  /** The child's standard output; default `"pipe"`. */
  stdout?: ProcessStdio;
  /**
   * The child's standard error; default `"pipe"`. `"stdout"` sends it wherever stdout
   * goes, in order (one pipe: `process.stderr` is then `null`).
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

function validateStdio<T extends string>(value: unknown, name: string, extra?: T): RawStdio | T {
  if (value === undefined) return "pipe";
  if (typeof value === "string" && (STDIO.includes(value) || value === extra)) return value as RawStdio | T;
  const choices = [...STDIO, ...(extra === undefined ? [] : [extra])].map((choice) => `"${choice}"`).join(", ");
  throw new TypeError(`${name} must be one of ${choices}, got ${typeof value === "string" ? JSON.stringify(value) : describeType(value)}`);
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
  return {
    args: typeof command === "string" ? command : [...argv],
    spawn: {
      argv,
      cwd: validateCwd(options.cwd, where),
      env: validateEnv(options.env, where),
      clearEnv: validateBoolean(options.clearEnv, "clearEnv", where),
      stdin: validateStdio(options.stdin, `${where}: stdin`),
      stdout: validateStdio(options.stdout, `${where}: stdout`),
      stderr: validateStdio(options.stderr, `${where}: stderr`, "stdout"),
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
  const raw = await backend.process.spawn(request.spawn);
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
 * - `stdin`, `stdout`, `stderr`: `"pipe"` (default), `"inherit"` or `"ignore"`; `stderr:
 *   "stdout"` merges the child's standard error into its standard output, in order.
 * - `cwd`, `env` (merged over the parent's unless `clearEnv`), `processGroup`,
 *   `killSignal` (default `"SIGTERM"`) and `forceKillAfter` (default 5000 ms): see
 *   {@linkcode ProcessOptions}.
 * - Errors: a TypeError or RangeError naming the bad argument (an empty command, a
 *   non-string argument, `input` with `stdin`, an unknown signal, an unknown option); an
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
