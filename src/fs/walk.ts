/**
 * Directory traversal for `Path`: `iterdir` (streamed), `walk` (Python 3.12's
 * `Path.walk`) and `glob` / `rglob` (Python 3.13's semantics), on the backend's listings.
 *
 * @module
 */
import type { RawDirEntry } from "../backend/fs.ts";
import { type CancelScope, currentScope } from "../core/cancel-scope.ts";
import { Cancelled } from "../core/errors.ts";
import { DirReader } from "./dir-reader.ts";
import { checkPathText, fsCall } from "./fs-call.ts";
import { compileSegment, hasWildcard, matchesSegment } from "./glob-pattern.ts";
import type { Path } from "./path.ts";

/**
 * `Path.iterdir()`: the entries of `directory` as paths, read from the backend's listing
 * a batch at a time. An iterator, not an async generator: an entry already read costs one
 * resolved promise.
 */
export class DirIterator implements AsyncIterableIterator<Path> {
  readonly #directory: Path;
  readonly #reader: DirReader;
  #batch: readonly RawDirEntry[] = [];
  #index = 0;
  #done = false;

  constructor(directory: Path) {
    this.#directory = directory;
    this.#reader = new DirReader(checkPathText(directory.toString(), "iterdir"));
  }

  next(): Promise<IteratorResult<Path>> {
    if (this.#done) return Promise.resolve({ done: true, value: undefined });
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) {
      void this.return();
      return Promise.reject(new Cancelled(source._cancelReason));
    }
    if (this.#index < this.#batch.length) {
      return Promise.resolve({ done: false, value: this.#directory._child(this.#batch[this.#index++]!.name) });
    }
    return this.#nextBatch(scope);
  }

  async #nextBatch(scope: CancelScope): Promise<IteratorResult<Path>> {
    let batch: RawDirEntry[] | null;
    try {
      batch = await this.#reader.next(scope);
    } catch (error) {
      this.#done = true;
      throw error;
    }
    if (batch === null) {
      this.#done = true;
      return { done: true, value: undefined };
    }
    this.#batch = batch;
    this.#index = 1;
    return { done: false, value: this.#directory._child(batch[0]!.name) };
  }

  /** Ends the iteration early and closes the listing (`break` in `for await` calls it). */
  async return(): Promise<IteratorResult<Path>> {
    this.#done = true;
    this.#batch = [];
    await this.#reader.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Path> {
    return this;
  }
}

/** Every entry of a directory (the listing closed afterwards, whatever happens). */
export async function listDir(directory: Path, scope: CancelScope): Promise<RawDirEntry[]> {
  const reader = new DirReader(checkPathText(directory.toString(), "scandir"));
  const entries: RawDirEntry[] = [];
  try {
    for (let batch = await reader.next(scope); batch !== null; batch = await reader.next(scope)) {
      for (const entry of batch) entries.push(entry);
    }
  } finally {
    await reader.close();
  }
  return entries;
}

/** Whether an error is an OS error (the portable shape): traversal skips those. */
function isOsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" && /^E[A-Z0-9]+$/.test(code);
}

/** Whether `entry` of `directory` is a directory, following a symbolic link if asked. */
async function isDirectoryEntry(
  directory: Path,
  entry: RawDirEntry,
  followSymlinks: boolean,
  scope: CancelScope,
): Promise<boolean> {
  if (entry.type === "directory") return true;
  if (entry.type === "file" || entry.type === "other" || (entry.type === "symlink" && !followSymlinks)) return false;
  const path = checkPathText(directory._child(entry.name).toString(), "scandir");
  try {
    const info = await fsCall((fs) => (followSymlinks ? fs.stat(path) : fs.lstat(path)), scope);
    return info.isDirectory;
  } catch (error) {
    if (isOsError(error)) return false;
    throw error;
  }
}

/**
 * The options of `Path.walk`.
 *
 * @example
 * ```ts
 * import { Path, type WalkOptions } from "@anyts/anyts";
 * const options: WalkOptions = { topDown: false, onError: (error) => console.error(error) };
 * for await (const [directory, , files] of new Path("/tmp").walk(options)) console.log(directory.toString(), files.length);
 * ```
 */
export interface WalkOptions {
  /** Yield a directory before its subdirectories (default), so they can be pruned. */
  topDown?: boolean;
  /** Descend into symbolic links to directories (default: no; they are listed as files). */
  followSymlinks?: boolean;
  /** Called with the error of a directory that cannot be listed (default: it is skipped). */
  onError?: ((error: unknown) => void) | undefined;
}

/** `Path.walk()`: Python 3.12's `Path.walk`. */
export async function* walkTree(
  top: Path,
  options: Required<Pick<WalkOptions, "topDown" | "followSymlinks">> & WalkOptions,
): AsyncGenerator<[Path, string[], string[]], void, undefined> {
  const { topDown, followSymlinks, onError } = options;
  const stack: Array<Path | [Path, string[], string[]]> = [top];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (Array.isArray(item)) {
      yield item;
      continue;
    }
    const scope = currentScope();
    let entries: RawDirEntry[];
    try {
      entries = await listDir(item, scope);
    } catch (error) {
      if (!isOsError(error)) throw error;
      onError?.(error);
      continue;
    }
    const dirnames: string[] = [];
    const filenames: string[] = [];
    for (const entry of entries) {
      if (await isDirectoryEntry(item, entry, followSymlinks, scope)) dirnames.push(entry.name);
      else filenames.push(entry.name);
    }
    if (topDown) yield [item, dirnames, filenames];
    else stack.push([item, dirnames, filenames]);
    for (let i = dirnames.length - 1; i >= 0; i--) stack.push(item._child(dirnames[i]!));
  }
}

/**
 * `Path.glob(pattern)`: the paths under `base` matching a relative pattern (Python 3.13):
 * `*`, `?` and `[...]` within a segment, `**` for any number of directories (it does not
 * follow symbolic links; the other segments do); a trailing `/` selects directories only.
 */
export async function* globPaths(base: Path, pattern: string): AsyncGenerator<Path, void, undefined> {
  if (typeof pattern !== "string") throw new TypeError(`glob: pattern must be a string, got ${typeof pattern}`);
  if (pattern.startsWith("/")) throw new RangeError(`glob: pattern must be relative, got ${JSON.stringify(pattern)}`);
  const directoriesOnly = pattern.endsWith("/");
  const segments = pattern.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.length === 0) throw new RangeError(`glob: pattern must name something, got ${JSON.stringify(pattern)}`);
  yield* select(base, segments, 0, directoriesOnly);
}

async function* select(
  directory: Path,
  segments: readonly string[],
  index: number,
  directoriesOnly: boolean,
): AsyncGenerator<Path, void, undefined> {
  const scope = currentScope();
  const segment = segments[index]!;
  const last = index === segments.length - 1;
  if (segment === "**") {
    let next = index + 1;
    while (segments[next] === "**") next++;
    const trailing = next === segments.length;
    for await (const [path, isDirectory] of descendants(directory, scope)) {
      if (trailing) {
        if (isDirectory || !directoriesOnly) yield path;
      } else if (isDirectory) yield* select(path, segments, next, directoriesOnly);
    }
    return;
  }
  if (segment === ".." || !hasWildcard(segment)) {
    const child = directory._child(segment);
    const text = checkPathText(child.toString(), "glob");
    let isDirectory: boolean;
    try {
      const info = await fsCall((fs) => (last ? fs.lstat(text) : fs.stat(text)), scope);
      isDirectory = info.isDirectory;
      if (last && directoriesOnly && info.isSymlink) {
        isDirectory = (await fsCall((fs) => fs.stat(text), scope)).isDirectory;
      }
    } catch (error) {
      if (isOsError(error)) return;
      throw error;
    }
    if (last) {
      if (isDirectory || !directoriesOnly) yield child;
    } else if (isDirectory) yield* select(child, segments, index + 1, directoriesOnly);
    return;
  }
  const matcher = compileSegment(segment);
  let entries: RawDirEntry[];
  try {
    entries = await listDir(directory, scope);
  } catch (error) {
    if (isOsError(error)) return;
    throw error;
  }
  for (const entry of entries) {
    if (!matchesSegment(matcher, entry.name)) continue;
    const child = directory._child(entry.name);
    if (last) {
      if (!directoriesOnly || (await isDirectoryEntry(directory, entry, true, scope))) yield child;
    } else if (await isDirectoryEntry(directory, entry, true, scope)) {
      yield* select(child, segments, index + 1, directoriesOnly);
    }
  }
}

/**
 * `directory` itself and everything below it, top-down, with whether each is a directory
 * (not following symbolic links, as `**` does not).
 */
async function* descendants(directory: Path, scope: CancelScope): AsyncGenerator<[Path, boolean], void, undefined> {
  yield [directory, true];
  const stack: Path[] = [directory];
  while (stack.length > 0) {
    const current = stack.pop()!;
    let entries: RawDirEntry[];
    try {
      entries = await listDir(current, scope);
    } catch (error) {
      if (isOsError(error)) continue;
      throw error;
    }
    const subdirectories: Path[] = [];
    for (const entry of entries) {
      const child = current._child(entry.name);
      const isDirectory = await isDirectoryEntry(current, entry, false, scope);
      yield [child, isDirectory];
      if (isDirectory) subdirectories.push(child);
    }
    for (let i = subdirectories.length - 1; i >= 0; i--) stack.push(subdirectories[i]!);
  }
}
