/**
 * The process half of the Node adapter, on `node:child_process`. It runs on Node and on
 * Deno's and Bun's node: compatibility layers.
 *
 * - The child's exit is its 'exit' event, which Node emits once libuv has reaped it (so a
 *   child is never left a zombie); a signal death is reported as minus the signal number
 *   from `os.constants.signals`.
 * - `processGroup` is `detached: true` (setsid: a new session and process group); signals
 *   to the group are `process.kill(-pid, …)`.
 * - stderr merged into stdout: see backends/shared/spawn.ts (Node cannot pass one pipe as
 *   two of the child's descriptors either); the executable lookup probes with node:fs.
 * - An open file as a standard stream: its descriptor, as a number in `stdio` (the child
 *   inherits it); its offset afterwards from /proc (backends/shared/process-probes.ts).
 * - Spawn errors: Node reports a missing working directory as ENOENT of the executable,
 *   so after an ENOENT the directory is checked (node:fs) and named when it is missing.
 *
 * @module
 */
import { type ChildProcess, spawn as spawnChild, type StdioOptions } from "node:child_process";
import { constants as osConstants } from "node:os";
import process from "node:process";
import type { ProcessBackend, RawProcess, RawStdio, SpawnOptions } from "../../src/backend/process.ts";
import { cwdProblem, descriptorOffset, killGroup, probeExecutable } from "../shared/process-probes.ts";
import { childEnv, findExecutable, mergedStderrArgv, spawnError } from "../shared/spawn.ts";
import { NodePipeReader, NodePipeWriter } from "./pipes.ts";

const signalNumbers = osConstants.signals as Readonly<Record<string, number>>;

/** The argv to spawn: as given, or wrapped so that stderr goes to stdout (see spawn.ts). */
function argvToSpawn(options: SpawnOptions, env: Record<string, string>): readonly string[] {
  if (options.stderr !== "stdout") return options.argv;
  const problem = cwdProblem(options.cwd);
  if (problem !== undefined) throw spawnError(undefined, options, problem, undefined);
  const executable = findExecutable(options.argv[0]!, env.PATH, options.cwd, probeExecutable);
  return mergedStderrArgv(executable, options.argv.slice(1));
}

function stdioOf(kind: RawStdio): "pipe" | "inherit" | "ignore" | number {
  return typeof kind === "object" ? kind.fd : kind;
}

class NodeChild implements RawProcess {
  readonly pid: number;
  readonly stdin: NodePipeWriter | null;
  readonly stdout: NodePipeReader | null;
  readonly stderr: NodePipeReader | null;
  readonly exited: Promise<number>;
  #reaped = false;

  constructor(child: ChildProcess, options: SpawnOptions) {
    this.pid = child.pid!;
    this.stdin = options.stdin === "pipe" ? new NodePipeWriter(child.stdin!) : null;
    this.stdout = options.stdout === "pipe" ? new NodePipeReader(child.stdout!) : null;
    this.stderr = options.stderr === "pipe" ? new NodePipeReader(child.stderr!) : null;
    this.exited = new Promise<number>((resolve) => {
      child.once("exit", (code: number | null, signal: string | null) => {
        this.#reaped = true;
        resolve(signal !== null ? -(signalNumbers[signal] ?? 0) : code ?? 0);
      });
    });
  }

  kill(signal: string, group: boolean): void {
    if (group) {
      killGroup(this.pid, signal);
      return;
    }
    // Not child.kill(): Deno's node:child_process refuses a second kill (and reports the
    // first signal as the exit's signalCode), so SIGKILL after SIGTERM would never be sent.
    // 'exit' comes in the same callback as the reap, so the pid is still the child's here.
    if (this.#reaped) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // Gone meanwhile.
    }
  }

  groupAlive(): boolean {
    return killGroup(this.pid, 0);
  }
}

function spawn(options: SpawnOptions): Promise<RawProcess> {
  let env: Record<string, string>;
  let argv: readonly string[];
  try {
    env = childEnv(process.env, options);
    argv = argvToSpawn(options, env);
  } catch (error) {
    return Promise.reject(error);
  }
  let child: ChildProcess;
  try {
    const stdio: StdioOptions = [
      stdioOf(options.stdin),
      stdioOf(options.stdout),
      options.stderr === "stdout" ? "ignore" : stdioOf(options.stderr),
    ];
    child = spawnChild(argv[0]!, argv.slice(1), { cwd: options.cwd, env, stdio, detached: options.processGroup });
  } catch (error) {
    return Promise.reject(mapError(error, options));
  }
  return new Promise<RawProcess>((resolve, reject) => {
    const onSpawn = () => {
      child.off("error", onError);
      // Later errors (a failed kill) are reported by kill's own return; keep them handled.
      child.on("error", () => {});
      resolve(new NodeChild(child, options));
    };
    const onError = (error: unknown) => {
      child.off("spawn", onSpawn);
      child.on("error", () => {});
      reject(mapError(error, options));
    };
    child.once("spawn", onSpawn);
    child.once("error", onError);
  });
}

function mapError(error: unknown, options: SpawnOptions): Error {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string" || !/^E[A-Z0-9]+$/.test(code)) return error instanceof Error ? error : new Error(String(error));
  return spawnError(code, options, code === "ENOENT" || code === "ENOTDIR" ? cwdProblem(options.cwd) : undefined, error);
}

/** The Node adapter's processes. */
export const nodeProcess: ProcessBackend = { spawn, descriptorOffset };
