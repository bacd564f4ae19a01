/**
 * The options of {@linkcode TLSStream.wrap} and `TLSListener`, and their validation: what
 * the public {@linkcode TLSOptions} become before any transport is touched.
 *
 * @module
 */
import type { TlsEngineOptions } from "../backend/index.ts";
import { checkOptions } from "../core/options.ts";
import { validateDuration } from "../core/time.ts";

/**
 * Options of {@linkcode TLSStream.wrap} and {@linkcode TLSListener}. Certificates and keys
 * are PEM strings.
 *
 * - Client side (the default): `hostname` is the server's name (or IP address), sent as
 *   SNI and checked against its certificate. The certificate chain is verified against
 *   the runtime's trusted roots, or against `ca` when given. `verify: false` turns both
 *   checks off (then `hostname` may be omitted). `cert` and `key` present a client
 *   certificate when the server asks for one.
 * - Server side (`serverSide: true`): `cert` and `key` are required. With `ca`, the server
 *   requests a client certificate and requires one that `ca` signed (`verify: false`:
 *   requested, but anything or nothing is accepted). `hostname` does not apply.
 * - `alpnProtocols`: the ALPN protocols, most preferred first; the server picks. If the
 *   two sides share none, the handshake fails (RFC 7301).
 * - `standardCompatible` (default `true`): `aclose()` sends close_notify, and a transport
 *   that ends without the peer's close_notify (a "ragged EOF", which can hide a
 *   truncation attack) makes `receive()` throw {@linkcode BrokenResourceError}; with
 *   `false` a ragged EOF is an ordinary end of stream (for protocols that frame their own
 *   messages, such as HTTP with Content-Length), and `connectTcp` and `TLSListener` may
 *   use the runtime's native TLS (see {@linkcode TLSStream}).
 * - `handshakeTimeout` (milliseconds): `wrap` fails with {@linkcode TimeoutError} when the
 *   handshake takes longer. No limit by default for `wrap`; 30 000 ms for
 *   {@linkcode TLSListener}.
 *
 * Conflicting or malformed options throw a `TypeError` (a negative or NaN
 * `handshakeTimeout` a `RangeError`) that names them.
 *
 * @example
 * ```ts
 * import type { TLSOptions } from "@anyts/anyts";
 * const client: TLSOptions = { hostname: "example.com", alpnProtocols: ["h2", "http/1.1"] };
 * const server: TLSOptions = { serverSide: true, cert: "-----BEGIN CERTIFICATE-----...", key: "-----BEGIN PRIVATE KEY-----..." };
 * ```
 */
export interface TLSOptions {
  /** `true` for the server side of the handshake; default `false` (client). */
  serverSide?: boolean | undefined;
  /** Client side: the server's host name or IP address, for SNI and verification. */
  hostname?: string | undefined;
  /** PEM certificates to trust instead of the runtime's default roots (client side), or to verify client certificates with (server side). */
  ca?: string | undefined;
  /** This side's PEM certificate chain (required on the server side). */
  cert?: string | undefined;
  /** This side's PEM private key (required with `cert`). */
  key?: string | undefined;
  /** ALPN protocol names, most preferred first. */
  alpnProtocols?: readonly string[] | undefined;
  /** Verify the peer's certificate (and, client side, host name); default `true`. */
  verify?: boolean | undefined;
  /** Send and require close_notify; default `true`. */
  standardCompatible?: boolean | undefined;
  /** A time limit for the handshake, in milliseconds. */
  handshakeTimeout?: number | undefined;
}

/** The default handshake time limit of {@linkcode TLSListener}, in milliseconds (as AnyIO). */
export const LISTENER_HANDSHAKE_TIMEOUT = 30_000;

/** @internal The keys of {@linkcode TLSOptions}. */
export const TLS_OPTION_NAMES: readonly (keyof TLSOptions)[] = [
  "serverSide",
  "hostname",
  "ca",
  "cert",
  "key",
  "alpnProtocols",
  "verify",
  "standardCompatible",
  "handshakeTimeout",
];

/** @ignore Validated options: what the engine gets, plus the core's own settings. */
export interface CheckedTLSOptions {
  engine: Omit<TlsEngineOptions, "signal">;
  standardCompatible: boolean;
  handshakeTimeout: number | undefined;
}

/** @internal What `value` is, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

function checkPem(options: TLSOptions, name: "ca" | "cert" | "key", where: string): string | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new TypeError(`${where}: ${name} must be a PEM string, got ${describe(value)}`);
  if (!value.includes("-----BEGIN ")) throw new TypeError(`${where}: ${name} must be a PEM string (no "-----BEGIN" line found)`);
  return value;
}

function checkBoolean(options: TLSOptions, name: "serverSide" | "verify" | "standardCompatible", where: string, fallback: boolean): boolean {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new TypeError(`${where}: ${name} must be a boolean, got ${describe(value)}`);
  return value;
}

/** @ignore Checks TLS options; throws TypeError (RangeError for a bad duration) naming them. */
export function checkTLSOptions(options: TLSOptions | undefined, where: string): CheckedTLSOptions {
  options = checkOptions(options, TLS_OPTION_NAMES, `${where}: TLS`);
  const serverSide = checkBoolean(options, "serverSide", where, false);
  const verify = checkBoolean(options, "verify", where, true);
  const standardCompatible = checkBoolean(options, "standardCompatible", where, true);
  const ca = checkPem(options, "ca", where);
  const cert = checkPem(options, "cert", where);
  const key = checkPem(options, "key", where);
  const hostname = options.hostname;
  if (hostname !== undefined && (typeof hostname !== "string" || hostname === "")) {
    throw new TypeError(`${where}: hostname must be a non-empty string, got ${hostname === "" ? '""' : describe(hostname)}`);
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new TypeError(`${where}: cert and key must be given together (got ${cert === undefined ? "key without cert" : "cert without key"})`);
  }
  if (serverSide) {
    if (cert === undefined) throw new TypeError(`${where}: serverSide: true needs cert and key`);
    if (hostname !== undefined) {
      throw new TypeError(`${where}: hostname is for the client side; it conflicts with serverSide: true`);
    }
  } else if (verify && hostname === undefined) {
    throw new TypeError(`${where}: the client side needs hostname to verify the server's certificate (or verify: false)`);
  }
  let alpnProtocols: string[] | undefined = undefined;
  if (options.alpnProtocols !== undefined) {
    const list = options.alpnProtocols as unknown;
    if (!Array.isArray(list) || list.length === 0) {
      throw new TypeError(`${where}: alpnProtocols must be a non-empty array of protocol names, got ${Array.isArray(list) ? "[]" : describe(list)}`);
    }
    for (const name of list) {
      if (typeof name !== "string" || name === "" || new TextEncoder().encode(name).length > 255) {
        throw new TypeError(`${where}: alpnProtocols must hold non-empty strings of at most 255 bytes, got ${typeof name === "string" ? JSON.stringify(name) : describe(name)}`);
      }
    }
    alpnProtocols = [...list];
  }
  let handshakeTimeout: number | undefined = undefined;
  if (options.handshakeTimeout !== undefined) {
    validateDuration(options.handshakeTimeout, `${where}: handshakeTimeout`);
    handshakeTimeout = options.handshakeTimeout;
  }
  return {
    engine: {
      serverSide,
      hostname,
      ca,
      cert,
      key,
      alpnProtocols,
      verify,
      requestClientCertificate: serverSide && ca !== undefined,
    },
    standardCompatible,
    handshakeTimeout,
  };
}

/** Runs `fn` in `scope` (the stream's own scope for its background transport calls). */
