/**
 * The process contract of a backend: spawning a child, its pipes as pull-based reads and
 * writes, its exit status and signals. `src/process/` builds `openProcess`, `Process` and
 * `runProcess` on it, once for every backend.
 *
 * @module
 */
import type { Backend } from "./index.ts";

/**
 * What a child's standard stream is connected to, as a backend sees it: a new pipe
 * (`"pipe"`), the parent's own stream (`"inherit"`), `/dev/null` (`"ignore"`), or an open
 * file's descriptor (`{ fd }`, which Node's `stdio` and `Bun.spawn` take as a number; the
 * child inherits it, sharing its offset).
 *
 * The core passes `{ fd }` only to a backend whose files have an `fd` and that implements
 * `descriptorOffset`; otherwise (Deno: `Deno.Command` takes no descriptor) it asks for a
 * `"pipe"` and pumps between the pipe and the `AsyncFile` itself.
 *
 * @example
 * ```ts
 * import type { RawStdio } from "@anyts/anyts";
 * const quiet: RawStdio = "ignore";
 * const intoFile: RawStdio = { fd: 17 };
 * ```
 */
export type RawStdio = "pipe" | "inherit" | "ignore" | { readonly fd: number };

/**
 * What the core asks a backend to spawn. Every field is validated already.
 *
 * @example
 * ```ts
 * import type { SpawnOptions } from "@anyts/anyts";
 * const options: SpawnOptions = {
 *   argv: ["echo", "hi"], cwd: undefined, env: undefined, clearEnv: false,
 *   stdin: "ignore", stdout: "pipe", stderr: "stdout", processGroup: false,
 * };
 * ```
 */
export interface SpawnOptions {
  /** The executable (searched in `PATH` when it has no slash) and its arguments. */
  readonly argv: readonly string[];
  /** The child's working directory; `undefined`: the parent's. */
  readonly cwd: string | undefined;
  /**
   * Variables set over the parent's environment (or over an empty one with `clearEnv`); a
   * variable whose value is `undefined` is removed.
   */
  readonly env: Readonly<Record<string, string | undefined>> | undefined;
  /** Start from an empty environment instead of the parent's. */
  readonly clearEnv: boolean;
  /** The child's standard input. */
  readonly stdin: RawStdio;
  /** The child's standard output. */
  readonly stdout: RawStdio;
  /** The child's standard error; `"stdout"`: the same pipe or stream as its output, in order. */
  readonly stderr: RawStdio | "stdout";
  /** The child leads a new process group (and session), so signals can reach its descendants. */
  readonly processGroup: boolean;
}

/**
 * The parent's end of a child's output pipe: pull-based reads, so that nothing is read from
 * the kernel before the core asks (a slow reader holds the child back through the pipe).
 *
 * Contract: at most one `read` is pending at a time; the core keeps a read whose caller was
 * cancelled and hands its result to the next receive. Errors are the runtime's own.
 *
 * @example
 * ```ts
 * import type { RawPipeReader } from "@anyts/anyts";
 * async function drain(pipe: RawPipeReader): Promise<number> {
 *   let total = 0;
 *   for (let chunk = await pipe.read(65536); chunk !== null; chunk = await pipe.read(65536)) total += chunk.length;
 *   return total;
 * }
 * ```
 */
export interface RawPipeReader {
  /**
   * The next chunk of 1 to `maxBytes` bytes (a fresh `Uint8Array` the caller owns), or
   * `null` at end of stream.
   */
  read(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null>;
  /** Closes the parent's end at once; a pending read settles. Idempotent, never throws. */
  close(): void;
}

/**
 * The parent's end of a child's input pipe.
 *
 * Contract: at most one `write` is pending at a time; it resolves only when the runtime has
 * taken every byte (so the runtime never buffers without bound). Errors are the runtime's
 * own (EPIPE once the child closed its end).
 *
 * @example
 * ```ts
 * import type { RawPipeWriter } from "@anyts/anyts";
 * async function feed(pipe: RawPipeWriter, data: Uint8Array) {
 *   await pipe.write(data); // undefined (taken at once) or a promise
 *   await pipe.end();
 * }
 * ```
 */
export interface RawPipeWriter {
  /**
   * Writes all of `data`: returns `undefined` when the runtime took every byte at once
   * (no promise to wait for: the fast path of a pipe with room), otherwise a promise that
   * resolves once it has. Errors are thrown or rejected.
   */
  write(data: Uint8Array): Promise<void> | undefined;
  /** Closes the pipe after the pending write, so the child reads end of file. Never rejects. */
  end(): Promise<void>;
  /** Closes the parent's end at once (the child reads end of file). Idempotent, never throws. */
  close(): void;
}

/**
 * A spawned child as a backend provides it.
 *
 * @example
 * ```ts
 * import type { RawProcess } from "@anyts/anyts";
 * async function stop(child: RawProcess): Promise<number> {
 *   child.kill("SIGTERM", false);
 *   return await child.exited;
 * }
 * ```
 */
export interface RawProcess {
  /** The child's process id. */
  readonly pid: number;
  /** The parent's end of the child's standard input, when it is a pipe. */
  readonly stdin: RawPipeWriter | null;
  /** The parent's end of the child's standard output, when it is a pipe. */
  readonly stdout: RawPipeReader | null;
  /** The parent's end of the child's standard error, when it is a pipe of its own. */
  readonly stderr: RawPipeReader | null;
  /**
   * Resolves once the child has exited and been reaped, to its exit code, or to minus the
   * signal number when a signal killed it (never 128 + n). Never rejects.
   */
  readonly exited: Promise<number>;
  /**
   * Sends `signal` (a name valid on this platform) to the child, or with `group` to its
   * process group. Without `group` it does nothing once the child has been reaped (its pid
   * may be reused); with `group` it still reaches what is left of the group (the kernel
   * keeps a group's id while any member lives). Never throws.
   */
  kill(signal: string, group: boolean): void;
  /** Whether any process is left in the child's process group (for `processGroup` children). */
  groupAlive(): boolean;
}

/**
 * The process capability of a backend (`backend.process`).
 *
 * @example
 * ```ts
 * import { loadBackend } from "@anyts/anyts";
 * const backend = await loadBackend("node");
 * const child = await backend.process.spawn({
 *   argv: ["true"], cwd: undefined, env: undefined, clearEnv: false,
 *   stdin: "ignore", stdout: "ignore", stderr: "ignore", processGroup: false,
 * });
 * console.log(await child.exited); // 0
 * ```
 */
export interface ProcessBackend {
  /**
   * Spawns a child. Rejects with the portable OS error (`backends/shared/os-error.ts`):
   * `ENOENT` naming the executable when it is not found, `ENOENT` naming the directory
   * when `cwd` does not exist, `EACCES` for a file that is not executable.
   */
  spawn(options: SpawnOptions): Promise<RawProcess>;
  /**
   * The kernel's offset of the open file description behind `fd` (`lseek(fd, 0,
   * SEEK_CUR)`), or `undefined` when the platform does not tell. Without it (or with it
   * returning `undefined`) the core pumps an `AsyncFile` through a pipe instead of handing
   * the child its descriptor.
   */
  descriptorOffset?(fd: number): number | undefined;
}

/**
 * @internal A {@linkcode ProcessBackend} that loads the real one first (for the
 * provisional backend, before the native backend has loaded).
 */
export function lazyProcessBackend(load: () => Promise<Backend>): ProcessBackend {
  return { spawn: (options) => load().then((backend) => backend.process.spawn(options)) };
}
