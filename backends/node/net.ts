/**
 * The network half of the Node adapter: TCP and Unix sockets on `node:net` (UDP on
 * `node:dgram` is in udp.ts), name resolution on `node:dns`, and the stale Unix socket check on
 * `node:fs`. It runs on Node and on Deno's and Bun's node: compatibility layers.
 *
 * A socket that nobody reads is paused once a small queue is full, so it holds about two
 * high-water marks in memory and the kernel's window pushes back on the peer. Writes
 * resolve on their write callback, when the bytes reached the kernel, so at most one chunk
 * waits in Node's buffer.
 *
 * @module
 */
import * as dns from "node:dns";
import { lstat, unlink } from "node:fs/promises";
import * as net from "node:net";
import type { Backend, RawListener, RawSocket, RawSocketSink, SocketInfo } from "../../src/backend/index.ts";
import { denoPermissionError, osError, posixCode, socketAddress, toOSError } from "../shared/os-error.ts";

type NetBackend = Pick<
  Backend,
  "getaddrinfo" | "connectTcp" | "listenTcp" | "connectUnix" | "listenUnix"
>;

const onDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;

/** Whether this is Node itself (not Deno's or Bun's node: compatibility layer). */
const writtenAtOnce = (globalThis as { Deno?: unknown }).Deno === undefined &&
  (globalThis as { Bun?: unknown }).Bun === undefined;

/**
 * A Node `Buffer` as a plain `Uint8Array` over the same memory (no copy): Node's buffers of
 * received data are over an `ArrayBuffer` of their own (never shared, never reused).
 */
export function plain(buffer: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(buffer.buffer as ArrayBuffer, buffer.byteOffset, buffer.byteLength);
}

function familyOf(address: string | undefined, fallback: "IPv4" | "IPv6" = "IPv4"): "IPv4" | "IPv6" {
  if (address === undefined) return fallback;
  return address.includes(":") ? "IPv6" : "IPv4";
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error("aborted");
}

/** "::ffff:a.b.c.d" as "a.b.c.d". */
function unmap(address: string | undefined): string | undefined {
  return address?.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/**
 * Where a connected TCP socket is, read once (Node forgets it when the socket closes);
 * with `unmapV4`, IPv4-mapped addresses of a dual-stack socket are reported as IPv4.
 */
function tcpInfo(socket: net.Socket, unmapV4 = false): SocketInfo {
  const local = unmapV4 ? unmap(socket.localAddress) : socket.localAddress;
  const remote = unmapV4 ? unmap(socket.remoteAddress) : socket.remoteAddress;
  return {
    family: familyOf(local ?? remote),
    localAddress: local ?? "",
    localPort: socket.localPort,
    remoteAddress: remote,
    remotePort: socket.remotePort,
  };
}

/** What a socket's errors name: the peer's `host:port`, or the Unix socket's path. */
function targetOf(info: SocketInfo): { path?: string; address?: string } {
  if (info.family === "unix") return { path: info.remoteAddress || info.localAddress };
  return { address: socketAddress(info.remoteAddress ?? "", info.remotePort) };
}

/** A socket's error in the portable shape, named after the operation that failed. */
function socketError(error: unknown, info: SocketInfo, fallbackSyscall: string): unknown {
  const syscall = (error as { syscall?: unknown } | null)?.syscall;
  return toOSError(error, typeof syscall === "string" ? syscall : fallbackSyscall, targetOf(info));
}

/**
 * A connected `net.Socket` as a {@linkcode RawSocket}.
 *
 * Reading: the socket flows ('data' events, which Node emits synchronously from its read
 * callback: no extra tick and no copy, unlike `read()` on a paused stream, which may
 * concatenate buffered chunks), into a small queue that the reads take from. Once the queue
 * holds four high-water marks (256 KiB), the socket is paused until it is half empty, so
 * at most about five high-water marks (the queue and Node's own buffer) wait in memory
 * and the kernel's window holds the peer back. The queue hands its chunks out as they came (split when a
 * read asks for fewer bytes), never copying.
 *
 * Writing: `write()` resolves on Node's write callback, when the bytes reached the kernel;
 * the core writes one chunk at a time, so nothing piles up in Node's buffer.
 */
export class NodeRawSocket implements RawSocket {
  readonly raw: net.Socket;
  readonly info: SocketInfo;
  #chunks: Uint8Array<ArrayBuffer>[] = [];
  #queued = 0;
  #limit: number;
  #paused = false;
  /** Where the pending read reports (the core's SocketStream, or callbacks wrapped as one). */
  #reader: RawSocketSink | undefined = undefined;
  #readMax = 0;
  /** Where the pending write reports. */
  #writer: RawSocketSink | undefined = undefined;
  #ended = false;
  #error: unknown = undefined;

  constructor(socket: net.Socket, info: SocketInfo, earlierError?: unknown) {
    this.raw = socket;
    this.info = info;
    this.#error = earlierError === undefined ? undefined : socketError(earlierError, info, "read");
    // Pausing and resuming cost system calls: a few chunks of slack avoid doing it per chunk.
    this.#limit = 4 * Math.max(socket.readableHighWaterMark || 0, 65536);
    // Nothing is read before the first read asks (an accepted socket starts paused:
    // pauseOnConnect; a connected one is paused here, before 'data' would start the
    // flow), so that a fresh socket can still be handed whole to node:tls (upgradeTls).
    socket.pause();
    this.#paused = true;
    // The listeners are shared by every socket (no closures per connection): they find
    // this object on the socket.
    (socket as OwnedSocket)[OWNER] = this;
    socket.on("error", onSocketError);
    socket.on("end", onSocketEnd);
    socket.on("close", onSocketClose);
    socket.on("data", onSocketData);
  }

  /**
   * Hands the `net.Socket` over for node:tls, paused and without our 'data' and 'end'
   * listeners (the 'error' and 'close' ones stay: they only record), or returns undefined,
   * changing nothing, when anything has been read from it or it is broken or closing.
   */
  detach(): net.Socket | undefined {
    const socket = this.raw;
    if (
      this.#reader !== undefined || this.#queued !== 0 || !this.#paused || this.#ended ||
      this.#error !== undefined || socket.destroyed || socket.readableLength !== 0 || socket.writableEnded
    ) return undefined;
    socket.off("data", onSocketData);
    socket.off("end", onSocketEnd);
    this.#ended = true; // this object reads no more
    return socket;
  }

  read(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
    return new Promise((resolve, reject) => this.readCallback(maxBytes, resolve, reject));
  }

  readCallback(maxBytes: number, onChunk: (chunk: Uint8Array<ArrayBuffer> | null) => void, onError: (error: unknown) => void): void {
    this.readInto(maxBytes, callbackSink(onChunk, onError, noop, noop));
  }

  readInto(maxBytes: number, sink: RawSocketSink): void {
    if (this.#queued > 0) return sink._onChunk(this.#take(maxBytes));
    if (this.#error !== undefined) return sink._onReadError(this.#error);
    if (this.#ended || this.raw.destroyed) return sink._onChunk(null);
    if (this.#paused) {
      this.#paused = false;
      this.raw.resume();
    }
    this.#reader = sink;
    this.#readMax = maxBytes;
  }

  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.writeCallback(data, resolve, reject));
  }

  writeCallback(data: Uint8Array, onDone: () => void, onError: (error: unknown) => void): void {
    this.writeFrom(data, callbackSink(noop, noop, onDone, onError));
  }

  writeFrom(data: Uint8Array, sink: RawSocketSink): void {
    if (this.#error !== undefined) return sink._onWriteError(this.#error);
    const socket = this.raw;
    if (socket.destroyed || socket.writableEnded) {
      return sink._onWriteError(new Error(socket.destroyed ? "the socket is closed" : "the socket was shut down for writing"));
    }
    this.#writer = sink;
    if (!writtenAtOnce) {
      socket.write(data, this.#afterWrite);
      return;
    }
    // On Node, a write that libuv completed at once has left Node's buffer before write()
    // returns (the bytes are in the kernel, the buffer is free): done now. Written without
    // a callback, which costs Node a tick per write (a write without one has a fast path).
    // A write the kernel refused (EPIPE after the peer's reset) has errored the socket:
    // the 'error' event fails the send. A write that is still in Node's buffer is done
    // when a zero-length write queued behind it calls back (callbacks come in order).
    socket.write(data);
    if (this.#writer !== sink) return; // failed meanwhile
    if (socket.writableLength === 0 && socket.errored == null) {
      this.#writer = undefined;
      sink._onWritten();
    } else if (socket.errored == null) socket.write(NOTHING, this.#afterWrite);
  }

  #afterWrite = (error?: Error | null): void => {
    const writer = this.#writer;
    this.#writer = undefined;
    if (error) writer?._onWriteError(this.#error ?? socketError(error, this.info, "write"));
    else writer?._onWritten();
  };

  closeWrite(): Promise<void> {
    const socket = this.raw;
    if (socket.destroyed || socket.writableEnded) return Promise.resolve();
    return new Promise((resolve) => {
      socket.end(() => resolve());
    });
  }

  /**
   * Closes with the end of stream (FIN) first, also when received data is unread (the
   * kernel then resets the connection), as the deno backend's sockets do (Deno shuts the
   * write side down on close); destroys at once when our writes are still queued. Resolves
   * once the socket is closed.
   */
  close(): void | Promise<void> {
    const socket = this.raw;
    if (this.#closing !== undefined) return this.#closing;
    if (socket.destroyed) return;
    this.#closing = new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      if (socket.writableEnded || socket.writableLength !== 0 || socket.connecting || this.#error !== undefined) {
        socket.destroy();
        return;
      }
      try {
        socket.end(() => socket.destroy());
      } catch {
        socket.destroy();
      }
    });
    return this.#closing;
  }

  #closing: Promise<void> | undefined;

  #take(maxBytes: number): Uint8Array<ArrayBuffer> {
    let chunk = this.#chunks[0]!;
    if (chunk.length > maxBytes) {
      this.#chunks[0] = chunk.subarray(maxBytes);
      chunk = chunk.subarray(0, maxBytes);
    } else this.#chunks.shift();
    this.#queued -= chunk.length;
    if (this.#paused && this.#queued <= this.#limit >>> 1) {
      this.#paused = false;
      this.raw.resume();
    }
    return chunk;
  }

  /** @ignore 'data' (through {@linkcode onSocketData}). */
  _onData(buffer: Uint8Array): void {
    let chunk = plain(buffer);
    const reader = this.#reader;
    if (reader !== undefined) {
      // A read waits only while the queue is empty: hand the chunk over directly.
      this.#reader = undefined;
      const max = this.#readMax;
      if (chunk.length > max) {
        this.#chunks.push(chunk.subarray(max));
        this.#queued += chunk.length - max;
        chunk = chunk.subarray(0, max);
      }
      reader._onChunk(chunk);
      return;
    }
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued >= this.#limit && !this.#paused) {
      this.#paused = true;
      this.raw.pause();
    }
  }

  /** @ignore 'end'. */
  _onEnd(): void {
    this.#ended = true;
    const reader = this.#reader;
    if (reader !== undefined) {
      this.#reader = undefined;
      reader._onChunk(null);
    }
  }

  /** @ignore 'error'. */
  _onError(raw: unknown): void {
    const error = socketError(raw, this.info, "read");
    if (this.#error === undefined) this.#error = error;
    const reader = this.#reader;
    if (reader !== undefined) {
      this.#reader = undefined;
      reader._onReadError(error);
    }
    const writer = this.#writer;
    if (writer !== undefined) {
      this.#writer = undefined;
      writer._onWriteError(error);
    }
  }

  /** @ignore 'close'. */
  _onClose(): void {
    const reader = this.#reader;
    if (reader !== undefined) {
      this.#reader = undefined;
      if (this.#error !== undefined) reader._onReadError(this.#error);
      else reader._onChunk(null);
    }
    const writer = this.#writer;
    if (writer !== undefined) {
      this.#writer = undefined;
      writer._onWriteError(this.#error ?? new Error("the socket was closed"));
    }
  }
}

/** Where a socket's shared listeners find its {@linkcode NodeRawSocket}. */
const OWNER = Symbol("anyts NodeRawSocket");
type OwnedSocket = net.Socket & { [OWNER]?: NodeRawSocket };

function onSocketData(this: OwnedSocket, buffer: Uint8Array): void {
  this[OWNER]?._onData(buffer);
}
function onSocketEnd(this: OwnedSocket): void {
  this[OWNER]?._onEnd();
}
function onSocketError(this: OwnedSocket, error: unknown): void {
  this[OWNER]?._onError(error);
}
function onSocketClose(this: OwnedSocket): void {
  this[OWNER]?._onClose();
}

const noop = (): void => {};
/** What `writeFrom` writes to learn when Node's buffer has drained (see there). */
const NOTHING = new Uint8Array(0);

/** Callbacks as a {@linkcode RawSocketSink}, for `readCallback`, `writeCallback` and the promise API. */
function callbackSink(
  onChunk: (chunk: Uint8Array<ArrayBuffer> | null) => void,
  onReadError: (error: unknown) => void,
  onWritten: () => void,
  onWriteError: (error: unknown) => void,
): RawSocketSink {
  return { _onChunk: onChunk, _onReadError: onReadError, _onWritten: onWritten, _onWriteError: onWriteError };
}

/** An accepted connection waiting for accept(); its early errors are kept for later. */
interface Pending {
  readonly socket: net.Socket;
  error: unknown;
  readonly onError: (error: unknown) => void;
}

/** What a listener does when closed: close its server (or leave a shared one). */
type CloseServer = () => void;

/**
 * A `net.Server` (or one address family's share of a dual-stack server) as a
 * {@linkcode RawListener}: connections wait in a queue bounded by the backlog.
 */
class NodeRawListener implements RawListener {
  readonly raw: net.Server;
  readonly info: SocketInfo;
  #queue: Pending[] = [];
  #backlog: number;
  #unixPath: string | undefined;
  #unmapV4: boolean;
  #closeServer: CloseServer;
  #acceptResolve: ((socket: RawSocket) => void) | undefined = undefined;
  #acceptReject: ((error: unknown) => void) | undefined = undefined;
  #closed = false;
  #error: unknown = undefined;

  constructor(
    server: net.Server,
    info: SocketInfo,
    backlog: number,
    options: { unixPath?: string; unmapV4?: boolean; closeServer?: CloseServer; shared?: boolean } = {},
  ) {
    this.raw = server;
    this.info = info;
    this.#backlog = backlog;
    this.#unixPath = options.unixPath;
    this.#unmapV4 = options.unmapV4 ?? false;
    this.#closeServer = options.closeServer ?? (() => server.close());
    if (!options.shared) {
      server.on("connection", this.offer);
      server.on("error", this.fail);
    }
  }

  accept(): Promise<RawSocket> {
    const pending = this.#queue.shift();
    if (pending !== undefined) return Promise.resolve(this.#wrap(pending));
    if (this.#closed) return Promise.reject(new Error("the listener is closed"));
    if (this.#error !== undefined) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#acceptResolve = resolve;
      this.#acceptReject = reject;
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeServer();
    for (const pending of this.#queue) pending.socket.destroy();
    this.#queue.length = 0;
    const reject = this.#acceptReject;
    if (reject !== undefined) {
      this.#acceptResolve = this.#acceptReject = undefined;
      reject(new Error("the listener is closed"));
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  #wrap(pending: Pending): RawSocket {
    const socket = pending.socket;
    socket.off("error", pending.onError);
    const path = this.#unixPath;
    const info: SocketInfo = path === undefined
      ? tcpInfo(socket, this.#unmapV4)
      : { family: "unix", localAddress: path, remoteAddress: "" };
    socket.setNoDelay?.(true);
    return new NodeRawSocket(socket, info, pending.error);
  }

  /** Takes an incoming connection (from the server, or routed by a dual-stack share). */
  offer = (socket: net.Socket): void => {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const pending: Pending = {
      socket,
      error: undefined,
      onError: (error: unknown) => {
        if (pending.error === undefined) pending.error = error;
      },
    };
    socket.on("error", pending.onError);
    const resolve = this.#acceptResolve;
    if (resolve !== undefined) {
      this.#acceptResolve = this.#acceptReject = undefined;
      resolve(this.#wrap(pending));
    } else if (this.#queue.length < this.#backlog) {
      this.#queue.push(pending);
    } else {
      // Node accepts eagerly; beyond the backlog, refuse as a full kernel queue would.
      socket.destroy();
    }
  };

  /**
   * A server error: it fails the pending accept, and every later one unless it is
   * transient. libuv handles EMFILE/ENFILE itself (it accepts and closes the connections
   * it has no descriptor for, with a descriptor it keeps in reserve); only when that
   * reserve is gone does the server report EMFILE here, and it goes on listening. So an
   * accept that ran out of descriptors or buffers, or one connection that died on the way
   * in, fails only the accept pending now (`serve` waits and accepts again).
   */
  fail = (failure: unknown): void => {
    const error = toOSError(failure, "accept", this.#unixPath !== undefined
      ? { path: this.#unixPath }
      : { address: socketAddress(this.info.localAddress, this.info.localPort) });
    if (this.#error === undefined && !isTransientAcceptError(error)) this.#error = error;
    const reject = this.#acceptReject;
    if (reject !== undefined) {
      this.#acceptResolve = this.#acceptReject = undefined;
      reject(error);
    }
  };
}

/** Accept errors after which the server still listens (see `NodeRawListener.fail`). */
function isTransientAcceptError(error: unknown): boolean {
  switch (posixCode(error)) {
    case "EMFILE":
    case "ENFILE":
    case "ENOBUFS":
    case "ENOMEM":
    case "ECONNABORTED":
    case "ECONNRESET":
    case "EPROTO":
      return true;
    default:
      return false;
  }
}

/**
 * IPV6_V6ONLY emulation, for node: compatibility layers that ignore `ipv6Only` (Deno's):
 * there a "::" socket is dual-stack, and the "0.0.0.0" socket of the same port cannot
 * bind. The "::" listener then gets IPv6 connections only, and a "0.0.0.0" listener of the
 * same port becomes a share of the same server that gets the IPv4 (IPv4-mapped) ones; an
 * IPv4 connection without such a share is refused, as a v6-only socket would refuse it.
 * The core binds "::" before "0.0.0.0".
 */
class DualStackServer {
  readonly server: net.Server;
  readonly port: number;
  readonly v6: NodeRawListener;
  v4: NodeRawListener | undefined = undefined;
  #backlog: number;

  constructor(server: net.Server, port: number, backlog: number) {
    this.server = server;
    this.port = port;
    this.#backlog = backlog;
    this.v6 = new NodeRawListener(server, { family: "IPv6", localAddress: "::", localPort: port }, backlog, {
      shared: true,
      closeServer: () => this.#release(),
    });
    server.on("connection", (socket: net.Socket) => {
      const mapped = socket.remoteAddress?.startsWith("::ffff:") ?? false;
      const target = mapped ? this.v4 : this.v6;
      if (target === undefined || target.closed) socket.destroy();
      else target.offer(socket);
    });
    server.on("error", (error: unknown) => {
      this.v6.fail(error);
      this.v4?.fail(error);
    });
  }

  attachV4(): NodeRawListener {
    this.v4 = new NodeRawListener(this.server, { family: "IPv4", localAddress: "0.0.0.0", localPort: this.port }, this.#backlog, {
      shared: true,
      unmapV4: true,
      closeServer: () => this.#release(),
    });
    return this.v4;
  }

  #release(): void {
    if (!this.v6.closed || (this.v4 !== undefined && !this.v4.closed)) return;
    if (dualStackServers.get(this.port) === this) dualStackServers.delete(this.port);
    this.server.close();
  }
}

const dualStackServers = new Map<number, DualStackServer>();

let ipv6OnlyProbe: Promise<boolean> | undefined;

/**
 * Whether this runtime's node:net honours `ipv6Only` (Node and Bun do, Deno does not):
 * with it, "::" and "0.0.0.0" can listen on one port. Probed once, on loopback-free
 * wildcard binds that accept nothing and close at once.
 */
function honoursIpv6Only(): Promise<boolean> {
  return (ipv6OnlyProbe ??= (async () => {
    const v6 = net.createServer();
    try {
      await listen(v6, { host: "::", port: 0, ipv6Only: true }, { address: "[::]:0" });
    } catch {
      return true; // no IPv6 at all: nothing to emulate
    }
    const v4 = net.createServer();
    try {
      await listen(v4, { host: "0.0.0.0", port: (v6.address() as net.AddressInfo).port }, { address: "0.0.0.0" });
      v4.close();
      return true;
    } catch {
      return false;
    } finally {
      v6.close();
    }
  })());
}

function connectSocket(
  options: net.NetConnectOpts,
  signal: AbortSignal,
  info: (socket: net.Socket) => SocketInfo,
  target: { path?: string; address?: string },
): Promise<RawSocket> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = net.connect({ ...options, allowHalfOpen: true });
    const onAbort = () => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(abortReason(signal));
    };
    const onError = (error: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(toOSError(error, "connect", target));
    };
    // Stays attached: an error after an abort must not become an unhandled 'error' event.
    socket.on("error", onError);
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      socket.off("error", onError);
      resolve(new NodeRawSocket(socket, info(socket)));
    });
  });
}

/**
 * Listens; rejects with the portable error naming `target`. On Deno, a missing permission
 * is checked first: Deno's node:net reports it as an uncaught exception in a later tick,
 * which would end the process instead of failing the call.
 */
function listen(server: net.Server, options: net.ListenOptions, target: { path?: string; address?: string }): Promise<void> {
  if (onDeno) {
    const denied = options.path !== undefined
      ? denoPermissionError({ name: "read", path: options.path }, "listen", target) ??
        denoPermissionError({ name: "write", path: options.path }, "listen", target)
      : denoPermissionError({ name: "net", host: socketAddress(options.host ?? "0.0.0.0", options.port ?? 0) }, "listen", target);
    if (denied !== undefined) return Promise.reject(denied);
  }
  return new Promise((resolve, reject) => {
    const onError = (error: unknown) => {
      server.close();
      reject(toOSError(error, "listen", target));
    };
    server.once("error", onError);
    try {
      server.listen(options, () => {
        server.off("error", onError);
        resolve();
      });
    } catch (error) {
      onError(error);
    }
  });
}

/** Whether a Unix socket file at `path` has a listener: connecting tells. */
function probeUnix(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      socket.destroy();
      if (error.code === "ECONNREFUSED" || error.code === "ENOENT") resolve(false);
      else reject(error);
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
  });
}

/** Removes a stale socket file at `path` (a socket nobody listens on); rejects if one is live. */
async function removeStaleUnixSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw toOSError(error, "listen", { path });
  }
  if (!isSocket) return; // listen() reports EADDRINUSE and leaves the file alone
  if (await probeUnix(path).catch((error) => Promise.reject(toOSError(error, "connect", { path })))) {
    throw osError("EADDRINUSE", "listen", { path });
  }
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw toOSError(error, "listen", { path });
  }
}

/**
 * libuv reports a Unix socket path whose directory does not exist as EACCES (ENOENT is
 * turned into EACCES for Windows' sake): it is ENOENT, as on every other runtime.
 */
async function unixListenError(error: unknown, path: string): Promise<unknown> {
  if (posixCode(error) !== "EACCES" || (error as { cause?: unknown }).cause === undefined) return error;
  const slash = path.lastIndexOf("/");
  const directory = slash <= 0 ? (slash === 0 ? "/" : ".") : path.slice(0, slash);
  try {
    await lstat(directory);
    return error;
  } catch (missing) {
    if ((missing as NodeJS.ErrnoException).code !== "ENOENT") return error;
    return osError("ENOENT", "listen", { path }, (error as { cause?: unknown }).cause);
  }
}

/** On Deno, the portable EACCES error of a name lookup Deno's permissions refused. */
function lookupError(error: unknown, host: string): unknown {
  if (onDeno && posixCode(error) === "EPERM") {
    const denied = denoPermissionError({ name: "net", host }, "getaddrinfo", { address: host });
    if (denied !== undefined) return Object.assign(denied, { cause: error });
  }
  return toOSError(error, "getaddrinfo", { address: host });
}

/** The network methods of the Node backend. */
export const nodeNet: NetBackend = {
  getaddrinfo(host, family) {
    return new Promise((resolve, reject) => {
      // verbatim (order: "verbatim" on newer Node): keep the resolver's order.
      const options = { all: true, family, verbatim: true, order: "verbatim" } as dns.LookupAllOptions;
      dns.lookup(host, options, (error, addresses) => {
        if (error) reject(lookupError(error, host));
        else resolve(addresses.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 })));
      });
    });
  },

  connectTcp(address, port, { localHost, signal }) {
    const options: net.TcpNetConnectOpts = { host: address, port, noDelay: true };
    if (localHost !== undefined) options.localAddress = localHost;
    return connectSocket(options, signal, (socket) => {
      socket.setNoDelay?.(true);
      return tcpInfo(socket);
    }, { address: socketAddress(address, port) });
  },

  async listenTcp({ host, port, backlog, reuseAddress, ipv6Only }) {
    if (onDeno) {
      // Before the probe of honoursIpv6Only, which would take a refusal for "no IPv6".
      const address = socketAddress(host, port);
      const denied = denoPermissionError({ name: "net", host: address }, "listen", { address });
      if (denied !== undefined) throw denied;
    }
    const emulate = (host === "::" && ipv6Only) || host === "0.0.0.0" ? !(await honoursIpv6Only()) : false;
    if (emulate && host === "0.0.0.0" && port !== 0) {
      const shared = dualStackServers.get(port);
      if (shared !== undefined && shared.v4 === undefined && !shared.v6.closed) return shared.attachV4();
    }
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    const options: net.ListenOptions & { reusePort?: boolean } = { host, port, backlog, ipv6Only };
    if (reuseAddress) options.reusePort = true; // Node ≥ 22.12; older versions ignore it
    await listen(server, options, { address: socketAddress(host, port) });
    if (emulate && host === "::") {
      const bound = (server.address() as net.AddressInfo).port;
      const shared = new DualStackServer(server, bound, backlog);
      dualStackServers.set(bound, shared);
      return shared.v6;
    }
    const address = server.address() as net.AddressInfo;
    const info: SocketInfo = {
      family: familyOf(address.address, host.includes(":") ? "IPv6" : "IPv4"),
      localAddress: address.address,
      localPort: address.port,
    };
    return new NodeRawListener(server, info, backlog);
  },

  connectUnix(path, { signal }) {
    return connectSocket({ path }, signal, () => ({ family: "unix", localAddress: "", remoteAddress: path }), { path });
  },

  async listenUnix(path, { backlog }) {
    await removeStaleUnixSocket(path);
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    try {
      await listen(server, { path, backlog }, { path });
    } catch (error) {
      throw await unixListenError(error, path);
    }
    return new NodeRawListener(server, { family: "unix", localAddress: path }, backlog, { unixPath: path });
  },
};
