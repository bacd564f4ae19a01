/**
 * TLS over any byte stream: {@linkcode TLSStream} (client or server side, STARTTLS with
 * `unwrap()`) (TLSListener is in tls-listener.ts), as AnyIO's `anyio.streams.tls`. The TLS engine
 * itself is the backend's ({@linkcode Backend.startTls}); this file adds, once for every
 * backend, option checking, checkpoints, cancellation, busy checks, error mapping and the
 * structured life of the background pumping.
 *
 * @module
 */
import type { Backend, RawSocket, RawTlsSocket } from "../backend/index.ts";
import { CancelScope, currentScope } from "../core/cancel-scope.ts";
import {
  BrokenResourceError,
  BusyResourceError,
  Cancelled,
  cancelledWithoutStack,
  ClosedResourceError,
  EndOfStream,
  TimeoutError,
} from "../core/errors.ts";
import { failAfter } from "../core/timeouts.ts";
import { _addWaiter, _removeWaiter, waitCancellable } from "../core/wait.ts";
import { SocketStream } from "../net/socket-stream.ts";
import { TLSAttribute } from "./attributes.ts";
import { type CheckedTLSOptions, checkTLSOptions, describe, type TLSOptions } from "./tls-options.ts";
import { PumpTransport } from "./tls-pump.ts";
import { type AttributeEntry, attributeMap, type TypedAttributeMap } from "./typed-attribute.ts";
import { type AnyByteStream, ByteStreamBase, validateMaxBytes } from "./types.ts";

export type { TLSOptions } from "./tls-options.ts";

function noop(): void {}

/**
 * Waits for `promise` unless the current scope is cancelled; `promise` keeps running then.
 * `what` is what formatTaskTree shows the waiting task blocked in.
 */
function waitFor<T>(promise: Promise<T>, scope: CancelScope, what: string): Promise<T> {
  return waitCancellable<T>((resolve, reject) => {
    promise.then(resolve, reject);
  }, scope, what);
}

/** Closes `stream` in a cancelled scope: no waiting, as AnyIO's `aclose_forcefully`. */
async function acloseForcefully(stream: { aclose(): Promise<void> }): Promise<void> {
  const scope = new CancelScope();
  scope.cancel();
  await scope.run(() => stream.aclose()).catch(noop);
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * A byte stream encrypted with TLS over another byte stream (a socket, or anything else:
 * a stapled memory pair in tests), as AnyIO's `TLSStream`. Create it with
 * {@linkcode TLSStream.wrap}, which does the handshake.
 *
 * - `receive()` throws {@linkcode EndOfStream} after the peer's close_notify; a transport
 *   that ends without one is a ragged EOF ({@linkcode BrokenResourceError}, or
 *   EndOfStream with `standardCompatible: false`).
 * - `sendEof()` sends close_notify (TLS has no other half-close); the peer's receives end
 *   while this side can still receive, as TLS 1.3 allows (a TLS 1.2 peer may answer with
 *   its own close_notify).
 * - `aclose()` sends close_notify (with `standardCompatible`; skipped when the caller's
 *   scope is cancelled or the stream is broken) and closes the transport. It never raises.
 * - `unwrap()` ends TLS and hands back the transport (STARTTLS).
 * - A receive or send that is cancelled leaves the stream usable: received bytes are kept
 *   for the next receive, and the data of a cancelled send is still sent, before the next
 *   send's. A TLS or transport failure makes every later call throw
 *   {@linkcode BrokenResourceError} with the underlying error as `cause`.
 * - `extra()` answers {@linkcode TLSAttribute} (`alpnProtocol`, `cipher`, `tlsVersion`,
 *   `peerCertificate`, `peerCertificateBinary`, `serverSide`, `standardCompatible`,
 *   `tlsObject`, and `channelBindingTlsUnique` below TLS 1.3) and every attribute of the
 *   transport (`SocketAttribute` of a socket).
 *
 * The encryption runs in the backend (node:tls on every runtime), which reads and writes
 * the transport in the background; those transport calls belong to the stream and end
 * when it is closed or unwrapped. `TLSStream.wrap` always works this way. With
 * `standardCompatible: false`, `connectTcp` and {@linkcode TLSListener} (over
 * a socket listener) instead hand the fresh socket to the runtime's own TLS where the
 * backend can (`Backend.upgradeTls`: node:tls on the node backend, Bun's own TLS on the
 * bun backend; not the deno backend), which is much faster; such a
 * stream has the same options, attributes and errors, but `unwrap()` throws a
 * `TypeError` (for STARTTLS, connect without `tls` and call `TLSStream.wrap`).
 *
 * @example
 * ```ts
 * import { connectTcp, TLSAttribute } from "@anyts/anyts";
 * await using stream = await connectTcp("example.com", 443, { tls: { alpnProtocols: ["http/1.1"] } });
 * console.log(stream.extra(TLSAttribute.tlsVersion)); // "TLSv1.3"
 * await stream.send(new TextEncoder().encode("HEAD / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"));
 * for await (const chunk of stream) console.log(new TextDecoder().decode(chunk));
 * ```
 */
export class TLSStream extends ByteStreamBase {
  /** The wrapped (encrypted-side) stream. */
  readonly transportStream: AnyByteStream;
  /** Whether close_notify is sent on close and required at the end of the stream. */
  readonly standardCompatible: boolean;
  /** Whether this is the server side. */
  readonly serverSide: boolean;
  /** @ignore */
  _raw: RawTlsSocket;
  /**
   * @ignore The engine's transport calls, in a shielded scope of their own; undefined on
   * the native path (the runtime's TLS owns the socket).
   */
  _pump: PumpTransport | undefined;
  /** @ignore */
  _attributes: TypedAttributeMap | undefined = undefined;
  /** @ignore "open", then "unwrapping", "unwrapped" or "closed". */
  _state: "open" | "unwrapping" | "unwrapped" | "closed" = "open";
  /** @ignore The first failure: every later call throws BrokenResourceError with it. */
  _error: unknown = undefined;
  /** @ignore */
  _receiving = false;
  /** @ignore */
  _sending = false;
  /** @ignore The engine's read in flight (perhaps for a receive that was cancelled). */
  _pendingRead: Promise<Uint8Array<ArrayBuffer> | null> | undefined = undefined;
  /** @ignore The engine reported the end of the plaintext to nobody waiting. */
  _rawEnded = false;
  /** @ignore Plaintext received but not returned yet. */
  _leftover: Uint8Array<ArrayBuffer> | undefined = undefined;
  /** @ignore The engine's write in flight (perhaps for a send that was cancelled). */
  _pendingWrite: Promise<void> | undefined = undefined;
  /** @ignore The receive waiting for `_pendingRead`, as in SocketStream. */
  _receiveResolve: ((chunk: Uint8Array<ArrayBuffer>) => void) | undefined = undefined;
  /** @ignore */
  _receiveReject: ((error: unknown) => void) | undefined = undefined;
  /** @ignore */
  _receiveMax = 0;
  /** @ignore The scope of the waiting receive (its cancellation wakes it). */
  _receiveScope: CancelScope | undefined = undefined;
  /** @internal The task blocked in receive (formatTaskTree, MockClock autojump). */
  _receiveTask: ReturnType<typeof _addWaiter> | undefined = undefined;
  /** @ignore The send waiting for `_pendingWrite`. */
  _sendResolve: (() => void) | undefined = undefined;
  /** @ignore */
  _sendReject: ((error: unknown) => void) | undefined = undefined;
  /** @ignore */
  _sendScope: CancelScope | undefined = undefined;
  /** @internal */
  _sendTask: ReturnType<typeof _addWaiter> | undefined = undefined;
  /** @ignore */
  _eofSent = false;
  /** @ignore The end of stream was seen (clean, or ragged and tolerated). */
  _eofReceived = false;
  /** @ignore */
  _pumpExited = false;

  /** @ignore Use {@linkcode TLSStream.wrap}. */
  constructor(
    transportStream: AnyByteStream,
    raw: RawTlsSocket,
    pump: PumpTransport | undefined,
    standardCompatible: boolean,
    serverSide: boolean,
  ) {
    super();
    this.transportStream = transportStream;
    this._raw = raw;
    this._pump = pump;
    this.standardCompatible = standardCompatible;
    this.serverSide = serverSide;
  }

  /**
   * Does a TLS handshake over `transport` and returns the encrypted stream. Client side
   * unless `options.serverSide`; see {@linkcode TLSOptions}.
   *
   * Throws `TypeError` for bad options (before touching the transport),
   * {@linkcode BrokenResourceError} when the handshake fails (a certificate that does not
   * verify, no shared ALPN protocol, the peer closing; the engine's error is the `cause`),
   * {@linkcode TimeoutError} after `handshakeTimeout`. On any failure, including
   * cancellation, the transport is closed: a half-done handshake cannot be resumed.
   *
   * @example
   * ```ts
   * import { connectTcp, TLSStream } from "@anyts/anyts";
   * const ca = "-----BEGIN CERTIFICATE-----..."; // a private CA
   * const plain = await connectTcp("db.internal", 5433);
   * await using stream = await TLSStream.wrap(plain, { hostname: "db.internal", ca, handshakeTimeout: 5_000 });
   * ```
   */
  static wrap(transport: AnyByteStream, options: TLSOptions = {}): Promise<TLSStream> {
    return TLSStream._wrap(transport, options, "TLSStream.wrap", false);
  }

  /**
   * @ignore `wrap`, for connectTcp and TLSListener with `allowNative`: the runtime's own
   * TLS on the socket when the transport is a fresh SocketStream and `standardCompatible`
   * is false (see {@linkcode Backend.upgradeTls}).
   */
  static async _wrap(transport: AnyByteStream, options: TLSOptions, where: string, allowNative: boolean): Promise<TLSStream> {
    if (
      transport === null || typeof transport !== "object" || typeof transport.receive !== "function" ||
      typeof transport.send !== "function" || typeof transport.aclose !== "function"
    ) {
      throw new TypeError(`TLSStream.wrap: transport must be a byte stream, got ${describe(transport)}`);
    }
    const checked = checkTLSOptions(options, where);
    const outer = currentScope();
    const cancelled = outer._cancelledBy();
    if (cancelled !== undefined) {
      await acloseForcefully(transport);
      throw new Cancelled(cancelled._cancelReason);
    }
    const handshake = (): Promise<TLSStream> => startSession(transport, checked, outer, allowNative);
    if (checked.handshakeTimeout === undefined) return await handshake();
    try {
      return await failAfter(checked.handshakeTimeout, handshake);
    } catch (error) {
      if (error instanceof TimeoutError) {
        throw new TimeoutError(`the TLS handshake did not finish within ${checked.handshakeTimeout} ms`);
      }
      throw error;
    }
  }

  /**
   * Receives 1 to `maxBytes` (default 65536) bytes of plaintext.
   *
   * @example
   * ```ts
   * import type { TLSStream } from "@anyts/anyts";
   * async function line(stream: TLSStream): Promise<string> {
   *   return new TextDecoder().decode(await stream.receive(1024));
   * }
   * ```
   */
  receive(maxBytes: number = 65536): Promise<Uint8Array<ArrayBuffer>> {
    try {
      return this._receive(maxBytes);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * @ignore `receive`, throwing its early errors. The wait is SocketStream's: the
   * callbacks and the executor are made once per stream, and a cancelled receive leaves
   * the engine's read in flight; what it brings goes to the next receive.
   */
  _receive(maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    if (maxBytes !== 65536) validateMaxBytes(maxBytes);
    this._checkUsable();
    if (this._receiving) throw new BusyResourceError("receiving");
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) throw new Cancelled(source._cancelReason);
    const leftover = this._leftover;
    if (leftover !== undefined) return Promise.resolve(this._take(leftover, maxBytes));
    if (this._error !== undefined) throw this._broken(this._error);
    if (this._eofReceived) throw new EndOfStream();
    if (this._rawEnded) throw this._endOfPlaintext();
    if (this._pendingRead === undefined) {
      // Plaintext already decrypted (the engine decrypts every record that arrived at
      // once, and a receive usually takes one): no promise round through the engine.
      const ready = this._raw.tryRead?.(maxBytes);
      if (ready !== undefined) return Promise.resolve(this._take(ready, maxBytes));
      const reading = this._raw.read(maxBytes);
      this._pendingRead = reading;
      reading.then(this._onRead, this._onReadError);
    }
    this._receiving = true;
    this._receiveMax = maxBytes;
    this._receiveTask = _addWaiter(scope, this._onReceiveCancelled, "TLSStream.receive");
    this._receiveScope = scope;
    return new Promise<Uint8Array<ArrayBuffer>>(this._receiveExecutor);
  }

  /** @ignore What a receive throws once the engine's plaintext has ended. */
  _endOfPlaintext(): Error {
    if (!this._raw.closeNotifyReceived && this.standardCompatible) {
      return this._fail(new Error("the transport ended without close_notify (ragged EOF)"));
    }
    this._eofReceived = true;
    return new EndOfStream();
  }

  /** @ignore */
  _receiveExecutor = (resolve: (chunk: Uint8Array<ArrayBuffer>) => void, reject: (error: unknown) => void): void => {
    this._receiveResolve = resolve;
    this._receiveReject = reject;
  };

  /** @ignore Forgets the waiting receive (its callbacks were taken already). */
  _clearReceiver(): void {
    this._receiveResolve = this._receiveReject = undefined;
    this._receiving = false;
    const scope = this._receiveScope;
    if (scope !== undefined) {
      this._receiveScope = undefined;
      _removeWaiter(scope, this._onReceiveCancelled, this._receiveTask!);
    }
  }

  /** @ignore The engine's read brought plaintext or the end of it. */
  _onRead = (chunk: Uint8Array<ArrayBuffer> | null): void => {
    this._pendingRead = undefined;
    if (this._state !== "open") return; // aclose() failed a waiting receive already
    const resolve = this._receiveResolve;
    const reject = this._receiveReject;
    if (resolve === undefined || reject === undefined) {
      // Its receive was cancelled: the next receive gets this.
      if (chunk === null) this._rawEnded = true;
      else this._leftover = chunk;
      return;
    }
    this._clearReceiver();
    if (chunk === null) reject(this._endOfPlaintext());
    else resolve(this._take(chunk, this._receiveMax));
  };

  /** @ignore The engine's read failed: the connection is broken. */
  _onReadError = (error: unknown): void => {
    this._pendingRead = undefined;
    if (this._state !== "open") return;
    const failure = this._fail(error);
    const reject = this._receiveReject;
    if (reject === undefined) return;
    this._clearReceiver();
    reject(failure);
  };

  /** @ignore A cancelled receive: the engine's read stays in flight. */
  _onReceiveCancelled = (source: CancelScope): void => {
    const reject = this._receiveReject;
    if (reject === undefined) return;
    this._clearReceiver();
    reject(cancelledWithoutStack(source._cancelReason));
  };

  /**
   * Encrypts and sends `data`; resolves when the transport has taken it. A send cancelled
   * before the engine took `data` sends nothing; one cancelled after may have sent it
   * (the next send waits for that write first).
   *
   * @example
   * ```ts
   * import type { TLSStream } from "@anyts/anyts";
   * async function hello(stream: TLSStream) {
   *   await stream.send(new TextEncoder().encode("hello\n"));
   * }
   * ```
   */
  send(data: Uint8Array): Promise<void> {
    try {
      return this._send(data);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** @ignore `send`, throwing its early errors; the wait is made like a receive's. */
  _send(data: Uint8Array): Promise<void> {
    if (!(data instanceof Uint8Array)) throw new TypeError(`data must be a Uint8Array, got ${describe(data)}`);
    this._checkUsable();
    if (this._sending) throw new BusyResourceError("sending");
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) throw new Cancelled(source._cancelReason);
    if (this._error !== undefined) throw this._broken(this._error);
    if (this._eofSent) throw new ClosedResourceError("TLSStream", "cannot send after sendEof()");
    if (data.length === 0) return Promise.resolve();
    if (this._pendingWrite !== undefined) return this._sendAfterPendingWrite(data, scope);
    this._write(data);
    this._sending = true;
    this._sendTask = _addWaiter(scope, this._onSendCancelled, "TLSStream.send");
    this._sendScope = scope;
    return new Promise<void>(this._sendExecutor);
  }

  /** @ignore Hands `data` to the engine; `_onWritten` or `_onWriteError` follows. */
  _write(data: Uint8Array): Promise<void> {
    const writing = this._raw.write(data);
    this._pendingWrite = writing;
    writing.then(this._onWritten, this._onWriteError);
    return writing;
  }

  /** @ignore A send after a cancelled one whose write is still in flight. */
  async _sendAfterPendingWrite(data: Uint8Array, scope: CancelScope): Promise<void> {
    this._sending = true;
    try {
      await this._afterPendingWrite(scope);
      await this._waitWrite(this._write(data), scope);
    } finally {
      this._sending = false;
    }
  }

  /** @ignore */
  _sendExecutor = (resolve: () => void, reject: (error: unknown) => void): void => {
    this._sendResolve = resolve;
    this._sendReject = reject;
  };

  /** @ignore Forgets the waiting send (its callbacks were taken already). */
  _clearSender(): void {
    this._sendResolve = this._sendReject = undefined;
    this._sending = false;
    const scope = this._sendScope;
    if (scope !== undefined) {
      this._sendScope = undefined;
      _removeWaiter(scope, this._onSendCancelled, this._sendTask!);
    }
  }

  /** @ignore */
  _onWritten = (): void => {
    this._pendingWrite = undefined;
    const resolve = this._sendResolve;
    if (resolve === undefined) return;
    this._clearSender();
    resolve();
  };

  /** @ignore */
  _onWriteError = (error: unknown): void => {
    this._pendingWrite = undefined;
    if (this._state !== "open") return;
    const failure = this._fail(error);
    const reject = this._sendReject;
    if (reject === undefined) return;
    this._clearSender();
    reject(failure);
  };

  /** @ignore A cancelled send: the engine's write stays in flight. */
  _onSendCancelled = (source: CancelScope): void => {
    const reject = this._sendReject;
    if (reject === undefined) return;
    this._clearSender();
    reject(cancelledWithoutStack(source._cancelReason));
  };

  /** @ignore Waits for the write of an earlier, cancelled send. */
  async _afterPendingWrite(scope: CancelScope): Promise<void> {
    const pending = this._pendingWrite;
    if (pending !== undefined) await this._waitWrite(pending, scope);
  }

  /** @ignore Waits for `writing` (tracked by `_write`, or close_notify's). */
  async _waitWrite(writing: Promise<void>, scope: CancelScope): Promise<void> {
    try {
      await waitFor(writing, scope, "TLSStream.send");
    } catch (error) {
      if (error instanceof Cancelled) throw error;
      this._checkUsable();
      throw this._fail(error);
    }
  }

  /**
   * Sends close_notify: the peer's receives end, this side can still receive. Idempotent.
   *
   * @example
   * ```ts
   * import type { TLSStream } from "@anyts/anyts";
   * async function request(stream: TLSStream, body: Uint8Array): Promise<number> {
   *   await stream.send(body);
   *   await stream.sendEof();
   *   let size = 0;
   *   for await (const chunk of stream) size += chunk.length;
   *   return size;
   * }
   * ```
   */
  async sendEof(): Promise<void> {
    this._checkUsable();
    if (this._sending) throw new BusyResourceError("sending");
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) throw new Cancelled(source._cancelReason);
    if (this._eofSent) return;
    if (this._error !== undefined) throw this._broken(this._error);
    this._sending = true;
    try {
      await this._afterPendingWrite(scope);
      this._eofSent = true;
      const closing = this._raw.closeWrite();
      closing.catch((error) => {
        if (this._state === "open") this._fail(error);
      });
      await this._waitWrite(closing, scope);
    } finally {
      this._sending = false;
    }
  }

  /**
   * Ends TLS (close_notify both ways) and returns the transport with the bytes already
   * read past the peer's close_notify: what the peer sent in plain after its TLS ended.
   * This stream is closed afterwards; the transport is the caller's. Unread plaintext is
   * dropped. Fails with {@linkcode BrokenResourceError} when the transport ends first;
   * after a failure or cancellation this stream is broken and `aclose()` closes the
   * transport.
   *
   * @example
   * ```ts
   * import { BufferedByteStream, type TLSStream } from "@anyts/anyts";
   * async function backToPlain(stream: TLSStream) {
   *   const [transport, leftover] = await stream.unwrap();
   *   const plain = new BufferedByteStream(transport);
   *   plain.feedData(leftover); // nothing read is lost
   *   return plain;
   * }
   * ```
   */
  async unwrap(): Promise<[transport: AnyByteStream, leftover: Uint8Array<ArrayBuffer>]> {
    this._checkUsable();
    const pump = this._pump;
    if (pump === undefined) {
      throw new TypeError(
        "unwrap() is not available on a TLS stream that runs on the runtime's native TLS " +
          "(connectTcp or TLSListener with standardCompatible: false); for STARTTLS, connect " +
          "without tls and call TLSStream.wrap on the plain stream",
      );
    }
    if (this._receiving) throw new BusyResourceError("receiving");
    if (this._sending) throw new BusyResourceError("sending");
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) throw new Cancelled(source._cancelReason);
    if (this._error !== undefined) throw this._broken(this._error);
    this._state = "unwrapping";
    this._leftover = undefined;
    try {
      await this._afterPendingWrite(scope);
      const unwrapping = this._raw.unwrap();
      unwrapping.catch(noop);
      const leftover = await waitFor(unwrapping, scope, "TLSStream.unwrap");
      await this._stopPump();
      this._state = "unwrapped";
      return [this.transportStream, leftover.slice()]; // the caller's own bytes
    } catch (error) {
      this._state = "open";
      const failure = error instanceof Cancelled ? error : this._fail(error);
      if (this._error === undefined) this._error = new Error("unwrap() was cancelled");
      pump.scope.cancel();
      this._raw.close().catch(noop);
      throw failure;
    }
  }

  /**
   * Sends close_notify (with `standardCompatible`, unless the stream is broken or the
   * caller's scope is cancelled) and closes the transport. A receive or send waiting in
   * another task fails with {@linkcode ClosedResourceError}. Idempotent; never raises.
   *
   * @example
   * ```ts
   * import type { TLSStream } from "@anyts/anyts";
   * async function done(stream: TLSStream) {
   *   await stream.aclose();
   * }
   * ```
   */
  async aclose(): Promise<void> {
    if (this._state === "closed" || this._state === "unwrapped") return;
    const wasOpen = this._state === "open";
    this._state = "closed";
    this._failWaiters();
    const scope = currentScope();
    if (wasOpen && this.standardCompatible && this._error === undefined && scope._cancelledBy() === undefined) {
      try {
        await waitFor(this._raw.closeWrite(), scope, "TLSStream.aclose (close_notify)");
      } catch {
        // The peer may be gone, or the caller cancelled: close anyway.
      }
    }
    await this._stopPump();
    if (scope._cancelledBy() !== undefined) await acloseForcefully(this.transportStream);
    else await this.transportStream.aclose().catch(noop);
  }

  /** The TLS attributes and every attribute of the transport. */
  override get extraAttributes(): TypedAttributeMap {
    if (this._attributes === undefined) {
      const raw = this._raw;
      const session = raw.session;
      // deno-lint-ignore no-explicit-any
      const entries: AttributeEntry<any>[] = [
        [TLSAttribute.alpnProtocol, () => session.alpnProtocol],
        [TLSAttribute.cipher, () => session.cipher],
        [TLSAttribute.peerCertificate, () => session.peerCertificate],
        [TLSAttribute.peerCertificateBinary, () => session.peerCertificateBinary],
        [TLSAttribute.serverSide, () => this.serverSide],
        [TLSAttribute.standardCompatible, () => this.standardCompatible],
        [TLSAttribute.tlsVersion, () => session.tlsVersion],
        [TLSAttribute.tlsObject, () => raw.raw],
      ];
      const tlsUnique = session.channelBindingTlsUnique;
      if (tlsUnique !== undefined) entries.push([TLSAttribute.channelBindingTlsUnique, () => tlsUnique]);
      this._attributes = attributeMap(entries, this.transportStream.extraAttributes);
    }
    return this._attributes;
  }

  /** @ignore A receive or send waiting in another task fails: the stream was closed. */
  _failWaiters(): void {
    const rejectReceive = this._receiveReject;
    if (rejectReceive !== undefined) {
      this._clearReceiver();
      rejectReceive(new ClosedResourceError("TLSStream"));
    }
    const rejectSend = this._sendReject;
    if (rejectSend !== undefined) {
      this._clearSender();
      rejectSend(new ClosedResourceError("TLSStream"));
    }
  }

  /** @ignore Throws ClosedResourceError once closed or unwrapped. */
  _checkUsable(): void {
    if (this._state !== "open") {
      throw new ClosedResourceError("TLSStream", this._state === "closed" ? undefined : "it was unwrapped");
    }
  }

  /** @ignore Records the first failure and returns the error to throw for it. */
  _fail(error: unknown): BrokenResourceError {
    if (this._error === undefined) this._error = error;
    return this._broken(error);
  }

  /** @ignore */
  _broken(cause: unknown): BrokenResourceError {
    if (cause instanceof BrokenResourceError) return cause;
    return new BrokenResourceError(`the TLS connection is broken: ${describeError(cause)}`, { cause });
  }

  /** @ignore */
  _take(chunk: Uint8Array<ArrayBuffer>, maxBytes: number): Uint8Array<ArrayBuffer> {
    if (chunk.length <= maxBytes) {
      this._leftover = undefined;
      return chunk;
    }
    this._leftover = chunk.subarray(maxBytes);
    return chunk.subarray(0, maxBytes);
  }

  /** @ignore Ends the engine and every transport call it has in flight. */
  async _stopPump(): Promise<void> {
    const pump = this._pump;
    if (pump === undefined) {
      await this._raw.close().catch(noop);
      return;
    }
    pump.scope.cancel();
    await this._raw.close().catch(noop);
    await pump.idle();
    if (!this._pumpExited) {
      this._pumpExited = true;
      pump.scope._exit();
    }
  }
}

/** Starts the engine; on any failure stops it and closes the transport. */
async function startSession(
  transport: AnyByteStream,
  checked: CheckedTLSOptions,
  parent: CancelScope,
  allowNative: boolean,
): Promise<TLSStream> {
  const outer = currentScope();
  const backend: Backend = parent._backend;
  if (allowNative && !checked.standardCompatible && backend.upgradeTls !== undefined && transport instanceof SocketStream) {
    const socket = transport._freshRaw();
    if (socket !== undefined) {
      const native = startNativeSession(backend, transport, socket, checked, outer);
      if (native !== undefined) return await native;
    }
  }
  // The engine's transport calls run in a scope of the stream's own, shielded from the
  // caller's cancellation (a cancelled receive must not cancel the pump) and cancelled
  // when the stream closes.
  const pumpScope = new CancelScope({ shield: true });
  pumpScope._enter(parent);
  const pump = new PumpTransport(transport, pumpScope);
  const controller = new AbortController();
  let starting: Promise<RawTlsSocket>;
  try {
    starting = backend.startTls(pump, { ...checked.engine, signal: controller.signal });
  } catch (error) {
    pumpScope._exit();
    await acloseForcefully(transport);
    throw new TypeError(`TLSStream.wrap: the TLS engine rejected the options: ${describeError(error)}`, { cause: error });
  }
  starting.catch(noop);
  try {
    const raw = await waitFor(starting, outer, "TLSStream.wrap (handshake)");
    return new TLSStream(transport, raw, pump, checked.standardCompatible, checked.engine.serverSide);
  } catch (error) {
    controller.abort(new Cancelled());
    pumpScope.cancel();
    await starting.then((raw) => raw.close(), noop);
    await pump.idle();
    pumpScope._exit();
    await acloseForcefully(transport);
    if (error instanceof Cancelled) throw error;
    throw new BrokenResourceError(`the TLS handshake failed: ${describeError(error)}`, { cause: error });
  }
}

/**
 * The native path: the backend's own TLS on the socket of `transport`; undefined when the
 * backend declines it (then nothing was touched).
 */
function startNativeSession(
  backend: Backend,
  transport: SocketStream,
  socket: RawSocket,
  checked: CheckedTLSOptions,
  outer: CancelScope,
): Promise<TLSStream> | undefined {
  const controller = new AbortController();
  let starting: Promise<RawTlsSocket> | undefined;
  try {
    starting = backend.upgradeTls!(socket, { ...checked.engine, signal: controller.signal });
  } catch (error) {
    return acloseForcefully(transport).then(() => {
      throw new TypeError(`TLSStream.wrap: the TLS engine rejected the options: ${describeError(error)}`, { cause: error });
    });
  }
  if (starting === undefined) return undefined;
  const handshake = starting;
  handshake.catch(noop);
  return (async () => {
    try {
      const raw = await waitFor(handshake, outer, "TLSStream.wrap (handshake)");
      return new TLSStream(transport, raw, undefined, checked.standardCompatible, checked.engine.serverSide);
    } catch (error) {
      controller.abort(new Cancelled());
      await handshake.then((raw) => raw.close(), noop);
      await acloseForcefully(transport);
      if (error instanceof Cancelled) throw error;
      throw new BrokenResourceError(`the TLS handshake failed: ${describeError(error)}`, { cause: error });
    }
  })();
}
