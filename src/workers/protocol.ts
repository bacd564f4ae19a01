/**
 * The main side of the worker protocol: message types, module specifiers, and values and
 * errors crossing to and from a worker. The worker side is the entry in
 * `backends/shared/worker-entry.ts`, whose module comment describes the messages; the
 * constants here mirror it.
 *
 * @module
 */
import {
  BrokenResourceError,
  BrokenWorkerError,
  BusyResourceError,
  ClosedResourceError,
  ConnectionFailed,
  DelimiterNotFound,
  EndOfStream,
  IncompleteRead,
  TaskCancelledError,
  TaskGroupError,
  TimeoutError,
  TypedAttributeLookupError,
  WouldBlock,
} from "../core/errors.ts";
import { describeType } from "../core/options.ts";

/**
 * main → worker: `[CALL, id, key, module?, exportName?, args, proxyIndices?]`: `key` (0:
 * none) names the export for later calls, which omit `module` and `exportName` once the
 * worker has run it.
 */
export const CALL = 0;
/** main → worker: `[CANCEL, id]`. */
export const CANCEL = 1;
/** main → worker: `[PROXY_REPLY, id, seq, kind, payload]`. */
export const PROXY_REPLY = 2;
/** worker → main: `[RESULT, id, kind, payload]`. */
export const RESULT = 0;
/** worker → main: `[PROXY_CALL, id, seq, index, args, sync]`. */
export const PROXY_CALL = 1;
/** worker → main: `[FAULT, kind, payload]`, an uncaught error; the worker exits next. */
export const FAULT = 2;
/** worker → main (a portal's sync channel): `[DEAD, code]`, the worker is exiting. */
export const DEAD = 3;

/** `kind` of a payload: a value. */
export const VALUE = 0;
/** `kind` of a payload: a serialized Error. */
export const ERROR = 1;
/** `kind` of a payload: a thrown value that is not an Error. */
export const THROWN = 2;

/** Flag slots of a thread's shared Int32Array. */
export const FLAG_CANCELLED = 0;
/** Counter of callSync replies (the worker waits on it). */
export const FLAG_SYNC_REPLY = 1;
/** Counter of a portal's messages (the caller waits on it). */
export const FLAG_PORTAL = 2;

/** An Error as it crosses to or from a worker. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  cause?: SerializedNested;
  errors?: SerializedNested[];
  props?: Record<string, unknown>;
}

/** A `cause` or an `errors` entry: an Error or any value. */
export type SerializedNested = { error: SerializedError } | { value: unknown };

// ---------------------------------------------------------------- module specifiers

/**
 * The specifier a worker imports for `module`: a URL's `href`; an absolute path as a
 * `file:` URL; a string with a scheme (`file:`, `data:`, `node:`, `jsr:`, `npm:`,
 * `https:`) or a bare package name as is. A relative path is a TypeError: a worker has no
 * importing file to resolve it against.
 */
export function moduleSpecifier(module: unknown, where: string): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== "string") {
    throw new TypeError(`${where}: module must be a string or a URL, got ${describeType(module)}`);
  }
  if (module === "") throw new TypeError(`${where}: module must not be empty`);
  if (module === "." || module === ".." || module.startsWith("./") || module.startsWith("../")) {
    throw new TypeError(
      `${where}: module "${module}" is a relative path, which a worker cannot resolve (it has no importing file): pass new URL("${module}", import.meta.url), an absolute path or a file: URL`,
    );
  }
  if (module.startsWith("/")) return fileUrl(module);
  if (/^[A-Za-z]:[\\/]/.test(module)) return fileUrl("/" + module.replaceAll("\\", "/"));
  return module;
}

function fileUrl(path: string): string {
  return new URL("file://" + path.replaceAll("%", "%25").replaceAll("?", "%3F").replaceAll("#", "%23")).href;
}

/** Checks an export name: a non-empty string. */
export function checkExportName(exportName: unknown, where: string): string {
  if (typeof exportName !== "string" || exportName === "") {
    throw new TypeError(
      `${where}: exportName must be a non-empty string, got ${
        typeof exportName === "string" ? "an empty string" : describeType(exportName)
      }`,
    );
  }
  return exportName;
}

// ---------------------------------------------------------------- values

/** Whether `value` survives structured cloning. */
export function cloneable(value: unknown): boolean {
  const type = typeof value;
  if (type === "symbol" || type === "function") return false;
  if (value === null || type !== "object") return true;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error || (typeof error === "object" && error !== null && "message" in error)
    ? String((error as { message: unknown }).message)
    : String(error);
}

/** Whether `value` holds shared memory (which a child process cannot receive), a few levels deep. */
function holdsSharedMemory(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== "object" || depth > 6) return false;
  if (typeof SharedArrayBuffer === "function") {
    if (value instanceof SharedArrayBuffer) return true;
    if (ArrayBuffer.isView(value)) return value.buffer instanceof SharedArrayBuffer;
  }
  const items = Array.isArray(value) ? value : value instanceof Map ? [...value.keys(), ...value.values()] : value instanceof Set ? [...value] : Object.values(value);
  return items.some((item) => holdsSharedMemory(item, depth + 1));
}

/** The deepest property path under `value` that cannot be cloned (a few levels deep). */
function uncloneablePath(value: unknown, path: string, depth: number, toProcess: boolean): string | undefined {
  if (cloneable(value) && !(toProcess && holdsSharedMemory(value))) return undefined;
  if (depth < 6 && value !== null && typeof value === "object") {
    const prototype = Object.getPrototypeOf(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const inner = uncloneablePath(value[i], `${path}[${i}]`, depth + 1, toProcess);
        if (inner !== undefined) return inner;
      }
    } else if (value instanceof Map) {
      for (const [key, entry] of value) {
        const inner = uncloneablePath(entry, `${path}.get(${JSON.stringify(String(key))})`, depth + 1, toProcess) ??
          uncloneablePath(key, `${path} (a key)`, depth + 1, toProcess);
        if (inner !== undefined) return inner;
      }
    } else if (prototype === Object.prototype || prototype === null) {
      for (const key of Object.keys(value)) {
        const name = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
        const inner = uncloneablePath((value as Record<string, unknown>)[key], path + name, depth + 1, toProcess);
        if (inner !== undefined) return inner;
      }
    }
  }
  return path;
}

/**
 * The DataCloneError for arguments that could not be posted: it names the first argument
 * (and property) that cannot be cloned, e.g. `args[1].onProgress`.
 */
export function argumentCloneError(
  where: string,
  args: readonly unknown[],
  skip: readonly number[] | undefined,
  error: unknown,
  destination: string,
  toProcess = false,
): DOMException {
  for (let i = 0; i < args.length; i++) {
    if (skip?.includes(i)) continue;
    const path = uncloneablePath(args[i], `args[${i}]`, 0, toProcess);
    if (path !== undefined) {
      const what = describeUncloneable(path, args[i]);
      return new DOMException(`${where}: ${what} cannot be sent to ${destination} (structured clone): ${reasonOf(error)}`, "DataCloneError");
    }
  }
  return new DOMException(`${where}: the call cannot be sent to ${destination}: ${reasonOf(error)}`, "DataCloneError");
}

function describeUncloneable(path: string, top: unknown): string {
  // A function among the args themselves is proxied; only a nested one gets here.
  if (typeof top === "function") return `${path} (a function)`;
  return path;
}

// ---------------------------------------------------------------- errors

/** The anyts errors that a worker's error is revived as, by name (never `Cancelled`). */
const anytsErrors: Record<string, { prototype: Error }> = {
  BrokenResourceError,
  BrokenWorkerError,
  BusyResourceError,
  ClosedResourceError,
  ConnectionFailed,
  DelimiterNotFound,
  EndOfStream,
  IncompleteRead,
  TaskCancelledError,
  TimeoutError,
  TypedAttributeLookupError,
  WouldBlock,
};

const builtinErrors: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

const domExceptionNames = new Set(["DataCloneError", "AbortError", "TimeoutError", "InvalidStateError", "NotSupportedError"]);

function isError(value: unknown): value is Error {
  return value instanceof Error ||
    (typeof value === "object" && value !== null && typeof (value as Error).message === "string" &&
      typeof (value as Error).stack === "string");
}

function className(error: Error): string {
  let name: unknown = error.name;
  if (typeof name !== "string" || name === "") name = "Error";
  if (name === "Error") {
    const ctorName = (error.constructor as { name?: unknown } | undefined)?.name;
    if (typeof ctorName === "string" && ctorName !== "" && ctorName !== "Error" && ctorName !== "Object") name = ctorName;
  }
  return name as string;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** An Error as plain, cloneable data: class name, message, stack, cause, errors, own properties. */
export function serializeError(error: Error, depth = 0): SerializedError {
  const out: SerializedError = { name: className(error), message: safeString(error.message ?? "") };
  if (typeof error.stack === "string") out.stack = error.stack;
  if (depth < 8 && "cause" in error) out.cause = serializeNested(error.cause, depth + 1);
  const errors = (error as { errors?: unknown }).errors;
  if (depth < 8 && Array.isArray(errors)) out.errors = errors.map((inner) => serializeNested(inner, depth + 1));
  for (const key of Object.keys(error)) {
    if (key === "name" || key === "message" || key === "stack" || key === "cause" || key === "errors") continue;
    let value: unknown;
    try {
      value = (error as unknown as Record<string, unknown>)[key];
    } catch {
      continue;
    }
    if (cloneable(value)) (out.props ??= {})[key] = value;
  }
  return out;
}

function serializeNested(value: unknown, depth: number): SerializedNested {
  if (isError(value)) return { error: serializeError(value, depth) };
  return { value: cloneable(value) ? value : safeString(value) };
}

/** `[kind, payload]` of a thrown value, cloneable whatever it was. */
export function thrownPayload(value: unknown): [number, unknown] {
  if (isError(value)) return [ERROR, serializeError(value)];
  if (cloneable(value)) return [THROWN, value];
  return [ERROR, serializeError(new Error(`a value that cannot be cloned was thrown: ${safeString(value)}`))];
}

/**
 * The error a worker threw, rebuilt: a built-in class (TypeError…), a DOMException
 * (DataCloneError…) or an anyts error class when its name is one, otherwise an Error whose
 * `name` is the worker's class name; with the worker's message, stack, `cause`, `errors`
 * and own properties (`code`…).
 */
export function reviveError(data: SerializedError): Error {
  const hasCause = data.cause !== undefined;
  const cause = hasCause ? reviveNested(data.cause!) : undefined;
  const options = hasCause ? { cause } : undefined;
  let error: Error;
  const name = data.name;
  if (name === "AggregateError" || name === "TaskGroupError") {
    const errors = (data.errors ?? []).map(reviveNested);
    error = name === "TaskGroupError" ? new TaskGroupError(errors, data.message) : new AggregateError(errors, data.message, options);
    if (name === "TaskGroupError" && hasCause) define(error, "cause", cause);
    if (name === "TaskGroupError") define(error, "message", data.message);
  } else if (Object.hasOwn(builtinErrors, name)) {
    error = new builtinErrors[name]!(data.message, options);
  } else if (Object.hasOwn(anytsErrors, name)) {
    error = new Error(data.message, options);
    Object.setPrototypeOf(error, anytsErrors[name]!.prototype);
    define(error, "name", name);
  } else if (domExceptionNames.has(name)) {
    error = new DOMException(data.message, name);
    if (hasCause) define(error, "cause", cause);
  } else {
    error = new Error(data.message, options);
    define(error, "name", name);
  }
  if (data.stack !== undefined) define(error, "stack", data.stack);
  if (data.props !== undefined) Object.assign(error, data.props);
  return error;
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}

function reviveNested(nested: SerializedNested): unknown {
  return "error" in nested ? reviveError(nested.error) : nested.value;
}

/** The thrown value of a `[kind, payload]` pair. */
export function reviveThrown(kind: number, payload: unknown): unknown {
  return kind === ERROR ? reviveError(payload as SerializedError) : payload;
}

const exportKeys = new Map<string, number>();

/** The key of an export (see {@linkcode CALL}): one per module and export name, in this process. */
export function exportKey(spec: string, exportName: string): number {
  const id = `${spec}\0${exportName}`;
  let key = exportKeys.get(id);
  if (key === undefined) exportKeys.set(id, (key = exportKeys.size + 1));
  return key;
}
