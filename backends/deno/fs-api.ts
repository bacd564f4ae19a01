/**
 * The part of Deno's file-system API that the Deno adapter uses, declared here so that
 * `tsc` (which has Node's types, not Deno's) checks the adapter, and read from
 * `globalThis` only when called.
 *
 * @module
 */

/** `Deno.FileInfo`. */
export interface DenoFileInfo {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymlink: boolean;
  readonly size: number;
  readonly mtime: Date | null;
  readonly atime: Date | null;
  readonly birthtime: Date | null;
  readonly ctime: Date | null;
  readonly dev: number;
  readonly ino: number | null;
  readonly mode: number | null;
  readonly nlink: number | null;
  readonly uid: number | null;
  readonly gid: number | null;
  readonly rdev: number | null;
}

/** `Deno.FsFile`. */
export interface DenoFsFile {
  /** Reads into `buffer` at the file offset: the count (maybe fewer), or `null` at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `data` at the file offset (or the end, in append mode): the count. */
  write(data: Uint8Array): Promise<number>;
  /** lseek(2), synchronously (it never blocks). */
  seekSync(offset: number, whence: 0 | 1 | 2): number;
  /** ftruncate(2). */
  truncate(length?: number): Promise<void>;
  /** fsync(2). */
  sync(): Promise<void>;
  /** fstat(2). */
  stat(): Promise<DenoFileInfo>;
  /** Closes; throws BadResource if already closed. */
  close(): void;
}

/** `Deno.DirEntry`. */
export interface DenoDirEntry {
  readonly name: string;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymlink: boolean;
}

/** The subset of the `Deno` namespace the file-system adapter uses. */
export interface DenoFsNamespace {
  open(
    path: string,
    options: {
      read?: boolean;
      write?: boolean;
      append?: boolean;
      create?: boolean;
      createNew?: boolean;
      truncate?: boolean;
      mode?: number;
    },
  ): Promise<DenoFsFile>;
  stat(path: string): Promise<DenoFileInfo>;
  lstat(path: string): Promise<DenoFileInfo>;
  readDir(path: string): AsyncIterable<DenoDirEntry>;
  mkdir(path: string, options?: { mode?: number; recursive?: boolean }): Promise<void>;
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  link(existing: string, path: string): Promise<void>;
  readLink(path: string): Promise<string>;
  realPath(path: string): Promise<string>;
  chmod(path: string, mode: number): Promise<void>;
  utime(path: string, atime: number | Date, mtime: number | Date): Promise<void>;
  readFile(path: string): Promise<Uint8Array<ArrayBuffer>>;
  writeFile(path: string, data: Uint8Array, options?: { createNew?: boolean; mode?: number }): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  cwd(): string;
  readonly env: { get(name: string): string | undefined };
}

/** The `Deno` namespace (only call this on Deno). */
export function denoFsApi(): DenoFsNamespace {
  return (globalThis as unknown as { Deno: DenoFsNamespace }).Deno;
}
