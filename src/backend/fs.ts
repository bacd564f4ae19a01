/**
 * The file-system contract of a backend: raw files, directory listings and path
 * operations that an adapter provides with its runtime's fastest API, and that `src/fs/`
 * builds `openFile`, `AsyncFile` and `Path` on (buffering, text decoding, cancellation and
 * every check are written once there).
 *
 * Errors: every method rejects with the portable OS error of `backends/shared/os-error.ts`
 * (an `Error` whose `code` is the POSIX name, whose message names the path, with the
 * runtime's error as `cause`), never with the runtime's own error.
 *
 * Paths are strings, absolute or relative to the process's working directory, already
 * checked by the core (non-empty, no NUL byte).
 *
 * @module
 */

/**
 * What `stat()` reports about a file, the same on every backend. Times are `Date`s (a
 * file system that does not record a birth time gives `new Date(0)`); `mode` holds the
 * file type bits (`S_IFMT`) and the permission bits, as `st_mode` does.
 *
 * @example
 * ```ts
 * import { Path, run } from "@anyts/anyts";
 * await run(async () => {
 *   const info = await new Path("/etc/hostname").stat();
 *   console.log(info.size, (info.mode & 0o777).toString(8), info.isFile, info.mtime);
 * });
 * ```
 */
export interface FileInfo {
  /** The size in bytes. */
  readonly size: number;
  /** `st_mode`: the file type bits and the permission bits. */
  readonly mode: number;
  /** The owner's user id. */
  readonly uid: number;
  /** The owner's group id. */
  readonly gid: number;
  /** The id of the device holding the file. */
  readonly dev: number;
  /** The inode number. */
  readonly ino: number;
  /** The number of hard links. */
  readonly nlink: number;
  /** The device id of a device file (0 otherwise). */
  readonly rdev: number;
  /** The last access. */
  readonly atime: Date;
  /** The last modification of the contents. */
  readonly mtime: Date;
  /** The last change of the inode (metadata). */
  readonly ctime: Date;
  /** The creation, where the file system records it; `new Date(0)` where it does not. */
  readonly birthtime: Date;
  /** A regular file. */
  readonly isFile: boolean;
  /** A directory. */
  readonly isDirectory: boolean;
  /** A symbolic link (only from `lstat`). */
  readonly isSymlink: boolean;
  /** A named pipe. */
  readonly isFifo: boolean;
  /** A Unix socket. */
  readonly isSocket: boolean;
  /** A block device. */
  readonly isBlockDevice: boolean;
  /** A character device. */
  readonly isCharDevice: boolean;
}

/**
 * How {@linkcode FsBackend.open} opens a file: the `open(2)` flags, already derived by the
 * core from the mode string (`"r+"` is `{ read: true, write: true }`, `"x"` is
 * `{ write: true, create: true, exclusive: true }`, and so on).
 *
 * @example
 * ```ts
 * import type { RawOpenOptions } from "@anyts/anyts";
 * const appendOnly: RawOpenOptions = {
 *   read: false, write: true, append: true, create: true, exclusive: false, truncate: false, mode: 0o666,
 * };
 * ```
 */
export interface RawOpenOptions {
  /** O_RDONLY / O_RDWR. */
  readonly read: boolean;
  /** O_WRONLY / O_RDWR. */
  readonly write: boolean;
  /** O_APPEND: every write goes to the end of the file. */
  readonly append: boolean;
  /** O_CREAT. */
  readonly create: boolean;
  /** O_EXCL (with `create`): fail with `EEXIST` if the file exists. */
  readonly exclusive: boolean;
  /** O_TRUNC. */
  readonly truncate: boolean;
  /** The permission bits of a created file (before the umask). */
  readonly mode: number;
}

/**
 * An open file as a backend provides it: positioned reads and writes, nothing buffered.
 * The core's `AsyncFile` adds, once for every backend, the buffering, the text layer, the
 * position, checkpoints and cancellation. At most one operation is pending at a time (the
 * core serialises them), and an operation whose caller was cancelled is never abandoned:
 * the core waits for it before it uses or closes the file again.
 *
 * **The file offset and the descriptor.** `read` and `write` take the position to work at.
 * A backend keeps the kernel's file offset in step with sequential use: when `position` is
 * where the previous read or write ended, it reads or writes at the kernel's offset
 * (`read(2)`, `write(2)`), which moves it; at any other position it uses `pread`/`pwrite`
 * (Node, Bun) or seeks first (Deno). So a file read or written from the start, without
 * seeks, has its kernel offset where the core's position is (minus read-ahead), which is
 * what a child process inheriting `fd` sees. In append mode the kernel puts every write at
 * the end of the file, whatever `position` says.
 *
 * `fd` is the OS file descriptor where the runtime exposes one: Node's
 * `FileHandle.fd`, Bun's descriptor from node:fs. Deno exposes none (`undefined`); there a
 * child process gets the file's bytes through a pipe. Code handing `fd` to a child must
 * call the `AsyncFile`'s `flush()` first, so that buffered writes are in the file.
 *
 * @example
 * ```ts
 * import type { RawFile } from "@anyts/anyts";
 * async function firstBytes(file: RawFile): Promise<Uint8Array> {
 *   const buffer = new Uint8Array(16);
 *   const count = await file.read(buffer, 0);
 *   return buffer.subarray(0, count);
 * }
 * ```
 */
export interface RawFile {
  /**
   * Reads up to `buffer.length` bytes at `position` into `buffer`; resolves to how many
   * (0 at the end of the file). The caller owns `buffer`.
   */
  read(buffer: Uint8Array<ArrayBuffer>, position: number): Promise<number>;
  /**
   * Writes all of `data` at `position` (in append mode: at the end of the file); resolves
   * once every byte was written. The caller does not touch `data` until then.
   */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Truncates (or extends with zeros) to `size` bytes. */
  truncate(size: number): Promise<void>;
  /** `fsync`: the data and metadata reach the storage device. */
  sync(): Promise<void>;
  /** `fstat`. */
  stat(): Promise<FileInfo>;
  /** Closes the file. Idempotent; never rejects. */
  close(): Promise<void>;
  /** The OS file descriptor where the runtime exposes one (Node, Bun); `undefined` on Deno. */
  readonly fd: number | undefined;
  /** The runtime's own file object: a Node `FileHandle`, a `Deno.FsFile`, Bun's `FileHandle`. */
  readonly raw: unknown;
  /**
   * A child process that shared `fd` moved the kernel's offset to `offset`: the backend
   * takes it as the offset it knows (so that its next sequential read or write is right).
   * Only backends with an `fd` have it.
   *
   * @internal
   */
  _offsetMoved?(offset: number): void;
}

/**
 * One entry of a directory listing: its name and what the directory says it is, without
 * following a symbolic link (`"unknown"` when the file system does not say, so the core
 * must `lstat` it).
 *
 * @example
 * ```ts
 * import type { RawDirEntry } from "@anyts/anyts";
 * const entry: RawDirEntry = { name: "notes.txt", type: "file" };
 * ```
 */
export interface RawDirEntry {
  /** The entry's name (no slash). */
  readonly name: string;
  /** The entry's type, without following a symbolic link. */
  readonly type: "file" | "directory" | "symlink" | "other" | "unknown";
}

/**
 * An open directory listing, read in batches: where the runtime streams a directory
 * (Node's `opendir`, Deno's `readDir`), a huge directory is never held in memory whole;
 * where it cannot (Bun lists a directory in one call), the backend says so in a comment.
 * `.` and `..` are never listed.
 *
 * @example
 * ```ts
 * import type { RawDir } from "@anyts/anyts";
 * async function countEntries(dir: RawDir): Promise<number> {
 *   let count = 0;
 *   for (let batch = await dir.next(); batch !== null; batch = await dir.next()) count += batch.length;
 *   await dir.close();
 *   return count;
 * }
 * ```
 */
export interface RawDir {
  /** The next entries (at least one), or `null` once the listing is done. At most one pending. */
  next(): Promise<RawDirEntry[] | null>;
  /** Ends the listing and releases it. Idempotent; never rejects. */
  close(): Promise<void>;
}

/**
 * What a backend provides for files and paths: `Backend.fs`. Every method rejects with
 * the portable OS error (see the module comment). Relative paths are relative to the
 * process's working directory.
 *
 * @example
 * ```ts
 * import { loadBackend } from "@anyts/anyts";
 * const backend = await loadBackend("node");
 * const info = await backend.fs.stat("/");
 * console.log(info.isDirectory); // true
 * ```
 */
export interface FsBackend {
  /**
   * Opens a file. Opening a directory for reading succeeds here (as `open(2)` does); the
   * core rejects it with `EISDIR`.
   */
  open(path: string, options: RawOpenOptions): Promise<RawFile>;
  /** `stat`, following symbolic links. */
  stat(path: string): Promise<FileInfo>;
  /** `lstat`: a symbolic link itself. */
  lstat(path: string): Promise<FileInfo>;
  /** Opens a directory listing; rejects at once if `path` is missing or not a directory. */
  openDir(path: string): Promise<RawDir>;
  /** `mkdir` of one directory (its parent must exist). */
  mkdir(path: string, mode: number): Promise<void>;
  /** `rmdir` of an empty directory. */
  rmdir(path: string): Promise<void>;
  /** `unlink` of a file or symbolic link. */
  unlink(path: string): Promise<void>;
  /** `rename(2)`: atomically replaces an existing file (or empty directory) at `to`. */
  rename(from: string, to: string): Promise<void>;
  /** Creates a symbolic link at `path` pointing to `target` (stored as given). */
  symlink(target: string, path: string): Promise<void>;
  /** Creates a hard link at `path` to the existing file `existing`. */
  link(existing: string, path: string): Promise<void>;
  /** The target of a symbolic link, as stored. */
  readlink(path: string): Promise<string>;
  /** The canonical absolute path (every symbolic link resolved); the file must exist. */
  realpath(path: string): Promise<string>;
  /** `chmod` (following symbolic links). */
  chmod(path: string, mode: number): Promise<void>;
  /** Sets the access and modification times (milliseconds since the epoch), following links. */
  utimes(path: string, atimeMs: number, mtimeMs: number): Promise<void>;
  /** The whole contents of a file. */
  readFile(path: string): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * Writes `data` as the whole contents of a file, creating it (`mode` before the umask)
   * or truncating it; `exclusive` fails with `EEXIST` if it exists.
   */
  writeFile(path: string, data: Uint8Array, options: { readonly exclusive: boolean; readonly mode: number }): Promise<void>;
  /** Copies a regular file's contents (and permission bits) to `to`, replacing a file there. */
  copyFile(from: string, to: string): Promise<void>;
  /** The process's working directory. */
  cwd(): Promise<string>;
  /** The current user's home directory (`$HOME`, else the system's record). */
  homedir(): Promise<string>;
}
