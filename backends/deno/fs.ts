/**
 * The file-system half of the Deno adapter, on Deno's own API: `Deno.open` and the
 * `Deno.FsFile`'s `read` / `write` / `seekSync`, `Deno.readDir` (which streams: one entry
 * per call into the runtime), and Deno's path functions. No node: module is needed.
 *
 * Emulated: Deno has one `Deno.remove` for files and empty directories, so `unlink` and
 * `rmdir` look at the entry first and fail as POSIX does (`EISDIR`, `ENOTDIR`) instead of
 * removing the wrong kind of thing.
 *
 * @module
 */
import type { FileInfo, FsBackend, RawDir, RawDirEntry, RawFile } from "../../src/backend/fs.ts";
import { fileInfo } from "../shared/file-info.ts";
import { closedFileError, fsError, rethrowAs } from "../shared/fs-error.ts";
import { osError } from "../shared/os-error.ts";
import { type DenoDirEntry, type DenoFileInfo, denoFsApi, type DenoFsFile } from "./fs-api.ts";

function infoOf(info: DenoFileInfo): FileInfo {
  return fileInfo({
    size: info.size,
    mode: info.mode ?? 0,
    uid: info.uid ?? 0,
    gid: info.gid ?? 0,
    dev: info.dev,
    ino: info.ino ?? 0,
    nlink: info.nlink ?? 0,
    rdev: info.rdev ?? 0,
    atimeMs: info.atime?.getTime() ?? 0,
    mtimeMs: info.mtime?.getTime() ?? 0,
    ctimeMs: info.ctime?.getTime() ?? 0,
    birthtimeMs: info.birthtime?.getTime() ?? 0,
  });
}

/**
 * An open `Deno.FsFile`. Deno has no pread/pwrite: a read or write at another position
 * than where the last one ended seeks first (`seekSync`, an lseek that never blocks).
 */
class DenoFile implements RawFile {
  readonly #file: DenoFsFile;
  readonly #path: string;
  readonly #append: boolean;
  /** The file offset as far as we know; -1 when unknown (after an append). */
  #offset = 0;
  #closed = false;

  constructor(file: DenoFsFile, path: string, append: boolean) {
    this.#file = file;
    this.#path = path;
    this.#append = append;
  }

  get fd(): undefined {
    return undefined;
  }

  get raw(): unknown {
    return this.#file;
  }

  async read(buffer: Uint8Array<ArrayBuffer>, position: number): Promise<number> {
    if (this.#closed) throw closedFileError("read", this.#path);
    try {
      if (position !== this.#offset) {
        this.#offset = -1;
        this.#offset = this.#file.seekSync(position, 0);
      }
      const count = (await this.#file.read(buffer)) ?? 0;
      this.#offset += count;
      return count;
    } catch (error) {
      throw fsError(error, "read", this.#path);
    }
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    if (this.#closed) throw closedFileError("write", this.#path);
    try {
      if (!this.#append && position !== this.#offset) {
        this.#offset = -1;
        this.#offset = this.#file.seekSync(position, 0);
      }
      let written = 0;
      while (written < data.length) {
        const count = await this.#file.write(written === 0 ? data : data.subarray(written));
        written += count;
        if (this.#append) this.#offset = -1;
        else this.#offset += count;
      }
    } catch (error) {
      this.#offset = -1;
      throw fsError(error, "write", this.#path);
    }
  }

  truncate(size: number): Promise<void> {
    if (this.#closed) return Promise.reject(closedFileError("ftruncate", this.#path));
    return this.#file.truncate(size).catch(rethrowAs("ftruncate", this.#path));
  }

  sync(): Promise<void> {
    if (this.#closed) return Promise.reject(closedFileError("fsync", this.#path));
    return this.#file.sync().catch(rethrowAs("fsync", this.#path));
  }

  stat(): Promise<FileInfo> {
    if (this.#closed) return Promise.reject(closedFileError("fstat", this.#path));
    return this.#file.stat().then(infoOf, rethrowAs("fstat", this.#path));
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#file.close();
      } catch {
        // Already closed by the runtime: nothing to release.
      }
    }
    return Promise.resolve();
  }
}

function entryOf(entry: DenoDirEntry): RawDirEntry {
  const type = entry.isFile ? "file" : entry.isDirectory ? "directory" : entry.isSymlink ? "symlink" : "other";
  return { name: entry.name, type };
}

/** How many entries one `next()` collects at most. */
const DIR_BATCH = 64;

/** A listing on `Deno.readDir`'s iterator, which reads one entry per call. */
class DenoDir implements RawDir {
  readonly #entries: AsyncIterator<DenoDirEntry>;
  readonly #path: string;
  #first: DenoDirEntry | undefined;
  #done: boolean;
  /** Deno's iterator ended by itself (and released the directory). */
  #ended: boolean;

  constructor(entries: AsyncIterator<DenoDirEntry>, path: string, first: IteratorResult<DenoDirEntry>) {
    this.#entries = entries;
    this.#path = path;
    this.#done = first.done === true;
    this.#ended = this.#done;
    this.#first = first.done === true ? undefined : first.value;
  }

  async next(): Promise<RawDirEntry[] | null> {
    if (this.#done) return null;
    const batch: RawDirEntry[] = [];
    if (this.#first !== undefined) {
      batch.push(entryOf(this.#first));
      this.#first = undefined;
    }
    try {
      while (batch.length < DIR_BATCH) {
        const result = await this.#entries.next();
        if (result.done === true) {
          this.#done = this.#ended = true;
          break;
        }
        batch.push(entryOf(result.value));
      }
    } catch (error) {
      this.#done = true;
      throw fsError(error, "readdir", this.#path);
    }
    return batch.length === 0 ? null : batch;
  }

  async close(): Promise<void> {
    if (this.#ended) return;
    this.#done = this.#ended = true;
    this.#first = undefined;
    try {
      await this.#entries.return?.();
    } catch {
      // Nothing left to release.
    }
  }
}

async function openDir(path: string): Promise<RawDir> {
  const entries = denoFsApi().readDir(path)[Symbol.asyncIterator]();
  let first: IteratorResult<DenoDirEntry>;
  try {
    // Deno opens the directory on the first call: a missing one fails here, at once.
    first = await entries.next();
  } catch (error) {
    throw fsError(error, "opendir", path);
  }
  return new DenoDir(entries, path, first);
}

/** Removes `path` with `Deno.remove` only if it is the kind of entry `syscall` removes. */
async function removeKind(path: string, syscall: "unlink" | "rmdir"): Promise<void> {
  const deno = denoFsApi();
  let info: DenoFileInfo;
  try {
    info = await deno.lstat(path);
  } catch (error) {
    throw fsError(error, syscall, path);
  }
  if (syscall === "unlink" && info.isDirectory) throw osError("EISDIR", syscall, { path });
  if (syscall === "rmdir" && !info.isDirectory) throw osError("ENOTDIR", syscall, { path });
  await deno.remove(path).catch(rethrowAs(syscall, path));
}

/** The Deno file system. */
export const denoFs: FsBackend = {
  open: (path, options) =>
    denoFsApi().open(path, {
      read: options.read,
      write: options.write,
      append: options.append,
      create: options.create && !options.exclusive,
      createNew: options.create && options.exclusive,
      truncate: options.truncate,
      mode: options.mode,
    }).then((file) => new DenoFile(file, path, options.append), rethrowAs("open", path)),
  stat: (path) => denoFsApi().stat(path).then(infoOf, rethrowAs("stat", path)),
  lstat: (path) => denoFsApi().lstat(path).then(infoOf, rethrowAs("lstat", path)),
  openDir,
  mkdir: (path, mode) => denoFsApi().mkdir(path, { mode }).catch(rethrowAs("mkdir", path)),
  rmdir: (path) => removeKind(path, "rmdir"),
  unlink: (path) => removeKind(path, "unlink"),
  rename: (from, to) => denoFsApi().rename(from, to).catch(rethrowAs("rename", from, to)),
  symlink: (target, path) => denoFsApi().symlink(target, path).catch(rethrowAs("symlink", path, target)),
  link: (existing, path) => denoFsApi().link(existing, path).catch(rethrowAs("link", existing, path)),
  readlink: (path) => denoFsApi().readLink(path).catch(rethrowAs("readlink", path)),
  realpath: (path) => denoFsApi().realPath(path).catch(rethrowAs("realpath", path)),
  chmod: (path, mode) => denoFsApi().chmod(path, mode).catch(rethrowAs("chmod", path)),
  utimes: (path, atimeMs, mtimeMs) =>
    denoFsApi().utime(path, new Date(atimeMs), new Date(mtimeMs)).catch(rethrowAs("utime", path)),
  readFile: (path) => denoFsApi().readFile(path).catch(rethrowAs("open", path)),
  writeFile: (path, data, { exclusive, mode }) =>
    // Deno.writeFile applies `mode` with a chmod (the umask does not apply): pass it only
    // when it is not open(2)'s usual 0o666, so that a new file gets 0o666 minus the umask.
    denoFsApi().writeFile(path, data, mode === 0o666 ? { createNew: exclusive } : { createNew: exclusive, mode })
      .catch(rethrowAs("open", path)),
  copyFile: (from, to) => denoFsApi().copyFile(from, to).catch(rethrowAs("copyfile", from, to)),
  cwd: () => {
    try {
      return Promise.resolve(denoFsApi().cwd());
    } catch (error) {
      return Promise.reject(fsError(error, "getcwd", "."));
    }
  },
  homedir: () => {
    let home: string | undefined;
    try {
      home = denoFsApi().env.get("HOME");
    } catch (error) {
      return Promise.reject(fsError(error, "getenv", "HOME"));
    }
    if (home === undefined || home === "") return Promise.reject(new Error("homedir: $HOME is not set"));
    return Promise.resolve(home);
  },
};
