/**
 * Stapled streams: a send stream and a receive stream joined into one bidirectional stream
 * (AnyIO's `StapledByteStream` and `StapledObjectStream`).
 *
 * @module
 */
import { ChunkReader } from "./chunks.ts";
import { attributeMap, type TypedAttributeMap } from "./typed-attribute.ts";
import {
  type ByteReceiveStream,
  type ByteSendStream,
  ByteStreamBase,
  type ObjectReceiveStream,
  type ObjectSendStream,
  ObjectStreamBase,
} from "./types.ts";

/** Closes `first`, then `second` even if closing `first` failed. */
async function closeBoth(first: { aclose(): Promise<void> }, second: { aclose(): Promise<void> }): Promise<void> {
  try {
    await first.aclose();
  } finally {
    await second.aclose();
  }
}

/**
 * A {@linkcode ByteStream} made of a byte send stream and a byte receive stream (or object
 * streams of `Uint8Array`: chunks longer than `maxBytes` are split and empty ones skipped).
 * `sendEof()` closes the send stream; `aclose()` closes both. Attributes come from both,
 * the receive stream's winning a conflict.
 *
 * @example
 * ```ts
 * import { createMemoryObjectStream, StapledByteStream } from "@anyts/anyts";
 * const [send, receive] = createMemoryObjectStream<Uint8Array>(10);
 * const loop = new StapledByteStream(send, receive);
 * await loop.send(new Uint8Array([1, 2, 3]));
 * console.log(await loop.receive(2)); // Uint8Array [1, 2]
 * console.log(await loop.receive()); // Uint8Array [3]
 * ```
 */
export class StapledByteStream extends ByteStreamBase {
  /** The stream `send()` writes to. */
  readonly sendStream: ByteSendStream | ObjectSendStream<Uint8Array>;
  /** The stream `receive()` reads from. */
  readonly receiveStream: ByteReceiveStream | ObjectReceiveStream<Uint8Array>;
  /** @ignore */
  _reader: ChunkReader;

  /**
   * Staples `sendStream` and `receiveStream` together.
   *
   * @param sendStream where sent bytes go
   * @param receiveStream where received bytes come from
   */
  constructor(
    sendStream: ByteSendStream | ObjectSendStream<Uint8Array>,
    receiveStream: ByteReceiveStream | ObjectReceiveStream<Uint8Array>,
  ) {
    super();
    this.sendStream = sendStream;
    this.receiveStream = receiveStream;
    this._reader = new ChunkReader((maxBytes) => (receiveStream as ByteReceiveStream).receive(maxBytes));
  }

  /** Receives at most `maxBytes` (default 65536) from the receive stream; never an empty chunk. */
  receive(maxBytes = 65536): Promise<Uint8Array<ArrayBuffer>> {
    return this._reader.read(maxBytes);
  }

  /** Sends through the send stream. */
  send(data: Uint8Array): Promise<void> {
    return this.sendStream.send(data);
  }

  /** Closes the send stream (the peer then sees the end of the stream). */
  sendEof(): Promise<void> {
    return this.sendStream.aclose();
  }

  /** Closes both streams, the send stream first. */
  aclose(): Promise<void> {
    return closeBoth(this.sendStream, this.receiveStream);
  }

  /** The attributes of both streams; the receive stream's win a conflict. */
  override get extraAttributes(): TypedAttributeMap {
    return attributeMap([], this.sendStream.extraAttributes, this.receiveStream.extraAttributes);
  }
}

/**
 * An {@linkcode ObjectStream} made of an object send stream and an object receive stream.
 * `sendEof()` closes the send stream; `aclose()` closes both. Attributes come from both,
 * the receive stream's winning a conflict.
 *
 * @example
 * ```ts
 * import { createMemoryObjectStream, StapledObjectStream } from "@anyts/anyts";
 * // Two connected in-memory object streams, like a socket pair.
 * const [toB, fromA] = createMemoryObjectStream<string>(10);
 * const [toA, fromB] = createMemoryObjectStream<string>(10);
 * const a = new StapledObjectStream(toB, fromB);
 * const b = new StapledObjectStream(toA, fromA);
 * await a.send("ping");
 * await b.send(`${await b.receive()} pong`);
 * console.log(await a.receive()); // "ping pong"
 * ```
 */
export class StapledObjectStream<T> extends ObjectStreamBase<T> {
  /** The stream `send()` writes to. */
  readonly sendStream: ObjectSendStream<T>;
  /** The stream `receive()` reads from. */
  readonly receiveStream: ObjectReceiveStream<T>;

  /**
   * Staples `sendStream` and `receiveStream` together.
   *
   * @param sendStream where sent items go
   * @param receiveStream where received items come from
   */
  constructor(sendStream: ObjectSendStream<T>, receiveStream: ObjectReceiveStream<T>) {
    super();
    this.sendStream = sendStream;
    this.receiveStream = receiveStream;
  }

  /** Receives from the receive stream. */
  receive(): Promise<T> {
    return this.receiveStream.receive();
  }

  /** Sends through the send stream. */
  send(item: T): Promise<void> {
    return this.sendStream.send(item);
  }

  /** Closes the send stream (the peer then sees the end of the stream). */
  sendEof(): Promise<void> {
    return this.sendStream.aclose();
  }

  /** Closes both streams, the send stream first. */
  aclose(): Promise<void> {
    return closeBoth(this.sendStream, this.receiveStream);
  }

  /** The attributes of both streams; the receive stream's win a conflict. */
  override get extraAttributes(): TypedAttributeMap {
    return attributeMap([], this.sendStream.extraAttributes, this.receiveStream.extraAttributes);
  }
}
