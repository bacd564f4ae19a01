/**
 * The standard typed attribute sets: {@linkcode SocketAttribute} (answered by sockets,
 * listeners and everything that wraps them) and {@linkcode TLSAttribute} (answered by TLS
 * streams and their wrappers).
 *
 * @module
 */
import { type TypedAttribute, typedAttribute } from "./typed-attribute.ts";

/**
 * The address family of a socket: `"IPv4"` and `"IPv6"` as Node names them, `"unix"` for
 * Unix domain sockets.
 *
 * @example
 * ```ts
 * import type { SocketFamily } from "@anyts/anyts";
 * const family: SocketFamily = "IPv6";
 * ```
 */
export type SocketFamily = "IPv4" | "IPv6" | "unix";

/**
 * The attribute keys of {@linkcode SocketAttribute}.
 *
 * @example
 * ```ts
 * import { SocketAttribute, type SocketAttributeSet } from "@anyts/anyts";
 * const attributes: SocketAttributeSet = SocketAttribute;
 * ```
 */
export interface SocketAttributeSet {
  /** The address family of the socket. */
  readonly family: TypedAttribute<SocketFamily>;
  /** The local IP address (without the port) or, for a Unix socket, its path. */
  readonly localAddress: TypedAttribute<string>;
  /** The local port of an IP socket. Unix sockets do not provide it. */
  readonly localPort: TypedAttribute<number>;
  /** The remote IP address (without the port) or, for a Unix socket, its path. */
  readonly remoteAddress: TypedAttribute<string>;
  /** The remote port of a connected IP socket. Unix sockets and listeners do not provide it. */
  readonly remotePort: TypedAttribute<number>;
  /**
   * The runtime's own socket object (a node `net.Socket`, a Deno `Conn`, a Bun socket), for
   * what anyts does not cover. Its type depends on the backend.
   */
  readonly rawSocket: TypedAttribute<unknown>;
}

/**
 * Attributes of sockets, listeners and the streams that wrap them (as AnyIO's
 * `SocketAttribute`). Addresses are strings and ports are separate attributes.
 *
 * @example
 * ```ts
 * import { SocketAttribute, type TypedAttributeProvider } from "@anyts/anyts";
 * function describe(stream: TypedAttributeProvider): string {
 *   const host = stream.extra(SocketAttribute.remoteAddress, "?");
 *   const port = stream.extra(SocketAttribute.remotePort, undefined);
 *   return port === undefined ? host : `${host}:${port}`;
 * }
 * ```
 */
export const SocketAttribute: SocketAttributeSet = Object.freeze({
  family: typedAttribute<SocketFamily>("SocketAttribute.family"),
  localAddress: typedAttribute<string>("SocketAttribute.localAddress"),
  localPort: typedAttribute<number>("SocketAttribute.localPort"),
  remoteAddress: typedAttribute<string>("SocketAttribute.remoteAddress"),
  remotePort: typedAttribute<number>("SocketAttribute.remotePort"),
  rawSocket: typedAttribute<unknown>("SocketAttribute.rawSocket"),
});

/**
 * The cipher a TLS connection negotiated.
 *
 * @example
 * ```ts
 * import type { TLSCipher } from "@anyts/anyts";
 * const cipher: TLSCipher = { name: "TLS_AES_256_GCM_SHA384", version: "TLSv1.3" };
 * ```
 */
export interface TLSCipher {
  /** The cipher suite's name (OpenSSL's or IANA's, as the runtime reports it). */
  readonly name: string;
  /** The IANA name of the suite, when the runtime reports it. */
  readonly standardName?: string;
  /** The protocol version the suite belongs to, such as `"TLSv1.3"`. */
  readonly version: string;
  /** The secret bits of the cipher, when the runtime reports them. */
  readonly bits?: number;
}

/**
 * The attribute keys of {@linkcode TLSAttribute}.
 *
 * @example
 * ```ts
 * import { TLSAttribute, type TLSAttributeSet } from "@anyts/anyts";
 * const attributes: TLSAttributeSet = TLSAttribute;
 * ```
 */
export interface TLSAttributeSet {
  /** The ALPN protocol both sides agreed on, or `null` when none was negotiated. */
  readonly alpnProtocol: TypedAttribute<string | null>;
  /** The `tls-unique` channel binding (the first Finished message), when available. */
  readonly channelBindingTlsUnique: TypedAttribute<Uint8Array>;
  /** The negotiated cipher. */
  readonly cipher: TypedAttribute<TLSCipher>;
  /**
   * The peer's certificate as an object of its fields (subject, issuer, validity, ...:
   * the runtime's parsed form), or `null` when the peer sent none.
   */
  readonly peerCertificate: TypedAttribute<Record<string, unknown> | null>;
  /** The peer's certificate in DER form, or `null` when the peer sent none. */
  readonly peerCertificateBinary: TypedAttribute<Uint8Array | null>;
  /** `true` on the server side of the connection. */
  readonly serverSide: TypedAttribute<boolean>;
  /**
   * `true` if the stream sends (and expects) the closing TLS handshake (close_notify)
   * when it is closed.
   */
  readonly standardCompatible: TypedAttribute<boolean>;
  /** The negotiated protocol version, such as `"TLSv1.3"`. */
  readonly tlsVersion: TypedAttribute<string>;
  /** The runtime's own TLS object (a `tls.TLSSocket`, say), for what anyts does not cover. */
  readonly tlsObject: TypedAttribute<unknown>;
}

/**
 * Attributes of TLS streams and the streams that wrap them (as AnyIO's `TLSAttribute`).
 *
 * @example
 * ```ts
 * import { TLSAttribute, type TypedAttributeProvider } from "@anyts/anyts";
 * function protocol(stream: TypedAttributeProvider): string {
 *   return stream.extra(TLSAttribute.alpnProtocol, null) ?? "http/1.1";
 * }
 * ```
 */
export const TLSAttribute: TLSAttributeSet = Object.freeze({
  alpnProtocol: typedAttribute<string | null>("TLSAttribute.alpnProtocol"),
  channelBindingTlsUnique: typedAttribute<Uint8Array>("TLSAttribute.channelBindingTlsUnique"),
  cipher: typedAttribute<TLSCipher>("TLSAttribute.cipher"),
  peerCertificate: typedAttribute<Record<string, unknown> | null>("TLSAttribute.peerCertificate"),
  peerCertificateBinary: typedAttribute<Uint8Array | null>("TLSAttribute.peerCertificateBinary"),
  serverSide: typedAttribute<boolean>("TLSAttribute.serverSide"),
  standardCompatible: typedAttribute<boolean>("TLSAttribute.standardCompatible"),
  tlsVersion: typedAttribute<string>("TLSAttribute.tlsVersion"),
  tlsObject: typedAttribute<unknown>("TLSAttribute.tlsObject"),
});
