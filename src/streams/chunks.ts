/**
 * Byte-stream semantics on top of any source of `Uint8Array` chunks: at most `maxBytes`
 * per receive (the surplus is kept for the next one), never an empty chunk. Internal to
 * anyts.
 *
 * @module
 */
import { checkpoint } from "../core/time.ts";
import { validateMaxBytes } from "./types.ts";

/**
 * @ignore Reads chunks from `source` (which may ignore `maxBytes`, as object streams of
 * `Uint8Array` do) and hands them out as a byte stream must.
 */
export class ChunkReader {
  /** @ignore */
  _source: (maxBytes: number) => Promise<Uint8Array>;
  /** @ignore Bytes received but not handed out yet. */
  _leftover: Uint8Array<ArrayBuffer> | undefined = undefined;

  constructor(source: (maxBytes: number) => Promise<Uint8Array>) {
    this._source = source;
  }

  /** Receives at most `maxBytes` (validated), never an empty chunk. A checkpoint. */
  async read(maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    validateMaxBytes(maxBytes);
    if (this._leftover !== undefined) {
      await checkpoint(); // raises before anything is taken
      const leftover = this._leftover;
      if (leftover !== undefined) return this._split(leftover, maxBytes);
    }
    for (;;) {
      const chunk = await this._source(maxBytes);
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError(`a byte stream must carry Uint8Array chunks, got ${describe(chunk)}`);
      }
      if (chunk.length !== 0) return this._split(ownBytes(chunk), maxBytes);
    }
  }

  /** @ignore */
  _split(chunk: Uint8Array<ArrayBuffer>, maxBytes: number): Uint8Array<ArrayBuffer> {
    if (chunk.length <= maxBytes) {
      this._leftover = undefined;
      return chunk;
    }
    this._leftover = chunk.subarray(maxBytes);
    return chunk.subarray(0, maxBytes);
  }
}

/**
 * @internal `chunk` typed as the `Uint8Array<ArrayBuffer>` the byte streams hand out: as
 * it is when it is over an `ArrayBuffer`, else (a `SharedArrayBuffer`) a copy.
 */
export function ownBytes(chunk: Uint8Array): Uint8Array<ArrayBuffer> {
  return chunk.buffer instanceof ArrayBuffer ? chunk as Uint8Array<ArrayBuffer> : new Uint8Array(chunk);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "an object";
  return typeof value;
}
