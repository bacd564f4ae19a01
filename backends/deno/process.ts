/**
 * The process half of the Deno adapter, on `Deno.Command(...).spawn()`.
 *
 * - Pipes: the child's `ReadableStream`s and `WritableStream` (pull-based, so a slow
 *   reader holds the child back through the pipe).
 * - Exit: `child.status`, awaited from the spawn on (so the child is reaped as soon as it
 *   exits); Deno reports a signal death as code 128 + n with the signal's name, mapped to
 *   minus the signal number.
 * - `processGroup`: `detached: true` (setsid); signals to the group with `Deno.kill(-pid)`.
 * - stderr merged into stdout: Deno.Command cannot give the child one pipe as fd 1 and 2;
 *   see backends/shared/spawn.ts (the executable lookup probes with `Deno.statSync`).
 *
 * - An open `AsyncFile` as a standard stream: `Deno.Command` takes only "piped", "inherit"
 *   and "null", and a `Deno.FsFile` exposes no descriptor, so the core asks for a pipe and
 *   pumps between it and the file (src/process/file-stdio.ts). Not node:child_process
 *   (which takes a descriptor): the Deno backend's files have none to give it.
 *
 * Fallback to node: modules: `groupAlive` uses node:process `kill(-pid, 0)`, because
 * `Deno.kill` takes no signal 0.
 *
 * @module
 */
import process from "node:process";
import type { ProcessBackend, RawPipeWriter, RawProcess, RawStdio, SpawnOptions } from "../../src/backend/process.ts";
import { codeOfDenoError, denoPermissionHint } from "../shared/os-error.ts";
import { signalTable } from "../shared/signal-numbers.ts";
import { type ExecutableProbe, findExecutable, mergedStderrArgv, spawnError } from "../shared/spawn.ts";
import { WebPipeReader } from "../shared/web-pipes.ts";

/** The part of `Deno.Command`'s options used here. */
interface DenoCommandOptions {
  args: string[];
  cwd?: string | undefined;
  env?: Record<string, string>;
  clearEnv?: boolean;
  stdin: "piped" | "inherit" | "null";
  stdout: "piped" | "inherit" | "null";
  stderr: "piped" | "inherit" | "null";
  detached?: boolean;
}

/** The part of `Deno.ChildProcess` used here. */
interface DenoChildProcess {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<{ success: boolean; code: number; signal: string | null }>;
  kill(signal?: string): void;
}

/** The part of the `Deno` namespace used here. */
interface DenoProcessApi {
  Command: new (command: string, options: DenoCommandOptions) => { spawn(): DenoChildProcess };
  kill(pid: number, signal?: string): void;
  statSync(path: string): { isFile: boolean; mode: number | null };
  env: { get(key: string): string | undefined; toObject(): Record<string, string> };
  build: { os: string };
}

function deno(): DenoProcessApi {
  return (globalThis as unknown as { Deno: DenoProcessApi }).Deno;
}

const probeExecutable: ExecutableProbe = (path) => {
  try {
    const info = deno().statSync(path);
    if (!info.isFile) return "not-executable";
    return info.mode === null || (info.mode & 0o111) !== 0 ? "executable" : "not-executable";
  } catch {
    return "missing";
  }
};

function stdioOf(kind: RawStdio): "piped" | "inherit" | "null" {
  // The core never passes a descriptor here (this backend has no descriptorOffset): it
  // pumps an AsyncFile through a pipe, because Deno.Command takes no descriptor.
  if (typeof kind === "object") throw new TypeError("Deno.Command cannot give a child a file descriptor");
  return kind === "pipe" ? "piped" : kind === "ignore" ? "null" : "inherit";
}

function noop(): void {}

/** The child's `WritableStream` as a raw pipe end; every rejection is handled. */
class DenoPipeWriter implements RawPipeWriter {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #closed = false;

  constructor(stream: WritableStream<Uint8Array>) {
    this.#writer = stream.getWriter();
    this.#writer.closed.catch(noop);
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the pipe is closed"));
    return this.#writer.write(data);
  }

  end(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.#writer.close().catch(noop);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.abort().catch(noop);
  }
}

class DenoChild implements RawProcess {
  readonly pid: number;
  readonly stdin: DenoPipeWriter | null;
  readonly stdout: WebPipeReader | null;
  readonly stderr: WebPipeReader | null;
  readonly exited: Promise<number>;
  #child: DenoChildProcess;
  #reaped = false;

  constructor(child: DenoChildProcess, options: SpawnOptions, stderrPiped: boolean) {
    this.#child = child;
    this.pid = child.pid;
    this.stdin = options.stdin === "pipe" ? new DenoPipeWriter(child.stdin) : null;
    this.stdout = options.stdout === "pipe" ? new WebPipeReader(child.stdout) : null;
    this.stderr = stderrPiped ? new WebPipeReader(child.stderr) : null;
    const signals = signalTable(deno().build.os);
    this.exited = child.status.then(
      ({ code, signal }) => {
        this.#reaped = true;
        return signal === null ? code : -(signals[signal] ?? code - 128);
      },
      () => {
        this.#reaped = true;
        return -1;
      },
    );
  }

  kill(signal: string, group: boolean): void {
    try {
      if (group) deno().kill(-this.pid, signal);
      else if (!this.#reaped) this.#child.kill(signal);
    } catch {
      // Already gone.
    }
  }

  groupAlive(): boolean {
    try {
      process.kill(-this.pid, 0);
      return true;
    } catch (error) {
      return (error as { code?: string }).code === "EPERM";
    }
  }
}

function childEnvOptions(options: SpawnOptions): Pick<DenoCommandOptions, "env" | "clearEnv"> {
  const env = options.env;
  if (env === undefined) return { clearEnv: options.clearEnv };
  const removes = Object.values(env).some((value) => value === undefined);
  // Deno merges `env` over the parent's environment; removing a variable needs the whole.
  const base: Record<string, string> = removes && !options.clearEnv ? deno().env.toObject() : {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  return { env: base, clearEnv: options.clearEnv || removes };
}

function spawn(options: SpawnOptions): Promise<RawProcess> {
  try {
    const envOptions = childEnvOptions(options);
    let argv = options.argv;
    const merged = options.stderr === "stdout";
    if (merged) {
      const path = options.env !== undefined && "PATH" in options.env
        ? options.env.PATH
        : options.clearEnv
        ? undefined
        : deno().env.get("PATH");
      if (options.cwd !== undefined && probeDirectory(options.cwd) !== undefined) {
        throw spawnError(undefined, options, probeDirectory(options.cwd), undefined);
      }
      argv = mergedStderrArgv(findExecutable(argv[0]!, path, options.cwd, probeExecutable), argv.slice(1));
    }
    let child: DenoChildProcess;
    try {
      child = new (deno().Command)(argv[0]!, {
        args: argv.slice(1),
        cwd: options.cwd,
        ...envOptions,
        stdin: stdioOf(options.stdin),
        stdout: stdioOf(options.stdout),
        stderr: merged ? "null" : stdioOf(options.stderr as RawStdio),
        detached: options.processGroup,
      }).spawn();
    } catch (error) {
      const code = codeOfDenoError(error);
      const cwdMissing = error instanceof Error && /No such cwd/i.test(error.message) ? "ENOENT" : undefined;
      throw spawnError(code, options, cwdMissing, error, denoPermissionHint(error));
    }
    return Promise.resolve(new DenoChild(child, options, !merged && options.stderr === "pipe"));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Why `cwd` cannot be a working directory, or undefined when it can (or cannot be told). */
function probeDirectory(cwd: string): string | undefined {
  try {
    return (deno().statSync(cwd) as { isDirectory?: boolean }).isDirectory === false ? "ENOTDIR" : undefined;
  } catch (error) {
    return codeOfDenoError(error) === "ENOENT" ? "ENOENT" : undefined;
  }
}

/** The Deno adapter's processes. */
export const denoProcess: ProcessBackend = { spawn };
