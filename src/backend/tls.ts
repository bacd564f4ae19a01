/**
 * The TLS contract of a backend: the transport a TLS engine encrypts over, the options it
 * receives, and the raw TLS session it provides to `TLSStream`.
 *
 * @module
 */

/**
 * The plain byte transport that a TLS engine encrypts over, as the core hands it to
 * {@linkcode Backend.startTls}. The core runs both methods in the TLS stream's own cancel
 * scope, so the engine may call them from any callback; it cancels that scope to make a
 * pending call settle when the TLS stream is closed or unwrapped.
 *
 * @example
 * ```ts
 * import type { TlsTransport } from "@anyts/anyts";
 * const silent: TlsTransport = {
 *   read: () => Promise.resolve(null),
 *   write: () => Promise.resolve(),
 * };
 * ```
 */
export interface TlsTransport {
  /** The next chunk of encrypted bytes (1 to `maxBytes`), or `null` at end of stream. */
  read(maxBytes: number): Promise<Uint8Array | null>;
  /** Writes encrypted bytes; resolves once the transport has taken them. */
  write(data: Uint8Array): Promise<void>;
}

/**
 * The TLS settings a backend's engine receives, already validated by the core (which
 * turns the public `TLSOptions` into these).
 *
 * @example
 * ```ts
 * import type { TlsEngineOptions } from "@anyts/anyts";
 * const options: TlsEngineOptions = {
 *   serverSide: false,
 *   hostname: "example.com",
 *   verify: true,
 *   requestClientCertificate: false,
 *   signal: new AbortController().signal,
 * };
 * ```
 */
export interface TlsEngineOptions {
  /** `true` for the server side of the handshake. */
  readonly serverSide: boolean;
  /** Client side: the server's name, for SNI (unless an IP address) and the identity check. */
  readonly hostname?: string | undefined;
  /** PEM certificates trusted instead of the runtime's default roots. */
  readonly ca?: string | undefined;
  /** This side's PEM certificate chain. */
  readonly cert?: string | undefined;
  /** This side's PEM private key. */
  readonly key?: string | undefined;
  /** ALPN protocols, most preferred first. */
  readonly alpnProtocols?: readonly string[] | undefined;
  /**
   * Client side: verify the server's certificate chain and host name. Server side: reject
   * a client certificate that does not verify (when one is requested).
   */
  readonly verify: boolean;
  /** Server side: ask the client for a certificate (required when `verify` is true). */
  readonly requestClientCertificate: boolean;
  /** Aborting it abandons the handshake: the engine tears down and the promise rejects. */
  readonly signal: AbortSignal;
}

/**
 * What a TLS engine reports about its session once the handshake is done (the core turns
 * it into `TLSAttribute` values).
 *
 * @example
 * ```ts
 * import type { TlsSessionInfo } from "@anyts/anyts";
 * function describe(info: TlsSessionInfo): string {
 *   return `${info.tlsVersion} ${info.cipher.name} alpn=${info.alpnProtocol ?? "none"}`;
 * }
 * ```
 */
export interface TlsSessionInfo {
  /** The negotiated ALPN protocol, or `null`. */
  readonly alpnProtocol: string | null;
  /** The negotiated protocol version, such as `"TLSv1.3"`. */
  readonly tlsVersion: string;
  /** The negotiated cipher suite. */
  readonly cipher: { readonly name: string; readonly standardName?: string; readonly version: string; readonly bits?: number };
  /** The peer's certificate in the runtime's parsed form, or `null` when it sent none. */
  readonly peerCertificate: Record<string, unknown> | null;
  /** The peer's certificate in DER form, or `null` when it sent none. */
  readonly peerCertificateBinary: Uint8Array | null;
  /** The `tls-unique` channel binding (TLS 1.2 and older only), when available. */
  readonly channelBindingTlsUnique: Uint8Array | undefined;
}

/**
 * A TLS session over a {@linkcode TlsTransport}, as a backend provides it: pull-based
 * reads and writes of plaintext like {@linkcode RawSocket}. The core's `TLSStream` adds
 * the checkpoints, cancellation, busy checks and error mapping.
 *
 * Contract: at most one `read` and one `write` pending at a time; a `read` whose caller
 * was cancelled is kept by the core and its result handed to the next receive. The engine
 * reads the transport one TLS record at a time and stops right after the peer's
 * close_notify, so that `unwrap` can return the bytes that follow it. No engine callback
 * ever throws or emits an unhandled error: failures reject the next `read` or `write`.
 *
 * @example
 * ```ts
 * import type { RawTlsSocket } from "@anyts/anyts";
 * async function echoOnce(socket: RawTlsSocket) {
 *   const chunk = await socket.read(65536);
 *   if (chunk !== null) await socket.write(chunk);
 * }
 * ```
 */
export interface RawTlsSocket {
  /**
   * The next plaintext chunk of 1 to `maxBytes` bytes, or `null` at end of stream (see
   * {@linkcode RawTlsSocket.closeNotifyReceived} for whether it was a clean close).
   */
  read(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null>;
  /**
   * Optional fast path of `read` (the core tries it first when no read is pending): a
   * plaintext chunk of 1 to `maxBytes` bytes that is already decrypted, or `undefined`
   * when none is (then the core calls `read`). It never waits, never reports end of
   * stream or an error, and spares a receive the promise round of `read`.
   */
  tryRead?(maxBytes: number): Uint8Array<ArrayBuffer> | undefined;
  /** Encrypts and writes all of `data`; resolves when the transport has taken the records. */
  write(data: Uint8Array): Promise<void>;
  /** Sends close_notify (once); resolves when the transport has taken it. */
  closeWrite(): Promise<void>;
  /**
   * Sends close_notify (unless sent), waits for the peer's, stops using the transport and
   * resolves to the bytes read past the peer's close_notify.
   */
  unwrap(): Promise<Uint8Array>;
  /**
   * Tears the session down without close_notify; idempotent. Resolves once no transport
   * call of the engine is pending (the caller makes a pending call settle).
   */
  close(): Promise<void>;
  /** Whether the peer's close_notify arrived (a `null` read without it is a ragged EOF). */
  readonly closeNotifyReceived: boolean;
  /** The session's parameters, valid once `startTls` resolved. */
  readonly session: TlsSessionInfo;
  /** The runtime's own TLS object (a `tls.TLSSocket`). */
  readonly raw: unknown;
}
