/**
 * `Path.copy` and `Path.move` (Python 3.14's): copying files, symbolic links and
 * directory trees, and moving with `rename(2)`, falling back to copy-and-delete when the
 * target is on another device (`EXDEV`).
 *
 * @module
 */
import type { FileInfo } from "../backend/fs.ts";
import { type CancelScope, currentScope } from "../core/cancel-scope.ts";
import { osError } from "../../backends/shared/os-error.ts";
import { checkPathText, fsCall } from "./fs-call.ts";
import type { Path } from "./path.ts";
import { listDir } from "./walk.ts";

/**
 * The options of `Path.copy` and `Path.copyInto`.
 *
 * @example
 * ```ts
 * import { type CopyOptions, Path } from "@anyts/anyts";
 * const options: CopyOptions = { followSymlinks: false, preserveMetadata: true };
 * await new Path("/tmp/anyts-example").copy("/tmp/anyts-example-backup", options);
 * ```
 */
export interface CopyOptions {
  /** Copy what a symbolic link points to (default), or else the link itself. */
  followSymlinks?: boolean;
  /** Also copy the permission bits and the access and modification times (default: no). */
  preserveMetadata?: boolean;
}

function isCode(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code;
}

async function infoOf(path: string, followSymlinks: boolean, scope: CancelScope): Promise<FileInfo> {
  return await fsCall((fs) => (followSymlinks ? fs.stat(path) : fs.lstat(path)), scope);
}

/** Copies `source` to `target` (see `Path.copy`); resolves to `target`. */
export async function copyPath(source: Path, target: Path, options: Required<CopyOptions>): Promise<Path> {
  const scope = currentScope();
  const from = checkPathText(source.toString(), "copy");
  const to = checkPathText(target.toString(), "copy");
  const info = await infoOf(from, options.followSymlinks, scope);
  // Copying onto itself would destroy it; copying a directory into itself would not end.
  const existing = await infoOf(to, options.followSymlinks, scope).catch((error) => {
    if (isCode(error, "ENOENT")) return undefined;
    throw error;
  });
  if (existing !== undefined && existing.dev === info.dev && existing.ino === info.ino) {
    throw osError("EINVAL", "copy", { path: from, dest: to }, undefined, "the source and the target are the same file");
  }
  if (info.isDirectory) {
    const [sourceAbsolute, targetAbsolute] = await Promise.all([source.resolve(), target.resolve()]);
    if (targetAbsolute.isRelativeTo(sourceAbsolute)) {
      throw osError("EINVAL", "copy", { path: from, dest: to }, undefined, "a directory cannot be copied into itself");
    }
  }
  await copyEntry(source, target, info, options, scope);
  return target;
}

async function copyEntry(source: Path, target: Path, info: FileInfo, options: Required<CopyOptions>, scope: CancelScope) {
  const from = checkPathText(source.toString(), "copy");
  const to = checkPathText(target.toString(), "copy");
  if (info.isSymlink) {
    const link = await fsCall((fs) => fs.readlink(from), scope);
    await fsCall((fs) => fs.symlink(link, to), scope);
    return;
  }
  if (info.isDirectory) {
    await fsCall((fs) => fs.mkdir(to, 0o777), scope);
    for (const entry of await listDir(source, scope)) {
      const child = source._child(entry.name);
      const childInfo = await infoOf(checkPathText(child.toString(), "copy"), options.followSymlinks, scope);
      await copyEntry(child, target._child(entry.name), childInfo, options, scope);
    }
  } else if (info.isFile) {
    await fsCall((fs) => fs.copyFile(from, to), scope);
  } else {
    throw osError("EINVAL", "copy", { path: from }, undefined, "only files, directories and symbolic links can be copied");
  }
  if (options.preserveMetadata) {
    await fsCall((fs) => fs.chmod(to, info.mode & 0o7777), scope);
    await fsCall((fs) => fs.utimes(to, info.atime.getTime(), info.mtime.getTime()), scope);
  }
}

/** Moves `source` to `target` (see `Path.move`); resolves to `target`. */
export async function movePath(source: Path, target: Path): Promise<Path> {
  const scope = currentScope();
  const from = checkPathText(source.toString(), "move");
  const to = checkPathText(target.toString(), "move");
  try {
    await fsCall((fs) => fs.rename(from, to), scope);
    return target;
  } catch (error) {
    if (!isCode(error, "EXDEV")) throw error;
  }
  // Another device: copy everything as it is (links as links, with metadata), then delete.
  const info = await infoOf(from, false, scope);
  if (info.isFile || info.isSymlink) {
    const existing = await infoOf(to, false, scope).catch(() => undefined);
    if (existing?.isDirectory) throw osError("EISDIR", "rename", { path: from, dest: to });
    if (existing !== undefined) await fsCall((fs) => fs.unlink(to), scope);
  } else if (info.isDirectory) {
    // rename(2) replaces an empty directory; so does the fallback.
    await fsCall((fs) => fs.rmdir(to), scope).catch((error) => {
      if (!isCode(error, "ENOENT")) throw error;
    });
  }
  await copyEntry(source, target, info, { followSymlinks: false, preserveMetadata: true }, scope);
  await removeTree(source, scope);
  return target;
}

/** Deletes `path` and, if it is a directory (not a link to one), everything in it. */
export async function removeTree(path: Path, scope: CancelScope = currentScope()): Promise<void> {
  const text = checkPathText(path.toString(), "remove");
  const info = await fsCall((fs) => fs.lstat(text), scope);
  if (!info.isDirectory) {
    await fsCall((fs) => fs.unlink(text), scope);
    return;
  }
  for (const entry of await listDir(path, scope)) await removeTree(path._child(entry.name), scope);
  await fsCall((fs) => fs.rmdir(text), scope);
}
