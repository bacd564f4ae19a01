/**
 * TCP and Unix stream sockets and listeners of the Bun adapter, on `Bun.connect` and
 * `Bun.listen`; name resolution on `Bun.dns.lookup`; the hand-over of a fresh socket to
 * Bun's native TLS (`upgradeTls`).
 *
 * @module
 */
import type { RawListener, RawSocket, RawSocketSink, RawTlsSocket, SocketInfo, TlsEngineOptions } from "../../src/backend/index.ts";
import { ChunkQueue, type PendingWrite, type Waiter, writeRest } from "../shared/bun-io.ts";
import { socketAddress, toOSError } from "../shared/os-error.ts";
import { bun, type BunSocketHandler, type BunTcpServer, type BunTcpSocket, closedError, errnoError } from "./api.ts";

const resolved: Promise<void> = Promise.resolve();

function familyOf(address: string): "IPv4" | "IPv6" {
  return address.includes(":") ? "IPv6" : "IPv4";
}

// ---------------------------------------------------------------------------------------
// TCP and Unix stream sockets.


/** A Bun socket behind the RawSocket contract; also the socket's `data` (handler state). */
export class BunConnection implements RawSocket {
  socket: BunTcpSocket | null = null;
  /** The Unix socket path, or null for TCP. */
  readonly unixPath: string | null;
  /** Whether this end accepted the connection (matters for a Unix socket's addresses). */
  readonly accepted: boolean;
  #info: SocketInfo | null = null;

  /** Unread chunks, and the read waiting for one. */
  readonly #input = new ChunkQueue(
    () => this.socket?.pause(),
    () => {
      if (!this.#gone) this.socket?.resume();
    },
  );
  #eof = false;
  #error: unknown = null;

  #writer: PendingWrite | null = null;
  #writeClosed = false;
  /** close() was called here. */
  #closed = false;
  /** Bun reported the socket closed. */
  #gone = false;
  /** Reading has started (an accepted socket starts paused until its first read). */
  #started = true;
  /** Handed to Bun's TLS (upgradeTls): the socket's events are not ours any more. */
  #detached = false;
  /** Bytes have arrived (then the socket cannot be handed to Bun's TLS any more). */
  #received = false;

  constructor(unixPath: string | null, accepted: boolean) {
    this.unixPath = unixPath;
    this.accepted = accepted;
  }

  get raw(): unknown {
    return this.socket;
  }

  get info(): SocketInfo {
    return this.#info ??= this.#readInfo();
  }

  #readInfo(): SocketInfo {
    if (this.unixPath !== null) {
      // Bun reports no addresses for Unix sockets: the listening end is named by the path,
      // a connecting end is unnamed.
      return this.accepted
        ? { family: "unix", localAddress: this.unixPath, remoteAddress: "" }
        : { family: "unix", localAddress: "", remoteAddress: this.unixPath };
    }
    const socket = this.socket;
    const localAddress = socket?.localAddress ?? "";
    return {
      family: familyOf(localAddress),
      localAddress,
      localPort: socket?.localPort,
      remoteAddress: socket?.remoteAddress,
      remotePort: socket?.remotePort,
    };
  }

  /** Called once the socket is open (from `open` or when Bun.connect resolves). */
  attach(socket: BunTcpSocket): void {
    if (this.socket === socket) return;
    this.socket = socket;
    if (this.unixPath === null) {
      this.#info = this.#readInfo(); // before a close forgets them
      socket.setNoDelay(true);
    }
  }

  /**
   * Pauses a freshly accepted socket: nothing is read from the kernel until the first
   * read (or closeWrite/close), so that the socket can still be handed whole to Bun's TLS.
   */
  startPaused(): void {
    if (this.socket === null || !this.#started) return;
    this.#started = false;
    this.socket.pause();
  }

  /** Starts reading if the socket is still paused since it was accepted. */
  #start(): void {
    if (this.#started) return;
    this.#started = true;
    if (!this.#gone && !this.#input.paused && !this.#detached) this.socket?.resume();
  }

  /**
   * For `upgradeTls`: gives up the Bun socket (paused: nothing is read until Bun's TLS
   * takes it) and ignores its events from now on, or returns undefined, changing
   * nothing, when any byte has arrived, a read or write is pending, or it is ending or
   * broken.
   */
  detachForTls(): BunTcpSocket | undefined {
    const socket = this.socket;
    if (
      socket === null || this.#detached || this.#closed || this.#gone || this.#received || this.#input.reader !== null ||
      this.#writer !== null || this.#eof || this.#error !== null || this.#writeClosed
    ) return undefined;
    this.#detached = true;
    this.#eof = true; // this object reads and writes no more
    this.#writeClosed = true;
    if (this.#started) socket.pause();
    this.#started = true;
    return socket;
  }

  /** Whether the socket was handed to Bun's TLS. */
  get detached(): boolean {
    return this.#detached;
  }

  /** Whether Bun reported the socket closed. */
  get gone(): boolean {
    return this.#gone;
  }

  // ---- handler side ----

  onData(chunk: Uint8Array<ArrayBuffer>): void {
    if (this.#closed || this.#detached || chunk.length === 0) return;
    this.#received = true;
    this.#input.arrive(chunk);
  }

  onEnd(): void {
    if (this.#detached) return;
    this.#eof = true;
    this.#wakeReader();
    this.#syncRef();
  }

  /**
   * Bun keeps the process alive while a socket is open; Node and Deno only while it reads
   * or writes. After the peer's end of stream nothing more is read: from then on only a
   * pending write keeps the process alive, so that a stream left unclosed (to the garbage
   * collector) does not hang a program that is done.
   */
  #syncRef(): void {
    const socket = this.socket;
    if (socket === null || this.#gone || this.#detached || !this.#eof) return;
    const wanted = this.#writer !== null;
    if (wanted === this.#referenced) return;
    this.#referenced = wanted;
    try {
      if (wanted) socket.ref();
      else socket.unref();
    } catch {
      // closed meanwhile
    }
  }

  /** Whether the socket keeps the process alive (Bun's default for an open socket). */
  #referenced = true;

  /** What this socket's errors name: the peer's address, or the Unix socket's path. */
  #target(): { path?: string; address?: string } {
    if (this.unixPath !== null) return { path: this.unixPath };
    const info = this.info;
    return { address: socketAddress(info.remoteAddress ?? "", info.remotePort) };
  }

  onClose(error: unknown): void {
    if (this.#gone) return;
    this.#gone = true;
    if (this.#detached) return; // Bun's TLS owns the socket: it reports the close itself
    if (error != null && !this.#eof) this.#error = toOSError(error, (error as { syscall?: string }).syscall ?? "read", this.#target());
    else this.#eof = true;
    this.#wakeReader();
    const writer = this.#writer;
    if (writer !== null) {
      this.#writer = null;
      writer.reject(error ?? this.#writeError());
    }
  }

  onDrain(): void {
    const writer = this.#writer;
    if (writer === null || this.socket === null || this.#detached) return;
    const outcome = writeRest(writer, this.socket);
    if (outcome === "more") return;
    this.#writer = null;
    this.#syncRef();
    if (outcome === "done") writer.resolve();
    else writer.reject(this.#writeError());
  }

  #wakeReader(): void {
    const input = this.#input;
    const reader = input.reader;
    if (reader === null || input.queued > 0) return;
    input.reader = null;
    if (this.#error !== null) reader.reject(this.#error);
    else reader.resolve(null);
  }

  #writeError(): unknown {
    if (this.#closed) return closedError();
    return this.#error ?? toOSError(errnoError("EPIPE", "broken pipe", "write"), "write", this.#target());
  }

  // ---- RawSocket ----

  read(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
    if (!this.#started) this.#start();
    if (this.#input.queued > 0) return Promise.resolve(this.#input.take(maxBytes));
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#eof || this.#closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#input.reader = { resolve, reject, maxBytes };
    });
  }

  /** `read` without a promise: calls back synchronously when a chunk is already there. */
  readCallback(maxBytes: number, onChunk: (chunk: Uint8Array<ArrayBuffer> | null) => void, onError: (error: unknown) => void): void {
    if (!this.#started) this.#start();
    if (this.#input.queued > 0) onChunk(this.#input.take(maxBytes));
    else if (this.#error !== null) onError(this.#error);
    else if (this.#eof || this.#closed) onChunk(null);
    else this.#input.reader = { resolve: onChunk, reject: onError, maxBytes };
  }

  write(data: Uint8Array): Promise<void> {
    const refused = this.#refuseWrite();
    if (refused !== null) return Promise.reject(refused);
    if (data.length === 0) return resolved;
    const taken = this.socket!.write(data, 0, data.length);
    if (taken === data.length) return resolved;
    if (taken < 0) return Promise.reject(this.#writeError());
    return new Promise((resolve, reject) => {
      this.#writer = { data, offset: taken, resolve, reject };
      this.#syncRef();
    });
  }

  /** `readCallback` reporting to a sink (the core's SocketStream): nothing allocated per read. */
  readInto(maxBytes: number, sink: RawSocketSink): void {
    if (!this.#started) this.#start();
    if (this.#input.queued > 0) sink._onChunk(this.#input.take(maxBytes));
    else if (this.#error !== null) sink._onReadError(this.#error);
    else if (this.#eof || this.#closed) sink._onChunk(null);
    else {
      const reader = (this.#sinkReader ??= new SinkReader(sink));
      reader.sink = sink;
      reader.maxBytes = maxBytes;
      this.#input.reader = reader;
    }
  }

  /** The waiting read of `readInto`, reused from one read to the next. */
  #sinkReader: SinkReader | undefined = undefined;

  /** `writeCallback` reporting to a sink. */
  writeFrom(data: Uint8Array, sink: RawSocketSink): void {
    const refused = this.#refuseWrite();
    if (refused !== null) return sink._onWriteError(refused);
    const taken = data.length === 0 ? 0 : this.socket!.write(data, 0, data.length);
    if (taken === data.length) sink._onWritten();
    else if (taken < 0) sink._onWriteError(this.#writeError());
    else {
      this.#writer = { data, offset: taken, resolve: () => sink._onWritten(), reject: (error) => sink._onWriteError(error) };
      this.#syncRef();
    }
  }

  /** `write` without a promise: calls back synchronously when Bun took every byte at once. */
  writeCallback(data: Uint8Array, onDone: () => void, onError: (error: unknown) => void): void {
    const refused = this.#refuseWrite();
    if (refused !== null) return onError(refused);
    const taken = data.length === 0 ? 0 : this.socket!.write(data, 0, data.length);
    if (taken === data.length) onDone();
    else if (taken < 0) onError(this.#writeError());
    else {
      this.#writer = { data, offset: taken, resolve: onDone, reject: onError };
      this.#syncRef();
    }
  }

  /** Why a write cannot start now, or null. */
  #refuseWrite(): unknown {
    if (this.#closed || this.#gone || this.socket === null) return this.#writeError();
    if (this.#writeClosed) return toOSError(errnoError("EPIPE", "broken pipe", "write"), "write", this.#target());
    return null;
  }

  async closeWrite(): Promise<void> {
    if (this.#writeClosed || this.#closed) return;
    // Read from now on: the peer's FIN, then Bun's close, must be seen.
    this.#start();
    const writer = this.#writer;
    if (writer !== null) {
      // Send end-of-stream after the pending write.
      await new Promise<void>((resolve) => {
        const { resolve: done, reject: failed } = writer;
        writer.resolve = () => (done(), resolve());
        writer.reject = (error) => (failed(error), resolve());
      });
    }
    if (this.#writeClosed || this.#closed) return;
    this.#writeClosed = true;
    // Plain shutdown() is shutdown(SHUT_WR) in Bun 1.4.5 (see the module comment).
    if (!this.#gone) this.socket?.shutdown();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#detached) return; // Bun's TLS owns the socket (and closes it)
    // Read again (and drop it) so that the peer's FIN and Bun's close are seen.
    this.#start();
    const socket = this.socket;
    this.#input.clear();
    if (!this.#gone && socket !== null) {
      // The end of stream (FIN) first, also with unread data (the kernel then resets the
      // connection), as the deno backend's sockets do: Deno shuts the write side down on close.
      if (!this.#writeClosed) {
        try {
          socket.shutdown();
        } catch {
          // already gone: end() closes what is left
        }
      }
      socket.end();
    }
    const reader = this.#input.reader;
    if (reader !== null) {
      this.#input.reader = null;
      reader.resolve(null);
    }
    const writer = this.#writer;
    if (writer !== null) {
      this.#writer = null;
      writer.reject(closedError());
    }
  }
}

/** A read of `readInto` waiting in the {@linkcode ChunkQueue}: settles into its sink. */
class SinkReader {
  sink: RawSocketSink;
  maxBytes = 0;
  constructor(sink: RawSocketSink) {
    this.sink = sink;
  }
  resolve(chunk: Uint8Array<ArrayBuffer> | null): void {
    this.sink._onChunk(chunk);
  }
  reject(error: unknown): void {
    this.sink._onReadError(error);
  }
}

/** One handler object for every socket: the state lives in `socket.data`. */
const streamHandler: BunSocketHandler = {
  binaryType: "uint8array",
  open(socket) {
    socket.data?.attach(socket);
  },
  data(socket, chunk) {
    socket.data?.onData(chunk);
  },
  drain(socket) {
    socket.data?.onDrain();
  },
  end(socket) {
    socket.data?.onEnd();
  },
  close(socket, error) {
    socket.data?.onClose(error);
  },
  error(socket, error) {
    // Bun calls this when a handler throws (ours do not) or a TLS session fails.
    const connection = socket.data;
    if (connection !== undefined && !connection.detached) {
      connection.onClose(error);
      socket.terminate();
    }
  },
  connectError() {
    // The promise of Bun.connect rejects with the error; handling it there.
  },
};

export function connectStream(
  target: { hostname: string; port: number; localAddress?: string } | { unix: string },
  signal: AbortSignal,
): Promise<RawSocket> {
  // Bun.connect takes no AbortSignal: check before and after, and close a socket that
  // opens after the caller gave up.
  if (signal.aborted) return Promise.reject(signal.reason);
  const connection = new BunConnection("unix" in target ? target.unix : null, false);
  const named = "unix" in target ? { path: target.unix } : { address: socketAddress(target.hostname, target.port) };
  let connecting: Promise<BunTcpSocket>;
  try {
    connecting = bun().connect({ ...target, allowHalfOpen: true, data: connection, socket: streamHandler });
  } catch (error) {
    return Promise.reject(toOSError(error, "connect", named));
  }
  return new Promise<RawSocket>((resolve, reject) => {
    let abandoned = false;
    const onAbort = () => {
      abandoned = true;
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    connecting.then(
      (socket) => {
        signal.removeEventListener("abort", onAbort);
        try {
          connection.attach(socket);
        } catch (error) {
          // Closed at once by the peer (setNoDelay on a dead socket): a failed connect.
          connection.close();
          reject(error);
          return;
        }
        if (abandoned || signal.aborted) {
          connection.close();
          reject(signal.reason);
        } else {
          resolve(connection);
        }
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(abandoned ? signal.reason : toOSError(error, "connect", named));
      },
    );
  });
}

// ---------------------------------------------------------------------------------------
// Listeners.

class BunListener implements RawListener {
  server: BunTcpServer | null = null;
  info: SocketInfo;
  readonly unixPath: string | null;
  #backlog: BunConnection[] = [];
  #acceptor: Waiter<RawSocket> | null = null;
  #closed = false;
  readonly handler: BunSocketHandler;

  readonly #maxQueued: number;

  constructor(info: SocketInfo, unixPath: string | null, backlog: number) {
    this.info = info;
    this.unixPath = unixPath;
    this.#maxQueued = backlog;
    // Bun.listen takes one handler object per listener; `open` knows which listener.
    this.handler = { ...streamHandler, open: (socket) => this.#onOpen(socket) };
  }

  get raw(): unknown {
    return this.server;
  }

  #onOpen(socket: BunTcpSocket): void {
    const connection = new BunConnection(this.unixPath, true);
    socket.data = connection;
    connection.attach(socket);
    connection.startPaused();
    if (this.#closed) {
      connection.close();
      return;
    }
    const acceptor = this.#acceptor;
    if (acceptor !== null) {
      this.#acceptor = null;
      acceptor.resolve(connection);
    } else if (this.#backlog.length < this.#maxQueued) {
      // Bun accepts eagerly (no backlog option): connections wait here until accepted.
      this.#backlog.push(connection);
    } else {
      // Beyond the backlog, turn the connection away as a full kernel queue would.
      connection.close();
    }
  }

  accept(): Promise<RawSocket> {
    if (this.#closed) return Promise.reject(closedError());
    const next = this.#backlog.shift();
    if (next !== undefined) return Promise.resolve(next);
    return new Promise((resolve, reject) => {
      this.#acceptor = { resolve, reject };
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // stop(false): stop listening; connections already accepted belong to their owners.
    this.server?.stop(false);
    for (const connection of this.#backlog) connection.close();
    this.#backlog = [];
    const acceptor = this.#acceptor;
    if (acceptor !== null) {
      this.#acceptor = null;
      acceptor.reject(closedError());
    }
  }
}

export function listenTcp(options: {
  host: string;
  port: number;
  backlog: number;
  reuseAddress: boolean;
  ipv6Only: boolean;
}): Promise<RawListener> {
  try {
    const family = familyOf(options.host);
    // Bun.listen has no backlog option (its kernel queue is 512) and accepts eagerly:
    // BunListener bounds its own queue of unaccepted connections by `backlog` instead.
    const listener = new BunListener({ family, localAddress: options.host, localPort: options.port }, null, options.backlog);
    const server = bun().listen({
      hostname: options.host,
      port: options.port,
      ipv6Only: family === "IPv6" && options.ipv6Only,
      reusePort: options.reuseAddress,
      allowHalfOpen: true,
      socket: listener.handler,
    });
    listener.server = server;
    listener.info = { family, localAddress: options.host, localPort: server.port };
    return Promise.resolve(listener);
  } catch (error) {
    return Promise.reject(toOSError(error, "listen", { address: socketAddress(options.host, options.port) }));
  }
}

export async function listenUnix(path: string, options: { backlog: number }): Promise<RawListener> {
  const listener = new BunListener({ family: "unix", localAddress: path }, path, options.backlog);
  try {
    try {
      listener.server = bun().listen({ unix: path, allowHalfOpen: true, socket: listener.handler });
    } catch (error) {
      if ((error as { code?: unknown }).code !== "EADDRINUSE" || !(await removeStaleSocket(path))) throw error;
      listener.server = bun().listen({ unix: path, allowHalfOpen: true, socket: listener.handler });
    }
  } catch (error) {
    throw toOSError(error, "listen", { path });
  }
  return listener;
}

/**
 * Removes `path` if it is a socket file that nobody listens on (a connect is refused);
 * says whether it did. Bun has no lstat/unlink of its own: node:fs/promises.
 */
async function removeStaleSocket(path: string): Promise<boolean> {
  const fs = await import("node:fs/promises");
  let stats;
  try {
    stats = await fs.lstat(path);
  } catch {
    return true; // gone meanwhile: just retry
  }
  if (!stats.isSocket()) return false;
  try {
    const probe = await connectStream({ unix: path }, new AbortController().signal);
    probe.close();
    return false; // somebody listens
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ECONNREFUSED") return false;
  }
  try {
    await fs.unlink(path);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOENT") throw error;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Name resolution.

export async function getaddrinfo(host: string, family: 0 | 4 | 6): Promise<Array<{ address: string; family: 4 | 6 }>> {
  // Bun.dns.lookup (c-ares on Linux) reads /etc/hosts and returns the same order as the
  // system's getaddrinfo (RFC 6724), without duplicates.
  // (The core passes IP literals by and removes duplicates.)
  let results;
  try {
    results = await bun().dns.lookup(host, { family });
  } catch (error) {
    throw toOSError(error, "getaddrinfo", { address: host }); // DNS_ENOTFOUND → ENOTFOUND
  }
  return results.map(({ address, family }) => ({ address, family }));
}

// ---------------------------------------------------------------------------------------
// Native TLS.

/**
 * `Backend.upgradeTls` of the Bun adapter: Bun's own TLS (`socket.upgradeTLS`) on the
 * socket of a fresh {@linkcode BunConnection}; undefined, touching nothing, for another
 * backend's socket or one that has been read from (see backends/bun/tls.ts).
 */
export function upgradeTls(socket: RawSocket, options: TlsEngineOptions): Promise<RawTlsSocket> | undefined {
  if (!(socket instanceof BunConnection)) return undefined;
  const bunSocket = socket.detachForTls();
  if (bunSocket === undefined) return undefined;
  return import("./tls.ts").then(
    (module) => {
      // Loading the module may take an event-loop turn, in which the peer can hang up:
      // then there is no socket left to upgrade (and no TLS event would ever come).
      if (socket.gone) throw errnoError("ECONNRESET", "the peer closed the connection before the TLS handshake", "read");
      return module.startBunTls(bunSocket, options);
    },
    (error: unknown) => {
      bunSocket.end();
      throw error;
    },
  );
}
