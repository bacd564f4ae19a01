/**
 * The node: helpers of the Node and Bun process adapters: what is at a path (node:fs, for
 * the executable lookup of merged stderr and for naming a missing working directory, which
 * neither node:child_process nor `Bun.spawn` names) and signals to a process group
 * (node:process `kill(-pid)`, which `Bun.spawn`'s Subprocess cannot send), and the
 * offset of a descriptor handed to a child (Linux's /proc/self/fdinfo through node:fs:
 * neither node:fs nor Bun has lseek).
 *
 * @module
 */
import { accessSync, constants as fsConstants, readFileSync, statSync } from "node:fs";
import process from "node:process";
import type { ExecutableProbe } from "./spawn.ts";

/** What is at `path`, for the executable lookup of merged stderr. */
export const probeExecutable: ExecutableProbe = (path) => {
  try {
    if (!statSync(path).isFile()) return "not-executable";
  } catch {
    return "missing";
  }
  try {
    accessSync(path, fsConstants.X_OK);
    return "executable";
  } catch {
    return "not-executable";
  }
};

/** Why `cwd` cannot be a working directory (`ENOENT`, `ENOTDIR`), or undefined if it can. */
export function cwdProblem(cwd: string | undefined): string | undefined {
  if (cwd === undefined) return undefined;
  try {
    return statSync(cwd).isDirectory() ? undefined : "ENOTDIR";
  } catch (error) {
    return (error as { code?: string }).code ?? "ENOENT";
  }
}

/** Sends `signal` to the group of `pid`; false when the group is gone. */
export function killGroup(pid: number, signal: string | number): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}


/**
 * The kernel's offset of descriptor `fd`, from Linux's `/proc/self/fdinfo` (node:fs and
 * Bun have no lseek); `undefined` elsewhere or when it cannot be read.
 */
export function descriptorOffset(fd: number): number | undefined {
  try {
    const match = /^pos:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "latin1"));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}
