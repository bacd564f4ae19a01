/**
 * The file-system half of the Node adapter, on `node:fs/promises` (a `FileHandle` per open
 * file, `opendir` for streamed listings). It runs on Node and on Deno's and Bun's node:
 * compatibility layers; the Bun adapter reuses most of it (Bun's node:fs is native).
 *
 * @module
 */
import { constants, type Dirent, type Stats } from "node:fs";
import * as fsp from "node:fs/promises";
import { homedir } from "node:os";
import process from "node:process";
import type { FileInfo, FsBackend, RawDir, RawDirEntry, RawFile, RawOpenOptions } from "../../src/backend/fs.ts";
import { fileInfo } from "../shared/file-info.ts";
import { closedFileError, fsError, rethrowAs } from "../shared/fs-error.ts";
import { osError } from "../shared/os-error.ts";

/** The open(2) flags of `options`. */
export function openFlags(options: RawOpenOptions): number {
  let flags = options.read && options.write ? constants.O_RDWR : options.write ? constants.O_WRONLY : constants.O_RDONLY;
  if (options.append) flags |= constants.O_APPEND;
  if (options.create) flags |= constants.O_CREAT;
  if (options.exclusive) flags |= constants.O_EXCL;
  if (options.truncate) flags |= constants.O_TRUNC;
  return flags;
}

/** The portable FileInfo of Node's `Stats`. */
export function infoOfStats(stats: Stats): FileInfo {
  return fileInfo(stats);
}

/**
 * An open file on a `FileHandle`. Reads and writes where the last one ended pass
 * `position: null` (read(2)/write(2), which move the kernel's offset); others pass the
 * position (pread/pwrite). See `RawFile` for why.
 */
export class NodeFile implements RawFile {
  readonly #handle: fsp.FileHandle;
  readonly #path: string;
  readonly #append: boolean;
  /** The kernel's file offset as far as we know; -1 when unknown (after an append). */
  #offset = 0;
  #closing: Promise<void> | undefined = undefined;

  constructor(handle: fsp.FileHandle, path: string, append: boolean) {
    this.#handle = handle;
    this.#path = path;
    this.#append = append;
  }

  get fd(): number {
    return this.#handle.fd;
  }

  /** @internal A child process sharing the descriptor moved the kernel's offset. */
  _offsetMoved(offset: number): void {
    this.#offset = this.#append ? -1 : offset;
  }

  get raw(): unknown {
    return this.#handle;
  }

  read(buffer: Uint8Array<ArrayBuffer>, position: number): Promise<number> {
    if (this.#closing !== undefined) return Promise.reject(closedFileError("read", this.#path));
    const sequential = position === this.#offset;
    return this.#handle.read(buffer, 0, buffer.length, sequential ? null : position).then(
      ({ bytesRead }) => {
        if (sequential) this.#offset += bytesRead;
        return bytesRead;
      },
      rethrowAs("read", this.#path),
    );
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    if (this.#closing !== undefined) throw closedFileError("write", this.#path);
    let written = 0;
    try {
      while (written < data.length) {
        const at = position + written;
        const sequential = this.#append || at === this.#offset;
        const { bytesWritten } = await this.#handle.write(data, written, data.length - written, sequential ? null : at);
        written += bytesWritten;
        if (this.#append) this.#offset = -1;
        else if (sequential) this.#offset += bytesWritten;
      }
    } catch (error) {
      throw fsError(error, "write", this.#path);
    }
  }

  truncate(size: number): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedFileError("ftruncate", this.#path));
    return this.#handle.truncate(size).catch(rethrowAs("ftruncate", this.#path));
  }

  sync(): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedFileError("fsync", this.#path));
    return this.#handle.sync().catch(rethrowAs("fsync", this.#path));
  }

  stat(): Promise<FileInfo> {
    if (this.#closing !== undefined) return Promise.reject(closedFileError("fstat", this.#path));
    return this.#handle.stat().then(infoOfStats, rethrowAs("fstat", this.#path));
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#handle.close().catch(() => {}));
  }
}

/** The RawDirEntry type of a Dirent (Node's own lstat fills in what readdir leaves unknown). */
export function entryOf(dirent: Dirent): RawDirEntry {
  const type = dirent.isFile()
    ? "file"
    : dirent.isDirectory()
    ? "directory"
    : dirent.isSymbolicLink()
    ? "symlink"
    : dirent.isFIFO() || dirent.isSocket() || dirent.isBlockDevice() || dirent.isCharacterDevice()
    ? "other"
    : "unknown";
  return { name: dirent.name, type };
}

/** How many entries one `next()` collects at most. */
const DIR_BATCH = 64;

/**
 * A streamed listing on `fs.opendir` (it reads the directory `bufferSize` entries at a
 * time). `Dir.read()` returns one entry per promise and may not be called concurrently
 * (Deno's node:fs refuses), so `next()` collects a batch with sequential reads.
 */
class NodeDir implements RawDir {
  readonly #dir: import("node:fs").Dir;
  readonly #path: string;
  #done = false;
  #closing: Promise<void> | undefined = undefined;

  constructor(dir: import("node:fs").Dir, path: string) {
    this.#dir = dir;
    this.#path = path;
  }

  async next(): Promise<RawDirEntry[] | null> {
    if (this.#done || this.#closing !== undefined) return null;
    const batch: RawDirEntry[] = [];
    try {
      while (batch.length < DIR_BATCH) {
        const dirent = await this.#dir.read();
        if (dirent === null) {
          this.#done = true;
          break;
        }
        batch.push(entryOf(dirent));
      }
    } catch (error) {
      throw fsError(error, "readdir", this.#path);
    }
    if (batch.length === 0) {
      void this.close();
      return null;
    }
    return batch;
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#dir.close().catch(() => {}));
  }
}

/** A listing read in one call, handed out as one batch. */
export class ListedDir implements RawDir {
  #entries: RawDirEntry[] | null;

  constructor(entries: RawDirEntry[]) {
    this.#entries = entries.length === 0 ? null : entries;
  }

  next(): Promise<RawDirEntry[] | null> {
    const entries = this.#entries;
    this.#entries = null;
    return Promise.resolve(entries);
  }

  close(): Promise<void> {
    this.#entries = null;
    return Promise.resolve();
  }
}

/**
 * Deno's node:fs `Dir` (2.9) keeps its directory handle open when closed after a read
 * that did not reach the end: on Deno's compatibility layer this adapter lists a
 * directory in one `readdir` instead (the deno adapter streams with `Deno.readDir`).
 */
const dirLeaksOnClose = (globalThis as { Deno?: unknown }).Deno !== undefined;

/** Running on Deno's node: compatibility layer. */
const onDeno = dirLeaksOnClose;

/**
 * Deno's node:fs `rmdir` and `unlink` are both `Deno.remove` (2.9: `rmdir` removes a
 * file): on Deno's compatibility layer the entry's kind is checked first, so the errors
 * are POSIX's (`ENOTDIR`, `EISDIR`).
 */
async function checkKind(path: string, syscall: "rmdir" | "unlink"): Promise<void> {
  const stats = await fsp.lstat(path);
  if (syscall === "rmdir" && !stats.isDirectory()) throw osError("ENOTDIR", syscall, { path });
  if (syscall === "unlink" && stats.isDirectory()) throw osError("EISDIR", syscall, { path });
}

/** The node:fs file system. */
export const nodeFs: FsBackend = {
  open: (path, options) =>
    fsp.open(path, openFlags(options), options.mode).then(
      (handle) => new NodeFile(handle, path, options.append),
      rethrowAs("open", path),
    ),
  stat: (path) => fsp.stat(path).then(infoOfStats, rethrowAs("stat", path)),
  lstat: (path) => fsp.lstat(path).then(infoOfStats, rethrowAs("lstat", path)),
  openDir: (path) =>
    dirLeaksOnClose
      ? fsp.readdir(path, { withFileTypes: true }).then(
        (dirents): RawDir => new ListedDir(dirents.map(entryOf)),
        rethrowAs("opendir", path),
      )
      : fsp.opendir(path, { bufferSize: 256 }).then((dir): RawDir => new NodeDir(dir, path), rethrowAs("opendir", path)),
  mkdir: (path, mode) => fsp.mkdir(path, { mode }).then(() => {}, rethrowAs("mkdir", path)),
  rmdir: (path) =>
    (onDeno ? checkKind(path, "rmdir") : Promise.resolve()).then(() => fsp.rmdir(path)).catch(rethrowAs("rmdir", path)),
  unlink: (path) =>
    (onDeno ? checkKind(path, "unlink") : Promise.resolve()).then(() => fsp.unlink(path)).catch(rethrowAs("unlink", path)),
  rename: (from, to) => fsp.rename(from, to).catch(rethrowAs("rename", from, to)),
  symlink: (target, path) => fsp.symlink(target, path).catch(rethrowAs("symlink", path, target)),
  link: (existing, path) => fsp.link(existing, path).catch(rethrowAs("link", existing, path)),
  readlink: (path) => fsp.readlink(path).catch(rethrowAs("readlink", path)),
  realpath: (path) => fsp.realpath(path).catch(rethrowAs("realpath", path)),
  chmod: (path, mode) => fsp.chmod(path, mode).catch(rethrowAs("chmod", path)),
  utimes: (path, atimeMs, mtimeMs) => fsp.utimes(path, atimeMs / 1000, mtimeMs / 1000).catch(rethrowAs("utime", path)),
  readFile: (path) =>
    fsp.readFile(path).then(
      (buffer) => new Uint8Array(buffer.buffer as ArrayBuffer, buffer.byteOffset, buffer.byteLength),
      rethrowAs("open", path),
    ),
  writeFile: (path, data, { exclusive, mode }) =>
    fsp.writeFile(path, data, { flag: exclusive ? "wx" : "w", mode }).catch(rethrowAs("open", path)),
  copyFile: (from, to) => fsp.copyFile(from, to).catch(rethrowAs("copyfile", from, to)),
  cwd: () => Promise.resolve(process.cwd()),
  homedir: () => Promise.resolve(process.env.HOME || homedir()),
};
