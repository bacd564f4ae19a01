/**
 * Buffered byte receiving (AnyIO's `BufferedByteReceiveStream`): read exactly `n` bytes,
 * or up to a delimiter, from any byte receive stream.
 *
 * @module
 */
import { ClosedResourceError, DelimiterNotFound, EndOfStream, IncompleteRead } from "../core/errors.ts";
import { checkpoint } from "../core/time.ts";
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

/** A growable byte buffer: append at the end, take from the front. */
class ByteBuffer {
  data: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  start = 0;
  end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(bytes: Uint8Array): void {
    const size = bytes.length;
    if (size === 0) return;
    if (this.end + size > this.data.length) {
      const length = this.length;
      if (length + size <= this.data.length >> 1 || (length + size <= this.data.length && this.start > 0)) {
        this.data.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.max(this.data.length * 2, length + size, 256));
        grown.set(this.data.subarray(this.start, this.end));
        this.data = grown;
      }
      this.start = 0;
      this.end = length;
    }
    this.data.set(bytes, this.end);
    this.end += size;
  }

  /** Removes and returns (a copy of) the first `n` bytes, `n` ≤ length. */
  take(n: number): Uint8Array<ArrayBuffer> {
    const out = this.data.slice(this.start, this.start + n);
    this.skip(n);
    return out;
  }

  skip(n: number): void {
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
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
  }

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
  async receive(maxBytes = 65536): Promise<Uint8Array<ArrayBuffer>> {
    validateMaxBytes(maxBytes);
    if (this._closed) throw new ClosedResourceError("BufferedByteReceiveStream");
    const buffer = this._buffer;
    if (buffer.length > 0) {
      await checkpoint(); // raises before anything is taken
      if (buffer.length > 0) return buffer.take(Math.min(maxBytes, buffer.length));
    }
    for (;;) {
      const chunk = await this._receiveChunk(maxBytes);
      if (chunk.length === 0) continue;
      if (chunk.length <= maxBytes) return chunk;
      // An object stream ignores maxBytes: keep the surplus.
      buffer.append(chunk.subarray(maxBytes));
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
  async receiveExactly(nbytes: number): Promise<Uint8Array<ArrayBuffer>> {
    validateMaxBytes(nbytes, "nbytes");
    if (this._closed) throw new ClosedResourceError("BufferedByteReceiveStream");
    const buffer = this._buffer;
    await checkpoint();
    while (buffer.length < nbytes) {
      let chunk: Uint8Array<ArrayBuffer>;
      try {
        chunk = await this._receiveChunk(nbytes - buffer.length);
      } catch (error) {
        if (error instanceof EndOfStream) {
          throw new IncompleteRead(
            `the stream ended after ${buffer.length} of the ${nbytes} bytes requested`,
          );
        }
        throw error;
      }
      buffer.append(chunk);
    }
    return buffer.take(nbytes);
  }

  /**
   * Receives up to `delimiter` (a non-empty `Uint8Array`) and returns the bytes before it;
   * the delimiter is consumed, what follows it stays buffered. Throws
   * {@linkcode DelimiterNotFound} if `maxBytes` bytes (a positive integer) are buffered
   * without the delimiter, {@linkcode IncompleteRead} if the stream ends first; in both
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
  async receiveUntil(delimiter: Uint8Array, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    if (!(delimiter instanceof Uint8Array)) {
      throw new TypeError(`delimiter must be a Uint8Array, got ${delimiter === null ? "null" : typeof delimiter}`);
    }
    if (delimiter.length === 0) throw new RangeError("delimiter must not be empty");
    validateMaxBytes(maxBytes);
    if (this._closed) throw new ClosedResourceError("BufferedByteReceiveStream");
    const buffer = this._buffer;
    await checkpoint();
    let offset = 0;
    for (;;) {
      const index = buffer.indexOf(delimiter, offset);
      if (index >= 0) {
        const found = buffer.take(index);
        buffer.skip(delimiter.length);
        return found;
      }
      if (buffer.length >= maxBytes) throw new DelimiterNotFound(maxBytes);
      let chunk: Uint8Array<ArrayBuffer>;
      try {
        chunk = await this._receiveChunk(65536);
      } catch (error) {
        if (error instanceof EndOfStream) {
          throw new IncompleteRead(`the stream ended before the delimiter (${buffer.length} bytes buffered)`);
        }
        throw error;
      }
      // The delimiter may straddle the old end and the new chunk.
      offset = Math.max(buffer.length - delimiter.length + 1, 0);
      buffer.append(chunk);
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

  /** @ignore */
  async _receiveChunk(maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    const chunk = await (this.receiveStream as ByteReceiveStream).receive(maxBytes);
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError(`the wrapped stream must carry Uint8Array chunks, got ${chunk === null ? "null" : typeof chunk}`);
    }
    return ownBytes(chunk);
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
