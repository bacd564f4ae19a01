/**
 * Incremental decoding for text files: chunks of bytes in, whole characters out, never a
 * character split across chunks; and the byte length of decoded text, so that a text
 * file's `tell()` is an exact byte offset.
 *
 * For UTF-8 (the default), UTF-16 and the single-byte encodings the decoder keeps the
 * incomplete end of a chunk itself (so it knows how many bytes it holds); for the
 * stateful multi-byte encodings (Shift_JIS, EUC, GBK, Big5, ISO-2022-JP) it lets
 * `TextDecoder` stream, and the byte length of text is unknown.
 *
 * @module
 */

/** How the bytes of an encoding relate to its characters. */
type Kind = "utf-8" | "utf-16le" | "utf-16be" | "single-byte" | "stateful";

/** The WHATWG encodings that are neither UTF nor single-byte. */
const STATEFUL = new Set(["gbk", "gb18030", "big5", "euc-jp", "iso-2022-jp", "shift_jis", "euc-kr", "replacement"]);

const EMPTY = new Uint8Array(0);

/** @internal The incremental decoder of one text file. */
export class IncrementalDecoder {
  /** The canonical name of the encoding (`TextDecoder.encoding`). */
  readonly encoding: string;
  readonly #decoder: InstanceType<typeof TextDecoder>;
  readonly #kind: Kind;
  /** The incomplete character at the end of the last chunk. */
  #tail: Uint8Array = EMPTY;

  /**
   * @param label an encoding label `TextDecoder` knows (a RangeError naming `encoding`
   *   otherwise)
   * @param fatal `true` (errors "strict"): invalid bytes are a TypeError; `false`: U+FFFD
   */
  constructor(label: string, fatal: boolean) {
    try {
      // ignoreBOM: a byte order mark is text like any other (Python's "utf-8" codec keeps
      // it), and every chunk is decoded on its own, so a BOM must never be stripped.
      this.#decoder = new TextDecoder(label, { fatal, ignoreBOM: true });
    } catch (error) {
      throw new RangeError(`encoding ${JSON.stringify(label)} is not supported by this runtime's TextDecoder`, {
        cause: error,
      });
    }
    this.encoding = this.#decoder.encoding;
    const name = this.encoding;
    this.#kind = name === "utf-8" || name === "utf-16le" || name === "utf-16be"
      ? name
      : STATEFUL.has(name)
      ? "stateful"
      : "single-byte";
  }

  /** The bytes held back (an incomplete character), or `undefined` if unknown (stateful). */
  get pendingBytes(): number | undefined {
    return this.#kind === "stateful" ? undefined : this.#tail.length;
  }

  /** Decodes `bytes` (a view the caller may reuse afterwards): every complete character. */
  decode(bytes: Uint8Array): string {
    if (this.#kind === "stateful") return this.#decoder.decode(bytes, { stream: true });
    let input = bytes;
    if (this.#tail.length > 0) {
      input = new Uint8Array(this.#tail.length + bytes.length);
      input.set(this.#tail);
      input.set(bytes, this.#tail.length);
    }
    const complete = this.#completeLength(input);
    const text = complete === 0 ? "" : this.#decoder.decode(complete === input.length ? input : input.subarray(0, complete));
    this.#tail = complete === input.length ? EMPTY : input.slice(complete);
    return text;
  }

  /** At the end of the file: decodes what is held back (an incomplete character). */
  end(): string {
    if (this.#kind === "stateful") return this.#decoder.decode();
    const tail = this.#tail;
    if (tail.length === 0) return "";
    const text = this.#decoder.decode(tail);
    this.#tail = EMPTY;
    return text;
  }

  /** Forgets what is held back (after a seek). */
  reset(): void {
    this.#tail = EMPTY;
    if (this.#kind === "stateful") this.#decoder.decode();
  }

  /** How many bytes `text` (decoded by this decoder) came from, or `undefined` if unknown. */
  byteLength(text: string): number | undefined {
    switch (this.#kind) {
      case "utf-8":
        return utf8Length(text);
      case "utf-16le":
      case "utf-16be":
        return text.length * 2;
      case "single-byte":
        return text.length;
      default:
        return undefined;
    }
  }

  /** How many bytes at the start of `bytes` form complete characters. */
  #completeLength(bytes: Uint8Array): number {
    const length = bytes.length;
    switch (this.#kind) {
      case "utf-8": {
        for (let back = 1; back <= 4 && back <= length; back++) {
          const byte = bytes[length - back]!;
          if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
          const need = byte < 0x80 ? 1 : byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
          return need > back ? length - back : length;
        }
        return length;
      }
      case "utf-16le":
      case "utf-16be": {
        let complete = length - (length % 2);
        if (complete >= 2) {
          const last = this.#kind === "utf-16le"
            ? bytes[complete - 2]! | (bytes[complete - 1]! << 8)
            : (bytes[complete - 2]! << 8) | bytes[complete - 1]!;
          if (last >= 0xd800 && last <= 0xdbff) complete -= 2; // a high surrogate waits for its pair
        }
        return complete;
      }
      default:
        return length;
    }
  }
}

/** The UTF-8 length of `text` (a lone surrogate counts as U+FFFD, 3 bytes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
