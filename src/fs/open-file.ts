/**
 * {@linkcode openFile}: opens a file as an {@linkcode AsyncFile}, typed by the mode.
 *
 * @module
 */
import type { RawFile } from "../backend/fs.ts";
import { currentScope } from "../core/cancel-scope.ts";
import { checkOptions, describeType } from "../core/options.ts";
import { osError } from "../../backends/shared/os-error.ts";
import { AsyncFile } from "./async-file.ts";
import { FileEngine } from "./file-engine.ts";
import { checkPathText, fsCall, fsOpen } from "./fs-call.ts";
import { type OpenBinaryMode, type OpenMode, type OpenTextMode, parseMode } from "./open-mode.ts";
import { Path } from "./path.ts";
import type { PathLike } from "./pure-path.ts";
import { IncrementalDecoder } from "./text-codec.ts";

/**
 * Options of {@linkcode openFile}.
 *
 * @example
 * ```ts
 * import { openFile, type OpenFileOptions } from "@anyts/anyts";
 * const options: OpenFileOptions = { encoding: "latin1", errors: "replace" };
 * await using file = await openFile("/etc/hostname", "r", options);
 * ```
 */
export interface OpenFileOptions {
  /**
   * Text mode: the encoding, any label `TextDecoder` knows (default `"utf-8"`). Writing
   * needs UTF-8 (the web platform's `TextEncoder` encodes nothing else). Not in binary mode.
   */
  encoding?: string;
  /**
   * Text mode: what invalid bytes do when decoded: `"strict"` (the default, as Python) is
   * a TypeError, `"replace"` gives U+FFFD. Not in binary mode.
   */
  errors?: "strict" | "replace";
  /** The size of the read and write buffers in bytes (default 65536), a positive integer. */
  bufferSize?: number;
}

const DEFAULT_BUFFER_SIZE = 65536;

/**
 * Opens a file: `mode` is Python's (`"r"` by default; see {@linkcode OpenMode}); text
 * modes give an `AsyncFile<string>`, binary modes (`"rb"`, `"wb"`, …) an
 * `AsyncFile<Uint8Array>`. A checkpoint: cancelled while the runtime opens the file, it
 * raises `Cancelled` at once and the file, once open, is closed. Errors are the portable
 * OS errors (`code` `ENOENT`, `EEXIST` for `"x"` on an existing file, `EISDIR` for a
 * directory, `EACCES`, …, and a message naming the path).
 *
 * @example
 * ```ts
 * import { openFile, run } from "@anyts/anyts";
 * await run(async () => {
 *   await using out = await openFile("/tmp/anyts-example.bin", "wb");
 *   await out.write(new Uint8Array([1, 2, 3]));
 * });
 * ```
 */
export function openFile(path: PathLike, mode: OpenBinaryMode, options?: OpenFileOptions): Promise<AsyncFile<Uint8Array<ArrayBuffer>>>;
/** Opens a file in text mode (`"r"` by default). */
export function openFile(path: PathLike, mode?: OpenTextMode, options?: OpenFileOptions): Promise<AsyncFile<string>>;
/** Opens a file in a mode known only at run time. */
export function openFile(
  path: PathLike,
  mode?: OpenMode,
  options?: OpenFileOptions,
): Promise<AsyncFile<string> | AsyncFile<Uint8Array<ArrayBuffer>>>;
export async function openFile(
  path: PathLike,
  mode: OpenMode = "r",
  options?: OpenFileOptions,
): Promise<AsyncFile<string> | AsyncFile<Uint8Array<ArrayBuffer>>> {
  const parsed = parseMode(mode);
  const { encoding, errors, bufferSize = DEFAULT_BUFFER_SIZE } = checkOptions(
    options,
    ["encoding", "errors", "bufferSize"],
    "openFile",
  );
  if (typeof bufferSize !== "number" || !Number.isSafeInteger(bufferSize) || bufferSize < 1) {
    throw new (typeof bufferSize === "number" ? RangeError : TypeError)(
      `bufferSize must be a positive integer, got ${typeof bufferSize === "number" ? bufferSize : describeType(bufferSize)}`,
    );
  }
  let decoder: IncrementalDecoder | undefined;
  if (parsed.binary) {
    if (encoding !== undefined) throw new TypeError(`encoding is for text modes; mode ${JSON.stringify(mode)} is binary`);
    if (errors !== undefined) throw new TypeError(`errors is for text modes; mode ${JSON.stringify(mode)} is binary`);
  } else {
    if (encoding !== undefined && typeof encoding !== "string") {
      throw new TypeError(`encoding must be a string, got ${describeType(encoding)}`);
    }
    if (errors !== undefined && errors !== "strict" && errors !== "replace") {
      throw new RangeError(`errors must be "strict" or "replace", got ${JSON.stringify(errors)}`);
    }
    decoder = new IncrementalDecoder(encoding ?? "utf-8", errors !== "replace");
    if (parsed.writable && decoder.encoding !== "utf-8") {
      throw new RangeError(
        `encoding ${JSON.stringify(encoding)} cannot be written: TextEncoder encodes only UTF-8 (open with "r" to read it)`,
      );
    }
  }
  // The empty string would parse as "." (a directory): it names no file.
  if (path === "") throw new TypeError("openFile: the path must not be empty");
  const target = path instanceof Path ? path : new Path(path);
  const text = checkPathText(target.toString(), "openFile");
  const scope = currentScope();
  const raw = await fsOpen<RawFile>((fs) => fs.open(text, parsed.flags), (late) => void late.close(), scope);
  if (!parsed.writable) {
    // open(2) opens a directory for reading; a file object of one is an error (Python's too).
    try {
      const info = await fsCall(() => raw.stat(), scope);
      if (info.isDirectory) throw osError("EISDIR", "open", { path: text });
    } catch (error) {
      void raw.close();
      throw error;
    }
  }
  const engine = new FileEngine(raw, parsed.append, bufferSize);
  return new AsyncFile(AsyncFile._token, engine, target, parsed, decoder) as AsyncFile<string> | AsyncFile<Uint8Array<ArrayBuffer>>;
}
