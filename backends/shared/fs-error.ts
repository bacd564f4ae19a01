/**
 * The file-system errors of every adapter mapped to the portable shape of `os-error.ts`:
 * Node's and Bun's errors carry a POSIX `code`, Deno's carry one too (or their class says
 * it: `Deno.errors.NotFound` is `ENOENT`). The message always names the path.
 *
 * @module
 */
import { codeOfDenoError, denoPermissionHint, type OSError, osError } from "./os-error.ts";

/**
 * The portable error for `error`, a runtime's failure of `syscall` on `path` (and `dest`
 * for a two-path operation). An error without a POSIX code (a bug, a `RangeError` of the
 * runtime) is returned as it is.
 */
export function fsError(error: unknown, syscall: string, path: string, dest?: string): unknown {
  if (isPortable(error)) return error;
  const code = codeOfDenoError(error);
  if (code === undefined) return error;
  return osError(code, syscall, dest === undefined ? { path } : { path, dest }, error, denoPermissionHint(error));
}

/** Whether `error` is already the portable shape (made by `osError`, not by a runtime). */
function isPortable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  return typeof code === "string" && typeof syscall === "string" && error.message.startsWith(`${syscall} ${code}: `);
}

/** A rejection handler that maps the runtime's error (see {@linkcode fsError}). */
export function rethrowAs(syscall: string, path: string, dest?: string): (error: unknown) => never {
  return (error) => {
    throw fsError(error, syscall, path, dest);
  };
}

/** The portable error for a file the adapter already knows is closed. */
export function closedFileError(syscall: string, path: string): OSError {
  return osError("EBADF", syscall, { path }, undefined, "the file is closed");
}
