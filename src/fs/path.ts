/**
 * {@linkcode Path}: AnyIO's async `Path` (Python's `pathlib.Path`, in camelCase): the pure
 * path logic of {@linkcode PurePath} plus the file system, through the current backend.
 *
 * @module
 */
import type { FileInfo } from "../backend/fs.ts";
import { type CancelScope, currentScope } from "../core/cancel-scope.ts";
import { checkOptions, describeType } from "../core/options.ts";
import type { AsyncFile, WriteData } from "./async-file.ts";
import { type CopyOptions, copyPath, movePath } from "./copy.ts";
import { checkPathText, fsCall, fsOpen } from "./fs-call.ts";
import { openFile, type OpenFileOptions } from "./open-file.ts";
import type { OpenBinaryMode, OpenMode, OpenTextMode } from "./open-mode.ts";
import { type PathLike, PurePath, toPurePath } from "./pure-path.ts";
import { groupName, homeOf, userName } from "./users.ts";
import { DirIterator, globPaths, walkTree, type WalkOptions } from "./walk.ts";

export type { CopyOptions } from "./copy.ts";
export type { WalkOptions } from "./walk.ts";

/** Errors that mean "no such file" to `exists` and the `is*` tests (as pathlib's). */
const ABSENT = new Set(["ENOENT", "ENOTDIR", "EBADF", "ELOOP"]);

function isAbsent(error: unknown): boolean {
  return ABSENT.has((error as { code?: unknown } | null)?.code as string);
}

function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${name} must be a boolean, got ${describeType(value)}`);
  return value;
}

function checkMode(value: unknown, name: string): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${describeType(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > 0o7777) {
    throw new RangeError(`${name} must be an integer from 0 to 0o7777, got ${value}`);
  }
  return value;
}

/**
 * A file-system path: the pure POSIX logic of {@linkcode PurePath} (immutable, no I/O)
 * plus async methods that go to the current backend, each a checkpoint. Errors are the
 * portable OS errors (`code` `ENOENT`, `EEXIST`, `EISDIR`, `ENOTDIR`, `EACCES`,
 * `ENOTEMPTY`, … and a message naming the path). Relative paths are relative to the
 * process's working directory.
 *
 * @example
 * ```ts
 * import { Path, run } from "@anyts/anyts";
 * await run(async () => {
 *   const dir = new Path("/tmp", "anyts-example");
 *   await dir.mkdir({ parents: true, existOk: true });
 *   await dir.joinpath("notes.txt").writeText("hello\n");
 *   for await (const entry of dir.glob("*.txt")) console.log(entry.name, (await entry.stat()).size);
 * });
 * ```
 */
export class Path extends PurePath {
  /** The process's working directory. */
  static async cwd(): Promise<Path> {
    return new Path(await fsCall((fs) => fs.cwd()));
  }

  /** The current user's home directory (`$HOME`, else the system's record). */
  static async home(): Promise<Path> {
    return new Path(await fsCall((fs) => fs.homedir()));
  }

  /** This path's string, checked for the backend. */
  #text(where: string): string {
    return checkPathText(this.toString(), where);
  }

  // ------------------------------------------------------------- where it is

  /** This path made absolute by prefixing the working directory (no `..` or links resolved). */
  async absolute(): Promise<this> {
    if (this.isAbsolute()) return this;
    const cwd = await fsCall((fs) => fs.cwd());
    return this._make("", []).joinpath(cwd, this);
  }

  /**
   * The absolute path with every symbolic link and `..` resolved. With `strict`, the path
   * must exist; otherwise what does not exist is appended as it is (Python's `resolve`).
   *
   * @example
   * ```ts
   * import { Path } from "@anyts/anyts";
   * console.log((await new Path("/tmp/../etc/./hosts").resolve()).toString()); // /etc/hosts
   * ```
   */
  async resolve(options?: { strict?: boolean }): Promise<this> {
    const { strict = false } = checkOptions(options, ["strict"], "resolve");
    checkBoolean(strict, "strict");
    const scope = currentScope();
    const absolute = await this.absolute();
    if (strict) return this._make("/", new PurePath(await this.#realpath(absolute, scope))._tail);
    return await this.#resolveLoosely(absolute, scope);
  }

  async #realpath(path: PurePath, scope: CancelScope): Promise<string> {
    const text = checkPathText(path.toString(), "resolve");
    return await fsCall((fs) => fs.realpath(text), scope);
  }

  async #resolveLoosely(path: this, scope: CancelScope): Promise<this> {
    try {
      return this._make("/", new PurePath(await this.#realpath(path, scope))._tail);
    } catch (error) {
      if (!isAbsent(error) || path._tail.length === 0) throw error;
    }
    // Missing (or a loop): resolve the parent as far as it goes, then add the name.
    const parent = await this.#resolveLoosely(path.parent, scope);
    if (path.name === "..") return parent.parent;
    const joined = parent._child(path.name);
    try {
      return this._make("/", new PurePath(await this.#realpath(joined, scope))._tail);
    } catch (error) {
      if (isAbsent(error)) return joined;
      throw error;
    }
  }

  /** `~` or `~user` at the start replaced by that home directory. */
  async expanduser(): Promise<this> {
    const first = this._tail[0];
    if (this.isAbsolute() || first === undefined || !first.startsWith("~")) return this;
    const scope = currentScope();
    const home = first === "~" ? await fsCall((fs) => fs.homedir(), scope) : await homeOf(first.slice(1), scope);
    return this._make("", []).joinpath(home, ...this._tail.slice(1));
  }

  // ------------------------------------------------------------- what it is

  /** `stat`: the file's {@linkcode FileInfo}, following a symbolic link unless asked not to. */
  stat(options?: { followSymlinks?: boolean }): Promise<FileInfo> {
    let follow = true;
    let text: string;
    try {
      if (options !== undefined) {
        follow = checkBoolean(checkOptions(options, ["followSymlinks"], "stat").followSymlinks ?? true, "followSymlinks");
      }
      text = this.#text("stat");
    } catch (error) {
      return Promise.reject(error);
    }
    return fsCall((fs) => (follow ? fs.stat(text) : fs.lstat(text)));
  }

  /** `lstat`: a symbolic link itself. */
  lstat(): Promise<FileInfo> {
    return this.stat({ followSymlinks: false });
  }

  async #test(predicate: (info: FileInfo) => boolean, followSymlinks = true): Promise<boolean> {
    try {
      return predicate(await this.stat({ followSymlinks }));
    } catch (error) {
      if (isAbsent(error)) return false;
      throw error;
    }
  }

  /** Whether the path exists (following a symbolic link unless asked not to). */
  exists(options?: { followSymlinks?: boolean }): Promise<boolean> {
    const { followSymlinks = true } = checkOptions(options, ["followSymlinks"], "exists");
    return this.#test(() => true, checkBoolean(followSymlinks, "followSymlinks"));
  }

  /** Whether the path is a directory (or a link to one). */
  isDir(): Promise<boolean> {
    return this.#test((info) => info.isDirectory);
  }

  /** Whether the path is a regular file (or a link to one). */
  isFile(): Promise<boolean> {
    return this.#test((info) => info.isFile);
  }

  /** Whether the path is a symbolic link. */
  isSymlink(): Promise<boolean> {
    return this.#test((info) => info.isSymlink, false);
  }

  /** Whether the path is a named pipe. */
  isFifo(): Promise<boolean> {
    return this.#test((info) => info.isFifo);
  }

  /** Whether the path is a Unix socket. */
  isSocket(): Promise<boolean> {
    return this.#test((info) => info.isSocket);
  }

  /** Whether the path is a block device. */
  isBlockDevice(): Promise<boolean> {
    return this.#test((info) => info.isBlockDevice);
  }

  /** Whether the path is a character device. */
  isCharDevice(): Promise<boolean> {
    return this.#test((info) => info.isCharDevice);
  }

  /** Whether the path is a mount point (its parent is on another device, or it is `/`). */
  async isMount(): Promise<boolean> {
    let info: FileInfo;
    try {
      info = await this.lstat();
    } catch {
      return false;
    }
    if (info.isSymlink) return false;
    let parent: FileInfo;
    try {
      parent = await (await new Path(this, "..").resolve()).lstat();
    } catch {
      return false;
    }
    return info.dev !== parent.dev || info.ino === parent.ino;
  }

  /** Whether `other` is the same file (same device and inode). */
  async samefile(other: PathLike): Promise<boolean> {
    const [mine, theirs] = await Promise.all([this.stat(), new Path(other).stat()]);
    return mine.dev === theirs.dev && mine.ino === theirs.ino;
  }

  /** The name of the file's owner (from /etc/passwd). */
  async owner(): Promise<string> {
    return await userName((await this.stat()).uid, currentScope());
  }

  /** The name of the file's group (from /etc/group). */
  async group(): Promise<string> {
    return await groupName((await this.stat()).gid, currentScope());
  }

  // ------------------------------------------------------------- changing it

  /** Changes the permission bits (following a symbolic link). */
  async chmod(mode: number): Promise<void> {
    checkMode(mode, "mode");
    const text = this.#text("chmod");
    await fsCall((fs) => fs.chmod(text, mode));
  }

  /**
   * Creates the directory: with `parents`, missing parents too; with `existOk`, an existing
   * directory is fine (an existing file is still `EEXIST`).
   *
   * @example
   * ```ts
   * import { Path } from "@anyts/anyts";
   * await new Path("/tmp/anyts-example/a/b").mkdir({ parents: true, existOk: true });
   * ```
   */
  async mkdir(options?: { mode?: number; parents?: boolean; existOk?: boolean }): Promise<void> {
    const { mode = 0o777, parents = false, existOk = false } = checkOptions(options, ["mode", "parents", "existOk"], "mkdir");
    checkMode(mode, "mode");
    checkBoolean(parents, "parents");
    checkBoolean(existOk, "existOk");
    const text = this.#text("mkdir");
    try {
      await fsCall((fs) => fs.mkdir(text, mode));
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (code === "ENOENT" && parents && !this.parent.equals(this)) {
        await this.parent.mkdir({ parents: true, existOk: true });
        await this.mkdir({ mode, existOk });
        return;
      }
      if (typeof code !== "string" || !existOk || !(await this.isDir())) throw error;
    }
  }

  /** Removes the directory, which must be empty. */
  async rmdir(): Promise<void> {
    const text = this.#text("rmdir");
    await fsCall((fs) => fs.rmdir(text));
  }

  /** Removes the file or symbolic link; with `missingOk`, a missing one is fine. */
  async unlink(options?: { missingOk?: boolean }): Promise<void> {
    const { missingOk = false } = checkOptions(options, ["missingOk"], "unlink");
    checkBoolean(missingOk, "missingOk");
    const text = this.#text("unlink");
    try {
      await fsCall((fs) => fs.unlink(text));
    } catch (error) {
      if (!missingOk || (error as { code?: unknown } | null)?.code !== "ENOENT") throw error;
    }
  }

  /**
   * Creates the file if it does not exist, or updates its modification time; with
   * `existOk: false`, an existing file is `EEXIST`.
   */
  async touch(options?: { mode?: number; existOk?: boolean }): Promise<void> {
    const { mode = 0o666, existOk = true } = checkOptions(options, ["mode", "existOk"], "touch");
    checkMode(mode, "mode");
    checkBoolean(existOk, "existOk");
    const text = this.#text("touch");
    const scope = currentScope();
    if (existOk) {
      const now = Date.now();
      try {
        await fsCall((fs) => fs.utimes(text, now, now), scope);
        return;
      } catch (error) {
        if ((error as { code?: unknown } | null)?.code !== "ENOENT") throw error;
      }
    }
    const file = await fsOpen(
      (fs) => fs.open(text, { read: false, write: true, append: false, create: true, exclusive: !existOk, truncate: false, mode }),
      (late) => void late.close(),
      scope,
    );
    await file.close();
  }

  /** Renames to `target` (replacing a file there); resolves to the new path. */
  async rename(target: PathLike): Promise<Path> {
    const to = new Path(target);
    const [fromText, toText] = [this.#text("rename"), checkPathText(to.toString(), "rename")];
    await fsCall((fs) => fs.rename(fromText, toText));
    return to;
  }

  /** As `rename` (on POSIX, rename always replaces). */
  replace(target: PathLike): Promise<Path> {
    return this.rename(target);
  }

  /** Makes this path a symbolic link to `target` (stored as given). */
  async symlinkTo(target: PathLike): Promise<void> {
    const link = toPurePath(target).toString();
    const text = this.#text("symlink");
    await fsCall((fs) => fs.symlink(link, text));
  }

  /** Makes this path a hard link to the existing file `target`. */
  async hardlinkTo(target: PathLike): Promise<void> {
    const existing = checkPathText(toPurePath(target).toString(), "link");
    const text = this.#text("link");
    await fsCall((fs) => fs.link(existing, text));
  }

  /** The target of this symbolic link. */
  async readlink(): Promise<Path> {
    const text = this.#text("readlink");
    return new Path(await fsCall((fs) => fs.readlink(text)));
  }

  /**
   * Copies this file, symbolic link or directory tree to `target` and resolves to it
   * (Python 3.14's `copy`): a file replaces a file at `target`; a directory's target must
   * not exist. `followSymlinks` (default) copies what links point to, else the links;
   * `preserveMetadata` also copies permission bits and access and modification times.
   */
  copy(target: PathLike, options?: CopyOptions): Promise<Path> {
    const { followSymlinks = true, preserveMetadata = false } = checkOptions(
      options,
      ["followSymlinks", "preserveMetadata"],
      "copy",
    );
    checkBoolean(followSymlinks, "followSymlinks");
    checkBoolean(preserveMetadata, "preserveMetadata");
    return copyPath(this, new Path(target), { followSymlinks, preserveMetadata });
  }

  /** Copies into the directory `targetDirectory`, under the same name; see `copy`. */
  copyInto(targetDirectory: PathLike, options?: CopyOptions): Promise<Path> {
    return this.copy(this.#into(targetDirectory, "copyInto"), options);
  }

  /**
   * Moves this file or directory tree to `target` and resolves to it (Python 3.14's
   * `move`): `rename(2)`, or when `target` is on another device, a copy (links as links,
   * metadata kept) and then the deletion of this path.
   */
  move(target: PathLike): Promise<Path> {
    return movePath(this, new Path(target));
  }

  /** Moves into the directory `targetDirectory`, under the same name; see `move`. */
  moveInto(targetDirectory: PathLike): Promise<Path> {
    return this.move(this.#into(targetDirectory, "moveInto"));
  }

  #into(directory: PathLike, where: string): Path {
    if (this.name === "") throw new RangeError(`${where}: ${JSON.stringify(this.toString())} has no name`);
    return new Path(directory, this.name);
  }

  // ------------------------------------------------------------- contents

  /** Opens the file; see {@linkcode openFile}. */
  open(mode: OpenBinaryMode, options?: OpenFileOptions): Promise<AsyncFile<Uint8Array<ArrayBuffer>>>;
  /** Opens the file in text mode; see {@linkcode openFile}. */
  open(mode?: OpenTextMode, options?: OpenFileOptions): Promise<AsyncFile<string>>;
  /** Opens the file; see {@linkcode openFile}. */
  open(mode?: OpenMode, options?: OpenFileOptions): Promise<AsyncFile<string> | AsyncFile<Uint8Array<ArrayBuffer>>>;
  open(mode: OpenMode = "r", options?: OpenFileOptions): Promise<AsyncFile<string> | AsyncFile<Uint8Array<ArrayBuffer>>> {
    return openFile(this, mode, options);
  }

  /** The whole file as bytes. */
  async readBytes(): Promise<Uint8Array<ArrayBuffer>> {
    const text = this.#text("open");
    return await fsCall((fs) => fs.readFile(text));
  }

  /**
   * The whole file as text (`"\r\n"` and `"\r"` read as `"\n"`, as Python's `read_text`).
   *
   * @example
   * ```ts
   * import { Path } from "@anyts/anyts";
   * const hostname = (await new Path("/etc/hostname").readText()).trim();
   * ```
   */
  async readText(options?: { encoding?: string; errors?: "strict" | "replace" }): Promise<string> {
    const { encoding = "utf-8", errors = "strict" } = checkOptions(options, ["encoding", "errors"], "readText");
    if (errors !== "strict" && errors !== "replace") {
      throw new RangeError(`errors must be "strict" or "replace", got ${JSON.stringify(errors)}`);
    }
    let decoder: InstanceType<typeof TextDecoder>;
    try {
      decoder = new TextDecoder(encoding, { fatal: errors === "strict", ignoreBOM: true });
    } catch (error) {
      throw new RangeError(`encoding ${JSON.stringify(encoding)} is not supported by this runtime's TextDecoder`, { cause: error });
    }
    const bytes = await this.readBytes();
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch (error) {
      throw new TypeError(`${this}: the file is not valid ${decoder.encoding}`, { cause: error });
    }
    return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
  }

  /** Replaces the file's contents with `data` (creating it); resolves to the byte count. */
  async writeBytes(data: Uint8Array): Promise<number> {
    if (!(data instanceof Uint8Array)) throw new TypeError(`data must be a Uint8Array, got ${describeType(data)}`);
    const text = this.#text("open");
    await fsCall((fs) => fs.writeFile(text, data, { exclusive: false, mode: 0o666 }));
    return data.length;
  }

  /** Replaces the file's contents with `data`, UTF-8 encoded; resolves to `data.length`. */
  async writeText(data: WriteData<string>, options?: { encoding?: string }): Promise<number> {
    if (typeof data !== "string") throw new TypeError(`data must be a string, got ${describeType(data)}`);
    const { encoding = "utf-8" } = checkOptions(options, ["encoding"], "writeText");
    if (typeof encoding !== "string" || !/^utf-?8$/i.test(encoding)) {
      throw new RangeError(`encoding ${JSON.stringify(encoding)} cannot be written: TextEncoder encodes only UTF-8`);
    }
    await this.writeBytes(new TextEncoder().encode(data));
    return data.length;
  }

  // ------------------------------------------------------------- listing

  /**
   * The entries of this directory (no `.` or `..`), in the order the system lists them,
   * read a batch at a time where the runtime streams directories (Node, Deno), so a huge
   * directory is never held whole. `break` closes the listing; so does an error or a
   * cancellation of a step (which ends the iteration).
   *
   * @example
   * ```ts
   * import { Path } from "@anyts/anyts";
   * for await (const entry of new Path("/etc").iterdir()) console.log(entry.name);
   * ```
   */
  iterdir(): AsyncIterableIterator<Path> {
    return new DirIterator(this as Path);
  }

  /**
   * The paths below this directory that match a relative glob `pattern` (Python 3.13's
   * `glob`): `*`, `?`, `[...]` within a segment (dotfiles included), `**` for any number
   * of directories (not following symbolic links); a trailing `/` matches directories
   * only. Directories that cannot be listed are skipped.
   *
   * @example
   * ```ts
   * import { Path } from "@anyts/anyts";
   * for await (const source of new Path("src").glob("**\/*.ts")) console.log(source.toString());
   * ```
   */
  glob(pattern: string): AsyncGenerator<Path, void, undefined> {
    return globPaths(this as Path, pattern);
  }

  /** `glob("**\/" + pattern)`: matches at any depth. */
  rglob(pattern: string): AsyncGenerator<Path, void, undefined> {
    if (typeof pattern !== "string") throw new TypeError(`rglob: pattern must be a string, got ${describeType(pattern)}`);
    return globPaths(this as Path, `**/${pattern}`);
  }

  /**
   * Walks the tree below this directory (Python 3.12's `Path.walk`): yields
   * `[directory, dirnames, filenames]` for each directory, top-down by default (then
   * removing names from `dirnames` prunes the walk). Symbolic links are not followed
   * unless `followSymlinks` (a link to a directory is then in `filenames`); a directory
   * that cannot be listed goes to `onError` (default: skipped).
   */
  walk(options?: WalkOptions): AsyncGenerator<[Path, string[], string[]], void, undefined> {
    const { topDown = true, followSymlinks = false, onError } = checkOptions(
      options,
      ["topDown", "followSymlinks", "onError"],
      "walk",
    );
    checkBoolean(topDown, "topDown");
    checkBoolean(followSymlinks, "followSymlinks");
    if (onError !== undefined && typeof onError !== "function") {
      throw new TypeError(`onError must be a function, got ${describeType(onError)}`);
    }
    return walkTree(this as Path, { topDown, followSymlinks, onError });
  }
}
