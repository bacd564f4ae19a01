/**
 * {@linkcode SocketStream}: a connected TCP or Unix socket as a byte stream, written once
 * for every backend over the backend's {@linkcode RawSocket}.
 *
 * @module
 */
import type { RawSocket, RawSocketSink } from "../backend/index.ts";
import { type CancelScope, currentFrame, currentScope, type WaitLink } from "../core/cancel-scope.ts";
import {
  BrokenResourceError,
  BusyResourceError,
  Cancelled,
  cancelledWithoutStack,
  ClosedResourceError,
  EndOfStream,
} from "../core/errors.ts";
import type { TaskIdentity } from "../core/context.ts";
import { _endWait, _linkWait, waitCancellable } from "../core/wait.ts";
import { SocketAttribute } from "../streams/attributes.ts";
import { type AttributeEntry, attributeMap, type TypedAttributeMap } from "../streams/typed-attribute.ts";
import { ByteStreamBase, validateMaxBytes } from "../streams/types.ts";

const resolved: Promise<void> = Promise.resolve();
const noop = (): void => {};

type Resolve<T> = (value: T) => void;
type Reject = (error: unknown) => void;

// A promise's resolving functions, taken out by one executor shared by every stream (a
// stream then needs no executor closure of its own).
// deno-lint-ignore no-explicit-any
let capturedResolve: Resolve<any> | undefined;
let capturedReject: Reject | undefined;
// deno-lint-ignore no-explicit-any
function capture(resolve: Resolve<any>, reject: Reject): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * The end of the stream, without a stack: it only ever shows anyts internals (the
 * receive's caller is in the async part of the trace, which an error built in a callback
 * does not have), and capturing it is most of the cost of a connection's end.
 */
function endOfStream(): EndOfStream {
  const errorClass = Error as { stackTraceLimit?: number | undefined };
  const limit = errorClass.stackTraceLimit;
  errorClass.stackTraceLimit = 0;
  try {
    return new EndOfStream();
  } finally {
    errorClass.stackTraceLimit = limit;
  }
}

// Streams whose send completed at once and still counts as in progress (see `send`): one
// microtask ends them all.
let quickSends: SocketStream[] = [];
function endQuickSends(): void {
  const streams = quickSends;
  quickSends = [];
  for (let i = 0; i < streams.length; i++) {
    const stream = streams[i]!;
    if (stream._sendResolve === undefined) stream._sending = false;
  }
}

/**
 * @ignore The typed attributes of a socket, listener or UDP socket, from what its backend
 * reports. Unix sockets have no ports; unconnected sockets no remote address.
 */
export function socketAttributes(
  info: {
    readonly family: "IPv4" | "IPv6" | "unix";
    readonly localAddress: string;
    readonly localPort?: number | undefined;
    readonly remoteAddress?: string | undefined;
    readonly remotePort?: number | undefined;
  },
  raw: unknown,
): TypedAttributeMap {
  // deno-lint-ignore no-explicit-any
  const entries: AttributeEntry<any>[] = [
    [SocketAttribute.family, () => info.family],
    [SocketAttribute.localAddress, () => info.localAddress],
    [SocketAttribute.rawSocket, () => raw],
  ];
  if (info.localPort !== undefined) entries.push([SocketAttribute.localPort, () => info.localPort]);
  if (info.remoteAddress !== undefined) entries.push([SocketAttribute.remoteAddress, () => info.remoteAddress]);
  if (info.remotePort !== undefined) entries.push([SocketAttribute.remotePort, () => info.remotePort]);
  return attributeMap(entries);
}

/**
 * A connected TCP or Unix socket (from {@linkcode connectTcp}, {@linkcode connectUnix} or a
 * listener) as a {@linkcode ByteStream}, the same on every backend.
 *
 * - `receive(maxBytes = 65536)` returns 1 to `maxBytes` bytes, never an empty chunk; it
 *   throws {@linkcode EndOfStream} once the peer has finished sending,
 *   {@linkcode BrokenResourceError} (with the runtime's error as `cause`) when the connection
 *   was reset, {@linkcode ClosedResourceError} after this side closed it (also to a receive
 *   that is waiting when another task closes the stream), and
 *   {@linkcode BusyResourceError} when another task is already receiving.
 * - A cancelled receive loses nothing: the bytes it was waiting for go to the next receive.
 * - `send(data)` resolves when the runtime has taken every byte, so a slow reader makes the
 *   sender wait instead of buffering without bound. A send cancelled before it handed its
 *   bytes to the runtime sends nothing; one cancelled after may have sent some or all of
 *   them (as in Trio and AnyIO).
 * - `sendEof()` half-closes: the peer's receives end, this side can still receive.
 * - Every method that returns a promise is a checkpoint (it raises {@linkcode Cancelled}
 *   in a cancelled scope), except `aclose()`, which always closes and never raises.
 * - `extra()` answers {@linkcode SocketAttribute}: `family`, `localAddress`, `localPort`,
 *   `remoteAddress`, `remotePort` (no ports on Unix sockets) and `rawSocket`.
 *
 * @example
 * ```ts
 * import { connectTcp, createTcpListener, run, SocketAttribute, taskGroup } from "@anyts/anyts";
 *
 * await run(async () => {
 *   await using listener = await createTcpListener({ localHost: "127.0.0.1" });
 *   const port = listener.extra(SocketAttribute.localPort);
 *   await taskGroup(async (tg) => {
 *     tg.startSoon(async () => {
 *       await listener.serve(async (client) => {
 *         for await (const chunk of client) await client.send(chunk); // echo
 *       });
 *     });
 *     await using stream = await connectTcp("127.0.0.1", port);
 *     await stream.send(new TextEncoder().encode("hello"));
 *     console.log(new TextDecoder().decode(await stream.receive())); // "hello"
 *     tg.cancelScope.cancel();
 *   });
 * });
 * ```
 */
export class SocketStream extends ByteStreamBase implements RawSocketSink, WaitLink {
  /** @ignore */
  readonly _raw: RawSocket;
  /** @ignore */
  _attributes: TypedAttributeMap | undefined = undefined;
  /** @ignore */
  _closed = false;
  /** @ignore A raw read is in flight (perhaps for a receive that was cancelled). */
  _reading = false;
  /** @ignore Bytes read from the socket and not yet returned by a receive. */
  _leftover: Uint8Array<ArrayBuffer> | null = null;
  /** @ignore */
  _eof = false;
  /** @ignore The runtime's error of a failed read (the connection is broken). */
  _readError: unknown = undefined;
  /** @ignore The receive waiting for the raw read. */
  _receiveResolve: Resolve<Uint8Array<ArrayBuffer>> | undefined = undefined;
  /** @ignore */
  _receiveReject: Reject | undefined = undefined;
  /** @ignore */
  _receiveMax = 0;
  /**
   * @internal The waiting receive's link into its scope (the stream is its own
   * {@linkcode WaitLink}): the scope it waits in, undefined when not linked.
   */
  _waitScope: CancelScope | undefined = undefined;
  /** @internal */
  _prevWait: WaitLink | undefined = undefined;
  /** @internal */
  _nextWait: WaitLink | undefined = undefined;
  /** @internal The task blocked in receive (formatTaskTree, MockClock autojump). */
  _receiveTask: TaskIdentity | undefined = undefined;
  /** @ignore The waiting send's link (made at the first send that waits). */
  _sendLink: SendWait | undefined = undefined;
  /** @internal The task blocked in send. */
  _sendTask: TaskIdentity | undefined = undefined;
  /** @ignore */
  _receiving = false;
  /** @ignore */
  _sending = false;
  /** @ignore A raw write is in flight (perhaps for a send that was cancelled). */
  _writing = false;
  /** @ignore The data of a send waiting for an earlier, cancelled send's write to finish. */
  _queued: Uint8Array | null = null;
  /** @ignore */
  _writeError: unknown = undefined;
  /** @ignore */
  _sendResolve: Resolve<void> | undefined = undefined;
  /** @ignore */
  _sendReject: Reject | undefined = undefined;
  /** @ignore */
  _eofSent = false;

  /**
   * Wraps a socket that a backend connected or accepted. The stream owns it from now on.
   *
   * @param raw the backend's socket
   */
  constructor(raw: RawSocket) {
    super();
    this._raw = raw;
  }

  /**
   * @ignore The backend's socket, for `Backend.upgradeTls`, while nothing has been read,
   * buffered or sent through this stream and nothing is pending; otherwise undefined.
   */
  _freshRaw(): RawSocket | undefined {
    if (
      this._closed || this._reading || this._leftover !== null || this._eof || this._readError !== undefined ||
      this._receiving || this._sending || this._writing || this._eofSent || this._writeError !== undefined
    ) return undefined;
    return this._raw;
  }

  /** The socket's attributes; see {@linkcode SocketAttribute}. */
  override get extraAttributes(): TypedAttributeMap {
    return (this._attributes ??= socketAttributes(this._raw.info, this._raw.raw));
  }

  /**
   * Receives 1 to `maxBytes` bytes (a positive integer, default 65536).
   *
   * @example
   * ```ts
   * import type { SocketStream } from "@anyts/anyts";
   * async function firstLine(stream: SocketStream): Promise<Uint8Array<ArrayBuffer>> {
   *   return await stream.receive(1024);
   * }
   * ```
   */
  receive(maxBytes: number = 65536): Promise<Uint8Array<ArrayBuffer>> {
    if (maxBytes !== 65536) {
      try {
        validateMaxBytes(maxBytes);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (this._receiving) return Promise.reject(new BusyResourceError("receiving"));
    if (this._closed) return Promise.reject(new ClosedResourceError("SocketStream"));
    const frame = currentFrame();
    const scope = frame._scope;
    const source = scope._cancelledBy();
    if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
    // A read that completes at once (a backend's readCallback with a chunk already there)
    // leaves its result behind without any waiting: the fast path of a busy stream.
    if (this._leftover === null && !this._reading && !this._eof && this._readError === undefined) this._read(maxBytes);
    const leftover = this._leftover;
    if (leftover !== null) return Promise.resolve(this._take(leftover, maxBytes));
    if (this._readError !== undefined) return Promise.reject(this._broken(this._readError));
    if (this._eof) return Promise.reject(endOfStream());
    this._receiving = true;
    this._receiveMax = maxBytes;
    // waitCancellable, specialised: the waker and the executor are made once per stream.
    const task = (this._receiveTask = frame._task);
    _linkWait(scope, this, "SocketStream.receive", task);
    const promise = new Promise<Uint8Array<ArrayBuffer>>(capture);
    this._receiveResolve = capturedResolve;
    this._receiveReject = capturedReject;
    capturedResolve = capturedReject = undefined;
    return promise;
  }

  /**
   * Sends all of `data`; resolves when the runtime has taken it. Do not modify `data`
   * before the promise settles.
   *
   * @example
   * ```ts
   * import type { SocketStream } from "@anyts/anyts";
   * async function greet(stream: SocketStream) {
   *   await stream.send(new TextEncoder().encode("hello\n"));
   * }
   * ```
   */
  send(data: Uint8Array): Promise<void> {
    if (!(data instanceof Uint8Array)) {
      return Promise.reject(new TypeError(`data must be a Uint8Array, got ${data === null ? "null" : typeof data}`));
    }
    if (this._sending) return Promise.reject(new BusyResourceError("sending"));
    if (this._closed) return Promise.reject(new ClosedResourceError("SocketStream"));
    const frame = currentFrame();
    const scope = frame._scope;
    const source = scope._cancelledBy();
    if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
    const broken = this._writeError ?? this._readError;
    if (broken !== undefined) return Promise.reject(this._broken(broken));
    if (this._eofSent) return Promise.reject(new ClosedResourceError("SocketStream", "cannot send after sendEof()"));
    if (data.length === 0) return resolved;
    if (this._writing) this._queued = data; // after the write of a cancelled send
    else {
      this._write(data);
      // Taken at once (a backend's writeCallback that completed synchronously): done. The
      // send still counts as in progress until its caller resumes (a microtask), so that a
      // second send started meanwhile is a BusyResourceError on every backend, as when
      // the write has to wait (AnyIO's send holds its guard across a checkpoint).
      if (!this._writing) {
        if (this._writeError !== undefined) return Promise.reject(this._broken(this._writeError));
        this._sending = true;
        if (quickSends.push(this) === 1) resolved.then(endQuickSends); // (Node's queueMicrotask allocates an AsyncResource)
        return resolved;
      }
    }
    this._sending = true;
    const task = (this._sendTask = frame._task);
    _linkWait(scope, (this._sendLink ??= new SendWait(this)), "SocketStream.send", task);
    const promise = new Promise<void>(capture);
    this._sendResolve = capturedResolve;
    this._sendReject = capturedReject;
    capturedResolve = capturedReject = undefined;
    return promise;
  }

  /**
   * Half-closes the connection: the peer's receives end with {@linkcode EndOfStream}
   * after what was sent; this side can still receive. Idempotent.
   *
   * @example
   * ```ts
   * import type { SocketStream } from "@anyts/anyts";
   * async function request(stream: SocketStream, body: Uint8Array) {
   *   await stream.send(body);
   *   await stream.sendEof();
   *   for await (const chunk of stream) console.log(chunk.length);
   * }
   * ```
   */
  sendEof(): Promise<void> {
    if (this._closed) return Promise.reject(new ClosedResourceError("SocketStream"));
    if (this._sending) return Promise.reject(new BusyResourceError("sending"));
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
    if (this._eofSent) return resolved;
    this._eofSent = true;
    return waitCancellable<void>((resolve) => {
      let closing: Promise<void>;
      try {
        closing = this._raw.closeWrite();
      } catch {
        closing = resolved;
      }
      // A socket that broke cannot send EOF; nothing is lost by ignoring that (as AnyIO).
      closing.then(resolve, () => resolve());
    }, scope, "SocketStream.sendEof");
  }

  /**
   * Closes the socket at once. A receive or send waiting in another task fails with
   * {@linkcode ClosedResourceError}. Idempotent; never raises, not even `Cancelled`, so
   * that `await using` cleans up in a cancelled scope too.
   *
   * @example
   * ```ts
   * import type { SocketStream } from "@anyts/anyts";
   * async function hangUp(stream: SocketStream) {
   *   await stream.aclose();
   *   await stream.aclose(); // does nothing
   * }
   * ```
   */
  aclose(): Promise<void> {
    if (this._closed) return resolved;
    this._closed = true;
    this._queued = null;
    const rejectReceive = this._receiveReject;
    if (rejectReceive !== undefined) {
      this._clearReceiver();
      rejectReceive(new ClosedResourceError("SocketStream"));
    }
    const rejectSend = this._sendReject;
    if (rejectSend !== undefined) {
      this._clearSender();
      rejectSend(new ClosedResourceError("SocketStream"));
    }
    let closing: void | Promise<void>;
    try {
      closing = this._raw.close();
    } catch {
      return resolved;
    }
    return closing === undefined ? resolved : closing.then(noop, noop);
  }

  /** @ignore */
  _take(leftover: Uint8Array<ArrayBuffer>, maxBytes: number): Uint8Array<ArrayBuffer> {
    if (leftover.length <= maxBytes) {
      this._leftover = null;
      return leftover;
    }
    this._leftover = leftover.subarray(maxBytes);
    return leftover.subarray(0, maxBytes);
  }

  /** @ignore */
  _broken(cause: unknown): BrokenResourceError {
    const detail = cause instanceof Error ? `: ${cause.message}` : "";
    return new BrokenResourceError(`the connection is broken${detail}`, { cause });
  }

  /** @ignore */
  _clearReceiver(): void {
    this._receiveResolve = undefined;
    this._receiveReject = undefined;
    this._receiving = false;
    const task = this._receiveTask;
    if (task !== undefined) {
      this._receiveTask = undefined;
      _endWait(this, task);
    }
  }

  /** @ignore */
  _clearSender(): void {
    this._sendResolve = undefined;
    this._sendReject = undefined;
    this._sending = false;
    const task = this._sendTask;
    if (task !== undefined) {
      this._sendTask = undefined;
      _endWait(this._sendLink!, task);
    }
  }

  /** @internal {@linkcode WaitLink}: a cancelled receive; the raw read stays in flight, its bytes become leftover. */
  _cancelWait(source: CancelScope): void {
    const reject = this._receiveReject;
    if (reject === undefined) return;
    this._clearReceiver();
    reject(cancelledWithoutStack(source._cancelReason));
  }

  /** @ignore A cancelled send: data not yet handed to the runtime is not sent. */
  _onSendCancelled(source: CancelScope): void {
    const reject = this._sendReject;
    if (reject === undefined) return;
    this._queued = null;
    this._clearSender();
    reject(cancelledWithoutStack(source._cancelReason));
  }

  /** @ignore */
  _read(maxBytes: number): void {
    this._reading = true;
    const raw = this._raw;
    try {
      if (raw.readInto !== undefined) raw.readInto(maxBytes, this);
      else if (raw.readCallback !== undefined) raw.readCallback(maxBytes, ...this._callbacks());
      else raw.read(maxBytes).then(...this._callbacks());
    } catch (error) {
      this._onReadError(error);
    }
  }

  /** @ignore The sink's methods as callbacks, for a backend without `readInto`/`writeFrom`. */
  _callbacks(): [(chunk: Uint8Array<ArrayBuffer> | null) => void, (error: unknown) => void] {
    return [(chunk) => this._onChunk(chunk), (error) => this._onReadError(error)];
  }

  /** @internal {@linkcode RawSocketSink}: a read brought a chunk or the end. */
  _onChunk(chunk: Uint8Array<ArrayBuffer> | null): void {
    this._reading = false;
    if (this._closed) return;
    if (chunk === null) {
      this._eof = true;
      const reject = this._receiveReject;
      if (reject !== undefined) {
        this._clearReceiver();
        reject(endOfStream());
      }
      return;
    }
    const resolve = this._receiveResolve;
    if (chunk.length === 0) {
      this._read(resolve !== undefined ? this._receiveMax : 65536);
      return;
    }
    if (resolve === undefined) {
      this._leftover = chunk;
      return;
    }
    const max = this._receiveMax;
    this._clearReceiver();
    if (chunk.length > max) {
      this._leftover = chunk.subarray(max);
      chunk = chunk.subarray(0, max);
    }
    resolve(chunk);
  }

  /** @internal {@linkcode RawSocketSink}: a read failed. */
  _onReadError(error: unknown): void {
    this._reading = false;
    if (this._closed) return;
    this._readError = error;
    const reject = this._receiveReject;
    if (reject !== undefined) {
      this._clearReceiver();
      reject(this._broken(error));
    }
  }

  /** @ignore */
  _write(data: Uint8Array): void {
    this._writing = true;
    const raw = this._raw;
    try {
      if (raw.writeFrom !== undefined) raw.writeFrom(data, this);
      else if (raw.writeCallback !== undefined) raw.writeCallback(data, () => this._onWritten(), (error) => this._onWriteError(error));
      else raw.write(data).then(() => this._onWritten(), (error) => this._onWriteError(error));
    } catch (error) {
      this._onWriteError(error);
    }
  }

  /** @internal {@linkcode RawSocketSink}: a write is done. */
  _onWritten(): void {
    this._writing = false;
    const queued = this._queued;
    if (queued !== null) {
      this._queued = null;
      if (!this._closed) this._write(queued);
      return;
    }
    const resolve = this._sendResolve;
    if (resolve !== undefined) {
      this._clearSender();
      resolve();
    }
  }

  /** @internal {@linkcode RawSocketSink}: a write failed. */
  _onWriteError(error: unknown): void {
    this._writing = false;
    this._queued = null;
    if (this._closed) return;
    this._writeError ??= error;
    const reject = this._sendReject;
    if (reject !== undefined) {
      this._clearSender();
      reject(this._broken(error));
    }
  }
}

/** The wait of a send, linked into its scope (see {@linkcode WaitLink}); one per stream. */
class SendWait implements WaitLink {
  readonly _stream: SocketStream;
  _waitScope: CancelScope | undefined = undefined;
  _prevWait: WaitLink | undefined = undefined;
  _nextWait: WaitLink | undefined = undefined;

  constructor(stream: SocketStream) {
    this._stream = stream;
  }

  _cancelWait(source: CancelScope): void {
    this._stream._onSendCancelled(source);
  }
}
