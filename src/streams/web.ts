/**
 * Web Streams interop: anyts streams as `ReadableStream` / `WritableStream` (to hand to
 * `fetch`, `Response`, `pipeTo`, compression streams...) and web streams as anyts streams.
 *
 * Backpressure is preserved in both directions: a `ReadableStream` made from an anyts
 * stream pulls (receives) only when its consumer reads; a `WritableStream` made from one
 * finishes a write only when the anyts `send()` returns; an anyts stream made from a web
 * stream reads or writes one chunk at a time.
 *
 * Cancellation is mapped both ways: cancelling a `ReadableStream` (or aborting a
 * `WritableStream`) interrupts the receive (send) in progress and closes the anyts stream;
 * cancelling the anyts scope the web stream was created in errors it with
 * {@linkcode Cancelled}; a cancelled anyts `receive()` keeps the chunk its read brings for
 * the next `receive()`, so no data is lost.
 *
 * @module
 */
import { checkOptions } from "../core/options.ts";
import { CancelScope, currentFrame, currentScope } from "../core/cancel-scope.ts";
import { type Frame, frameStorage } from "../core/context.ts";
import { BrokenResourceError, BusyResourceError, Cancelled, ClosedResourceError, EndOfStream } from "../core/errors.ts";
import { waitCancellable } from "../core/wait.ts";
import { ChunkReader } from "./chunks.ts";
import {
  type ByteReceiveStream,
  ByteReceiveStreamBase,
  type ObjectReceiveStream,
  ObjectReceiveStreamBase,
  type ObjectSendStream,
  ObjectSendStreamBase,
} from "./types.ts";

/**
 * Options of {@linkcode toReadableStream}.
 *
 * @example
 * ```ts
 * import type { ToReadableStreamOptions } from "@anyts/anyts";
 * const options: ToReadableStreamOptions = { highWaterMark: 1 };
 * ```
 */
export interface ToReadableStreamOptions {
  /**
   * How many items the `ReadableStream` receives ahead of its reader (default 0: it
   * receives only when read, so nothing is taken from the anyts stream that nobody asked
   * for).
   */
  highWaterMark?: number;
}

/**
 * Options of {@linkcode toWritableStream}.
 *
 * @example
 * ```ts
 * import type { ToWritableStreamOptions } from "@anyts/anyts";
 * const options: ToWritableStreamOptions = { highWaterMark: 4, close: "sendEof" };
 * ```
 */
export interface ToWritableStreamOptions {
  /** How many chunks the `WritableStream` queues before `writer.ready` waits (default 1). */
  highWaterMark?: number;
  /**
   * What closing the `WritableStream` does to the anyts stream: `"aclose"` (default) closes
   * it; `"sendEof"` calls its `sendEof()` (for a bidirectional stream whose receiving side
   * stays in use).
   */
  close?: "aclose" | "sendEof";
}

/**
 * Options of {@linkcode fromReadableStream}.
 *
 * @example
 * ```ts
 * import type { FromReadableStreamOptions } from "@anyts/anyts";
 * const options: FromReadableStreamOptions = { bytes: true };
 * ```
 */
export interface FromReadableStreamOptions {
  /**
   * Make a {@linkcode ByteReceiveStream}: `receive(maxBytes)` splits chunks longer than
   * `maxBytes` and skips empty ones; every chunk must be a `Uint8Array`. Default false: an
   * object stream that hands out each chunk as it is.
   */
  bytes?: boolean;
}

const noop = (): void => {};

type ReadResult<T> = Awaited<ReturnType<ReadableStreamDefaultReader<T>["read"]>>;

function validateHighWaterMark(value: unknown): number {
  if (typeof value !== "number") throw new TypeError(`highWaterMark must be a number, got ${typeof value}`);
  if (!(value >= 0)) throw new RangeError(`highWaterMark must be a non-negative number, got ${value}`);
  return value;
}

/** Runs `fn` in `scope`, entered in the `parent` frame (whatever the calling context). */
function runInScope<T>(parent: Frame, scope: CancelScope, fn: () => Promise<T>): Promise<T | undefined> {
  return frameStorage.run(parent, () => scope.run(fn));
}

/**
 * Makes a `ReadableStream` that receives from `stream` (an object stream, or a byte stream:
 * its chunks are `Uint8Array`s) as its reader reads. The readable owns the stream: it
 * closes the stream at its end, on error, and when cancelled (`reader.cancel()`
 * interrupts a receive in progress). Receives run in the cancel scope that was current
 * when `toReadableStream` was called: when that scope is cancelled, the readable errors
 * with {@linkcode Cancelled}.
 *
 * @example
 * ```ts
 * import { createMemoryObjectStream, taskGroup, toReadableStream } from "@anyts/anyts";
 * await taskGroup(async (tg) => {
 *   const [send, receive] = createMemoryObjectStream<string>();
 *   tg.startSoon(async () => {
 *     using _ = send;
 *     for (const word of ["web", "streams"]) await send.send(word);
 *   });
 *   for await (const word of toReadableStream(receive)) console.log(word);
 * });
 * ```
 */
export function toReadableStream<T>(stream: ObjectReceiveStream<T>, options?: ToReadableStreamOptions): ReadableStream<T> {
  if (stream === null || typeof stream !== "object" || typeof stream.receive !== "function") {
    throw new TypeError("stream must be an anyts receive stream");
  }
  checkOptions(options, ["highWaterMark"], "toReadableStream");
  const highWaterMark = validateHighWaterMark(options?.highWaterMark ?? 0);
  const parent = currentFrame();
  let pullScope: CancelScope | undefined;
  let finished = false;
  const finish = (): Promise<void> => {
    finished = true;
    return stream.aclose().catch(noop);
  };
  return new ReadableStream<T>(
    {
      async pull(controller) {
        const scope = new CancelScope();
        pullScope = scope;
        try {
          const outcome = await runInScope(parent, scope, async () => ({ item: await stream.receive() }));
          // undefined: interrupted by cancel(), which closes the stream itself.
          if (outcome !== undefined && !finished) controller.enqueue(outcome.item);
        } catch (error) {
          if (finished) return;
          await finish();
          if (error instanceof EndOfStream) controller.close();
          else controller.error(error);
        } finally {
          if (pullScope === scope) pullScope = undefined;
        }
      },
      cancel() {
        pullScope?.cancel("the ReadableStream was cancelled");
        return finish();
      },
    },
    { highWaterMark },
  );
}

/**
 * Makes a `WritableStream` whose writes are `send()`s on `stream` (an object stream, or a
 * byte stream with `Uint8Array` chunks): a write completes when the send returns, so the
 * writer sees the anyts stream's backpressure. Closing the writable closes the stream
 * (or sends EOF, with `close: "sendEof"`); aborting it interrupts a send in progress and
 * closes the stream. Sends run in the cancel scope that was current when
 * `toWritableStream` was called: when that scope is cancelled, the writable errors with
 * {@linkcode Cancelled}.
 *
 * @example
 * ```ts
 * import { createMemoryObjectStream, taskGroup, toWritableStream } from "@anyts/anyts";
 * await taskGroup(async (tg) => {
 *   const [send, receive] = createMemoryObjectStream<string>();
 *   tg.startSoon(async () => {
 *     for await (const line of receive) console.log(line);
 *   });
 *   const writer = toWritableStream(send).getWriter();
 *   await writer.write("hello");
 *   await writer.close();
 * });
 * ```
 */
export function toWritableStream<T>(
  stream: ObjectSendStream<T> & { sendEof?: () => Promise<void> },
  options?: ToWritableStreamOptions,
): WritableStream<T> {
  if (stream === null || typeof stream !== "object" || typeof stream.send !== "function") {
    throw new TypeError("stream must be an anyts send stream");
  }
  checkOptions(options, ["highWaterMark", "close"], "toWritableStream");
  const highWaterMark = validateHighWaterMark(options?.highWaterMark ?? 1);
  const closeWith = options?.close ?? "aclose";
  if (closeWith !== "aclose" && closeWith !== "sendEof") {
    throw new RangeError(`close must be "aclose" or "sendEof", got ${JSON.stringify(closeWith)}`);
  }
  if (closeWith === "sendEof" && typeof stream.sendEof !== "function") {
    throw new TypeError('close: "sendEof" needs a stream with a sendEof() method');
  }
  const parent = currentFrame();
  let abortSignal: AbortSignal | undefined;
  let closed = false;
  const closeStream = (): Promise<void> => {
    if (closed) return Promise.resolve();
    closed = true;
    return stream.aclose().catch(noop);
  };
  return new WritableStream<T>(
    {
      start(controller) {
        abortSignal = (controller as { signal?: AbortSignal }).signal;
      },
      async write(chunk) {
        // Aborting the writable (controller.signal) cancels the send in progress.
        const scope = new CancelScope(abortSignal === undefined ? undefined : { signal: abortSignal });
        try {
          await runInScope(parent, scope, () => stream.send(chunk));
        } catch (error) {
          await closeStream();
          throw error;
        }
      },
      async close() {
        if (closeWith === "sendEof") {
          await runInScope(parent, new CancelScope(), () => stream.sendEof!());
        } else {
          closed = true;
          await stream.aclose();
        }
      },
      abort() {
        return closeStream();
      },
    },
    new CountQueuingStrategy({ highWaterMark }),
  );
}

/**
 * An anyts receive stream reading a `ReadableStream` (whose reader it holds). A read that
 * a cancelled receive leaves behind is kept for the next receive.
 */
class ReadableReceiveStream<T> extends ObjectReceiveStreamBase<T> {
  _reader: ReadableStreamDefaultReader<T>;
  _pending: Promise<ReadResult<T>> | undefined = undefined;
  _receiving = false;
  _closed = false;
  _done = false;
  _error: unknown = undefined;
  _failed = false;

  constructor(readable: ReadableStream<T>) {
    super();
    if (!(readable instanceof ReadableStream)) throw new TypeError("readable must be a ReadableStream");
    this._reader = readable.getReader();
  }

  async receive(): Promise<T> {
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) throw new Cancelled(source._cancelReason);
    if (this._closed) throw new ClosedResourceError("ReadableReceiveStream");
    if (this._failed) throw new BrokenResourceError("the ReadableStream errored", { cause: this._error });
    if (this._done) throw new EndOfStream();
    if (this._receiving) throw new BusyResourceError("receiving");
    this._receiving = true;
    let result: ReadResult<T>;
    try {
      const pending = (this._pending ??= this._reader.read());
      result = await waitCancellable<ReadResult<T>>((resolve, reject) => {
        let active = true;
        pending.then(
          (value) => {
            if (!active) return;
            this._pending = undefined;
            resolve(value);
          },
          (error) => {
            if (!active) return;
            this._pending = undefined;
            reject(error);
          },
        );
        // Cancelled: the read stays pending in this._pending for the next receive.
        return () => (active = false);
      }, scope, "ReadableReceiveStream.receive");
    } catch (error) {
      if (error instanceof Cancelled) throw error;
      if (this._closed) throw new ClosedResourceError("ReadableReceiveStream");
      this._failed = true;
      this._error = error;
      throw new BrokenResourceError("the ReadableStream errored", { cause: error });
    } finally {
      this._receiving = false;
    }
    if (result.done) {
      if (this._closed) throw new ClosedResourceError("ReadableReceiveStream");
      this._done = true;
      throw new EndOfStream();
    }
    return result.value;
  }

  async aclose(): Promise<void> {
    if (this._closed) return;
    this._closed = true;
    const reader = this._reader;
    const pending = this._pending;
    this._pending = undefined;
    pending?.catch(noop);
    try {
      if (!this._done && !this._failed) {
        // Cancel first, whatever happens to the wait: the readable is released either way.
        const cancelling = reader.cancel();
        await waitCancellable<void>((resolve) => {
          cancelling.then(() => resolve(), () => resolve());
        }, undefined, "ReadableReceiveStream.aclose");
      }
    } finally {
      try {
        reader.releaseLock();
      } catch {
        // a runtime that refuses to release with a read pending: the stream is cancelled anyway
      }
    }
  }
}

/** A byte receive stream over a {@linkcode ReadableReceiveStream} of `Uint8Array`s. */
class ReadableByteReceiveStream extends ByteReceiveStreamBase {
  _inner: ReadableReceiveStream<Uint8Array>;
  _chunks: ChunkReader;

  constructor(readable: ReadableStream<Uint8Array>) {
    super();
    const inner = new ReadableReceiveStream<Uint8Array>(readable);
    this._inner = inner;
    this._chunks = new ChunkReader(() => inner.receive());
  }

  receive(maxBytes = 65536): Promise<Uint8Array<ArrayBuffer>> {
    return this._chunks.read(maxBytes);
  }

  aclose(): Promise<void> {
    return this._inner.aclose();
  }
}

/**
 * Makes an anyts receive stream that reads `readable` (taking its reader lock). With
 * `{ bytes: true }` it is a {@linkcode ByteReceiveStream}; otherwise an object stream that
 * hands out each chunk as it is. Reading is pull-based: one chunk is read per `receive()`.
 * The end of the readable is {@linkcode EndOfStream}; an error of it is
 * {@linkcode BrokenResourceError} (with the error as `cause`); concurrent receives throw
 * {@linkcode BusyResourceError}. A receive cancelled while its read is pending keeps that
 * read for the next receive. `aclose()` cancels the readable and releases the lock.
 *
 * @example
 * ```ts
 * import { fromReadableStream } from "@anyts/anyts";
 * const response = new Response("hello, web"); // any ReadableStream<Uint8Array>
 * const stream = fromReadableStream(response.body!, { bytes: true });
 * const first = await stream.receive(5);
 * console.log(new TextDecoder().decode(first)); // "hello"
 * await stream.aclose();
 * ```
 */
export function fromReadableStream(readable: ReadableStream<Uint8Array>, options: { bytes: true }): ByteReceiveStream;
/** Makes an object receive stream that reads `readable`, one chunk per `receive()`. */
export function fromReadableStream<T>(readable: ReadableStream<T>, options?: FromReadableStreamOptions): ObjectReceiveStream<T>;
export function fromReadableStream<T>(
  readable: ReadableStream<T>,
  options?: FromReadableStreamOptions,
): ObjectReceiveStream<T> | ByteReceiveStream {
  checkOptions(options, ["bytes"], "fromReadableStream");
  if (options?.bytes === true) return new ReadableByteReceiveStream(readable as ReadableStream<Uint8Array>);
  return new ReadableReceiveStream<T>(readable);
}

/**
 * An anyts send stream writing to a `WritableStream` (whose writer it holds).
 */
class WritableSendStream<T> extends ObjectSendStreamBase<T> {
  _writer: WritableStreamDefaultWriter<T>;
  _closed = false;
  _error: unknown = undefined;
  _failed = false;

  constructor(writable: WritableStream<T>) {
    super();
    if (!(writable instanceof WritableStream)) throw new TypeError("writable must be a WritableStream");
    this._writer = writable.getWriter();
  }

  async send(item: T): Promise<void> {
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) throw new Cancelled(source._cancelReason);
    if (this._closed) throw new ClosedResourceError("WritableSendStream");
    if (!this._failed) {
      const writer = this._writer;
      try {
        // Wait for room (backpressure); cancelled here, nothing is written.
        await waitCancellable<void>((resolve, reject) => {
          let active = true;
          writer.ready.then(
            () => active && resolve(),
            (error) => active && reject(error),
          );
          return () => (active = false);
        }, scope, "WritableSendStream.send");
      } catch (error) {
        if (error instanceof Cancelled) throw error;
        this._fail(error);
      }
      if (this._closed) throw new ClosedResourceError("WritableSendStream");
      if (!this._failed) {
        writer.write(item).then(noop, (error) => this._fail(error));
        return;
      }
    }
    throw new BrokenResourceError("the WritableStream errored", { cause: this._error });
  }

  _fail(error: unknown): void {
    if (this._failed) return;
    this._failed = true;
    this._error = error;
  }

  async aclose(): Promise<void> {
    if (this._closed) return;
    this._closed = true;
    const writer = this._writer;
    try {
      if (!this._failed) {
        // Flushes what was written. Cancelled while waiting: the writable is aborted.
        const closing = writer.close();
        closing.catch(noop);
        try {
          await waitCancellable<void>((resolve) => {
            closing.then(() => resolve(), () => resolve());
          }, undefined, "WritableSendStream.aclose");
        } catch (error) {
          writer.abort(error).catch(noop);
          throw error;
        }
      }
    } finally {
      writer.releaseLock();
    }
  }
}

/**
 * Makes an anyts send stream that writes to `writable` (taking its writer lock); an
 * object stream, or a byte stream when the writable takes `Uint8Array` chunks. `send()`
 * waits for `writer.ready` (the writable's backpressure), then writes: a send cancelled
 * while it waits writes nothing. An error of the writable makes later sends throw
 * {@linkcode BrokenResourceError} (with the error as `cause`). `aclose()` closes the
 * writable, waiting for queued writes to finish.
 *
 * @example
 * ```ts
 * import { fromWritableStream } from "@anyts/anyts";
 * const chunks: string[] = [];
 * const writable = new WritableStream<string>({ write(chunk) { chunks.push(chunk); } });
 * const stream = fromWritableStream(writable);
 * await stream.send("a");
 * await stream.send("b");
 * await stream.aclose();
 * console.log(chunks); // ["a", "b"]
 * ```
 */
export function fromWritableStream<T>(writable: WritableStream<T>): ObjectSendStream<T> {
  return new WritableSendStream<T>(writable);
}
