/**
 * The mode strings of `openFile` (Python's): one of `r`, `w`, `a`, `x`, optionally `+`,
 * and `b` (bytes) or `t` (text, the default), in any order, each at most once. The types
 * below spell every accepted string (every order), so that the result type follows from
 * the literal.
 *
 * @module
 */
import type { RawOpenOptions } from "../backend/fs.ts";
import { describeType } from "../core/options.ts";

/**
 * A mode that opens a file in text mode (`string` in and out): `"r"`, `"w+"`, `"at"`, ….
 *
 * @example
 * ```ts
 * import type { OpenTextMode } from "@anyts/anyts";
 * const mode: OpenTextMode = "r+";
 * ```
 */
export type OpenTextMode =
  | "r" | "+r" | "r+" | "rt" | "tr" | "+rt" | "+tr" | "r+t" | "rt+" | "t+r" | "tr+" | "w" | "+w"
  | "w+" | "tw" | "wt" | "+tw" | "+wt" | "t+w" | "tw+" | "w+t" | "wt+" | "a" | "+a" | "a+" | "at"
  | "ta" | "+at" | "+ta" | "a+t" | "at+" | "t+a" | "ta+" | "x" | "+x" | "x+" | "tx" | "xt" | "+tx"
  | "+xt" | "t+x" | "tx+" | "x+t" | "xt+";

/**
 * A mode that opens a file in binary mode (`Uint8Array` in and out): `"rb"`, `"wb+"`, ….
 *
 * @example
 * ```ts
 * import type { OpenBinaryMode } from "@anyts/anyts";
 * const mode: OpenBinaryMode = "rb";
 * ```
 */
export type OpenBinaryMode =
  | "br" | "rb" | "+br" | "+rb" | "b+r" | "br+" | "r+b" | "rb+" | "bw" | "wb" | "+bw" | "+wb"
  | "b+w" | "bw+" | "w+b" | "wb+" | "ab" | "ba" | "+ab" | "+ba" | "a+b" | "ab+" | "b+a" | "ba+"
  | "bx" | "xb" | "+bx" | "+xb" | "b+x" | "bx+" | "x+b" | "xb+";

/**
 * Every mode of `openFile`: `r` (read; the file must exist), `w` (write; created or
 * truncated), `a` (append; created if missing, every write goes to the end), `x` (write a
 * new file; `EEXIST` if it exists), with `+` for reading and writing, and `b` for bytes or
 * `t` for text (the default).
 *
 * @example
 * ```ts
 * import type { OpenMode } from "@anyts/anyts";
 * const modes: OpenMode[] = ["r", "rb", "w", "a+", "xb"];
 * ```
 */
export type OpenMode = OpenTextMode | OpenBinaryMode;

/** @internal A parsed mode: the open(2) flags and what the file object may do. */
export interface ParsedMode {
  /** The mode string as given (for messages). */
  readonly mode: string;
  readonly binary: boolean;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly append: boolean;
  readonly flags: RawOpenOptions;
}

/** @internal Parses a mode string; a TypeError or RangeError naming `mode` if it is not one. */
export function parseMode(mode: unknown, creationMode = 0o666): ParsedMode {
  if (typeof mode !== "string") throw new TypeError(`mode must be a string, got ${describeType(mode)}`);
  const seen = new Set(mode);
  const valid = seen.size === mode.length && [...seen].every((c) => "rwaxbt+".includes(c)) &&
    ["r", "w", "a", "x"].filter((c) => seen.has(c)).length === 1 && !(seen.has("b") && seen.has("t"));
  if (!valid) {
    throw new RangeError(
      `mode must be one of r, w, a, x with an optional + and b or t (as Python's open), got ${JSON.stringify(mode)}`,
    );
  }
  const plus = seen.has("+");
  const base = seen.has("r") ? "r" : seen.has("w") ? "w" : seen.has("a") ? "a" : "x";
  const readable = base === "r" || plus;
  const writable = base !== "r" || plus;
  const append = base === "a";
  return {
    mode,
    binary: seen.has("b"),
    readable,
    writable,
    append,
    flags: {
      read: readable,
      write: writable,
      append,
      create: base !== "r",
      exclusive: base === "x",
      truncate: base === "w",
      mode: creationMode,
    },
  };
}
