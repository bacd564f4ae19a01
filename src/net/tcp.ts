/**
 * TCP: {@linkcode connectTcp} (happy eyeballs, optional TLS) and
 * {@linkcode createTcpListener} (dual-stack, one port on every interface).
 *
 * @module
 */
import { currentScope } from "../core/cancel-scope.ts";
import { checkOptions } from "../core/options.ts";
import { Cancelled, ConnectionFailed } from "../core/errors.ts";
import type { TLSOptions, TLSStream } from "../streams/tls.ts";
import { checkTLSOptions } from "../streams/tls-options.ts";
import {
  ipLiteral,
  isAddressInUse,
  isAddressUnavailable,
  validateBacklog,
  validateBoolean,
  validateFamily,
  validateHost,
  validatePort,
} from "./address.ts";
import { resolveHost } from "./getaddrinfo.ts";
import { happyEyeballs, interleaveFamilies } from "./happy-eyeballs.ts";
import { MultiListener } from "./multi-listener.ts";
import { openCancellable } from "./open.ts";
import { SocketListener } from "./socket-listener.ts";
import { SocketStream } from "./socket-stream.ts";
import type { RawListener } from "../backend/index.ts";

/**
 * Options of {@linkcode connectTcp}.
 *
 * @example
 * ```ts
 * import type { ConnectTcpOptions } from "@anyts/anyts";
 * const options: ConnectTcpOptions = { localHost: "127.0.0.1", happyEyeballsDelay: 100 };
 * ```
 */
export interface ConnectTcpOptions {
  /** The local IP address (or host name) to connect from. */
  localHost?: string;
  /**
   * `true` or TLS options to do a TLS handshake on the connection and return a
   * {@linkcode TLSStream}; the server's certificate is checked against `host` unless the
   * options give another `hostname`.
   */
  tls?: boolean | TLSOptions;
  /**
   * Milliseconds to wait for a connection attempt before starting the next one in
   * parallel (RFC 8305's "Connection Attempt Delay"); default 250.
   */
  happyEyeballsDelay?: number;
}

/**
 * Connects to `host` (a host name or IP address) on `port` over TCP.
 *
 * A host name is resolved with the backend's resolver. The addresses are tried as RFC 8305
 * ("happy eyeballs") says: the resolver's first address first, then alternating address
 * families; each attempt gets `happyEyeballsDelay` milliseconds (default 250) before the
 * next one starts in parallel, and the next starts at once when one fails. The first
 * connection wins and every other attempt is cancelled (a late connection is closed). No
 * attempt outlives the call, and cancelling the caller cancels all of them.
 *
 * With `tls`, a TLS handshake follows on the connection, checking the server's certificate
 * for `host`, and the result is a {@linkcode TLSStream}.
 *
 * Throws {@linkcode ConnectionFailed} when the host does not resolve (`cause`: the
 * resolver's error) or every attempt fails (`errors`: every attempt's error, in the order
 * they happened); TypeError or RangeError for a bad argument.
 *
 * @example
 * ```ts
 * import { connectTcp, run } from "@anyts/anyts";
 * await run(async () => {
 *   await using stream = await connectTcp("localhost", 8080);
 *   await stream.send(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
 * });
 * ```
 */
export function connectTcp(
  host: string,
  port: number,
  options: ConnectTcpOptions & { tls: true | TLSOptions },
): Promise<TLSStream>;
/**
 * Connects to `host` on `port` over TCP, without TLS.
 *
 * @example
 * ```ts
 * import { connectTcp, run } from "@anyts/anyts";
 * await run(async () => {
 *   await using stream = await connectTcp("127.0.0.1", 8080);
 * });
 * ```
 */
export function connectTcp(host: string, port: number, options?: ConnectTcpOptions & { tls?: false }): Promise<SocketStream>;
/**
 * Connects to `host` on `port` over TCP, with TLS when `options.tls` says so.
 *
 * @example
 * ```ts
 * import { connectTcp, run } from "@anyts/anyts";
 * await run(async () => {
 *   const useTls: boolean = true;
 *   await using stream = await connectTcp("example.com", 443, { tls: useTls });
 * });
 * ```
 */
export function connectTcp(host: string, port: number, options?: ConnectTcpOptions): Promise<SocketStream | TLSStream>;
export async function connectTcp(
  host: string,
  port: number,
  options?: ConnectTcpOptions,
): Promise<SocketStream | TLSStream> {
  validateHost(host);
  validatePort(port);
  if (port === 0) throw new RangeError("port must be from 1 to 65535 to connect to, got 0");
  checkOptions(options, ["localHost", "tls", "happyEyeballsDelay"], "connectTcp");
  const delay = options?.happyEyeballsDelay ?? 250;
  if (typeof delay !== "number") throw new TypeError(`happyEyeballsDelay must be a number, got ${typeof delay}`);
  if (!(delay >= 0)) throw new RangeError(`happyEyeballsDelay must be a non-negative number, got ${delay}`);
  const tls = options?.tls ?? false;
  if (typeof tls !== "boolean" && (typeof tls !== "object" || tls === null)) {
    throw new TypeError(`tls must be a boolean or TLS options, got ${tls === null ? "null" : typeof tls}`);
  }
  // Bad TLS options fail before anything is connected.
  if (typeof tls === "object") checkTLSOptions({ hostname: host, ...tls }, "connectTcp");

  let family: 0 | 4 | 6 = 0;
  let localAddress: string | undefined;
  if (options?.localHost !== undefined) {
    validateHost(options.localHost, "localHost");
    const local = (await resolveHost(options.localHost, 0))[0]!;
    localAddress = local.address;
    family = local.family;
  }

  let targets;
  const literal = ipLiteral(host);
  if (literal !== undefined) targets = [literal];
  else {
    try {
      targets = interleaveFamilies(await resolveHost(host, family));
    } catch (error) {
      if (error instanceof Cancelled) throw error;
      throw new ConnectionFailed(host, port, [error]);
    }
  }
  const raw = await happyEyeballs(targets, port, { localHost: localAddress, delay, host });
  const stream = new SocketStream(raw);
  if (tls === false) return stream;

  try {
    const { TLSStream } = await import("../streams/tls.ts");
    return await TLSStream._wrap(stream, { hostname: host, ...(tls === true ? {} : tls) }, "connectTcp", true);
  } catch (error) {
    await stream.aclose();
    throw error;
  }
}

/**
 * Options of {@linkcode createTcpListener}.
 *
 * @example
 * ```ts
 * import type { CreateTcpListenerOptions } from "@anyts/anyts";
 * const options: CreateTcpListenerOptions = { localHost: "127.0.0.1", localPort: 8080, backlog: 128 };
 * ```
 */
export interface CreateTcpListenerOptions {
  /**
   * The IP address or host name to listen on (every address it resolves to). Omitted:
   * every interface, IPv6 (`::`) and IPv4 (`0.0.0.0`), as far as the system has them.
   */
  localHost?: string;
  /** The port; 0 (default) picks a free one, the same on every address. */
  localPort?: number;
  /** 4 or 6 to listen on that family only; 0 (default) for both. */
  family?: 0 | 4 | 6;
  /** The maximum number of connections waiting to be accepted (default and maximum 65536). */
  backlog?: number;
  /**
   * Let other sockets listen on the same address and port (SO_REUSEPORT; AnyIO's
   * `reuse_port`), where the runtime supports it. Default `false`.
   */
  reuseAddress?: boolean;
}

const MAX_BIND_ROUNDS = 10;

/**
 * Listens for TCP connections and returns a {@linkcode MultiListener} of one
 * {@linkcode SocketListener} per address, all on the same port.
 *
 * Without `localHost` it listens on every interface: on `::` (IPv6 only) and on
 * `0.0.0.0`, so IPv4 and IPv6 clients both connect (dual-stack); an address family the
 * system lacks is skipped. With `localPort` 0 (the default) the port the first socket got
 * is used for the others (retried with another port if it is taken for one of them).
 *
 * @example
 * ```ts
 * import { createTcpListener, run, SocketAttribute } from "@anyts/anyts";
 * await run(async () => {
 *   await using listener = await createTcpListener({ localHost: "127.0.0.1" });
 *   console.log(listener.extra(SocketAttribute.localPort)); // the port it got
 * });
 * ```
 */
export async function createTcpListener(options?: CreateTcpListenerOptions): Promise<MultiListener<SocketStream>> {
  checkOptions(options, ["localHost", "localPort", "family", "backlog", "reuseAddress"], "createTcpListener");
  const localPort = validatePort(options?.localPort ?? 0, "localPort");
  const family = validateFamily(options?.family ?? 0, "family");
  const backlog = validateBacklog(options?.backlog ?? 65536);
  const reuseAddress = validateBoolean(options?.reuseAddress ?? false, "reuseAddress");
  const localHost = options?.localHost;
  const scope = currentScope();
  const backend = scope._backend;

  let hosts: string[];
  const wildcard = localHost === undefined;
  if (wildcard) {
    hosts = [];
    // "::" first: a backend that must emulate IPV6_V6ONLY (Deno) shares its socket.
    if (family !== 4) hosts.push("::");
    if (family !== 6) hosts.push("0.0.0.0");
  } else {
    validateHost(localHost, "localHost");
    hosts = (await resolveHost(localHost, family)).map((entry) => entry.address);
  }

  const errors: unknown[] = [];
  for (let round = 0; round < MAX_BIND_ROUNDS; round++) {
    const listeners: RawListener[] = [];
    let port = localPort;
    let unavailable: unknown = undefined;
    try {
      for (const host of hosts) {
        let listener: RawListener;
        try {
          listener = await openCancellable(
            () => backend.listenTcp({ host, port, backlog, reuseAddress, ipv6Only: host.includes(":") }),
            (late) => late.close(),
            scope,
            "createTcpListener",
          );
        } catch (error) {
          // A wildcard address of a family the system lacks (no IPv6, say) is skipped.
          if (wildcard && hosts.length > 1 && isAddressUnavailable(error)) {
            unavailable ??= error;
            continue;
          }
          throw error;
        }
        listeners.push(listener);
        if (port === 0) port = listener.info.localPort ?? 0;
      }
      if (listeners.length === 0) throw unavailable;
      return new MultiListener(listeners.map((listener) => new SocketListener(listener)));
    } catch (error) {
      // Released before the next round binds (or before the caller retries).
      await Promise.all(listeners.map(async (listener) => {
        try {
          await listener.close();
        } catch {
          // closing never fails the bind's error
        }
      }));
      // The free port of the first socket was taken on another address: try another port.
      if (localPort === 0 && listeners.length > 0 && isAddressInUse(error)) {
        errors.push(error);
        hosts.push(hosts.shift()!);
        continue;
      }
      throw error;
    }
  }
  throw new AggregateError(errors, `could not listen on ${hosts.join(", ")} with one port for all`);
}
