/**
 * One portable shape for the operating-system errors of every backend: an `Error` whose
 * `code` is the POSIX name (`ENOENT`, `ECONNREFUSED`, …), whose message names the path or
 * address, and whose `cause` is the runtime's own error. Each adapter maps its runtime's
 * errors (Node's `code`, Deno's `Deno.errors.*` classes, Bun's messages) with these helpers.
 *
 * @module
 */

/** The portable error: `code`, `syscall`, the path or address, and the runtime's error. */
export interface OSError extends Error {
  /** The POSIX error name, such as `"ENOENT"`. */
  code: string;
  /** The operation that failed, such as `"open"` or `"connect"`. */
  syscall?: string;
  /** The path the operation was on, when there is one. */
  path?: string;
  /** The address (`host:port` or a socket path) the operation was on, when there is one. */
  address?: string;
  /** The second path of a two-path operation (`rename`, `link`, `symlink`, `copyfile`). */
  dest?: string;
}

/** Marks the errors {@linkcode osError} made, so that they are not mapped twice. */
const PORTABLE: unique symbol = Symbol("anyts.portableOSError");

/** Messages for the codes the library maps, as `strerror` words them. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EEXIST: "file already exists",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTEMPTY: "directory not empty",
  EBADF: "bad file descriptor",
  EXDEV: "cross-device link not permitted",
  ELOOP: "too many symbolic links",
  EINVAL: "invalid argument",
  EMFILE: "too many open files",
  ENFILE: "too many open files in system",
  ENOSPC: "no space left on device",
  ENAMETOOLONG: "file name too long",
  EROFS: "read-only file system",
  EBUSY: "resource busy or locked",
  ETXTBSY: "text file busy",
  EFBIG: "file too large",
  ESPIPE: "illegal seek",
  ENXIO: "no such device or address",
  EIO: "input/output error",
  EMLINK: "too many links",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  ECONNABORTED: "connection aborted",
  EPIPE: "broken pipe",
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available",
  ENOTFOUND: "name not found",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTCONN: "socket is not connected",
};

/**
 * Makes the portable error: `"<syscall> <CODE>: <description> (<target>)"`, where the
 * target of a two-path operation reads `<path> -> <dest>`.
 *
 * @param code the POSIX name
 * @param syscall the operation
 * @param target what it was on: `{ path }` (with `dest` for a two-path operation) or `{ address }`
 * @param cause the runtime's own error
 * @param hint a sentence to append (on Deno: the missing permission flag)
 */
export function osError(
  code: string,
  syscall: string,
  target: { path?: string; dest?: string; address?: string },
  cause?: unknown,
  hint?: string,
): OSError {
  const where = target.path !== undefined && target.dest !== undefined
    ? `${target.path} -> ${target.dest}`
    : target.path ?? target.address;
  const description = DESCRIPTIONS[code] ?? (cause instanceof Error ? cause.message : "failed");
  const message = `${syscall} ${code}: ${description}${where === undefined ? "" : ` (${where})`}${hint === undefined ? "" : `; ${hint}`}`;
  const error = new Error(message, cause === undefined ? undefined : { cause }) as OSError;
  Object.defineProperty(error, PORTABLE, { value: true });
  error.code = code;
  error.syscall = syscall;
  if (target.path !== undefined) error.path = target.path;
  if (target.dest !== undefined) error.dest = target.dest;
  if (target.address !== undefined) error.address = target.address;
  return error;
}

/**
 * The POSIX code for one of Deno's error classes (`Deno.errors.NotFound` → `ENOENT`), or
 * `undefined` when the class has no single POSIX name.
 */
export function codeOfDenoError(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) return code;
  switch (error.name) {
    case "NotFound":
      return "ENOENT";
    case "AlreadyExists":
      return "EEXIST";
    case "IsADirectory":
      return "EISDIR";
    case "NotADirectory":
      return "ENOTDIR";
    case "PermissionDenied":
      return "EACCES";
    case "DirectoryNotEmpty":
      return "ENOTEMPTY";
    case "ConnectionRefused":
      return "ECONNREFUSED";
    case "ConnectionReset":
      return "ECONNRESET";
    case "ConnectionAborted":
      return "ECONNABORTED";
    case "BrokenPipe":
      return "EPIPE";
    case "AddrInUse":
      return "EADDRINUSE";
    case "AddrNotAvailable":
      return "EADDRNOTAVAIL";
    case "NotConnected":
      return "ENOTCONN";
    case "TimedOut":
      return "ETIMEDOUT";
    case "InvalidData":
    case "InvalidArgument":
      return "EINVAL";
    case "FilesystemLoop":
      return "ELOOP";
    case "NotCapable":
      return "EACCES";
    case "Busy":
      return "EBUSY";
    case "WriteZero":
    case "UnexpectedEof":
      return "EIO";
    default:
      return undefined;
  }
}

/**
 * On Deno, the permission a `NotCapable` (or a `PermissionDenied` raised by the permission
 * system) asks for, as a hint: `"run Deno with --allow-net (or --allow-net=127.0.0.1)"`.
 * Deno's message names the flag (`… run again with the --allow-net flag`); the hint
 * repeats it so the portable error says what to do.
 */
export function denoPermissionHint(error: unknown): string | undefined {
  if (!(error instanceof Error) || (error.name !== "NotCapable" && error.name !== "PermissionDenied")) return undefined;
  const flag = /--allow-[a-z-]+/.exec(error.message)?.[0];
  if (flag === undefined) return undefined;
  return `Deno needs the ${flag} permission (run it with ${flag}, or -A)`;
}

/** Whether `error` is a portable error made by {@linkcode osError}. */
export function isOSError(error: unknown): error is OSError {
  return error instanceof Error && (error as unknown as { [PORTABLE]?: boolean })[PORTABLE] === true;
}

/**
 * The POSIX code of a runtime's error: Node's and Bun's `code` (Bun's DNS codes without
 * their `DNS_` prefix: `DNS_ENOTFOUND` → `ENOTFOUND`), or Deno's error class
 * ({@linkcode codeOfDenoError}); `undefined` when it carries none.
 */
export function posixCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    const bare = code.startsWith("DNS_") ? code.slice(4) : code;
    if (/^E[A-Z0-9_]+$/.test(bare)) return bare;
  }
  return codeOfDenoError(error);
}

/**
 * A runtime's error in the portable shape (see {@linkcode osError}): its POSIX code, a
 * message naming `target`, the error itself as `cause`, and on Deno the hint naming a
 * missing permission. An error without a POSIX code (a cancellation, an abort, the
 * library's own) and one that is portable already are returned as they are.
 *
 * @param error the runtime's error
 * @param syscall the operation (`"connect"`, `"listen"`, `"read"`, …)
 * @param target the address (`host:port`, see {@linkcode socketAddress}) or path it was on
 */
export function toOSError(error: unknown, syscall: string, target: { path?: string; address?: string }): unknown {
  if (isOSError(error)) return error;
  const code = posixCode(error);
  if (code === undefined) return error;
  return osError(code, syscall, target, error, denoPermissionHint(error));
}

/** `host:port` (`[host]:port` for IPv6), or the host alone without a port. */
export function socketAddress(host: string, port?: number): string {
  if (port === undefined) return host;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A permission of Deno's, as `Deno.permissions` takes it. */
export type DenoPermission = { name: "net"; host: string } | { name: "read" | "write"; path: string };

/**
 * On Deno, asks for `permission` as Deno's own operations do (a prompt when the terminal
 * is interactive, else the flags decide) and returns the portable `EACCES` error to throw
 * when it is not granted; `undefined` when it is, or when this is not Deno. For the node:
 * modules of Deno, which report a missing permission as an uncaught exception in a later
 * tick instead of failing the call (`node:net` listen, `node:dgram` bind).
 *
 * @param permission what the operation needs
 * @param syscall the operation
 * @param target the address or path, for the message
 */
export function denoPermissionError(
  permission: DenoPermission,
  syscall: string,
  target: { path?: string; address?: string },
): OSError | undefined {
  const deno = (globalThis as { Deno?: { permissions?: { requestSync?(descriptor: DenoPermission): { state: string } } } }).Deno;
  const request = deno?.permissions?.requestSync;
  if (request === undefined) return undefined;
  let state: string;
  try {
    state = request.call(deno!.permissions, permission).state;
  } catch {
    return undefined; // a descriptor Deno does not take: let the operation decide
  }
  if (state === "granted") return undefined;
  const flag = `--allow-${permission.name}`;
  const scope = permission.name === "net" ? permission.host : permission.path;
  return osError("EACCES", syscall, target, undefined, `Deno needs the ${flag} permission (run it with ${flag}=${scope}, ${flag} or -A)`);
}
