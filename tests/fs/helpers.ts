// Helpers of the file tests: temporary directories, fixtures made and checked with node:fs
// directly (not with the code under test), FIFOs, and counting open file descriptors.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "../../mod.ts";

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();

/** A fresh temporary directory; `remove()` deletes it with everything in it. */
export function tempDir(prefix = "anyts-fs-"): { path: string; join(...names: string[]): string; remove(): void } {
  const path = fs.mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    join: (...names) => join(path, ...names),
    remove: () => fs.rmSync(path, { recursive: true, force: true }),
  };
}

/** Runs `fn` with a temporary directory, removed afterwards. */
export async function withTempDir<T>(fn: (dir: ReturnType<typeof tempDir>) => Promise<T>): Promise<T> {
  const dir = tempDir();
  try {
    return await fn(dir);
  } finally {
    dir.remove();
  }
}

/** Runs `fn` and returns what it threw (fails if it did not throw). */
export async function caught(fn: () => unknown): Promise<Error & { code?: string }> {
  try {
    await fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error("expected an error, none was thrown");
}

/** Deterministic pseudo-random bytes (xorshift32), so content checks catch loss and reordering. */
export function pseudoRandom(size: number, seed = 0x9e3779b9): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Makes a named pipe (the `mkfifo` command: no runtime has a call for it). */
export function makeFifo(path: string): void {
  execFileSync("mkfifo", [path]);
}

/**
 * The open file descriptors of this process (Linux: /proc/self/fd) on files under
 * `directory` (a test's temporary directory: the runtime's own sockets and pipes, which
 * come and go, do not count). The descriptor of the listing itself no longer resolves.
 */
export function openDescriptors(directory: string): Set<string> {
  const real = fs.realpathSync(directory);
  return new Set(
    fs.readdirSync("/proc/self/fd").filter((fd) => {
      try {
        const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
        return target === real || target.startsWith(`${real}/`);
      } catch {
        return false;
      }
    }),
  );
}

/** Whether /proc/self/fd exists (Linux). */
export const hasProcFd: boolean = (() => {
  try {
    fs.readdirSync("/proc/self/fd");
    return true;
  } catch {
    return false;
  }
})();

/**
 * Waits until `condition()` holds, checking after each short sleep; fails after
 * `timeoutMs`. For states that change when a runtime thread finishes (a late close), which
 * no event of ours announces.
 */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}
