/**
 * The Backend interface that each runtime adapter in `backends/` implements, runtime
 * detection, and the registry that loads adapters lazily (a runtime never parses another
 * runtime's adapter).
 *
 * @module
 */

/** The name of a runtime adapter. */
export type BackendName = "node" | "deno" | "bun";

/** The JavaScript runtime executing this code. */
export type RuntimeName = BackendName | "unknown";

/** An opaque timer handle returned by {@linkcode Backend.setTimer}. */
export type TimerHandle = unknown;

/**
 * Where a socket is, as a backend reports it (the core turns this into
 * `SocketAttribute` values).
 *
 * @example
 * ```ts
 * import type { SocketInfo } from "@anyts/anyts";
 * const info: SocketInfo = { family: "IPv4", localAddress: "127.0.0.1", localPort: 8080 };
 * ```
 */
export interface SocketInfo {
  /** The address family. */
  readonly family: "IPv4" | "IPv6" | "unix";
  /** The local IP address (no port), or the path of a Unix socket ("" if unnamed). */
  readonly localAddress: string;
  /** The local port of an IP socket. */
  readonly localPort?: number;
  /** The peer's IP address, or the path of a Unix socket, when connected. */
  readonly remoteAddress?: string;
  /** The peer's port, when connected over IP. */
  readonly remotePort?: number;
}

/**
 * A connected socket as a backend provides it: pull-based reads and writes that resolve
 * once the runtime has taken every byte. The core's `SocketStream` adds, once for every
 * backend, the checkpoints, cancellation, busy checks and error mapping; a backend only
 * moves bytes with its runtime's fastest API.
 *
 * Contract: at most one `read` and one `write` are pending at a time. A `read` whose
 * caller was cancelled is not abandoned: the core keeps its promise and hands its result
 * to the next receive. `write` must never let the runtime buffer without bound (resolve
 * only when the runtime accepted the bytes: Bun's `write` may take part of them, Deno's
 * `write` may be partial). Errors are the runtime's own; the core maps them.
 *
 * @example
 * ```ts
 * import type { RawSocket } from "@anyts/anyts";
 * async function echoOnce(socket: RawSocket) {
 *   const chunk = await socket.read(65536);
 *   if (chunk !== null) await socket.write(chunk);
 * }
 * ```
 */
export interface RawSocket {
  /**
   * The next chunk of 1 to `maxBytes` bytes, or `null` at end of stream. The caller owns
   * the chunk (the runtime must not reuse its memory); a plain `Uint8Array` is preferred
   * to a Node `Buffer`, whose `slice` does not copy.
   */
  read(maxBytes: number): Promise<Uint8Array | null>;
  /** Writes all of `data`; resolves when the runtime has taken every byte. */
  write(data: Uint8Array): Promise<void>;
  /**
   * Optional fast path of `read` (the core uses it when present, instead of `read`): the
   * same result, passed to `onChunk` (a chunk, or `null` at end of stream) or to `onError`,
   * exactly once. It may call back synchronously, before returning, when a chunk is
   * already there: the core then skips its wait, and on runtimes where every promise costs
   * (Node 20 and 22 run promise hooks for AsyncLocalStorage) that is most of the cost of
   * a receive. Worth it where the runtime's reads are callback-based (node:net, Bun).
   */
  readCallback?(maxBytes: number, onChunk: (chunk: Uint8Array | null) => void, onError: (error: unknown) => void): void;
  /**
   * Optional fast path of `write`: calls `onDone` once the runtime has taken every byte,
   * or `onError`, exactly once; synchronously if the runtime took everything at once.
   */
  writeCallback?(data: Uint8Array, onDone: () => void, onError: (error: unknown) => void): void;
  /** Half-closes: sends end-of-stream after the pending writes; reading still works. */
  closeWrite(): Promise<void>;
  /** Closes at once; a pending read settles (with `null` or an error). Idempotent. */
  close(): void;
  /** Where the socket is. */
  readonly info: SocketInfo;
  /** The runtime's own socket object. */
  readonly raw: unknown;
}

/**
 * A listening socket as a backend provides it.
 *
 * @example
 * ```ts
 * import type { RawListener } from "@anyts/anyts";
 * async function acceptOne(listener: RawListener) {
 *   const socket = await listener.accept();
 *   socket.close();
 * }
 * ```
 */
export interface RawListener {
  /** The next incoming connection; at most one pending; rejects once closed. */
  accept(): Promise<RawSocket>;
  /** Stops listening; a pending accept rejects. Idempotent. */
  close(): void;
  /** Where it listens (`localPort` is the bound port). */
  readonly info: SocketInfo;
  /** The runtime's own listener object. */
  readonly raw: unknown;
}

/**
 * A UDP socket as a backend provides it.
 *
 * @example
 * ```ts
 * import type { RawUdpSocket } from "@anyts/anyts";
 * async function reflect(socket: RawUdpSocket) {
 *   const [data, host, port] = await socket.receive();
 *   await socket.send(data, host, port);
 * }
 * ```
 */
export interface RawUdpSocket {
  /** The next datagram with its sender's address and port. At most one pending. */
  receive(): Promise<[data: Uint8Array, host: string, port: number]>;
  /** Sends one datagram to an IP address and port (or to the connected peer when omitted). */
  send(data: Uint8Array, host?: string, port?: number): Promise<void>;
  /** Closes the socket; a pending receive settles. Idempotent. */
  close(): void;
  /** Where it is bound (and connected, for a connected socket). */
  readonly info: SocketInfo;
  /** The runtime's own socket object. */
  readonly raw: unknown;
}

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
  readonly hostname?: string;
  /** PEM certificates trusted instead of the runtime's default roots. */
  readonly ca?: string;
  /** This side's PEM certificate chain. */
  readonly cert?: string;
  /** This side's PEM private key. */
  readonly key?: string;
  /** ALPN protocols, most preferred first. */
  readonly alpnProtocols?: readonly string[];
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
  read(maxBytes: number): Promise<Uint8Array | null>;
  /**
   * Optional fast path of `read` (the core tries it first when no read is pending): a
   * plaintext chunk of 1 to `maxBytes` bytes that is already decrypted, or `undefined`
   * when none is (then the core calls `read`). It never waits, never reports end of
   * stream or an error, and spares a receive the promise round of `read`.
   */
  tryRead?(maxBytes: number): Uint8Array | undefined;
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

/**
 * What a runtime adapter provides to the core: the clock and timers, and the network I/O
 * that `src/net/` builds its API on. Each adapter uses its runtime's fastest native API
 * and node: modules only where that API lacks a feature.
 *
 * @example
 * ```ts
 * import { loadBackend } from "@anyts/anyts";
 * const backend = await loadBackend("node");
 * console.log(backend.name, backend.currentTime());
 * ```
 */
export interface Backend {
  /** Which adapter this is. */
  readonly name: BackendName;
  /** A monotonic clock in milliseconds (the time base of deadlines). */
  currentTime(): number;
  /** Calls `callback` once, after `delayMs` milliseconds (or a little later). */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  /** Cancels a timer from {@linkcode Backend.setTimer}; harmless if it already ran. */
  clearTimer(handle: TimerHandle): void;

  /**
   * Resolves `host` (a host name in ASCII: the core converts international names to
   * punycode first) like getaddrinfo, keeping the resolver's order. `family` 0 means both.
   * Rejects with the resolver's error (for an unknown name: NXDOMAIN / ENOTFOUND / NotFound).
   */
  getaddrinfo(host: string, family: 0 | 4 | 6): Promise<Array<{ address: string; family: 4 | 6 }>>;
  /**
   * Connects to an IP `address` (already resolved) and `port`, from `localHost` (an IP
   * address, already resolved) when given. Aborting `signal` abandons the attempt and
   * closes whatever it opened (happy eyeballs cancels the losers); the core aborts it only
   * while the promise is pending, never after it resolved. Rejects with the runtime's error.
   */
  connectTcp(address: string, port: number, options: { localHost?: string; signal: AbortSignal }): Promise<RawSocket>;
  /**
   * Listens on one IP address and port (port 0: any free one). `ipv6Only` applies to IPv6
   * addresses (the core binds "::" with it and "0.0.0.0" separately); `reuseAddress` lets
   * other sockets bind the same address and port (SO_REUSEPORT) where the runtime can, and
   * is ignored where it cannot. `backlog` is already clamped to 1..65536.
   */
  listenTcp(options: {
    host: string;
    port: number;
    backlog: number;
    reuseAddress: boolean;
    ipv6Only: boolean;
  }): Promise<RawListener>;
  /** Connects to a Unix socket. */
  connectUnix(path: string, options: { signal: AbortSignal }): Promise<RawSocket>;
  /**
   * Listens on a Unix socket path. The backend (not the core, which never touches the file
   * system) handles a file already at `path`: if it is a socket that nobody listens on (a
   * connect to it is refused), it is a stale leftover and is removed before binding; if
   * something listens on it, or it is not a socket, reject with the runtime's "address in
   * use" error and leave the file alone.
   */
  listenUnix(path: string, options: { backlog: number }): Promise<RawListener>;
  /** Opens a UDP socket bound to `localHost`:`localPort`, connected when `remote` is given. */
  createUdpSocket(options: {
    family: 4 | 6;
    localHost: string;
    localPort: number;
    reuseAddress: boolean;
    remote?: { host: string; port: number };
  }): Promise<RawUdpSocket>;
  /**
   * Starts a TLS session (client or server side per `options.serverSide`) over `transport`
   * and resolves once the handshake is done. Rejects with the engine's error when the
   * handshake fails, and when `options.signal` aborts.
   */
  startTls(transport: TlsTransport, options: TlsEngineOptions): Promise<RawTlsSocket>;
  /**
   * Optional fast path of {@linkcode Backend.startTls}: hands `socket`, a fresh socket of
   * this backend, to the runtime's own TLS (no JavaScript between the two), which then
   * owns it. The core calls it only for `connectTcp(..., { tls })` and `TLSListener` with
   * `standardCompatible: false` (neither Node's nor Bun's native TLS tells a close_notify
   * from a ragged EOF), and only while nothing has been read from `socket`.
   *
   * Returns `undefined`, without touching `socket`, when it cannot take this socket (not
   * one of its own, or bytes already received): the core then uses `startTls`. Otherwise
   * the same as `startTls`, except that the session's `unwrap()` is unsupported (rejects)
   * and `closeNotifyReceived` is `true` at any end of stream; closing it closes `socket`.
   */
  upgradeTls?(socket: RawSocket, options: TlsEngineOptions): Promise<RawTlsSocket> | undefined;
}

/**
 * Says which runtime is executing. Deno and Bun both fake `process.versions.node`, so they
 * are tested first.
 *
 * @example
 * ```ts
 * import { detectRuntime } from "@anyts/anyts";
 * console.log(detectRuntime()); // "node", "deno" or "bun"
 * ```
 */
export function detectRuntime(): RuntimeName {
  const global = globalThis as { Deno?: unknown; Bun?: unknown; process?: { versions?: { node?: string } } };
  if (global.Deno !== undefined) return "deno";
  if (global.Bun !== undefined) return "bun";
  if (typeof global.process?.versions?.node === "string") return "node";
  return "unknown";
}

/**
 * The backends that work in this runtime, native first: `["node"]` on Node, `["deno",
 * "node"]` on Deno, `["bun", "node"]` on Bun (the node adapter runs on their node:
 * compatibility layers).
 *
 * @example
 * ```ts
 * import { getAvailableBackends } from "@anyts/anyts";
 * console.log(getAvailableBackends()[0]); // the native backend
 * ```
 */
export function getAvailableBackends(): BackendName[] {
  switch (detectRuntime()) {
    case "node":
      return ["node"];
    case "deno":
      return ["deno", "node"];
    case "bun":
      return ["bun", "node"];
    default:
      return [];
  }
}

const adapterLoaders: Record<BackendName, () => Promise<Backend>> = {
  node: () => import("../backends/node.ts").then((module) => module.nodeBackend),
  deno: () => import("../backends/deno.ts").then((module) => module.denoBackend),
  bun: () => import("../backends/bun.ts").then((module) => module.bunBackend),
};

const loadedBackends = new Map<BackendName, Promise<Backend>>();

/**
 * Loads (once) and returns the named backend. Throws a `TypeError` for an unknown name and
 * an `Error` for a backend this runtime lacks.
 *
 * @example
 * ```ts
 * import { getAvailableBackends, loadBackend } from "@anyts/anyts";
 * const backend = await loadBackend(getAvailableBackends()[0]);
 * console.log(backend.name);
 * ```
 */
export function loadBackend(name: BackendName): Promise<Backend> {
  let loading = loadedBackends.get(name);
  if (loading === undefined) {
    if (!Object.hasOwn(adapterLoaders, name)) {
      return Promise.reject(
        new TypeError(`backend must be one of "node", "deno", "bun"; got ${JSON.stringify(name)}`),
      );
    }
    const available = getAvailableBackends();
    if (!available.includes(name)) {
      return Promise.reject(
        new Error(
          `backend "${name}" is not available on ${detectRuntime()}; available: ${
            available.map((n) => `"${n}"`).join(", ") || "none"
          }`,
        ),
      );
    }
    loading = adapterLoaders[name]();
    loadedBackends.set(name, loading);
  }
  return loading;
}

/**
 * The clock and timers of every backend: web-standard (`performance.now`, `setTimeout`) and
 * identical on Node, Deno and Bun, so that a deadline computed in one place (outside a run,
 * or on another backend) means the same everywhere.
 */
export const standardClock: Pick<Backend, "currentTime" | "setTimer" | "clearTimer"> = {
  currentTime: () => performance.now(),
  setTimer: (delayMs, callback) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Web-standard clock and timers, identical on every runtime. Code outside any `run` uses
 * them until the native backend has loaded (the adapters use the same clock); its I/O
 * methods wait for the native backend to load and delegate to it.
 */
export const provisionalBackend: Backend = {
  name: getAvailableBackends()[0] ?? "node",
  ...standardClock,
  getaddrinfo: (...args) => loadNative().then((backend) => backend.getaddrinfo(...args)),
  connectTcp: (...args) => loadNative().then((backend) => backend.connectTcp(...args)),
  listenTcp: (...args) => loadNative().then((backend) => backend.listenTcp(...args)),
  connectUnix: (...args) => loadNative().then((backend) => backend.connectUnix(...args)),
  listenUnix: (...args) => loadNative().then((backend) => backend.listenUnix(...args)),
  createUdpSocket: (...args) => loadNative().then((backend) => backend.createUdpSocket(...args)),
  startTls: (...args) => loadNative().then((backend) => backend.startTls(...args)),
};

function loadNative(): Promise<Backend> {
  const native = getAvailableBackends()[0];
  if (native === undefined) return Promise.reject(new Error("no backend is available on this runtime"));
  return loadBackend(native);
}
