/**
 * The TLS engine of every backend: `node:tls` over a `Duplex` that pumps an anyts
 * transport. No runtime offers TLS over an arbitrary byte stream except through node:tls
 * (`Deno.startTls` and Bun's `socket.upgradeTLS` need the runtime's own TCP socket, and
 * neither has a server side over a stream), and node:tls over a custom Duplex works on
 * Node, Deno and Bun, so the three adapters share this file.
 *
 * Pumping. The Duplex is the TLS socket's "network": its `_read` calls `transport.read()`
 * and its `_write` calls `transport.write()`, each at most once at a time, in the cancel
 * scope the core chose (the TLS stream's own). `_read` hands the engine one TLS record (or
 * the part of one that has arrived) per call, with a readable high-water mark of 0, so the
 * engine has processed everything before it asks for more: when the peer's close_notify
 * has been processed, the pump stops and keeps the bytes after it for `unwrap()`.
 * Plaintext is consumed in flowing mode into a queue that pauses the TLS socket when it
 * holds more than {@linkcode QUEUE_LIMIT} bytes (which stops the pump: backpressure).
 *
 * Errors. Every 'error' event (of the TLS socket and of the Duplex) and every rejection of
 * a transport call is caught and stored; the next `read`/`write` rejects with it. No
 * timer, listener or promise outlives `close()`/`unwrap()`.
 *
 * Per runtime: Node and Bun verify a client certificate themselves (Node: through the
 * socket's `verifyError()`); Deno's node:tls requests it but never verifies it, so this
 * file checks the chain against `ca` with `X509Certificate` there.
 *
 * @module
 */
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { Duplex } from "node:stream";
import * as tls from "node:tls";
import type { RawTlsSocket, TlsEngineOptions, TlsSessionInfo, TlsTransport } from "../../src/backend/index.ts";

/** Plaintext bytes queued before the TLS socket is paused. */
const QUEUE_LIMIT = 65536;
/** How many bytes one transport read asks for. */
const READ_SIZE = 65536;
/** The size of a TLS record header: type, version (2), length (2). */
const HEADER_SIZE = 5;

type Waiter = () => void;

interface ReadableInternals {
  _readableState?: { ended?: boolean };
}
interface VerifyHandle {
  _handle?: { verifyError?: () => (Error & { code?: string }) | null | undefined };
}

/**
 * Starts a TLS session over `transport` with node:tls; resolves once the handshake is
 * done. This is `Backend.startTls` of every adapter.
 *
 * @example
 * ```ts
 * import { loadBackend, type TlsTransport } from "@anyts/anyts";
 * declare const transport: TlsTransport; // the core's pump over a byte stream
 * const backend = await loadBackend("node"); // its startTls is this function
 * const raw = await backend.startTls(transport, {
 *   serverSide: false,
 *   hostname: "example.com",
 *   verify: true,
 *   requestClientCertificate: false,
 *   signal: new AbortController().signal,
 * });
 * ```
 */
export function startTls(transport: TlsTransport, options: TlsEngineOptions): Promise<RawTlsSocket> {
  return new NodeTlsSocket(transport, options)._start();
}

/**
 * The native fast path (`Backend.upgradeTls` of the node adapter): node:tls directly on a
 * connected `net.Socket` (Node's native TLSWrap on the socket's handle: no JavaScript
 * pumping). The socket must be paused, with nothing read from it, and have no 'data' or
 * 'end' listener; the session owns it from now on. `unwrap()` is unsupported, and since
 * node:tls does not tell a close_notify from a ragged EOF, `closeNotifyReceived` is true
 * at any end of stream (the core uses this path only with `standardCompatible: false`).
 *
 * @example
 * ```ts
 * import * as net from "node:net";
 * declare function startNativeTls(socket: net.Socket, options: object): Promise<unknown>; // this function
 * const socket = net.connect(443, "example.com");
 * socket.pause();
 * const session = await startNativeTls(socket, {
 *   serverSide: false,
 *   hostname: "example.com",
 *   verify: true,
 *   requestClientCertificate: false,
 *   signal: new AbortController().signal,
 * });
 * ```
 */
export function startNativeTls(socket: Duplex, options: TlsEngineOptions): Promise<RawTlsSocket> {
  return new NodeTlsSocket(undefined, options, socket)._start();
}

/** @ignore A TLS session on node:tls; see the module documentation. */
export class NodeTlsSocket implements RawTlsSocket {
  /** @ignore The anyts transport (undefined on the native path). */
  _transport: TlsTransport | undefined;
  /** @ignore node:tls runs directly on the runtime's socket (`_duplex`): no pump. */
  _native: boolean;
  /** @ignore */
  _options: TlsEngineOptions;
  /** @ignore */
  _duplex: Duplex;
  /** @ignore */
  _socket: tls.TLSSocket;

  // The pump (transport → engine).
  /** @ignore Bytes read from the transport, not yet given to the engine. */
  _pending: Uint8Array | undefined = undefined;
  /** @ignore Header bytes of the current record seen so far (0..4; 5 means "in the body"). */
  _headerSeen = 0;
  /** @ignore The header bytes seen so far. */
  _header: Uint8Array = new Uint8Array(HEADER_SIZE);
  /** @ignore Body bytes of the current record not yet given to the engine. */
  _bodyLeft = 0;
  /** @ignore The content type of the current (or last) record. */
  _recordType = 0;
  /** @ignore A transport read is in flight (this promise never rejects). */
  _readPromise: Promise<unknown> | undefined = undefined;
  /** @ignore Writes to the transport in flight (at most one: the Duplex serialises them; never rejects). */
  _writePromise: Promise<unknown> | undefined = undefined;
  /** @ignore The transport reported end of stream (and the engine was told). */
  _transportEof = false;
  /** @ignore The pump saw the engine end after a close_notify: it reads no more. */
  _feedStopped = false;
  /** @ignore */
  _closeNotifyReceived = false;

  // The plaintext side (engine → reader).
  /** @ignore */
  _queue: Uint8Array<ArrayBuffer>[] = [];
  /** @ignore */
  _queued = 0;
  /** @ignore The TLS socket emitted 'end'. */
  _ended = false;
  /** @ignore The first error; every later operation rejects with it. */
  _error: unknown = undefined;
  /** @ignore close() or unwrap() finished: the session is gone. */
  _closed = false;
  /** @ignore unwrap() is running: plaintext is dropped, the pump must not stall. */
  _discarding = false;
  /** @ignore */
  _closeWriteStarted: Promise<void> | undefined = undefined;
  /** @ignore The engine ended its sending side by itself (Bun, after the peer's close_notify). */
  _writeClosedByEngine = false;
  /** @ignore Called on every state change (data, end, error, pump progress, write done). */
  _waiters: Waiter[] = [];

  constructor(transport: TlsTransport | undefined, options: TlsEngineOptions, native?: Duplex) {
    this._transport = transport;
    this._options = options;
    this._native = native !== undefined;
    const self = this;
    this._duplex = native ?? new Duplex({
      readableHighWaterMark: 0,
      allowHalfOpen: true,
      read() {
        self._pump();
      },
      write(chunk: Uint8Array, _encoding, callback) {
        self._writeTransport(chunk, callback);
      },
      final(callback) {
        // close_notify has been written; the transport itself stays open (the core
        // closes it, or hands it back after unwrap()). Bun's node:tls also gets here on
        // its own: it answers the peer's close_notify at once (no TLS half-close).
        if (self._closeWriteStarted === undefined) self._writeClosedByEngine = true;
        callback();
        self._wake();
      },
      destroy(_error, callback) {
        callback(null);
      },
    });
    this._duplex.on("error", (error) => this._fail(error));
    if (native !== undefined) native.on("close", () => this._wake());
    const common = {
      ALPNProtocols: options.alpnProtocols === undefined ? undefined : [...options.alpnProtocols],
      allowHalfOpen: true,
    };
    if (options.serverSide) {
      this._socket = new tls.TLSSocket(this._duplex, {
        ...common,
        isServer: true,
        secureContext: tls.createSecureContext({ cert: options.cert, key: options.key, ca: options.ca }),
        requestCert: options.requestClientCertificate,
        rejectUnauthorized: options.requestClientCertificate && options.verify,
      });
    } else {
      const hostname = options.hostname;
      this._socket = tls.connect({
        ...common,
        socket: this._duplex,
        host: hostname,
        // SNI carries names only (RFC 6066); an IP address is still checked against the
        // certificate through `host`.
        servername: hostname === undefined || isIP(hostname) !== 0 ? undefined : hostname,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        rejectUnauthorized: options.verify,
        checkServerIdentity: options.verify ? checkServerIdentity : () => undefined,
      });
    }
    const socket = this._socket;
    guardReads(socket);
    socket.on("error", (error) => this._fail(error));
    // The plaintext buffers are node:tls's fresh allocations: handed out as plain views.
    socket.on("data", (chunk: Uint8Array) => this._onData(new Uint8Array(chunk.buffer as ArrayBuffer, chunk.byteOffset, chunk.byteLength)));
    socket.on("end", () => {
      this._ended = true;
      this._wake();
    });
    socket.on("close", () => this._wake());
  }

  // ------------------------------------------------------------------ handshake

  /**
   * @ignore Resolves to this once the handshake is done, the peer verified, and this
   * side's last handshake messages (a client's Finished) handed to the transport, as
   * AnyIO's handshake flushes them. On failure, the engine's pending output (the alert
   * telling the peer why) is flushed first, unless the signal aborts; then it tears down
   * and rejects. It never waits for a transport read: the caller settles those.
   */
  _start(): Promise<RawTlsSocket> {
    const socket = this._socket;
    const signal = this._options.signal;
    const secureEvent = this._options.serverSide ? "secure" : "secureConnect";
    return new Promise<RawTlsSocket>((resolve, reject) => {
      let settled = false;
      let secure = false;
      const flushedOrAborted = () => this._writesFlushed() || signal.aborted || this._closed;
      const cleanUp = () => {
        settled = true;
        socket.off(secureEvent, onSecure);
        signal.removeEventListener("abort", onAbort);
      };
      const fail = (error: unknown) => {
        if (settled) return;
        cleanUp();
        this._fail(error);
        const tearDown = () => {
          this.close().catch(() => {});
          reject(error);
        };
        this._until(() => (flushedOrAborted() ? true : undefined)).then(tearDown, tearDown);
      };
      const onAbort = () => {
        fail(signal.reason ?? new Error("the TLS handshake was aborted"));
        this._wake();
      };
      const onSecure = () => {
        let rejection: unknown;
        try {
          rejection = this._checkClientCertificate();
        } catch (error) {
          rejection = error; // never thrown back into node:tls (it would escape its read callback)
        }
        if (rejection !== undefined) {
          fail(rejection);
          return;
        }
        secure = true;
        // The engine hands its last messages to the Duplex right after this event.
        queueMicrotask(() => this._wake());
      };
      const onChange = (): void => {
        if (settled) return;
        if (this._error !== undefined) fail(this._error);
        else if (secure && this._writesFlushed()) {
          cleanUp();
          resolve(this);
        } else if (!secure && (this._ended || this._transportEof || (this._native && this._duplex.destroyed))) {
          fail(new Error("the peer closed the connection during the TLS handshake"));
        } else this._waiters.push(onChange);
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener("abort", onAbort, { once: true });
      socket.once(secureEvent, onSecure);
      this._waiters.push(onChange);
    });
  }

  /**
   * @ignore Server side with a requested certificate: the error that rejects the client's
   * certificate, or undefined. Bun rejects bad ones during the handshake; Node leaves the
   * verdict in `verifyError()`; Deno's node:tls does not verify at all, so the chain is
   * checked here against `ca`.
   */
  _checkClientCertificate(): unknown {
    const options = this._options;
    if (!options.serverSide || !options.requestClientCertificate || !options.verify) return undefined;
    const socket = this._socket;
    const peer = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | null | undefined;
    if (peer === null || peer === undefined || peer.raw === undefined) {
      return tlsError("ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE", "the client sent no certificate");
    }
    if (socket.authorized) return undefined;
    const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
    const verifyError = (socket as unknown as VerifyHandle)._handle?.verifyError;
    if (!isDeno && typeof verifyError === "function") {
      const error = verifyError.call((socket as unknown as VerifyHandle)._handle);
      return error ?? undefined;
    }
    return verifyChain(peer, options.ca ?? "");
  }

  // ------------------------------------------------------------------ the pump

  /** @ignore The Duplex wants bytes for the engine: one record (or part) per call. */
  _pump(): void {
    if (this._readPromise !== undefined || this._feedStopped || this._transportEof || this._closed) return;
    if (this._engineEnded()) {
      // The engine has processed the peer's close_notify: what follows is not ours.
      this._feedStopped = true;
      this._closeNotifyReceived = true;
      this._wake();
      return;
    }
    if (this._pending !== undefined) {
      this._push(this._nextPiece());
      return;
    }
    let reading: Promise<Uint8Array | null>;
    try {
      reading = this._transport!.read(READ_SIZE);
    } catch (error) {
      reading = Promise.reject(error);
    }
    this._readPromise = reading.then(this._onTransportChunk, this._onTransportError);
  }

  /** @internal A transport read brought ciphertext (or its end) for the engine. Never throws. */
  _onTransportChunk = (chunk: Uint8Array | null): void => {
    this._readPromise = undefined;
    if (this._closed) return;
    if (chunk === null) {
      this._transportEof = true;
      this._push(null);
      this._wake();
      return;
    }
    if (chunk.length === 0) {
      this._pump();
      return;
    }
    this._pending = chunk;
    this._push(this._nextPiece());
  };

  /** @internal A transport read failed. Never throws. */
  _onTransportError = (error: unknown): void => {
    this._readPromise = undefined;
    if (!this._closed) this._fail(error);
  };

  /**
   * @internal Feeds the engine. Whatever node:tls throws out of the push (its read
   * callback runs inside it) fails the session instead of escaping into the promise
   * chain of the pump, where nobody would handle it.
   */
  _push(piece: Uint8Array | null): void {
    try {
      this._duplex.push(piece);
    } catch (error) {
      this._fail(error);
    }
  }

  /**
   * @ignore The next bytes of `_pending` for the engine. Until this side has sent
   * close_notify, every record that has arrived goes at once (a compliant peer sends
   * nothing after its close_notify until it has ours); from then on one record at a time,
   * so that the pump stops right after the peer's close_notify and `unwrap()` gets exactly
   * the bytes that follow it. A TLS 1.2 alert record (type 21) always ends a batch.
   */
  _nextPiece(): Uint8Array {
    const pending = this._pending!;
    const batch = this._closeWriteStarted === undefined && !this._writeClosedByEngine;
    let size = 0;
    do {
      const used = this._advance(pending, size);
      if (used === 0) break;
      size += used;
    } while (batch && size < pending.length && !(this._headerSeen === 0 && this._recordType === 21));
    const piece = pending.subarray(0, size);
    this._pending = size === pending.length ? undefined : pending.subarray(size);
    return piece;
  }

  /** @ignore Consumes `pending` from `offset` up to the end of the current record; returns the count. */
  _advance(pending: Uint8Array, offset: number): number {
    let used = 0;
    if (this._headerSeen < HEADER_SIZE) {
      const take = Math.min(HEADER_SIZE - this._headerSeen, pending.length - offset);
      this._header.set(pending.subarray(offset, offset + take), this._headerSeen);
      this._headerSeen += take;
      used = take;
      if (this._headerSeen === HEADER_SIZE) {
        // The header buffer is HEADER_SIZE (5) bytes long: every index below is in it.
        this._recordType = this._header[0]!;
        this._bodyLeft = (this._header[3]! << 8) | this._header[4]!;
      }
    }
    if (this._headerSeen === HEADER_SIZE) {
      const take = Math.min(this._bodyLeft, pending.length - offset - used);
      used += take;
      this._bodyLeft -= take;
      if (this._bodyLeft === 0) this._headerSeen = 0;
    }
    return used;
  }

  /** @ignore Whether the engine has seen the end of its input (close_notify here). */
  _engineEnded(): boolean {
    return this._ended || (this._socket as unknown as ReadableInternals)._readableState?.ended === true;
  }

  /** @ignore The Duplex's `_write`: one transport write at a time. */
  _writeTransport(chunk: Uint8Array, callback: (error?: Error | null) => void): void {
    if (this._closed) {
      callback();
      return;
    }
    let writing: Promise<void>;
    try {
      writing = this._transport!.write(chunk);
    } catch (error) {
      writing = Promise.reject(error);
    }
    this._writePromise = writing.then(
      () => {
        this._writePromise = undefined;
        this._settleWrite(callback);
        this._wake();
      },
      (error) => {
        this._writePromise = undefined;
        this._fail(error);
        this._settleWrite(callback);
      },
    );
  }

  /** @internal Completes a Duplex write; what node:tls throws from it fails the session. */
  _settleWrite(callback: (error?: Error | null) => void): void {
    try {
      callback();
    } catch (error) {
      this._fail(error);
    }
  }

  // ------------------------------------------------------------------ plaintext

  /** @ignore */
  _onData(chunk: Uint8Array<ArrayBuffer>): void {
    if (this._discarding || this._closed) return;
    const resolve = this._readResolve;
    if (resolve !== undefined && this._queue.length === 0) {
      // The waiting read takes the chunk at once (the common case of a busy stream).
      this._readResolve = this._readReject = undefined;
      const max = this._readMax;
      if (chunk.length > max) {
        this._queue.push(chunk.subarray(max));
        this._queued += chunk.length - max;
        chunk = chunk.subarray(0, max);
      }
      resolve(chunk);
      this._wake();
      return;
    }
    this._queue.push(chunk);
    this._queued += chunk.length;
    if (this._queued >= QUEUE_LIMIT) this._socket.pause();
    this._wake();
  }

  /** The next plaintext chunk (1 to `maxBytes` bytes), or `null` at end of stream. */
  read(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
    let ready: Uint8Array<ArrayBuffer> | null | undefined;
    try {
      ready = this._readNow(maxBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    if (ready !== undefined) return Promise.resolve(ready);
    // At most one read is pending (the contract): its callbacks live here, and one
    // prebound waiter re-checks on every state change; nothing is allocated per check.
    this._readMax = maxBytes;
    const reading = new Promise<Uint8Array<ArrayBuffer> | null>(this._readExecutor);
    this._waiters.push(this._serveRead);
    return reading;
  }

  /** @ignore What a read returns now: a chunk, `null` at the end, or undefined to wait; throws the failure. */
  _readNow(maxBytes: number): Uint8Array<ArrayBuffer> | null | undefined {
    if (this._queue.length !== 0) return this._take(maxBytes);
    if (this._error !== undefined) throw this._error;
    if (this._closed) throw new Error("the TLS session is closed");
    if (this._ended || (this._feedStopped && this._closeNotifyReceived)) return null;
    return undefined;
  }

  /** @ignore The pending read's callbacks and size. */
  _readResolve: ((chunk: Uint8Array<ArrayBuffer> | null) => void) | undefined = undefined;
  /** @ignore */
  _readReject: ((error: unknown) => void) | undefined = undefined;
  /** @ignore */
  _readMax = 0;

  /** @ignore */
  _readExecutor = (resolve: (chunk: Uint8Array<ArrayBuffer> | null) => void, reject: (error: unknown) => void): void => {
    this._readResolve = resolve;
    this._readReject = reject;
  };

  /** @ignore The pending read's waiter: settles it once `_readNow` has an answer. */
  _serveRead = (): void => {
    const resolve = this._readResolve;
    const reject = this._readReject;
    if (resolve === undefined || reject === undefined) return; // served by _onData
    let ready: Uint8Array<ArrayBuffer> | null | undefined;
    try {
      ready = this._readNow(this._readMax);
    } catch (error) {
      this._readResolve = this._readReject = undefined;
      reject(error);
      return;
    }
    if (ready === undefined) {
      this._waiters.push(this._serveRead);
      return;
    }
    this._readResolve = this._readReject = undefined;
    resolve(ready);
  };

  /** A plaintext chunk (1 to `maxBytes` bytes) already decrypted, or undefined: no waiting. */
  tryRead(maxBytes: number): Uint8Array<ArrayBuffer> | undefined {
    return this._queue.length !== 0 ? this._take(maxBytes) : undefined;
  }

  /** @ignore */
  _take(maxBytes: number): Uint8Array<ArrayBuffer> {
    const first = this._queue[0]!; // callers check that the queue is not empty
    let chunk: Uint8Array<ArrayBuffer>;
    if (first.length <= maxBytes) {
      chunk = first;
      this._queue.shift();
    } else {
      chunk = first.subarray(0, maxBytes);
      this._queue[0] = first.subarray(maxBytes);
    }
    this._queued -= chunk.length;
    if (this._queued < QUEUE_LIMIT && this._socket.isPaused()) this._socket.resume();
    return chunk;
  }

  /** Encrypts and writes `data`; resolves when the transport has taken it. */
  write(data: Uint8Array): Promise<void> {
    if (this._error !== undefined) return Promise.reject(this._error);
    if (this._closed) return Promise.reject(new Error("the TLS session is closed"));
    if (this._closeWriteStarted !== undefined) return Promise.reject(tlsError("ERR_STREAM_WRITE_AFTER_END", "close_notify was sent already"));
    if (this._writeClosedByEngine) return Promise.reject(halfCloseError());
    let written = false;
    try {
      this._socket.write(data, (error) => {
        written = true;
        if (error && this._error === undefined) this._fail(error);
        this._wake();
      });
    } catch (error) {
      this._fail(error);
      return Promise.reject(this._error);
    }
    return this._until(() => {
      if (this._error !== undefined) throw this._error;
      if (this._closed) throw new Error("the TLS session is closed");
      if (!written && this._writeClosedByEngine) throw halfCloseError();
      return written && this._writesFlushed() ? true : undefined;
    }).then(() => {});
  }

  /** @ignore Nothing of ours waits in the Duplex or on the transport. */
  _writesFlushed(): boolean {
    if (this._native) return true; // node:tls writes to the socket's handle itself
    return this._writePromise === undefined && this._duplex.writableLength === 0;
  }

  /** Sends close_notify once; resolves when the transport has taken it. */
  closeWrite(): Promise<void> {
    if (this._closeWriteStarted === undefined) {
      if (this._error !== undefined) return Promise.reject(this._error);
      if (this._closed) return Promise.reject(new Error("the TLS session is closed"));
      let finished = false;
      try {
        this._socket.end(() => {
          finished = true;
          this._wake();
        });
      } catch (error) {
        this._fail(error);
        return Promise.reject(this._error);
      }
      this._closeWriteStarted = this._until(() => {
        if (this._error !== undefined) throw this._error;
        if (this._closed) throw new Error("the TLS session is closed");
        return (finished || this._socket.writableFinished) && this._writesFlushed() ? true : undefined;
      }).then(() => {});
    }
    return this._closeWriteStarted;
  }

  /** Sends close_notify, waits for the peer's, and resolves to the bytes read after it. */
  async unwrap(): Promise<Uint8Array> {
    if (this._native) {
      throw tlsError("ERR_TLS_NATIVE_UNWRAP", "unwrap() is not supported on the runtime's native TLS socket");
    }
    this._discarding = true;
    this._queue = [];
    this._queued = 0;
    if (this._socket.isPaused()) this._socket.resume();
    await this.closeWrite();
    await this._until(() => {
      if (this._feedStopped) return true;
      if (this._error !== undefined) throw this._error;
      if (this._closed) throw new Error("the TLS session is closed");
      if (this._transportEof) {
        throw tlsError("ERR_TLS_RAGGED_EOF", "the peer closed the transport without sending close_notify");
      }
      // The engine has ended but the Duplex has not asked for more yet: ask ourselves.
      if (this._engineEnded() && this._readPromise === undefined) this._pump();
      return this._feedStopped ? true : undefined;
    });
    const leftover = this._pending ?? new Uint8Array(0);
    this._pending = undefined;
    await this.close();
    return leftover;
  }

  /** Tears the session down without close_notify; resolves when no transport call is pending. */
  async close(): Promise<void> {
    if (!this._closed) {
      this._closed = true;
      try {
        this._socket.destroy();
        this._duplex.destroy();
      } catch {
        // node:tls failing to tear down changes nothing: the session is gone for us.
      }
      this._queue = [];
      this._queued = 0;
      this._wake();
    }
    const pending = [this._readPromise, this._writePromise].filter((p) => p !== undefined);
    if (pending.length !== 0) await Promise.allSettled(pending);
  }

  /** Whether the peer's close_notify arrived before the end of the transport. */
  get closeNotifyReceived(): boolean {
    return this._closeNotifyReceived || (this._engineEnded() && !this._transportEof);
  }

  /** The session's parameters. */
  get session(): TlsSessionInfo {
    const socket = this._socket;
    const serverSide = this._options.serverSide;
    return {
      alpnProtocol: typeof socket.alpnProtocol === "string" ? socket.alpnProtocol : null,
      tlsVersion: socket.getProtocol() ?? "unknown",
      cipher: cipherOf(socket),
      get peerCertificate() {
        return peerCertificateOf(socket);
      },
      get peerCertificateBinary() {
        return peerCertificateBinaryOf(socket);
      },
      get channelBindingTlsUnique() {
        return tlsUniqueOf(socket, serverSide);
      },
    };
  }

  /** The `tls.TLSSocket`. */
  get raw(): unknown {
    return this._socket;
  }

  // ------------------------------------------------------------------ plumbing

  /** @ignore Records the first error and wakes every waiter. Never throws. */
  _fail(error: unknown): void {
    if (this._error === undefined && !this._closed) this._error = error ?? new Error("TLS failure");
    this._wake();
  }

  /** @ignore */
  _wake(): void {
    const waiters = this._waiters;
    if (waiters.length === 0) return;
    this._waiters = [];
    for (const waiter of waiters) waiter();
  }

  /**
   * @ignore Resolves with the first non-undefined value of `check`, evaluated now and on
   * every state change; rejects with what it throws.
   */
  _until<T>(check: () => T | undefined): Promise<T> {
    try {
      const value = check();
      if (value !== undefined) return Promise.resolve(value);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      const waiter = () => {
        try {
          const value = check();
          if (value !== undefined) resolve(value);
          else this._waiters.push(waiter);
        } catch (error) {
          reject(error);
        }
      };
      this._waiters.push(waiter);
    });
  }
}

/**
 * Node 24's TLSWrap can hand plaintext to a TLS socket it has destroyed itself: an OpenSSL
 * error left over from a failed certificate check (a client certificate whose RSA
 * signature does not verify) makes node:tls destroy the socket during the handshake but
 * keep decrypting, and its read callback (`onStreamRead`) then throws a RangeError
 * ("err" … Received 79) out of whatever fed it the ciphertext: the engine's push, or, on
 * the native path, libuv (an uncaught exception). The callback is wrapped here: plaintext
 * for a destroyed socket is dropped, and any other throw destroys the socket with that
 * error (an 'error' event, which fails the session). Runtimes whose TLS socket has no such
 * handle (Bun, Deno) are left alone.
 */
function guardReads(socket: tls.TLSSocket): void {
  const handle = (socket as unknown as { _handle?: { onread?: unknown } | null })._handle;
  const onread = handle?.onread;
  if (handle === undefined || handle === null || typeof onread !== "function") return;
  handle.onread = function guardedOnread(this: unknown, ...args: unknown[]): unknown {
    try {
      return (onread as (...args: unknown[]) => unknown).apply(this, args);
    } catch (error) {
      if (!socket.destroyed) socket.destroy(error instanceof Error ? error : new Error(String(error)));
      return undefined;
    }
  };
}

/**
 * `tls.checkServerIdentity`, except that IPv6 addresses are compared by value: some
 * versions compare "::1" with the certificate's "0:0:0:0:0:0:0:1" as text. Also used by
 * the Bun adapter's native TLS (backends/bun/tls.ts) on the peer's certificate.
 *
 * @example
 * ```ts
 * import * as tls from "node:tls";
 * declare function checkServerIdentity(hostname: string, certificate: tls.PeerCertificate): Error | undefined; // this function
 * declare const socket: tls.TLSSocket;
 * const error = checkServerIdentity("::1", socket.getPeerCertificate());
 * if (error !== undefined) socket.destroy(error); // error.code: "ERR_TLS_CERT_ALTNAME_INVALID"
 * ```
 */
export function checkServerIdentity(hostname: string, certificate: tls.PeerCertificate): Error | undefined {
  const wanted = isIP(hostname) === 6 ? ipv6Value(hostname) : undefined;
  if (wanted !== undefined) {
    for (const name of (certificate.subjectaltname ?? "").split(/,\s*/)) {
      if (name.startsWith("IP Address:") && ipv6Value(name.slice(11)) === wanted) return undefined;
    }
  }
  return tls.checkServerIdentity(hostname, certificate);
}

/** An IPv6 address as 32 hex digits, or undefined if it is not one. */
function ipv6Value(address: string): string | undefined {
  let text = address.trim().toLowerCase();
  if (isIP(text) !== 6) return undefined;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    // The pattern has four groups, each matched (digits).
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + ((a << 8) | b).toString(16) + ":" + ((c << 8) | d).toString(16);
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill("0"), ...right];
  if (groups.length !== 8) return undefined;
  return groups.map((group) => group.padStart(4, "0")).join("");
}

function halfCloseError(): Error {
  return tlsError(
    "ERR_TLS_NO_HALF_CLOSE",
    "this runtime's TLS answered the peer's close_notify with its own: nothing can be sent after it (no TLS half-close on Bun)",
  );
}

function tlsError(code: string, message: string): Error {
  const error = new Error(message) as Error & { code: string };
  error.code = code;
  return error;
}

function cipherOf(socket: tls.TLSSocket): TlsSessionInfo["cipher"] {
  const cipher = socket.getCipher() as (tls.CipherNameAndProtocol & { bits?: number }) | null | undefined;
  if (!cipher) return { name: "unknown", version: socket.getProtocol() ?? "unknown" };
  const result: { name: string; standardName?: string; version: string; bits?: number } = {
    name: cipher.name,
    version: cipher.version ?? socket.getProtocol() ?? "unknown",
  };
  if (typeof cipher.standardName === "string") result.standardName = cipher.standardName;
  if (typeof cipher.bits === "number") result.bits = cipher.bits;
  return result;
}

function peerCertificateOf(socket: tls.TLSSocket): Record<string, unknown> | null {
  const certificate = socket.getPeerCertificate() as unknown as Record<string, unknown> | null | undefined;
  if (!certificate || Object.keys(certificate).length === 0) return null;
  return certificate;
}

function peerCertificateBinaryOf(socket: tls.TLSSocket): Uint8Array | null {
  const certificate = socket.getPeerCertificate() as { raw?: Uint8Array } | null | undefined;
  const raw = certificate?.raw ?? socket.getPeerX509Certificate?.()?.raw;
  if (!raw || raw.length === 0) return null;
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

function tlsUniqueOf(socket: tls.TLSSocket, serverSide: boolean): Uint8Array | undefined {
  // tls-unique (RFC 5929) is the first Finished message of the latest handshake: the
  // client's in a full handshake, the server's in a resumed one. TLS 1.3 does not define it.
  if (socket.getProtocol() === "TLSv1.3") return undefined;
  const clientSent = !socket.isSessionReused();
  const finished = clientSent !== serverSide ? socket.getFinished() : socket.getPeerFinished();
  if (!finished || finished.length === 0) return undefined;
  return new Uint8Array(finished.buffer, finished.byteOffset, finished.byteLength);
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Verifies a peer's certificate chain against the PEM certificates of `ca`: each link's
 * issuer name and signature, validity periods, and that the intermediates are CAs. For
 * runtimes whose node:tls does not verify client certificates (Deno).
 */
function verifyChain(peer: tls.DetailedPeerCertificate, ca: string): Error | undefined {
  let anchors: X509Certificate[];
  try {
    anchors = (ca.match(PEM_BLOCK) ?? []).map((pem) => new X509Certificate(pem));
  } catch (error) {
    return error as Error;
  }
  const chain: X509Certificate[] = [];
  const seen = new Set<unknown>();
  for (let link: tls.DetailedPeerCertificate | undefined = peer; link?.raw !== undefined && !seen.has(link); link = link.issuerCertificate) {
    seen.add(link);
    try {
      chain.push(new X509Certificate(link.raw));
    } catch {
      break;
    }
  }
  if (chain.length === 0) return tlsError("ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE", "the client sent no certificate");
  const now = Date.now();
  let current = chain[0]!; // the chain is not empty (checked above)
  for (let depth = 0; depth < 10; depth++) {
    if (!(Date.parse(current.validFrom) <= now && now <= Date.parse(current.validTo))) {
      return tlsError("CERT_HAS_EXPIRED", `certificate ${current.subject} is expired or not yet valid`);
    }
    for (const anchor of anchors) {
      if (current.checkIssued(anchor) && current.verify(anchor.publicKey)) return undefined;
    }
    const issuer = chain.find((candidate) => candidate !== current && candidate.ca && current.checkIssued(candidate) && current.verify(candidate.publicKey));
    if (issuer === undefined) break;
    current = issuer;
  }
  if (chain.length === 1 && chain[0]!.checkIssued(chain[0]!)) {
    return tlsError("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate");
  }
  return tlsError("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the client certificate against the trusted CA");
}
