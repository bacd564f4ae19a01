/**
 * The network contract of a backend: the raw sockets, listeners and UDP sockets that an
 * adapter provides and that `src/net/` builds its streams on.
 *
 * @module
 */

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
  readonly localPort?: number | undefined;
  /** The peer's IP address, or the path of a Unix socket, when connected. */
  readonly remoteAddress?: string | undefined;
  /** The peer's port, when connected over IP. */
  readonly remotePort?: number | undefined;
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
   * the chunk (the runtime must not reuse its memory), over a plain `ArrayBuffer`; a plain
   * `Uint8Array` is preferred to a Node `Buffer`, whose `slice` does not copy.
   */
  read(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null>;
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
  readCallback?(maxBytes: number, onChunk: (chunk: Uint8Array<ArrayBuffer> | null) => void, onError: (error: unknown) => void): void;
  /**
   * Optional fast path of `write`: calls `onDone` once the runtime has taken every byte,
   * or `onError`, exactly once; synchronously if the runtime took everything at once.
   */
  writeCallback?(data: Uint8Array, onDone: () => void, onError: (error: unknown) => void): void;
  /**
   * @internal Optional fast path of `readCallback` (preferred by the core when present), for
   * anyts's own backends (its sink is the core's `SocketStream`): the same,
   * reported to the methods of `sink` instead of two callbacks, so that a stream needs no
   * closure per callback (memory per connection) and a promise-based runtime can call back
   * from its own async read without one more promise in between.
   */
  readInto?(maxBytes: number, sink: RawSocketSink): void;
  /** @internal Optional fast path of `writeCallback`, reported to `sink` (see `readInto`). */
  writeFrom?(data: Uint8Array, sink: RawSocketSink): void;
  /** Half-closes: sends end-of-stream after the pending writes; reading still works. */
  closeWrite(): Promise<void>;
  /**
   * Closes: a pending read settles (with `null` or an error) and nothing more is read or
   * written. The end of stream (FIN) goes first, also when received data is still unread
   * (the kernel then resets the connection). Idempotent. A promise, when returned,
   * resolves once the runtime has let the socket go.
   */
  close(): void | Promise<void>;
  /** Where the socket is. */
  readonly info: SocketInfo;
  /** The runtime's own socket object. */
  readonly raw: unknown;
}

/**
 * @internal Where `RawSocket.readInto` and `RawSocket.writeFrom` report: the core's
 * `SocketStream`. Each call reports exactly once, perhaps synchronously. Internal to anyts
 * and its own backends, left out of the published types (its members are the stream's
 * private callbacks).
 *
 * @example
 * ```ts
 * import type { RawSocket, RawSocketSink } from "@anyts/anyts";
 * function readOnce(socket: RawSocket, sink: RawSocketSink) {
 *   socket.readInto?.(65536, sink);
 * }
 * ```
 */
export interface RawSocketSink {
  /** A read brought 1 to `maxBytes` bytes, or `null` at the end of the stream. */
  _onChunk(chunk: Uint8Array<ArrayBuffer> | null): void;
  /** A read failed (the runtime's error). */
  _onReadError(error: unknown): void;
  /** A write is done: the runtime has taken every byte. */
  _onWritten(): void;
  /** A write failed (the runtime's error). */
  _onWriteError(error: unknown): void;
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
  /**
   * Stops listening; a pending accept rejects. Idempotent. A promise, when returned,
   * resolves once the address can be bound again (not before the runtime released it).
   */
  close(): void | Promise<void>;
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
  receive(): Promise<[data: Uint8Array<ArrayBuffer>, host: string, port: number]>;
  /** Sends one datagram to an IP address and port (or to the connected peer when omitted). */
  send(data: Uint8Array, host?: string, port?: number): Promise<void>;
  /**
   * Closes the socket; a pending receive settles. Idempotent. A promise, when returned,
   * resolves once the address can be bound again.
   */
  close(): void | Promise<void>;
  /** Where it is bound (and connected, for a connected socket). */
  readonly info: SocketInfo;
  /** The runtime's own socket object. */
  readonly raw: unknown;
}
