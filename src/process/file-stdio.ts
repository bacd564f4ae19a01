/**
 * An open `AsyncFile` as a child's stdin, stdout or stderr.
 *
 * - Before the spawn, the file's write buffer goes out and its read-ahead is forgotten
 *   (`AsyncFile._prepareForChild`), so the child starts at the parent's logical position.
 * - Where the backend can hand the child a descriptor and tell its kernel offset (Node and
 *   Bun on Linux), and that offset is the logical position, the child inherits the file's
 *   descriptor and works on the file itself. Afterwards the file's position is where the
 *   child left the shared offset.
 * - Otherwise (Deno, whose `Deno.Command` takes no descriptor; or a descriptor whose kernel
 *   offset is elsewhere, after read-ahead or a seek, which node:fs cannot move back) the
 *   child gets a pipe, and a pump in the parent copies between the pipe and the file
 *   (each chunk of output written through at once, as the child's own writes would be).
 *   The child's exit (`Process.wait`) is reported only once everything it wrote is in the
 *   file; cancellation's kill stops the pump after the chunk it holds is written.
 *
 * @module
 */
import type { ProcessBackend, RawPipeReader, RawPipeWriter, RawProcess, RawStdio, SpawnOptions } from "../backend/process.ts";
import { ClosedResourceError } from "../core/errors.ts";
import { AsyncFile } from "../fs/async-file.ts";

/** The chunk size of a pump. */
const PUMP_CHUNK = 64 * 1024;

/** The standard streams by name. */
export type StdioName = "stdin" | "stdout" | "stderr";

/** @internal Checks an `AsyncFile` given as `name` (`where: name` prefixes the messages). */
export function checkStdioFile(file: AsyncFile<string | Uint8Array>, name: StdioName, where: string): void {
  if (file.closed) throw new ClosedResourceError(`${where}: ${name}: the file`, file.path.toString());
  if (name === "stdin" ? !file.readable() : !file.writable()) {
    throw new TypeError(
      `${where}: ${name}: the file is not open for ${name === "stdin" ? "reading" : "writing"} (mode ${JSON.stringify(file.mode)})`,
    );
  }
}

/** Whether `value` is an `AsyncFile`. */
export function isAsyncFile(value: unknown): value is AsyncFile<string | Uint8Array> {
  return value instanceof AsyncFile;
}

/** The files given as standard streams, by name. */
export type StdioFiles = Partial<Record<StdioName, AsyncFile<string | Uint8Array>>>;

/** How one file is connected: its descriptor handed over, or a pump. */
interface Connection {
  readonly name: StdioName;
  readonly file: AsyncFile<string | Uint8Array>;
  /** The descriptor handed to the child, or undefined for a pump. */
  readonly fd: number | undefined;
  /** The position the child starts at (null: append mode). */
  readonly position: number | null;
}

/**
 * @internal What `spawnProcess` does with the files of a request: `options` for the backend
 * (a descriptor or a pipe in place of each file) and `wrap`, which puts the pumps and the
 * position bookkeeping around the spawned child.
 */
export interface PreparedStdio {
  readonly options: SpawnOptions;
  wrap(raw: RawProcess): RawProcess;
}

/** @internal Prepares the files of `spawn` (flushes them; cancellable, before any spawn). */
export async function prepareStdioFiles(
  spawn: SpawnOptions,
  files: StdioFiles,
  backend: ProcessBackend,
): Promise<PreparedStdio> {
  const connections: Connection[] = [];
  const stdio: Record<StdioName, RawStdio | "stdout"> = { stdin: spawn.stdin, stdout: spawn.stdout, stderr: spawn.stderr };
  for (const name of ["stdin", "stdout", "stderr"] as const) {
    const file = files[name];
    if (file === undefined) continue;
    const shared = connections.find((connection) => connection.file === file);
    if (shared !== undefined) {
      // stderr into the same file as stdout: the same descriptor, or the one pipe of
      // stdout with stderr merged in (in order, as a shared descriptor keeps them).
      stdio[name] = shared.fd !== undefined ? { fd: shared.fd } : shared.name === "stdout" && name === "stderr" ? "stdout" : "pipe";
      if (stdio[name] === "pipe") connections.push({ name, file, fd: undefined, position: shared.position });
      continue;
    }
    const position = await file._prepareForChild();
    const fd = descriptorFor(file, name, position, backend);
    connections.push({ name, file, fd, position });
    stdio[name] = fd === undefined ? "pipe" : { fd };
  }
  const options: SpawnOptions = {
    ...spawn,
    stdin: stdio.stdin as RawStdio,
    stdout: stdio.stdout as RawStdio,
    stderr: stdio.stderr,
  };
  return { options, wrap: (raw) => new FileStdioProcess(raw, connections, backend) };
}

/** The descriptor to hand over, when the child would start at the logical position. */
function descriptorFor(
  file: AsyncFile<string | Uint8Array>,
  name: StdioName,
  position: number | null,
  backend: ProcessBackend,
): number | undefined {
  const fd = file._rawFile.fd;
  if (fd === undefined || backend.descriptorOffset === undefined) return undefined;
  const offset = backend.descriptorOffset(fd);
  if (offset === undefined) return undefined;
  // Append mode: every write goes to the end, wherever the offset is (a read-write file in
  // append mode read by a child would start at an unknown offset: pumped).
  if (position === null) return name === "stdin" ? undefined : fd;
  return offset === position ? fd : undefined;
}

/**
 * The spawned child with its files: `exited` resolves once the child is reaped, every pump
 * is done and the positions are updated. The pumped streams are not the caller's pipes
 * (`stdin`/`stdout`/`stderr` are `null` for them).
 */
class FileStdioProcess implements RawProcess {
  readonly pid: number;
  readonly stdin: RawPipeWriter | null;
  readonly stdout: RawPipeReader | null;
  readonly stderr: RawPipeReader | null;
  readonly exited: Promise<number>;
  /** The first failure to move a pumped chunk to or from a file, for `Process.wait`. */
  _stdioError: unknown = undefined;
  #raw: RawProcess;
  #killed = false;
  #outputPipes: RawPipeReader[] = [];

  constructor(raw: RawProcess, connections: readonly Connection[], backend: ProcessBackend) {
    this.#raw = raw;
    this.pid = raw.pid;
    const pumped = (name: StdioName) => connections.some((connection) => connection.name === name && connection.fd === undefined);
    this.stdin = pumped("stdin") ? null : raw.stdin;
    this.stdout = pumped("stdout") ? null : raw.stdout;
    this.stderr = pumped("stderr") ? null : raw.stderr;
    const pumps: Promise<void>[] = [];
    let inputPipe: RawPipeWriter | null = null;
    for (const connection of connections) {
      if (connection.fd !== undefined) continue;
      if (connection.name === "stdin") {
        inputPipe = raw.stdin;
        if (inputPipe !== null) pumps.push(this.#pumpIn(connection.file, inputPipe));
      } else {
        const pipe = connection.name === "stdout" ? raw.stdout : raw.stderr;
        if (pipe !== null) {
          this.#outputPipes.push(pipe);
          pumps.push(this.#pumpOut(pipe, connection.file));
        }
      }
    }
    this.exited = raw.exited.then(async (returncode) => {
      // The child is gone: nobody reads its input any more. Killed by cancellation, its
      // output stops here too (a grandchild may hold the pipe open); otherwise it is read
      // to its end.
      inputPipe?.close();
      if (this.#killed) for (const pipe of this.#outputPipes) pipe.close();
      await Promise.all(pumps);
      const moved = new Set<AsyncFile<string | Uint8Array>>();
      for (const connection of connections) {
        if (connection.fd === undefined || moved.has(connection.file)) continue;
        moved.add(connection.file);
        try {
          const offset = backend.descriptorOffset?.(connection.fd);
          if (offset !== undefined) connection.file._childMovedOffset(offset);
        } catch (error) {
          this.#fail(error); // `exited` never rejects
        }
      }
      return returncode;
    });
  }

  kill(signal: string, group: boolean): void {
    this.#raw.kill(signal, group);
  }

  /**
   * Called by the kill sequence of cancellation: at the child's exit the output pumps stop
   * after the chunk they hold (what is still in the pipe is dropped with the child), so a
   * grandchild holding the pipe cannot keep the reap waiting. Without it a pump reads to
   * the end of the pipe, as `runProcess` does.
   */
  _stopOutputAtExit(): void {
    this.#killed = true;
  }

  groupAlive(): boolean {
    return this.#raw.groupAlive();
  }

  #fail(error: unknown): void {
    this._stdioError ??= error;
  }

  /** Feeds the file, from its position to its end, to the child's stdin pipe. */
  async #pumpIn(file: AsyncFile<string | Uint8Array>, pipe: RawPipeWriter): Promise<void> {
    try {
      for (;;) {
        let chunk: Uint8Array | null;
        try {
          chunk = await file._readForChild(PUMP_CHUNK);
        } catch (error) {
          this.#fail(error);
          break;
        }
        if (chunk === null) break;
        try {
          await pipe.write(chunk);
        } catch {
          return; // the child closed its stdin or exited: it wants no more
        }
      }
      await pipe.end();
    } finally {
      pipe.close();
    }
  }

  /** Writes what the child sends through `pipe` into the file, then flushes it. */
  async #pumpOut(pipe: RawPipeReader, file: AsyncFile<string | Uint8Array>): Promise<void> {
    try {
      for (;;) {
        let chunk: Uint8Array | null;
        try {
          chunk = await pipe.read(PUMP_CHUNK);
        } catch {
          break; // closed after a kill
        }
        if (chunk === null) break;
        await file._writeForChild(chunk);
      }
      await file._flushForChild();
    } catch (error) {
      this.#fail(error);
    } finally {
      pipe.close();
    }
  }
}
