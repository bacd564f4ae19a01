/**
 * Buffered byte receiving (AnyIO's `BufferedByteReceiveStream`): read exactly `n` bytes,
 * or up to a delimiter, from any byte receive stream.
 *
 * @module
 */
import { ClosedResourceError, DelimiterNotFound, EndOfStream, IncompleteRead } from "../core/errors.ts";
import { checkpointIfCancelled } from "../core/time.ts";
import type { TypedAttributeMap } from "./typed-attribute.ts";
import {
  type AnyByteReceiveStream,
  type AnyByteStream,
  type ByteReceiveStream,
  ByteReceiveStreamBase,
  type ByteStream,
  validateMaxBytes,
} from "./types.ts";
import { ownBytes } from "./chunks.ts";

const EMPTY: Uint8Array<ArrayBuffer> = new Uint8Array(0);

/**
 * A growable byte buffer: append at the end, take from the front. A chunk received from
 * the wrapped stream (which this side owns) is kept as it came while the buffer was empty,
 * without a copy ("adopted"); its bytes are then never written again, so what `take`
 * hands out of it can be a view. Only bytes appended to a non-empty buffer are copied.
 */
class ByteBuffer {
  data: Uint8Array<ArrayBuffer> = EMPTY;
  start = 0;
  end = 0;
  /** `data` is an adopted chunk: read-only from here (views of it may have been handed out). */
  adopted = false;

  get length(): number {
    return this.end - this.start;
  }

  /** Appends a chunk this buffer may keep as it is (a received chunk nobody else holds). */
  appendOwned(chunk: Uint8Array<ArrayBuffer>): void {
    if (this.end !== this.start || chunk.length === 0) {
      this.append(chunk);
      return;
    }
    this.data = chunk;
    this.start = 0;
    this.end = chunk.length;
    this.adopted = true;
  }

  append(bytes: Uint8Array): void {
    const size = bytes.length;
    if (size === 0) return;
    if (this.adopted || this.end + size > this.data.length) {
      const length = this.length;
      if (!this.adopted && (length + size <= this.data.length >> 1 || (length + size <= this.data.length && this.start > 0))) {
        this.data.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.max(this.adopted ? 0 : this.data.length * 2, length + size, 256));
        grown.set(this.data.subarray(this.start, this.end));
        this.data = grown;
        this.adopted = false;
      }
      this.start = 0;
      this.end = length;
    }
    this.data.set(bytes, this.end);
    this.end += size;
  }

  /** Removes and returns the first `n` bytes, `n` ≤ length: a copy, or a view of an adopted chunk. */
  take(n: number): Uint8Array<ArrayBuffer> {
    const start = this.start;
    const out = this.adopted ? this.data.subarray(start, start + n) : this.data.slice(start, start + n);
    this.skip(n);
    return out;
  }

  skip(n: number): void {
    this.start += n;
    if (this.start === this.end) {
      this.start = this.end = 0;
      if (this.adopted) {
        this.data = EMPTY; // keep no chunk alive for an empty buffer
        this.adopted = false;
      }
    }
  }

  copy(): Uint8Array<ArrayBuffer> {
    return this.data.slice(this.start, this.end);
  }

  /** The position of `needle` in the buffered bytes at or after `from`, or -1. */
  indexOf(needle: Uint8Array, from: number): number {
    const data = this.data;
    const first = needle[0]!;
    const last = this.end - needle.length;
    for (let i = this.start + from; i <= last; i++) {
      i = data.indexOf(first, i);
      if (i < 0 || i > last) return -1;
      let j = 1;
      while (j < needle.length && data[i + j] === needle[j]) j++;
      if (j === needle.length) return i - this.start;
    }
    return -1;
  }
}

/**
 * A chunk from the wrapped stream as the buffer keeps it; throws for anything but bytes.
 * A byte stream's chunks are over an `ArrayBuffer` by contract; only an object stream's may
 * be over a SharedArrayBuffer (and are copied then). Checking costs: reading `buffer`
 * makes JavaScriptCore (Bun) create the ArrayBuffer object of a typed array.
 */
function checkedChunk(chunk: unknown, byteStream: boolean): Uint8Array<ArrayBuffer> {
  if (!(chunk instanceof Uint8Array)) {
    throw new TypeError(`the wrapped stream must carry Uint8Array chunks, got ${chunk === null ? "null" : typeof chunk}`);
  }
  return byteStream ? chunk as Uint8Array<ArrayBuffer> : ownBytes(chunk);
}

/**
 * Wraps a byte receive stream (or an object stream of `Uint8Array`) with a buffer, adding
 * {@linkcode BufferedByteReceiveStream.receiveExactly} and
 * {@linkcode BufferedByteReceiveStream.receiveUntil}. When they fail
 * ({@linkcode IncompleteRead}, {@linkcode DelimiterNotFound}, cancellation), the bytes read
 * so far stay in the buffer for the next receive. Attributes are those of the wrapped
 * stream.
 *
 * @example
 * ```ts
 * import { BufferedByteReceiveStream, createMemoryObjectStream } from "@anyts/anyts";
 * const [send, receive] = createMemoryObjectStream<Uint8Array>(10);
 * const encoder = new TextEncoder();
 * await send.send(encoder.encode("GET / HTTP/1.1\r\nHost: x"));
 * await send.send(encoder.encode("\r\n\r\n"));
 * const buffered = new BufferedByteReceiveStream(receive);
 * const line = await buffered.receiveUntil(encoder.encode("\r\n"), 8192);
 * console.log(new TextDecoder().decode(line)); // "GET / HTTP/1.1"
 * ```
 */
export class BufferedByteReceiveStream extends ByteReceiveStreamBase {
  /** The wrapped stream. */
  readonly receiveStream: AnyByteReceiveStream;
  /** @ignore */
  _buffer: ByteBuffer = new ByteBuffer();
  /** @ignore */
  _closed = false;

  /**
   * Wraps `receiveStream`.
   *
   * @param receiveStream the stream to read from */
  constructor(receiveStream: AnyByteReceiveStream) {
    super();
    this.receiveStream = receiveStream;
    this._byteStream = receiveStream instanceof ByteReceiveStreamBase;
  }

  /** @ignore Whether the wrapped stream is a byte stream (its chunks are over an ArrayBuffer). */
  readonly _byteStream: boolean;

  /**
   * A copy of the bytes received from the wrapped stream (or fed) and not consumed yet.
   *
   * @example
   * ```ts
   * import { BufferedByteReceiveStream, createMemoryObjectStream } from "@anyts/anyts";
   * const [, receive] = createMemoryObjectStream<Uint8Array>();
   * const buffered = new BufferedByteReceiveStream(receive);
   * buffered.feedData(new Uint8Array([1, 2]));
   * console.log(buffered.buffer); // Uint8Array [1, 2]
   * ```
   */
  get buffer(): Uint8Array<ArrayBuffer> {
    return this._buffer.copy();
  }

  /**
   * Appends `data` to the buffer: receives return it before anything from the wrapped
   * stream.
   *
   * @example
   * ```ts
   * import { BufferedByteReceiveStream, createMemoryObjectStream } from "@anyts/anyts";
   * const [, receive] = createMemoryObjectStream<Uint8Array>();
   * const buffered = new BufferedByteReceiveStream(receive);
   * buffered.feedData([104, 105]);
   * console.log(await buffered.receiveExactly(2)); // Uint8Array [104, 105]
   * ```
   */
  feedData(data: Uint8Array | Iterable<number>): void {
    if (data instanceof Uint8Array) this._buffer.append(data);
    else if (data !== null && typeof data === "object" && Symbol.iterator in data) this._buffer.append(Uint8Array.from(data));
    else throw new TypeError(`data must be a Uint8Array or an iterable of bytes, got ${data === null ? "null" : typeof data}`);
  }

  /**
   * Receives at most `maxBytes` (a positive integer, default 65536): from the buffer if it
   * holds anything, else from the wrapped stream. Never an empty chunk.
   *
   * @example
   * ```ts
   * import { BufferedByteReceiveStream, createMemoryObjectStream } from "@anyts/anyts";
   * const [send, receive] = createMemoryObjectStream<Uint8Array>(1);
   * await send.send(new Uint8Array([1, 2, 3]));
   * const buffered = new BufferedByteReceiveStream(receive);
   * console.log(await buffered.receive(2)); // Uint8Array [1, 2]
   * console.log(buffered.buffer); // Uint8Array [3]
   * ```
   */
  receive(maxBytes = 65536): Promise<Uint8Array<ArrayBuffer>> {
    try {
      validateMaxBytes(maxBytes);
      if (this._closed) throw new ClosedResourceError("BufferedByteReceiveStream");
      const buffer = this._buffer;
      if (buffer.length > 0) {
        checkpointIfCancelled(); // raises before anything is taken; the caller's await yields
        return Promise.resolve(buffer.take(Math.min(maxBytes, buffer.length)));
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this._receiveFromStream(maxBytes);
  }

  /** @ignore `receive` with an empty buffer (the wrapped stream's receive is the checkpoint). */
  async _receiveFromStream(maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    for (;;) {
      const chunk = checkedChunk(await (this.receiveStream as ByteReceiveStream).receive(maxBytes), this._byteStream);
      if (chunk.length === 0) continue;
      if (chunk.length <= maxBytes) return chunk;
      // An object stream ignores maxBytes: keep the surplus.
      this._buffer.append(chunk.subarray(maxBytes));
      return chunk.subarray(0, maxBytes);
    }
  }

  /**
   * Receives exactly `nbytes` bytes (a positive integer). Throws {@linkcode IncompleteRead}
   * if the stream ends first; the bytes received so far then stay in the buffer.
   *
   * @example
   * ```ts
   * import { BufferedByteReceiveStream, createMemoryObjectStream } from "@anyts/anyts";
   * const [send, receive] = createMemoryObjectStream<Uint8Array>(2);
   * await send.send(new Uint8Array([0, 3]));
   * await send.send(new Uint8Array([7, 8, 9]));
   * const buffered = new BufferedByteReceiveStream(receive);
   * const header = await buffered.receiveExactly(2);
   * console.log(await buffered.receiveExactly(header[1]!)); // Uint8Array [7, 8, 9]
   * ```
   */
  receiveExactly(nbytes: number): Promise<Uint8Array<ArrayBuffer>> {
    try {
      validateMaxBytes(nbytes, "nbytes");
      if (this._closed) throw new ClosedResourceError("BufferedByteReceiveStream");
      checkpointIfCancelled();
      const buffer = this._buffer;
      if (buffer.length >= nbytes) return Promise.resolve(buffer.take(nbytes)); // the caller's await yields
    } catch (error) {
      return Promise.reject(error);
    }
    return this._receiveExactlyFromStream(nbytes);
  }

  /** @ignore The rest of `receiveExactly`, reading the wrapped stream. */
  async _receiveExactlyFromStream(nbytes: number): Promise<Uint8Array<ArrayBuffer>> {
    const buffer = this._buffer;
    while (buffer.length < nbytes) {
      let chunk: unknown;
      try {
        chunk = await (this.receiveStream as ByteReceiveStream).receive(nbytes - buffer.length);
      } catch (error) {
        if (error instanceof EndOfStream) {
          throw new IncompleteRead(
            `the stream ended after ${buffer.length} of the ${nbytes} bytes requested`,
          );
        }
        throw error;
      }
      buffer.appendOwned(checkedChunk(chunk, this._byteStream));
    }
    return buffer.take(nbytes);
  }

  /**
   * Receives up to `delimiter` (a non-empty `Uint8Array`) and returns the bytes before it;
   * the delimiter is consumed, what follows it stays buffered. At most `maxBytes` bytes (a
   * positive integer) may come before the delimiter: it throws {@linkcode DelimiterNotFound}
   * once more do, and never reads more from the wrapped stream than that takes to know
   * (`maxBytes` plus the delimiter's length, buffered bytes included), so a peer cannot make
   * it buffer more. It throws {@linkcode IncompleteRead} if the stream ends first; in both
   * cases the buffer keeps every byte.
   *
   * @example
   * ```ts
   * import { BufferedByteReceiveStream, createMemoryObjectStream } from "@anyts/anyts";
   * const [send, receive] = createMemoryObjectStream<Uint8Array>(2);
   * await send.send(new Uint8Array([1, 2, 0]));
   * await send.send(new Uint8Array([3, 0]));
   * const buffered = new BufferedByteReceiveStream(receive);
   * const zero = new Uint8Array([0]);
   * console.log(await buffered.receiveUntil(zero, 100)); // Uint8Array [1, 2]
   * console.log(await buffered.receiveUntil(zero, 100)); // Uint8Array [3]
   * ```
   */
  receiveUntil(delimiter: Uint8Array, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    try {
      if (!(delimiter instanceof Uint8Array)) {
        throw new TypeError(`delimiter must be a Uint8Array, got ${delimiter === null ? "null" : typeof delimiter}`);
      }
      if (delimiter.length === 0) throw new RangeError("delimiter must not be empty");
      validateMaxBytes(maxBytes);
      if (this._closed) throw new ClosedResourceError("BufferedByteReceiveStream");
      checkpointIfCancelled();
      const found = this._untilFound(delimiter, maxBytes, 0);
      if (found !== undefined) return Promise.resolve(found); // the caller's await yields
    } catch (error) {
      return Promise.reject(error);
    }
    if (this._until !== undefined) return this._receiveUntilFromStream(delimiter, maxBytes); // one is waiting already
    // The common case, one chunk brings the delimiter: a `then` on the wrapped stream's
    // receive, with prebound handlers, costs less than an async function.
    const buffer = this._buffer;
    this._until = delimiter;
    this._untilMax = maxBytes;
    this._untilOffset = Math.max(buffer.length - delimiter.length + 1, 0);
    let receiving: Promise<unknown>;
    try {
      receiving = Promise.resolve(
        (this.receiveStream as ByteReceiveStream).receive(Math.min(65536, maxBytes + delimiter.length - buffer.length)),
      );
    } catch (error) {
      this._until = undefined;
      return Promise.reject(error);
    }
    return receiving.then(
      (this._onUntilChunk ??= (chunk) => this._untilChunk(chunk)),
      (this._onUntilError ??= (error) => this._untilError(error)),
    );
  }

  /** @ignore The delimiter, limit and search start of the receiveUntil waiting on a `then`. */
  _until: Uint8Array | undefined = undefined;
  /** @ignore */
  _untilMax = 0;
  /** @ignore */
  _untilOffset = 0;
  /** @ignore The prebound handlers of that `then`. */
  _onUntilChunk: ((chunk: unknown) => Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>>) | undefined = undefined;
  /** @ignore */
  _onUntilError: ((error: unknown) => never) | undefined = undefined;

  /** @ignore A chunk for the waiting receiveUntil: done, or on with the loop. */
  _untilChunk(chunk: unknown): Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>> {
    const delimiter = this._until!;
    this._until = undefined;
    this._buffer.appendOwned(checkedChunk(chunk, this._byteStream));
    return this._untilFound(delimiter, this._untilMax, this._untilOffset) ?? this._receiveUntilFromStream(delimiter, this._untilMax);
  }

  /** @ignore */
  _untilError(error: unknown): never {
    this._until = undefined;
    if (error instanceof EndOfStream) {
      throw new IncompleteRead(`the stream ended before the delimiter (${this._buffer.length} bytes buffered)`);
    }
    throw error;
  }

  /**
   * @ignore The bytes before `delimiter` (consumed with it) if it is buffered, searching
   * from `offset`; undefined to read more; throws DelimiterNotFound once more than
   * `maxBytes` bytes are known to come before it.
   */
  _untilFound(delimiter: Uint8Array, maxBytes: number, offset: number): Uint8Array<ArrayBuffer> | undefined {
    const buffer = this._buffer;
    const index = buffer.indexOf(delimiter, offset);
    if (index >= 0 && index <= maxBytes) {
      const found = buffer.take(index);
      buffer.skip(delimiter.length);
      return found;
    }
    if (index > maxBytes || buffer.length >= maxBytes + delimiter.length) throw new DelimiterNotFound(maxBytes);
    return undefined;
  }

  /** @ignore The rest of `receiveUntil`: reads no more than the delimiter can need. */
  async _receiveUntilFromStream(delimiter: Uint8Array, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    const buffer = this._buffer;
    for (;;) {
      // The delimiter may straddle the old end and the new chunk.
      const offset = Math.max(buffer.length - delimiter.length + 1, 0);
      let chunk: unknown;
      try {
        chunk = await (this.receiveStream as ByteReceiveStream).receive(Math.min(65536, maxBytes + delimiter.length - buffer.length));
      } catch (error) {
        if (error instanceof EndOfStream) {
          throw new IncompleteRead(`the stream ended before the delimiter (${buffer.length} bytes buffered)`);
        }
        throw error;
      }
      buffer.appendOwned(checkedChunk(chunk, this._byteStream));
      const found = this._untilFound(delimiter, maxBytes, offset);
      if (found !== undefined) return found;
    }
  }

  /** Closes the wrapped stream; receiving afterwards throws {@linkcode ClosedResourceError}. */
  async aclose(): Promise<void> {
    this._closed = true;
    await this.receiveStream.aclose();
  }

  /** The attributes of the wrapped stream. */
  override get extraAttributes(): TypedAttributeMap {
    return this.receiveStream.extraAttributes;
  }
}

/**
 * A bidirectional {@linkcode BufferedByteReceiveStream}: receiving is buffered, sending
 * goes straight to the wrapped stream.
 *
 * @example
 * ```ts
 * import { BufferedByteStream, createMemoryObjectStream, StapledByteStream } from "@anyts/anyts";
 * const [send, receive] = createMemoryObjectStream<Uint8Array>(4);
 * const stream = new BufferedByteStream(new StapledByteStream(send, receive));
 * await stream.send(new TextEncoder().encode("a,b,"));
 * console.log(await stream.receiveUntil(new TextEncoder().encode(","), 10)); // Uint8Array [97]
 * ```
 */
export class BufferedByteStream extends BufferedByteReceiveStream implements ByteStream {
  /** @ignore */
  _stream: AnyByteStream;

  /**
   * Wraps `stream`.
   *
   * @param stream the stream to wrap */
  constructor(stream: AnyByteStream) {
    super(stream);
    this._stream = stream;
  }

  /** Sends `data` through the wrapped stream. */
  send(data: Uint8Array): Promise<void> {
    return this._stream.send(data);
  }

  /** Sends EOF through the wrapped stream. */
  sendEof(): Promise<void> {
    return this._stream.sendEof();
  }
}
