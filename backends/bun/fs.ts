/**
 * The file-system half of the Bun adapter. Bun's node:fs is native (Zig), so most of the
 * node adapter's `nodeFs` is used as it is; the operations below were measured against
 * the alternatives on Bun 1.4.5 (scripts/bench/fs.bench.ts and one-off timings, µs per
 * call on this machine) and take the faster one:
 *
 * - open files: `fs.open` / `fs.read` with callbacks on the descriptor. Bun's
 *   `FileHandle.read` costs about twice a callback `fs.read` (64 KiB reads: ~90 µs against
 *   ~45 µs), and `Bun.file(path).slice(a, b).bytes()` reopens the file each time. Writes at
 *   the kernel's offset go through a `FileSink` on the descriptor (`Bun.file(fd).writer()`,
 *   flushed at once: ~4× faster than callback `fs.write` for 64 KiB writes); writes
 *   elsewhere (after a seek) are a callback `fs.write` with the position (pwrite).
 * - `readFile`: `Bun.file(path).bytes()` (16 MiB: ~8 ms against ~12 ms for
 *   `fs.promises.readFile`; small files alike).
 * - `writeFile`: `Bun.write` (with `createPath: false`, so a missing directory is `ENOENT`
 *   as POSIX says, not created) for up to 64 KiB, where it takes ~12 µs against ~50 µs;
 *   above that `fs.promises.writeFile`, which Bun.write trails (1 MiB: ~290 µs against
 *   ~55 µs). Bun.write has no exclusive flag and no mode: those calls use node:fs too.
 * - `openDir`: one `fs.promises.readdir(path, { withFileTypes: true })`. Bun's `opendir`
 *   reads the whole directory in one call anyway (its `Dir` wraps `readdir`), so no Bun
 *   API streams a directory; this skips the wrapper.
 * - `stat`, `copyFile` and the rest: node:fs (`Bun.file(path).stat()` is no faster;
 *   `Bun.write(to, Bun.file(from))` copies 16 MiB in ~4 ms against ~3 ms).
 *
 * @module
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import type { FileInfo, FsBackend, RawDir, RawFile } from "../../src/backend/fs.ts";
import { closedFileError, fsError, rethrowAs } from "../shared/fs-error.ts";
import { entryOf, infoOfStats, ListedDir, nodeFs, openFlags } from "../node/fs.ts";

/** Bun's `FileSink` (`Bun.file(fd).writer()`). */
interface BunFileSink {
  write(data: Uint8Array): number;
  flush(): number | Promise<number>;
}

/** What `Bun.write` and `Bun.file` look like, as far as this file uses them. */
interface BunFsNamespace {
  file(path: string): { bytes(): Promise<Uint8Array<ArrayBuffer>> };
  file(fd: number): { writer(): BunFileSink };
  write(path: string, data: Uint8Array, options: { createPath: boolean }): Promise<number>;
}

function bunFs(): BunFsNamespace {
  return (globalThis as unknown as { Bun: BunFsNamespace }).Bun;
}

/** Up to this size `Bun.write` is the faster `writeFile`. */
const BUN_WRITE_MAX = 64 * 1024;

/**
 * An open file on a descriptor, with node:fs callbacks. As in the node adapter, a read or
 * write where the last one ended passes `position: null` (the kernel's offset moves).
 */
class BunFile implements RawFile {
  readonly #fd: number;
  readonly #path: string;
  readonly #append: boolean;
  /** The kernel's file offset as far as we know; -1 when unknown (after an append). */
  #offset = 0;
  #closing: Promise<void> | undefined = undefined;
  /** The FileSink of sequential writes, made on the first one. */
  #sink: BunFileSink | undefined = undefined;

  constructor(fd: number, path: string, append: boolean) {
    this.#fd = fd;
    this.#path = path;
    this.#append = append;
  }

  get fd(): number {
    return this.#fd;
  }

  /** @internal A child process sharing the descriptor moved the kernel's offset. */
  _offsetMoved(offset: number): void {
    this.#offset = this.#append ? -1 : offset;
  }

  get raw(): unknown {
    return this.#fd;
  }

  read(buffer: Uint8Array<ArrayBuffer>, position: number): Promise<number> {
    if (this.#closing !== undefined) return Promise.reject(closedFileError("read", this.#path));
    const sequential = position === this.#offset;
    return new Promise<number>((resolve, reject) => {
      fs.read(this.#fd, buffer, 0, buffer.length, sequential ? null : position, (error, count) => {
        if (error) reject(fsError(error, "read", this.#path));
        else {
          if (sequential) this.#offset += count;
          resolve(count);
        }
      });
    });
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    if (this.#closing !== undefined) throw closedFileError("write", this.#path);
    if (this.#append || position === this.#offset) {
      // At the kernel's offset: Bun's FileSink on the descriptor, flushed at once (it
      // writes a regular file without a thread-pool round trip: 20 MiB in 64 KiB writes
      // take ~4 ms against ~16 ms with callback fs.write; pipes it polls).
      const sink = (this.#sink ??= bunFs().file(this.#fd).writer());
      try {
        sink.write(data);
        await sink.flush();
      } catch (error) {
        this.#offset = -1;
        throw fsError(error, "write", this.#path);
      }
      this.#offset = this.#append ? -1 : this.#offset + data.length;
      return;
    }
    let written = 0;
    while (written < data.length) {
      const at = position + written;
      const sequential = this.#append || at === this.#offset;
      const count = await new Promise<number>((resolve, reject) => {
        fs.write(this.#fd, data, written, data.length - written, sequential ? null : at, (error, count) => {
          if (error) reject(fsError(error, "write", this.#path));
          else resolve(count);
        });
      });
      written += count;
      if (this.#append) this.#offset = -1;
      else if (sequential) this.#offset += count;
    }
  }

  truncate(size: number): Promise<void> {
    return this.#call("ftruncate", (done) => fs.ftruncate(this.#fd, size, done));
  }

  sync(): Promise<void> {
    return this.#call("fsync", (done) => fs.fsync(this.#fd, done));
  }

  stat(): Promise<FileInfo> {
    if (this.#closing !== undefined) return Promise.reject(closedFileError("fstat", this.#path));
    return new Promise<FileInfo>((resolve, reject) => {
      fs.fstat(this.#fd, (error, stats) => {
        if (error) reject(fsError(error, "fstat", this.#path));
        else resolve(infoOfStats(stats));
      });
    });
  }

  close(): Promise<void> {
    return (this.#closing ??= new Promise<void>((resolve) => fs.close(this.#fd, () => resolve())));
  }

  #call(syscall: string, start: (done: (error: unknown) => void) => void): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedFileError(syscall, this.#path));
    return new Promise<void>((resolve, reject) => {
      start((error) => {
        if (error) reject(fsError(error, syscall, this.#path));
        else resolve();
      });
    });
  }
}

/** The Bun file system: node:fs (native on Bun) and Bun.file / Bun.write where faster. */
export const bunFsBackend: FsBackend = {
  ...nodeFs,
  open: (path, options) =>
    new Promise<RawFile>((resolve, reject) => {
      fs.open(path, openFlags(options), options.mode, (error, fd) => {
        if (error) reject(fsError(error, "open", path));
        else resolve(new BunFile(fd, path, options.append));
      });
    }),
  openDir: (path) =>
    fsp.readdir(path, { withFileTypes: true }).then(
      (dirents): RawDir => new ListedDir(dirents.map(entryOf)),
      rethrowAs("opendir", path),
    ),
  readFile: (path) => bunFs().file(path).bytes().catch(rethrowAs("open", path)),
  writeFile: (path, data, options) => {
    if (options.exclusive || options.mode !== 0o666 || data.length > BUN_WRITE_MAX) {
      return nodeFs.writeFile(path, data, options);
    }
    return bunFs().write(path, data, { createPath: false }).then(() => {}, rethrowAs("open", path));
  },
};
