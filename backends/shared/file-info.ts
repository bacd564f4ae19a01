/**
 * `FileInfo` from the numbers every runtime reports: the type flags come from the type
 * bits of `st_mode`, so they mean the same on every backend.
 *
 * @module
 */
import type { FileInfo } from "../../src/backend/fs.ts";

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;
const S_IFBLK = 0o060000;
const S_IFCHR = 0o020000;

/** The numbers of a stat result; times in milliseconds since the epoch. */
export interface StatNumbers {
  size: number;
  mode: number;
  uid: number;
  gid: number;
  dev: number;
  ino: number;
  nlink: number;
  rdev: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
}

/** The portable `FileInfo` of a stat result. */
export function fileInfo(stat: StatNumbers): FileInfo {
  const type = stat.mode & S_IFMT;
  return {
    size: stat.size,
    mode: stat.mode,
    uid: stat.uid,
    gid: stat.gid,
    dev: stat.dev,
    ino: stat.ino,
    nlink: stat.nlink,
    rdev: stat.rdev,
    atime: new Date(stat.atimeMs),
    mtime: new Date(stat.mtimeMs),
    ctime: new Date(stat.ctimeMs),
    birthtime: new Date(stat.birthtimeMs),
    isFile: type === S_IFREG,
    isDirectory: type === S_IFDIR,
    isSymlink: type === S_IFLNK,
    isFifo: type === S_IFIFO,
    isSocket: type === S_IFSOCK,
    isBlockDevice: type === S_IFBLK,
    isCharDevice: type === S_IFCHR,
  };
}
