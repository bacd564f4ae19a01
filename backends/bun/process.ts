/**
 * The process half of the Bun adapter, on `Bun.spawn`.
 *
 * Facts about Bun 1.4.5 this file relies on (checked by experiment, see
 * tests/process/process.test.ts):
 * - `stdout`/`stderr: "pipe"` are `ReadableStream`s that read from the kernel only when
 *   pulled (a child writing 256 MiB to an unread pipe stays blocked), in chunks of up to
 *   256 KiB over fresh buffers.
 * - `stdin: "pipe"` is a `FileSink`: `write(data)` returns the byte count when the kernel
 *   took everything, or a promise that settles once it did (rejecting with EPIPE when the
 *   child closed its end); `end()` closes it.
 * - `exited` resolves after the reap; a signal death is 128 + n there, with `signalCode`
 *   naming the signal: mapped to minus the signal number.
 * - `detached: true` makes the child a session and process group leader (setsid).
 * - A missing executable throws `ENOENT` at once; so does a missing `cwd`, without naming
 *   it (the directory is checked, with node:fs, after the failure).
 *
 * - An open file as a standard stream: its descriptor, as a number in `stdin`/`stdout`/
 *   `stderr` (the child inherits it).
 *
 * Fallbacks to node: modules: signals to a process group with node:process `kill(-pid)`
 * (a Subprocess can only signal itself), and the `statSync`/`accessSync` probes of node:fs
 * (Bun's own) for the executable lookup of merged stderr and the cwd check, and the
 * descriptor's offset after a child used it (/proc/self/fdinfo through node:fs: Bun has no
 * lseek).
 *
 * @module
 */
import process from "node:process";
import type { ProcessBackend, RawPipeWriter, RawProcess, RawStdio, SpawnOptions } from "../../src/backend/process.ts";
import { cwdProblem, descriptorOffset, killGroup, probeExecutable } from "../shared/process-probes.ts";
import { signalTable } from "../shared/signal-numbers.ts";
import { childEnv, findExecutable, mergedStderrArgv, spawnError } from "../shared/spawn.ts";
import { WebPipeReader } from "../shared/web-pipes.ts";

/** The part of Bun's `FileSink` used here. */
interface BunFileSink {
  write(data: Uint8Array): number | Promise<number>;
  end(): number | Promise<number>;
}

/** The part of Bun's `Subprocess` used here. */
interface BunSubprocess {
  readonly pid: number;
  readonly stdin: BunFileSink;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exited: Promise<number>;
  readonly exitCode: number | null;
  readonly signalCode: string | null;
  kill(signal?: string): void;
}

interface BunSpawnApi {
  spawn(
    argv: string[],
    options: {
      cwd?: string | undefined;
      env: Record<string, string>;
      stdin: BunStdio;
      stdout: BunStdio;
      stderr: BunStdio;
      detached?: boolean;
    },
  ): BunSubprocess;
}

/** A standard stream as `Bun.spawn` takes it: a descriptor is a number. */
type BunStdio = "pipe" | "inherit" | "ignore" | number;

function stdioOf(kind: RawStdio): BunStdio {
  return typeof kind === "object" ? kind.fd : kind;
}

function bun(): BunSpawnApi {
  return (globalThis as unknown as { Bun: BunSpawnApi }).Bun;
}

function noop(): void {}

/** A `FileSink` as a raw pipe end; every rejection is handled. */
class BunPipeWriter implements RawPipeWriter {
  #sink: BunFileSink;
  #closed = false;

  constructor(sink: BunFileSink) {
    this.#sink = sink;
  }

  write(data: Uint8Array): Promise<void> | undefined {
    if (this.#closed) throw new Error("the pipe is closed");
    const written = this.#sink.write(data);
    return typeof written === "number" ? undefined : written.then(noop);
  }

  async end(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#sink.end();
    } catch {
      // The child closed its end first: nothing to flush.
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      const ending = this.#sink.end();
      if (typeof ending !== "number") ending.catch(noop);
    } catch {
      // Already closed.
    }
  }
}

class BunChild implements RawProcess {
  readonly pid: number;
  readonly stdin: BunPipeWriter | null;
  readonly stdout: WebPipeReader | null;
  readonly stderr: WebPipeReader | null;
  readonly exited: Promise<number>;
  #child: BunSubprocess;
  #reaped = false;

  constructor(child: BunSubprocess, options: SpawnOptions, stderrPiped: boolean) {
    this.#child = child;
    this.pid = child.pid;
    this.stdin = options.stdin === "pipe" ? new BunPipeWriter(child.stdin) : null;
    this.stdout = options.stdout === "pipe" ? new WebPipeReader(child.stdout) : null;
    this.stderr = stderrPiped ? new WebPipeReader(child.stderr) : null;
    const signals = signalTable(process.platform);
    this.exited = child.exited.then(
      (code) => {
        this.#reaped = true;
        const signal = child.signalCode;
        return signal === null ? child.exitCode ?? code : -(signals[signal] ?? code - 128);
      },
      () => {
        this.#reaped = true;
        return -1;
      },
    );
  }

  kill(signal: string, group: boolean): void {
    if (group) {
      killGroup(this.pid, signal);
      return;
    }
    if (this.#reaped) return;
    try {
      this.#child.kill(signal);
    } catch {
      // Already gone.
    }
  }

  groupAlive(): boolean {
    return killGroup(this.pid, 0);
  }
}

function spawn(options: SpawnOptions): Promise<RawProcess> {
  try {
    const env = childEnv(process.env, options);
    let argv = options.argv;
    const merged = options.stderr === "stdout";
    if (merged) {
      const problem = cwdProblem(options.cwd);
      if (problem !== undefined) throw spawnError(undefined, options, problem, undefined);
      argv = mergedStderrArgv(findExecutable(argv[0]!, env.PATH, options.cwd, probeExecutable), argv.slice(1));
    }
    let child: BunSubprocess;
    try {
      child = bun().spawn([...argv], {
        cwd: options.cwd,
        env,
        stdin: stdioOf(options.stdin),
        stdout: stdioOf(options.stdout),
        stderr: merged ? "ignore" : stdioOf(options.stderr as RawStdio),
        detached: options.processGroup,
      });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const problem = code === "ENOENT" || code === "ENOTDIR" ? cwdProblem(options.cwd) : undefined;
      throw spawnError(typeof code === "string" ? code : undefined, options, problem, error);
    }
    return Promise.resolve(new BunChild(child, options, !merged && options.stderr === "pipe"));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The Bun adapter's processes. */
export const bunProcess: ProcessBackend = { spawn, descriptorOffset };
