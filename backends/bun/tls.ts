/**
 * The Bun adapter's native TLS (`Backend.upgradeTls`): Bun's own TLS (BoringSSL inside
 * Bun's socket layer, no JavaScript between the two) on a fresh Bun TCP socket, through
 * `socket.upgradeTLS`. The core uses it only with `standardCompatible: false`, since Bun
 * cannot tell a close_notify from a ragged EOF: `closeNotifyReceived` is true at any end.
 *
 * Facts about Bun 1.4.5 this file relies on (checked by experiment, see
 * tests/net/bun-backend.test.ts):
 * - `socket.upgradeTLS({ isServer, tls, data, socket: handlers })` returns `[raw, tls]`
 *   and starts reading, also on a socket that was paused (it resumes it). The TLS handlers
 *   get `handshake(tls, success, authorizationError)`, `data` (a fresh `Uint8Array` per
 *   call with `binaryType: "uint8array"`), `drain`, `end`, `close(tls, error)`, `error`.
 * - The original handlers of the socket still get its events afterwards (`data` with the
 *   ciphertext, `close`), with the socket's old `data`: its owner must ignore them.
 * - `tls.ALPNProtocols` takes the wire format (length-prefixed names) as a string or an
 *   `ArrayBuffer`, not an array; `alpnProtocol` is `false` when none was agreed.
 * - Client side: `authorizationError` reports a chain that does not verify also with
 *   `rejectUnauthorized: false`. Bun's own host name check uses `serverName`, or the
 *   peer's address when there is none; when it fails, `success` is false even with
 *   `rejectUnauthorized: false`, though the handshake completed and the connection stays
 *   open (`authorizationError` then names the first problem: the chain, else the name).
 *   A peer that disconnects mid-handshake also gives `success` false (ECONNRESET). So a
 *   handshake counts as done when `success` is true or the error is a certificate
 *   verdict (an X509 verify code or the name check's), and this file checks the identity
 *   itself (`checkServerIdentity` of tls-engine.ts, as the node engine does).
 * - Server side with `requestCert` and `rejectUnauthorized`, a missing or unverifiable
 *   client certificate fails the handshake (`success` false). Without `requestCert`,
 *   `authorizationError` is set anyway (no client certificate): it means nothing there.
 * - `tls.write(data, offset, length)` returns how many bytes it took (fewer when the
 *   kernel's buffer is full: the rest is resent on `drain`). `tls.shutdown()` sends close_notify and keeps reading
 *   (TLS half-close works both ways); `end` fires on the peer's close_notify or FIN.
 * - `tls.close()` closes the connection with a FIN and no close_notify; `terminate()`
 *   resets it; `end()` sends close_notify first.
 * - `tls.pause()` / `tls.resume()` stop and restart reading from the kernel.
 * - `getTLSVersion()`, `getCipher()` (`{ name, standardName, version }`),
 *   `getPeerCertificate(true).raw` (DER), `getTLSFinishedMessage()` and
 *   `getTLSPeerFinishedMessage()` (TLS 1.2 only), `isSessionReused()`.
 *
 * @module
 */
import type { RawTlsSocket, TlsEngineOptions, TlsSessionInfo } from "../../src/backend/index.ts";
import { isIP } from "node:net";
import { ChunkQueue, type PendingWrite, type Waiter, writeRest } from "../shared/bun-io.ts";
import { checkServerIdentity } from "../shared/tls-engine.ts";

// ---------------------------------------------------------------------------------------
// The subset of Bun's API used here (Bun's type definitions are not a dependency).

interface BunTlsOptions {
  cert?: string;
  key?: string;
  ca?: string;
  serverName?: string;
  requestCert?: boolean;
  rejectUnauthorized: boolean;
  ALPNProtocols?: ArrayBuffer;
}

interface BunTlsHandler {
  binaryType: "uint8array";
  handshake(socket: BunTlsSocket, success: boolean, authorizationError: Error | null): void;
  data(socket: BunTlsSocket, chunk: Uint8Array<ArrayBuffer>): void;
  drain(socket: BunTlsSocket): void;
  end(socket: BunTlsSocket): void;
  close(socket: BunTlsSocket, error?: Error): void;
  error(socket: BunTlsSocket, error: Error): void;
}

/** A Bun TCP socket that can be upgraded (what backends/bun/net.ts hands over). */
export interface BunUpgradableSocket {
  upgradeTLS(options: {
    isServer: boolean;
    tls: BunTlsOptions;
    data: BunTlsSession;
    socket: BunTlsHandler;
  }): [raw: unknown, tls: BunTlsSocket];
  end(): void;
}

interface BunPeerCertificate {
  raw?: Uint8Array;
  subjectaltname?: string;
  subject?: unknown;
  [key: string]: unknown;
}

interface BunTlsSocket {
  data: BunTlsSession | undefined;
  unref?(): void;
  write(data: Uint8Array, byteOffset?: number, byteLength?: number): number;
  shutdown(): void;
  close(): void;
  pause(): void;
  resume(): void;
  readonly alpnProtocol: string | false | null | undefined;
  getTLSVersion(): string | null | undefined;
  getCipher(): { name?: string | null; standardName?: string | null; version?: string | null } | null | undefined;
  getPeerCertificate(detailed?: boolean): BunPeerCertificate | null | undefined;
  getTLSFinishedMessage?(): Uint8Array | null | undefined;
  getTLSPeerFinishedMessage?(): Uint8Array | null | undefined;
  isSessionReused?(): boolean;
}

// ---------------------------------------------------------------------------------------

const resolved: Promise<void> = Promise.resolve();
const noop = () => {};

function tlsError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function closedError(): Error {
  return tlsError("ERR_SOCKET_CLOSED", "the TLS session is closed");
}

/** ALPN protocol names in the wire format Bun takes: each name prefixed by its length. */
function alpnWire(protocols: readonly string[]): ArrayBuffer {
  const names = protocols.map((name) => new TextEncoder().encode(name));
  const wire = new Uint8Array(names.reduce((size, name) => size + 1 + name.length, 0));
  let offset = 0;
  for (const name of names) {
    wire[offset++] = name.length;
    wire.set(name, offset);
    offset += name.length;
  }
  return wire.buffer;
}

/** A plain `Uint8Array` view of Bun's Buffer (without a copy). */
function plainBytes(data: Uint8Array | null | undefined): Uint8Array | undefined {
  if (data === null || data === undefined || data.length === 0) return undefined;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Whether a parsed certificate is really one (Bun gives `{}` or null when there is none). */
function isCertificate(certificate: BunPeerCertificate | null | undefined): certificate is BunPeerCertificate {
  return certificate !== null && certificate !== undefined && Object.keys(certificate).length !== 0;
}

/**
 * Hands `socket` (a fresh, connected Bun TCP socket that nobody reads) to Bun's TLS and
 * resolves once the handshake is done and the peer verified; see the module
 * documentation. On failure or when `options.signal` aborts, the socket is closed and the
 * promise rejects. This is the Bun adapter's `Backend.upgradeTls` behind its checks.
 *
 * @example
 * ```ts
 * declare function startBunTls(socket: unknown, options: object): Promise<unknown>; // this function
 * declare const socket: unknown; // from Bun.connect, nothing read from it yet
 * const session = await startBunTls(socket, {
 *   serverSide: false,
 *   hostname: "example.com",
 *   verify: true,
 *   requestClientCertificate: false,
 *   signal: new AbortController().signal,
 * });
 * ```
 */
export function startBunTls(socket: BunUpgradableSocket, options: TlsEngineOptions): Promise<RawTlsSocket> {
  const session = new BunTlsSession(options);
  return session._start(socket);
}

/** One handler object for every session: the state lives in `tls.data`. */
const tlsHandler: BunTlsHandler = {
  binaryType: "uint8array",
  handshake(socket, success, authorizationError) {
    socket.data?._onHandshake(socket, success, authorizationError);
  },
  data(socket, chunk) {
    socket.data?._onData(chunk);
  },
  drain(socket) {
    socket.data?._onDrain();
  },
  end(socket) {
    socket.data?._onEnd();
  },
  close(socket, error) {
    socket.data?._onClose(error);
  },
  error(socket, error) {
    // Bun calls this for a TLS failure (or a handler that throws: ours do not); `close`
    // follows.
    socket.data?._onError(error);
  },
};

/** @ignore A TLS session on Bun's native TLS; see the module documentation. */
export class BunTlsSession implements RawTlsSocket {
  /** @ignore */
  _options: TlsEngineOptions;
  /** @ignore Bun's TLS socket (set by `upgradeTLS`). */
  _tls: BunTlsSocket | undefined = undefined;

  /** Unread plaintext, and the read waiting for it. */
  readonly #input = new ChunkQueue(
    () => this._tls?.pause(),
    () => {
      if (!this.#gone) this._tls?.resume();
    },
  );
  /** The peer's close_notify or FIN arrived. */
  #ended = false;
  /** The first error; every later read and write rejects with it. */
  #error: unknown = undefined;

  #writer: PendingWrite | null = null;
  /** The write in flight (its promise), for closeWrite to wait on. */
  #writing: Promise<void> | undefined = undefined;
  #closeWrite: Promise<void> | undefined = undefined;
  /** close() was called (or the handshake failed). */
  #closed = false;
  /** Bun reported the socket closed. */
  #gone = false;

  /** Settles the handshake: set until it has. */
  #handshake: Waiter<RawTlsSocket> | null = null;

  constructor(options: TlsEngineOptions) {
    this._options = options;
  }

  // ------------------------------------------------------------------ handshake

  /** @ignore Upgrades `socket`; resolves once the handshake is done and verified. */
  _start(socket: BunUpgradableSocket): Promise<RawTlsSocket> {
    const options = this._options;
    const signal = options.signal;
    if (signal.aborted) {
      socket.end();
      return Promise.reject(signal.reason ?? new Error("the TLS handshake was aborted"));
    }
    const tls: BunTlsOptions = { rejectUnauthorized: false };
    if (options.cert !== undefined) tls.cert = options.cert;
    if (options.key !== undefined) tls.key = options.key;
    if (options.ca !== undefined) tls.ca = options.ca;
    if (options.alpnProtocols !== undefined && options.alpnProtocols.length !== 0) {
      tls.ALPNProtocols = alpnWire(options.alpnProtocols);
    }
    if (options.serverSide) {
      tls.requestCert = options.requestClientCertificate;
      tls.rejectUnauthorized = options.requestClientCertificate && options.verify;
    } else {
      // SNI carries names only (RFC 6066). The chain is verified by Bun (reported in
      // `authorizationError`), the host name or IP address here, in _verify.
      const hostname = options.hostname;
      if (hostname !== undefined && isIP(hostname) === 0) tls.serverName = hostname;
    }
    return new Promise<RawTlsSocket>((resolve, reject) => {
      const onAbort = () => this._failHandshake(signal.reason ?? new Error("the TLS handshake was aborted"));
      this.#handshake = {
        resolve: (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        const [, tlsSocket] = socket.upgradeTLS({ isServer: options.serverSide, tls, data: this, socket: tlsHandler });
        this._tls ??= tlsSocket;
      } catch (error) {
        // Bad options (a key that does not parse): the socket is still the plain one.
        socket.end();
        this.#closed = true;
        this.#settleHandshake(error);
      }
    });
  }

  /** @ignore Bun's `handshake` event. */
  _onHandshake(socket: BunTlsSocket, success: boolean, authorizationError: Error | null): void {
    this._tls ??= socket;
    if (this.#handshake === null) return; // a renegotiation
    // `success` is false also after a complete handshake whose peer Bun does not accept
    // (its own host name check fails even with rejectUnauthorized: false): then the error
    // is a certificate verdict, not a failure of the handshake (EPROTO, ECONNRESET). A
    // server that requires a verified client certificate trusts Bun's verdict as it is.
    const options = this._options;
    const strict = options.serverSide && options.requestClientCertificate && options.verify;
    const completed = success || (!strict && isCertificateVerdict(authorizationError));
    const failure = completed
      ? this.#verify(socket, authorizationError)
      : authorizationError ?? new Error("the TLS handshake failed");
    if (failure !== undefined) this._failHandshake(failure);
    else this.#settleHandshake(undefined);
  }

  /** The error that rejects the peer, or undefined (the handshake itself succeeded). */
  #verify(socket: BunTlsSocket, authorizationError: Error | null): unknown {
    const options = this._options;
    if (!options.verify) return undefined;
    if (options.serverSide) {
      if (!options.requestClientCertificate) return undefined;
      // Bun rejects these itself (rejectUnauthorized); checked again in case it did not.
      if (!isCertificate(peerCertificateOf(socket))) {
        return tlsError("ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE", "the client sent no certificate");
      }
      return authorizationError ?? undefined;
    }
    // Bun's own host name check (on `serverName` or the peer's address) is not the one
    // wanted: the identity is checked below, on `hostname`.
    if (authorizationError != null && (authorizationError as { code?: unknown }).code !== "ERR_TLS_CERT_ALTNAME_INVALID") {
      return authorizationError;
    }
    const certificate = peerCertificateOf(socket);
    if (!isCertificate(certificate)) return tlsError("ERR_TLS_NO_PEER_CERTIFICATE", "the server sent no certificate");
    const hostname = options.hostname;
    if (hostname === undefined) return undefined; // the core requires it with verify
    try {
      return checkServerIdentity(hostname, certificate as unknown as Parameters<typeof checkServerIdentity>[1]);
    } catch (error) {
      return error;
    }
  }

  /** @ignore Ends a handshake that failed or was abandoned: closes the socket, rejects. */
  _failHandshake(error: unknown): void {
    if (this.#handshake === null) return;
    this.#record(error);
    this.#closeSocket();
    this.#closed = true;
    this.#settleHandshake(error);
  }

  #settleHandshake(error: unknown): void {
    const handshake = this.#handshake;
    if (handshake === null) return;
    this.#handshake = null;
    if (error === undefined) handshake.resolve(this);
    else handshake.reject(error);
  }

  // ------------------------------------------------------------------ Bun's events

  /** @ignore */
  _onData(chunk: Uint8Array<ArrayBuffer>): void {
    if (this.#closed || chunk.length === 0) return;
    this.#input.arrive(chunk);
  }

  /** @ignore */
  _onDrain(): void {
    const writer = this.#writer;
    const tls = this._tls;
    if (writer === null || tls === undefined) return;
    const outcome = writeRest(writer, tls);
    if (outcome === "more") return;
    this.#writer = null;
    if (outcome === "done") writer.resolve();
    else writer.reject(this.#writeError());
  }

  /** @ignore The peer's close_notify or FIN. */
  _onEnd(): void {
    this.#ended = true;
    if (this.#handshake !== null) {
      this._failHandshake(tlsError("ECONNRESET", "the peer closed the connection during the TLS handshake"));
      return;
    }
    this.#wakeReader();
    // Nothing more is read: as on Node and Deno, the socket no longer keeps the process
    // alive (a stream left unclosed must not hang a program that is done).
    if (this.#writer === null) {
      try {
        this._tls?.unref?.();
      } catch {
        // closed meanwhile
      }
    }
  }

  /** @ignore */
  _onError(error: Error): void {
    this.#record(error);
    if (this.#handshake !== null) this._failHandshake(error);
    else this.#wakeReader();
  }

  /** @ignore Bun closed the socket (with the error of a reset, if any). */
  _onClose(error: Error | undefined): void {
    if (this.#gone) return;
    this.#gone = true;
    if (error != null && !this.#ended) this.#record(error);
    else this.#ended = true;
    if (this.#handshake !== null) {
      this._failHandshake(
        this.#error ?? tlsError("ECONNRESET", "the peer closed the connection during the TLS handshake"),
      );
      return;
    }
    this.#wakeReader();
    const writer = this.#writer;
    if (writer !== null) {
      this.#writer = null;
      writer.reject(this.#writeError());
    }
  }

  // ------------------------------------------------------------------ RawTlsSocket

  /** The next plaintext chunk (1 to `maxBytes` bytes), or `null` at end of stream. */
  read(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
    if (this.#input.queued > 0) return Promise.resolve(this.#input.take(maxBytes));
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#closed) return Promise.reject(closedError());
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#input.reader = { resolve, reject, maxBytes };
    });
  }

  /** A plaintext chunk (1 to `maxBytes` bytes) already decrypted, or undefined: no waiting. */
  tryRead(maxBytes: number): Uint8Array<ArrayBuffer> | undefined {
    return this.#input.queued > 0 ? this.#input.take(maxBytes) : undefined;
  }

  #wakeReader(): void {
    const input = this.#input;
    const reader = input.reader;
    if (reader === null || input.queued > 0) return;
    input.reader = null;
    if (this.#error !== undefined) reader.reject(this.#error);
    else if (this.#closed) reader.reject(closedError());
    else reader.resolve(null);
  }

  /** Encrypts and writes `data`; resolves when Bun has taken every byte. */
  write(data: Uint8Array): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#closed) return Promise.reject(closedError());
    if (this.#closeWrite !== undefined) {
      return Promise.reject(tlsError("ERR_STREAM_WRITE_AFTER_END", "close_notify was sent already"));
    }
    if (this.#gone || this._tls === undefined) return Promise.reject(this.#writeError());
    if (data.length === 0) return resolved;
    const taken = this._tls.write(data, 0, data.length);
    if (taken === data.length) return resolved;
    if (taken < 0) return Promise.reject(this.#writeError());
    const writing = new Promise<void>((resolve, reject) => {
      this.#writer = { data, offset: taken, resolve, reject };
    });
    this.#writing = writing;
    return writing;
  }

  #writeError(): unknown {
    if (this.#error !== undefined) return this.#error;
    if (this.#closed) return closedError();
    return Object.assign(new Error("write EPIPE: broken pipe"), { code: "EPIPE", syscall: "write" });
  }

  /** Sends close_notify once (after a pending write); resolves when Bun has taken it. */
  closeWrite(): Promise<void> {
    if (this.#closeWrite === undefined) {
      if (this.#error !== undefined) return Promise.reject(this.#error);
      if (this.#closed) return Promise.reject(closedError());
      const pending = this.#writer !== null ? this.#writing : undefined;
      this.#closeWrite = (pending === undefined ? resolved : pending.catch(noop)).then(() => {
        if (this.#error !== undefined) throw this.#error;
        if (this.#closed) throw closedError();
        if (!this.#gone) this._tls?.shutdown();
      });
    }
    return this.#closeWrite;
  }

  /** Unsupported on the runtime's native TLS: rejects. */
  unwrap(): Promise<Uint8Array> {
    return Promise.reject(
      tlsError("ERR_TLS_NATIVE_UNWRAP", "unwrap() is not supported on the runtime's native TLS socket"),
    );
  }

  /** Closes the connection without close_notify; idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#closeSocket();
      this.#input.clear();
      this.#wakeReader();
      const writer = this.#writer;
      if (writer !== null) {
        this.#writer = null;
        writer.reject(closedError());
      }
      if (this.#handshake !== null) this.#settleHandshake(closedError());
    }
    return resolved;
  }

  #closeSocket(): void {
    if (this.#gone) return;
    try {
      this._tls?.close(); // a FIN, no close_notify
    } catch {
      // already closed
    }
  }

  /** True: Bun's TLS cannot tell a close_notify from a ragged EOF. */
  get closeNotifyReceived(): boolean {
    return true;
  }

  /** The session's parameters. */
  get session(): TlsSessionInfo {
    const tls = this._tls!;
    const serverSide = this._options.serverSide;
    const version = safely(() => tls.getTLSVersion()) ?? "unknown";
    const alpn = safely(() => tls.alpnProtocol);
    return {
      alpnProtocol: typeof alpn === "string" ? alpn : null,
      tlsVersion: version,
      cipher: cipherOf(tls, version),
      get peerCertificate() {
        const certificate = peerCertificateOf(tls, false);
        return isCertificate(certificate) ? certificate : null;
      },
      get peerCertificateBinary() {
        return plainBytes(peerCertificateOf(tls)?.raw) ?? null;
      },
      get channelBindingTlsUnique() {
        return tlsUniqueOf(tls, version, serverSide);
      },
    };
  }

  /** Bun's TLS socket. */
  get raw(): unknown {
    return this._tls;
  }

  // ------------------------------------------------------------------ plumbing

  /** Records the first error. */
  #record(error: unknown): void {
    if (this.#error === undefined && !this.#closed) this.#error = error ?? new Error("TLS failure");
  }
}

/**
 * Whether `error` is a certificate verification result (an OpenSSL X509 verify code, or
 * the host name check's) rather than a failed handshake.
 */
function isCertificateVerdict(error: Error | null): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (
    code === "ERR_TLS_CERT_ALTNAME_INVALID" ||
    /^(UNABLE_TO_|CERT_|CRL_|ERROR_IN_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|INVALID_|PATH_LENGTH_EXCEEDED$|HOSTNAME_MISMATCH$)/.test(code)
  );
}

function safely<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

function peerCertificateOf(tls: BunTlsSocket, detailed = true): BunPeerCertificate | null | undefined {
  return safely(() => tls.getPeerCertificate(detailed));
}

function cipherOf(tls: BunTlsSocket, version: string): TlsSessionInfo["cipher"] {
  const cipher = safely(() => tls.getCipher());
  if (!cipher || typeof cipher.name !== "string") return { name: "unknown", version };
  const result: { name: string; standardName?: string; version: string } = {
    name: cipher.name,
    version: typeof cipher.version === "string" ? cipher.version : version,
  };
  if (typeof cipher.standardName === "string") result.standardName = cipher.standardName;
  return result;
}

function tlsUniqueOf(tls: BunTlsSocket, version: string, serverSide: boolean): Uint8Array | undefined {
  // tls-unique (RFC 5929) is the first Finished message of the latest handshake: the
  // client's in a full handshake, the server's in a resumed one. TLS 1.3 does not define it.
  if (version === "TLSv1.3") return undefined;
  const clientSent = safely(() => tls.isSessionReused?.()) !== true;
  const finished = safely(() => (clientSent !== serverSide ? tls.getTLSFinishedMessage?.() : tls.getTLSPeerFinishedMessage?.()));
  return plainBytes(finished);
}
