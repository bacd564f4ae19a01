/**
 * The stream interfaces (AnyIO's `anyio.abc` streams): object streams carry items of any
 * type, in order and without loss; byte streams carry bytes whose chunking means nothing.
 * Each interface has an abstract base class that supplies async iteration,
 * `[Symbol.asyncDispose]` and `extra()`.
 *
 * @module
 */
import type { TaskGroup } from "../core/task-group.ts";
import { EndOfStream } from "../core/errors.ts";
import { TypedAttributeProvider } from "./typed-attribute.ts";

/**
 * Something that must be closed: `aclose()` releases it, and so does leaving an
 * `await using` block.
 *
 * @example
 * ```ts
 * import type { AsyncResource } from "@anyts/anyts";
 * async function closeAll(resources: AsyncResource[]) {
 *   for (const resource of resources) await resource.aclose();
 * }
 * ```
 */
export interface AsyncResource extends AsyncDisposable {
  /** Closes the resource. Closing twice is allowed and does nothing the second time. */
  aclose(): Promise<void>;
}

/**
 * Receives items of type `T`, in the order they were sent, none missed. Async iteration
 * yields items until the stream ends (the iteration ends at {@linkcode EndOfStream}).
 *
 * @example
 * ```ts
 * import type { ObjectReceiveStream } from "@anyts/anyts";
 * async function sum(stream: ObjectReceiveStream<number>): Promise<number> {
 *   let total = 0;
 *   for await (const n of stream) total += n;
 *   return total;
 * }
 * ```
 */
export interface ObjectReceiveStream<T> extends AsyncResource, TypedAttributeProvider, AsyncIterable<T> {
  /**
   * Receives the next item. Throws {@linkcode EndOfStream} when the sending side has
   * finished, ClosedResourceError when this stream was closed, BrokenResourceError when
   * it broke.
   */
  receive(): Promise<T>;
}

/**
 * Sends items of type `T`, delivered in order, none missed.
 *
 * @example
 * ```ts
 * import type { ObjectSendStream } from "@anyts/anyts";
 * async function countTo(stream: ObjectSendStream<number>, n: number) {
 *   for (let i = 1; i <= n; i++) await stream.send(i);
 *   await stream.aclose();
 * }
 * ```
 */
export interface ObjectSendStream<T> extends AsyncResource, TypedAttributeProvider {
  /**
   * Sends `item`. Throws ClosedResourceError when this stream was closed, and
   * BrokenResourceError when the receiving side has gone away.
   */
  send(item: T): Promise<void>;
}

/**
 * A bidirectional object stream.
 *
 * @example
 * ```ts
 * import type { ObjectStream } from "@anyts/anyts";
 * async function echoOnce(stream: ObjectStream<string>) {
 *   await stream.send(await stream.receive());
 *   await stream.sendEof();
 * }
 * ```
 */
export interface ObjectStream<T> extends ObjectReceiveStream<T>, ObjectSendStream<T> {
  /**
   * Tells the peer that nothing more will be sent (its receives then end with
   * {@linkcode EndOfStream}); receiving still works. Idempotent.
   */
  sendEof(): Promise<void>;
}

/**
 * Receives bytes. Chunk boundaries carry no meaning. `receive()` never returns an empty
 * chunk; async iteration yields chunks until the peer has finished.
 *
 * @example
 * ```ts
 * import type { ByteReceiveStream } from "@anyts/anyts";
 * async function readAll(stream: ByteReceiveStream): Promise<number> {
 *   let size = 0;
 *   for await (const chunk of stream) size += chunk.length;
 *   return size;
 * }
 * ```
 */
export interface ByteReceiveStream extends AsyncResource, TypedAttributeProvider, AsyncIterable<Uint8Array<ArrayBuffer>> {
  /**
   * Receives at most `maxBytes` bytes (a positive integer, default 65536), never an empty
   * chunk. Throws {@linkcode EndOfStream} once the peer has finished sending. The chunk
   * is the caller's own, over a plain `ArrayBuffer` (Web APIs such as `crypto.subtle`
   * take it as it is).
   */
  receive(maxBytes?: number): Promise<Uint8Array<ArrayBuffer>>;
}

/**
 * Sends bytes.
 *
 * @example
 * ```ts
 * import type { ByteSendStream } from "@anyts/anyts";
 * async function hello(stream: ByteSendStream) {
 *   await stream.send(new TextEncoder().encode("hello\n"));
 * }
 * ```
 */
export interface ByteSendStream extends AsyncResource, TypedAttributeProvider {
  /** Sends all of `data`. The caller must not modify `data` until the promise settles. */
  send(data: Uint8Array): Promise<void>;
}

/**
 * A bidirectional byte stream, such as a TCP connection.
 *
 * @example
 * ```ts
 * import type { ByteStream } from "@anyts/anyts";
 * async function request(stream: ByteStream, data: Uint8Array): Promise<Uint8Array> {
 *   await stream.send(data);
 *   await stream.sendEof();
 *   return await stream.receive();
 * }
 * ```
 */
export interface ByteStream extends ByteReceiveStream, ByteSendStream {
  /**
   * Half-closes the stream: the peer's receives end with {@linkcode EndOfStream}, while
   * this side can still receive. Idempotent.
   */
  sendEof(): Promise<void>;
}

/**
 * Accepts connections (or other resources of type `T`) and hands each to a handler.
 *
 * @example
 * ```ts
 * import type { ByteStream, Listener } from "@anyts/anyts";
 * async function echoServer(listener: Listener<ByteStream>) {
 *   await listener.serve(async (client) => {
 *     await using _ = client;
 *     for await (const chunk of client) await client.send(chunk);
 *   });
 * }
 * ```
 */
export interface Listener<T> extends AsyncResource, TypedAttributeProvider {
  /**
   * Accepts connections until cancelled, running `handler(connection)` for each in
   * `taskGroup` (a task group of its own when omitted). `options` (also accepted in place
   * of `taskGroup`) say what a failing handler does; see {@linkcode ServeOptions}.
   */
  serve(handler: (connection: T) => unknown, taskGroup?: TaskGroup | ServeOptions, options?: ServeOptions): Promise<void>;
}

/**
 * Options of {@linkcode Listener.serve}.
 *
 * By default a handler's error is not caught: it fails the task group the connections run
 * in, which ends the server (AnyIO's and Trio's behaviour). With `onHandlerError`, the
 * error of a failed handler is passed to it instead, the connection is closed, and the
 * server goes on: one bad client does not end it. Cancellation is never passed to it.
 *
 * @example
 * ```ts
 * import { createTcpListener, run } from "@anyts/anyts";
 * await run(async () => {
 *   await using listener = await createTcpListener({ localHost: "127.0.0.1" });
 *   await listener.serve(async (client) => {
 *     for await (const chunk of client) await client.send(chunk);
 *   }, { onHandlerError: (error) => console.error("a connection failed:", error) });
 * });
 * ```
 */
export interface ServeOptions {
  /**
   * Called with the error of every handler that fails (the connection is closed then),
   * instead of letting it end the server. Must not throw (what it throws is dropped).
   */
  onHandlerError?: (error: unknown) => void;
}

/**
 * Any stream that receives bytes: a byte stream or an object stream of `Uint8Array`.
 *
 * @example
 * ```ts
 * import type { AnyByteReceiveStream } from "@anyts/anyts";
 * async function first(stream: AnyByteReceiveStream): Promise<Uint8Array> {
 *   return await stream.receive();
 * }
 * ```
 */
export type AnyByteReceiveStream = ObjectReceiveStream<Uint8Array> | ByteReceiveStream;

/**
 * Any stream that sends bytes: a byte stream or an object stream of `Uint8Array`.
 *
 * @example
 * ```ts
 * import type { AnyByteSendStream } from "@anyts/anyts";
 * async function ping(stream: AnyByteSendStream) {
 *   await stream.send(new Uint8Array([1]));
 * }
 * ```
 */
export type AnyByteSendStream = ObjectSendStream<Uint8Array> | ByteSendStream;

/**
 * Any bidirectional bytes stream: a byte stream or an object stream of `Uint8Array`.
 *
 * @example
 * ```ts
 * import type { AnyByteStream } from "@anyts/anyts";
 * async function bye(stream: AnyByteStream) {
 *   await stream.sendEof();
 * }
 * ```
 */
export type AnyByteStream = ObjectStream<Uint8Array> | ByteStream;

const doneResult: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * @ignore An async iterator over `stream.receive()` that ends at {@linkcode EndOfStream}.
 * Breaking out of a `for await` loop does not close the stream.
 */
export function receiveIterator<T>(stream: { receive(): Promise<T> }): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    next(): Promise<IteratorResult<T>> {
      return stream.receive().then(yieldValue<T>, endAtEndOfStream);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

function yieldValue<T>(value: T): IteratorResult<T> {
  return { done: false, value };
}

function endAtEndOfStream(error: unknown): IteratorReturnResult<undefined> {
  if (error instanceof EndOfStream) return doneResult;
  throw error;
}

/**
 * Base class for {@linkcode ObjectReceiveStream} implementations: supplies async
 * iteration, `[Symbol.asyncDispose]` and `extra()`.
 *
 * @example
 * ```ts
 * import { EndOfStream, ObjectReceiveStreamBase } from "@anyts/anyts";
 * class Countdown extends ObjectReceiveStreamBase<number> {
 *   n = 3;
 *   async receive(): Promise<number> {
 *     if (this.n === 0) throw new EndOfStream();
 *     return this.n--;
 *   }
 *   async aclose(): Promise<void> {}
 * }
 * for await (const n of new Countdown()) console.log(n); // 3 2 1
 * ```
 */
export abstract class ObjectReceiveStreamBase<T> extends TypedAttributeProvider implements ObjectReceiveStream<T> {
  /** Receives the next item; see {@linkcode ObjectReceiveStream.receive}. */
  abstract receive(): Promise<T>;
  /** Closes the stream. */
  abstract aclose(): Promise<void>;
  /** Iterates over the received items until {@linkcode EndOfStream}. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return receiveIterator(this);
  }
  /** Closes the stream: `await using stream = ...` calls it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
}

/**
 * Base class for {@linkcode ObjectSendStream} implementations: supplies
 * `[Symbol.asyncDispose]` and `extra()`.
 *
 * @example
 * ```ts
 * import { ObjectSendStreamBase } from "@anyts/anyts";
 * class Logger extends ObjectSendStreamBase<string> {
 *   async send(item: string): Promise<void> { console.log(item); }
 *   async aclose(): Promise<void> {}
 * }
 * await new Logger().send("hello");
 * ```
 */
export abstract class ObjectSendStreamBase<T> extends TypedAttributeProvider implements ObjectSendStream<T> {
  /** Sends an item; see {@linkcode ObjectSendStream.send}. */
  abstract send(item: T): Promise<void>;
  /** Closes the stream. */
  abstract aclose(): Promise<void>;
  /** Closes the stream: `await using stream = ...` calls it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
}

/**
 * Base class for {@linkcode ObjectStream} implementations.
 *
 * @example
 * ```ts
 * import { EndOfStream, ObjectStreamBase } from "@anyts/anyts";
 * class Loopback<T> extends ObjectStreamBase<T> {
 *   items: T[] = [];
 *   async send(item: T): Promise<void> { this.items.push(item); }
 *   async receive(): Promise<T> {
 *     if (this.items.length === 0) throw new EndOfStream();
 *     return this.items.shift()!;
 *   }
 *   async sendEof(): Promise<void> {}
 *   async aclose(): Promise<void> {}
 * }
 * ```
 */
export abstract class ObjectStreamBase<T> extends ObjectReceiveStreamBase<T> implements ObjectStream<T> {
  /** Sends an item; see {@linkcode ObjectSendStream.send}. */
  abstract send(item: T): Promise<void>;
  /** Signals the end of sending; see {@linkcode ObjectStream.sendEof}. */
  abstract sendEof(): Promise<void>;
}

/**
 * Base class for {@linkcode ByteReceiveStream} implementations: supplies async iteration,
 * `[Symbol.asyncDispose]` and `extra()`.
 *
 * @example
 * ```ts
 * import { ByteReceiveStreamBase, EndOfStream } from "@anyts/anyts";
 * class Zeros extends ByteReceiveStreamBase {
 *   left = 100_000;
 *   async receive(maxBytes = 65536): Promise<Uint8Array> {
 *     if (this.left === 0) throw new EndOfStream();
 *     const size = Math.min(maxBytes, this.left);
 *     this.left -= size;
 *     return new Uint8Array(size);
 *   }
 *   async aclose(): Promise<void> {}
 * }
 * ```
 */
export abstract class ByteReceiveStreamBase extends TypedAttributeProvider implements ByteReceiveStream {
  /** Receives bytes; see {@linkcode ByteReceiveStream.receive}. */
  abstract receive(maxBytes?: number): Promise<Uint8Array<ArrayBuffer>>;
  /** Closes the stream. */
  abstract aclose(): Promise<void>;
  /** Iterates over received chunks until {@linkcode EndOfStream}. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array<ArrayBuffer>> {
    return receiveIterator(this);
  }
  /** Closes the stream: `await using stream = ...` calls it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
}

/**
 * Base class for {@linkcode ByteSendStream} implementations: supplies
 * `[Symbol.asyncDispose]` and `extra()`.
 *
 * @example
 * ```ts
 * import { ByteSendStreamBase } from "@anyts/anyts";
 * class Counter extends ByteSendStreamBase {
 *   total = 0;
 *   async send(data: Uint8Array): Promise<void> { this.total += data.length; }
 *   async aclose(): Promise<void> {}
 * }
 * ```
 */
export abstract class ByteSendStreamBase extends TypedAttributeProvider implements ByteSendStream {
  /** Sends bytes; see {@linkcode ByteSendStream.send}. */
  abstract send(data: Uint8Array): Promise<void>;
  /** Closes the stream. */
  abstract aclose(): Promise<void>;
  /** Closes the stream: `await using stream = ...` calls it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
}

/**
 * Base class for {@linkcode ByteStream} implementations (sockets, TLS streams).
 *
 * @example
 * ```ts
 * import { ByteStreamBase, EndOfStream } from "@anyts/anyts";
 * class Empty extends ByteStreamBase {
 *   async receive(): Promise<Uint8Array> { throw new EndOfStream(); }
 *   async send(_data: Uint8Array): Promise<void> {}
 *   async sendEof(): Promise<void> {}
 *   async aclose(): Promise<void> {}
 * }
 * ```
 */
export abstract class ByteStreamBase extends ByteReceiveStreamBase implements ByteStream {
  /** Sends bytes; see {@linkcode ByteSendStream.send}. */
  abstract send(data: Uint8Array): Promise<void>;
  /** Half-closes the stream; see {@linkcode ByteStream.sendEof}. */
  abstract sendEof(): Promise<void>;
}

/**
 * Base class for {@linkcode Listener} implementations: supplies `[Symbol.asyncDispose]`
 * and `extra()`.
 *
 * @example
 * ```ts
 * import { ListenerBase, sleepForever, type TaskGroup } from "@anyts/anyts";
 * class NeverListener extends ListenerBase<never> {
 *   async serve(_handler: (connection: never) => unknown, _taskGroup?: TaskGroup): Promise<void> {
 *     await sleepForever();
 *   }
 *   async aclose(): Promise<void> {}
 * }
 * ```
 */
export abstract class ListenerBase<T> extends TypedAttributeProvider implements Listener<T> {
  /** Accepts connections; see {@linkcode Listener.serve}. */
  abstract serve(handler: (connection: T) => unknown, taskGroup?: TaskGroup | ServeOptions, options?: ServeOptions): Promise<void>;
  /** Closes the listener. */
  abstract aclose(): Promise<void>;
  /** Closes the listener: `await using listener = ...` calls it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }
}

/**
 * @ignore Validates a `maxBytes` argument: a positive integer (or `Infinity` when
 * `allowInfinity`). Throws TypeError or RangeError naming `name`.
 */
export function validateMaxBytes(value: unknown, name = "maxBytes", allowInfinity = false): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!(value >= 1) || (!Number.isInteger(value) && !(allowInfinity && value === Infinity))) {
    throw new RangeError(`${name} must be a positive integer${allowInfinity ? " or Infinity" : ""}, got ${value}`);
  }
  return value;
}
