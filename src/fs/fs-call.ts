/**
 * Calling the current backend's file system as a checkpoint: the call is a cancellable
 * wait, and an operation the runtime cannot interrupt goes on after its caller was
 * cancelled, its result ignored (or, for what it opened, closed).
 *
 * @module
 */
import type { FsBackend } from "../backend/fs.ts";
import { type CancelScope, currentScope } from "../core/cancel-scope.ts";
import { waitCancellable } from "../core/wait.ts";

/** @internal The file system of the backend of `scope`'s run. */
export function fsOf(scope: CancelScope): FsBackend {
  return scope._backend.fs;
}

/**
 * @internal Runs `start(fs)` as a checkpoint: rejects with `Cancelled` at once if the
 * scope is (or becomes) cancelled; the backend's operation then finishes on its own and
 * its outcome is dropped (a rejection included: nothing goes unhandled).
 */
export function fsCall<T>(start: (fs: FsBackend) => Promise<T>, scope: CancelScope = currentScope()): Promise<T> {
  return waitCancellable<T>((resolve, reject) => {
    let operation: Promise<T>;
    try {
      operation = start(scope._backend.fs);
    } catch (error) {
      operation = Promise.reject(error);
    }
    operation.then(resolve, reject);
  }, scope);
}

/**
 * @internal As {@linkcode fsCall} for an operation that opens something: if the caller
 * was cancelled meanwhile, what still arrives is passed to `dispose`, so nothing opened
 * outlives the cancelled caller.
 */
export function fsOpen<T>(
  start: (fs: FsBackend) => Promise<T>,
  dispose: (resource: T) => void,
  scope: CancelScope = currentScope(),
): Promise<T> {
  return waitCancellable<T>((resolve, reject) => {
    let abandoned = false;
    let operation: Promise<T>;
    try {
      operation = start(scope._backend.fs);
    } catch (error) {
      operation = Promise.reject(error);
    }
    operation.then(
      (resource) => {
        if (abandoned) dispose(resource);
        else resolve(resource);
      },
      (error) => {
        if (!abandoned) reject(error);
      },
    );
    return () => {
      abandoned = true;
    };
  }, scope);
}

/**
 * @internal Checks a path string before it reaches a backend: a NUL byte cannot be in a
 * POSIX path (each runtime would fail differently), and the empty string names nothing.
 */
export function checkPathText(path: string, where: string): string {
  if (path.length === 0) throw new TypeError(`${where}: the path must not be empty`);
  if (path.includes("\0")) throw new TypeError(`${where}: the path must not contain a NUL byte: ${JSON.stringify(path)}`);
  return path;
}
