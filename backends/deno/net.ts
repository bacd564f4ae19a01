/**
 * TCP and Unix stream sockets and listeners of the Deno adapter, on `Deno.connect` and
 * `Deno.listen` and the conn's own `read` / `write` (no web streams in between); the
 * node: fallbacks (`node-fallback.ts`) load on first use.
 *
 * @module
 */
import type { RawListener, RawSocket, RawSocketSink, SocketInfo } from "../../src/backend/index.ts";
import {
  abortReason,
  type DenoConn,
  type DenoListener,
  type DenoNamespace,
  type DenoNetAddr,
  type DenoUnixAddr,
  denoApi,
} from "./api.ts";
import { socketAddress, toOSError } from "../shared/os-error.ts";
import { isDroppedConnection, type ListenTcpOptions, listenTcpNative } from "./tcp-listener.ts";

// node: modules load only when a fallback is first needed (importing node:net costs a few
// milliseconds at start-up).
let fallback: Promise<typeof import("./node-fallback.ts")> | undefined;
export function loadFallback(): Promise<typeof import("./node-fallback.ts")> {
  return (fallback ??= import("./node-fallback.ts"));
}

export async function connectTcp(
  address: string,
  port: number,
  options: { localHost?: string; signal: AbortSignal },
): Promise<RawSocket> {
  const { signal } = options;
  if (signal.aborted) throw abortReason(signal);
  if (options.localHost !== undefined) {
    // Fallback: Deno.connect has no local address option; node:net binds `localAddress`.
    return (await loadFallback()).connectTcpFrom(address, port, options.localHost, signal);
  }
  // `autoSelectFamily: false`: the address is already resolved and the core runs happy
  // eyeballs itself. Deno.connect takes the signal: aborting rejects and closes the attempt.
  let conn: DenoConn;
  try {
    conn = await denoApi().connect({
      hostname: address,
      port,
      transport: "tcp",
      signal,
      autoSelectFamily: false,
    });
  } catch (error) {
    if (signal.aborted) throw abortReason(signal);
    throw toOSError(error, "connect", { address: socketAddress(address, port) });
  }
  if (signal.aborted) {
    // Connected in the same turn as the abort: close what it opened.
    closeQuietly(conn);
    throw abortReason(signal);
  }
  return new DenoSocket(conn, true);
}

export function listenTcp(options: ListenTcpOptions): Promise<RawListener> {
  // Deno.listen is synchronous: its failure becomes a rejection.
  try {
    return Promise.resolve(listenTcpNative(options, wrapTcpConn));
  } catch (error) {
    return Promise.reject(toOSError(error, "listen", { address: socketAddress(options.host, options.port) }));
  }
}

const wrapTcpConn = (conn: DenoConn, unmapV4: boolean): RawSocket => new DenoSocket(conn, true, unmapV4);

export async function connectUnix(path: string, options: { signal: AbortSignal }): Promise<RawSocket> {
  const { signal } = options;
  if (signal.aborted) throw abortReason(signal);
  // Deno.connect takes no signal for Unix sockets: race the abort, and close a connection
  // that arrives after it.
  const connecting = denoApi().connect({ transport: "unix", path });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const conn = await Promise.race([connecting, aborted]);
    return new DenoSocket(conn, false);
  } catch (error) {
    if (signal.aborted) {
      connecting.then(closeQuietly, () => {});
      throw abortReason(signal);
    }
    throw toOSError(error, "connect", { path });
  } finally {
    signal.removeEventListener("abort", onAbort!);
  }
}

export async function listenUnix(path: string, options: { backlog: number }): Promise<RawListener> {
  try {
    return await listenUnixNative(path, options);
  } catch (error) {
    throw toOSError(error, "listen", { path });
  }
}

async function listenUnixNative(path: string, _options: { backlog: number }): Promise<RawListener> {
  const deno = denoApi();
  // Deno.listen has no backlog option for Unix sockets: the runtime chooses it.
  try {
    return new DenoUnixListener(deno.listen({ transport: "unix", path }));
  } catch (error) {
    if (!(error instanceof deno.errors.AddrInUse)) throw error;
    if (!(await isStaleUnixSocket(deno, path))) throw error;
  }
  try {
    await deno.remove(path);
  } catch (error) {
    if (!(error instanceof deno.errors.NotFound)) throw error;
  }
  return new DenoUnixListener(deno.listen({ transport: "unix", path }));
}

/** Whether `path` is a socket file that nobody listens on (a connect is refused). */
async function isStaleUnixSocket(deno: DenoNamespace, path: string): Promise<boolean> {
  try {
    if ((await deno.lstat(path)).isSocket !== true) return false;
  } catch (error) {
    // Gone in the meantime: nothing to remove, binding may now succeed.
    return error instanceof deno.errors.NotFound;
  }
  try {
    closeQuietly(await deno.connect({ transport: "unix", path }));
    return false; // alive
  } catch (error) {
    return error instanceof deno.errors.ConnectionRefused;
  }
}

// Reads adapt to the traffic. A connection starts with small reads into consecutive
// regions of one SMALL_POOL buffer (what an idle connection's pending read pins), handed
// out without a copy and never written again (the caller owns them); once less than
// SMALL_READ is left, the next read takes a fresh pool. (A copy per read costs Deno about
// 1.7 µs: every typed array it allocates is off-heap; a pool costs one per ~200 small
// requests. A small chunk that the caller keeps pins its pool, as Node's pooled Buffers do.)
// When a read fills its region, more is waiting: reads become bulk reads of BULK_READ bytes
// (or maxBytes if larger) into consecutive regions of a BULK_POOL buffer, likewise, until a
// read brings less than 1/4 of its region (so an idle connection after a bulk transfer
// usually waits on a small pool again; that chunk is copied, so that no bulk pool is pinned
// by a small chunk). Bytes beyond the caller's maxBytes serve the next reads (read-ahead
// bounded by BULK_READ). A pool the caller detached (transferred its buffer) is replaced.
// Measured (512 MiB in 64 KiB receives, CPU time): about that of Deno.read into one reused
// buffer, where a fresh buffer per read costs about 1.4x.
const SMALL_POOL = 16 * 1024;
const SMALL_READ = 8 * 1024;
const BULK_READ = 256 * 1024;
const BULK_POOL = 512 * 1024;

/**
 * A Deno conn (TCP or Unix) as a RawSocket: `conn.read` into a buffer the caller then owns,
 * `conn.write` looped until every byte is taken.
 */
class DenoSocket implements RawSocket {
  readonly raw: DenoConn;
  #tcp: boolean;
  // Report "::ffff:a.b.c.d" as IPv4 (a connection of an emulated "0.0.0.0" listener).
  #unmapV4: boolean;
  #info: SocketInfo | undefined;
  // Small reads land in consecutive regions of #small from #smallOffset on, bulk reads
  // (while reads fill their region) in those of #pool from #offset on; both handed out as is.
  #small: Uint8Array<ArrayBuffer> | undefined;
  #smallOffset = 0;
  #pool: Uint8Array<ArrayBuffer> | undefined;
  #offset = 0;
  // Bytes read beyond the caller's maxBytes, for the next reads.
  #rest: Uint8Array<ArrayBuffer> | undefined;
  /** The last conn read: Deno lets the socket go only once a pending one has settled. */
  #reading: Promise<unknown> | undefined;
  #closed = false;
  // The read in flight: where it reports, its limit, its region and whether it is a bulk read.
  #readSink: RawSocketSink | undefined;
  #readMax = 0;
  #region: Uint8Array<ArrayBuffer> | undefined;
  #bulk = false;
  // The write in flight: its bytes, how many went, where it reports; who waits for its end.
  #writeData: Uint8Array | undefined;
  #written = 0;
  #writeSink: RawSocketSink | undefined;
  #writeEnded: (() => void) | undefined;
  // The handlers of the conn's read and write promises, made once (no async frame per call).
  #onRead: ((count: number | null) => void) | undefined;
  #onReadFailed: ((error: unknown) => void) | undefined;
  #onWrote: ((count: number) => void) | undefined;
  #onWriteFailed: ((error: unknown) => void) | undefined;

  constructor(conn: DenoConn, tcp: boolean, unmapV4 = false) {
    this.raw = conn;
    this.#tcp = tcp;
    this.#unmapV4 = unmapV4;
    // Like Trio: no Nagle delay on TCP (Deno's default may vary by version).
    if (tcp) {
      try {
        conn.setNoDelay?.(true);
      } catch {
        // Already closed by the peer: the first read or write reports it.
      }
    }
  }

  get info(): SocketInfo {
    return (this.#info ??= this.#tcp ? tcpInfo(this.raw, this.#unmapV4) : unixInfo(this.raw));
  }

  read(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
    return new Promise((resolve, reject) => this.readInto(maxBytes, callbackSink(resolve, reject, noop, noop)));
  }

  /** `read` with callbacks: at once (synchronously) when read-ahead bytes are there. */
  readCallback(maxBytes: number, onChunk: (chunk: Uint8Array<ArrayBuffer> | null) => void, onError: (error: unknown) => void): void {
    this.readInto(maxBytes, callbackSink(onChunk, onError, noop, noop));
  }

  /**
   * `readCallback` reporting to a sink (the core's SocketStream): at once when read-ahead
   * bytes are there, else from the handler of the conn's read (prebound: no async frame,
   * no closure per read).
   */
  readInto(maxBytes: number, sink: RawSocketSink): void {
    const rest = this.#rest;
    if (rest !== undefined) sink._onChunk(this.#fromRest(rest, maxBytes));
    else this.#readConn(maxBytes, sink);
  }

  /** Starts a conn read for `sink` (again after an empty read). */
  #readConn(maxBytes: number, sink: RawSocketSink): void {
    if (this.#closed) return sink._onChunk(null);
    const bulk = this.#pool !== undefined;
    let region: Uint8Array<ArrayBuffer>;
    if (bulk) {
      let pool = this.#pool!;
      const size = maxBytes > BULK_READ ? maxBytes : BULK_READ;
      if (pool.byteLength - this.#offset < size) {
        pool = this.#pool = new Uint8Array(size > BULK_POOL ? size : BULK_POOL);
        this.#offset = 0;
      }
      region = pool.subarray(this.#offset, this.#offset + size);
    } else {
      let small = this.#small;
      if (small === undefined || small.byteLength - this.#smallOffset < SMALL_READ) {
        small = this.#small = new Uint8Array(SMALL_POOL);
        this.#smallOffset = 0;
      }
      region = small.subarray(this.#smallOffset);
    }
    this.#readSink = sink;
    this.#readMax = maxBytes;
    this.#region = region;
    this.#bulk = bulk;
    let reading: Promise<number | null>;
    try {
      reading = this.raw.read(region);
    } catch (error) {
      reading = Promise.reject(error);
    }
    this.#reading = reading.then(
      (this.#onRead ??= (count) => this.#readDone(count)),
      (this.#onReadFailed ??= (error) => this.#readFailed(error)),
    );
  }

  #readDone(count: number | null): void {
    const sink = this.#readSink!;
    const region = this.#region!;
    const maxBytes = this.#readMax;
    this.#readSink = this.#region = undefined;
    if (count === null) return sink._onChunk(null);
    if (count === 0) return this.#readConn(maxBytes, sink); // Deno may report 0 bytes, which is not end of stream
    let chunk: Uint8Array<ArrayBuffer>;
    if (!this.#bulk) {
      // The chunk is handed out without a copy; that part of the pool is never written again.
      this.#smallOffset += count;
      chunk = region.subarray(0, count);
      // A full region means more is waiting: switch to bulk reads.
      if (count === region.byteLength) {
        this.#pool = new Uint8Array(BULK_POOL);
        this.#offset = 0;
      }
    } else if (count * 4 < region.byteLength) {
      // The flow slowed down: back to small reads (a copy: no pool pinned by a small chunk).
      this.#pool = undefined;
      chunk = region.slice(0, count);
    } else {
      // The chunk is handed out without a copy; that part of the pool is never written again.
      this.#offset += count;
      chunk = region.subarray(0, count);
    }
    sink._onChunk(chunk.byteLength > maxBytes ? this.#fromRest(chunk, maxBytes) : chunk);
  }

  #readFailed(error: unknown): void {
    const sink = this.#readSink!;
    this.#readSink = this.#region = undefined;
    // Closed by us while pending (Interrupted) or before (BadResource): end of stream.
    if (this.#closed) sink._onChunk(null);
    else sink._onReadError(this.#portable(error, "read"));
  }

  #fromRest(rest: Uint8Array<ArrayBuffer>, maxBytes: number): Uint8Array<ArrayBuffer> {
    if (rest.byteLength <= maxBytes) {
      this.#rest = undefined;
      return rest;
    }
    this.#rest = rest.subarray(maxBytes);
    return rest.subarray(0, maxBytes);
  }

  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.writeFrom(data, callbackSink(noop, noop, resolve, reject)));
  }

  /** `write` reporting to a sink: the conn's write, again for what it did not take, until every byte went. */
  writeFrom(data: Uint8Array, sink: RawSocketSink): void {
    this.#writeData = data;
    this.#written = 0;
    this.#writeSink = sink;
    this.#writeConn(data);
  }

  #writeConn(bytes: Uint8Array): void {
    let writing: Promise<number>;
    try {
      writing = this.raw.write(bytes);
    } catch (error) {
      writing = Promise.reject(error);
    }
    writing.then(
      (this.#onWrote ??= (count) => this.#wrote(count)),
      (this.#onWriteFailed ??= (error) => this.#writeFailed(error)),
    );
  }

  #wrote(count: number): void {
    const data = this.#writeData!;
    const written = (this.#written += count);
    if (written < data.byteLength) return this.#writeConn(data.subarray(written)); // Deno took part of it
    const sink = this.#writeSink!;
    this.#endWrite();
    sink._onWritten();
  }

  #writeFailed(error: unknown): void {
    const sink = this.#writeSink!;
    this.#endWrite();
    sink._onWriteError(this.#portable(error, "write"));
  }

  #endWrite(): void {
    this.#writeData = this.#writeSink = undefined;
    const ended = this.#writeEnded;
    this.#writeEnded = undefined;
    ended?.();
  }

  /** A read or write error in the portable shape, naming the peer. */
  #portable(error: unknown, syscall: string): unknown {
    let info: SocketInfo | undefined;
    try {
      info = this.info;
    } catch {
      // The conn forgot its addresses: name nothing.
    }
    if (info === undefined) return toOSError(error, syscall, {});
    return toOSError(
      error,
      syscall,
      info.family === "unix" ? { path: info.remoteAddress || info.localAddress } : { address: socketAddress(info.remoteAddress ?? "", info.remotePort) },
    );
  }

  async closeWrite(): Promise<void> {
    // End of stream goes after a pending write (its failure is reported to its caller).
    while (this.#writeSink !== undefined) {
      await new Promise<void>((resolve) => {
        const earlier = this.#writeEnded;
        this.#writeEnded = earlier === undefined ? resolve : () => (earlier(), resolve());
      });
    }
    await this.raw.closeWrite();
  }

  close(): void | Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool = this.#small = this.#rest = undefined;
    // Deno shuts the write side down (FIN) and closes; a pending read is interrupted.
    closeQuietly(this.raw);
    return this.#reading?.then(noop, noop);
  }
}

class DenoUnixListener implements RawListener {
  readonly raw: DenoListener;
  readonly info: SocketInfo;
  #closed = false;
  /** The native accept in flight: Deno lets the socket go only once it has settled. */
  #accepting: Promise<unknown> | undefined;

  constructor(listener: DenoListener) {
    this.raw = listener;
    this.info = { family: "unix", localAddress: (listener.addr as DenoUnixAddr).path ?? "" };
  }

  async accept(): Promise<RawSocket> {
    for (;;) {
      const accepting = this.raw.accept();
      this.#accepting = accepting;
      try {
        return new DenoSocket(await accepting, false);
      } catch (error) {
        if (isDroppedConnection(error)) continue; // the client went before it was accepted
        throw toOSError(error, "accept", { path: this.info.localAddress });
      }
    }
  }

  close(): void | Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.raw);
    return this.#accepting?.then(noop, noop);
  }
}

const noop = (): void => {};

/** Callbacks as a {@linkcode RawSocketSink}, for `read`, `readCallback` and `write`. */
function callbackSink(
  onChunk: (chunk: Uint8Array<ArrayBuffer> | null) => void,
  onReadError: (error: unknown) => void,
  onWritten: () => void,
  onWriteError: (error: unknown) => void,
): RawSocketSink {
  return { _onChunk: onChunk, _onReadError: onReadError, _onWritten: onWritten, _onWriteError: onWriteError };
}

function tcpInfo(conn: DenoConn, unmapV4: boolean): SocketInfo {
  const local = conn.localAddr as DenoNetAddr;
  const remote = conn.remoteAddr as DenoNetAddr;
  let localAddress = local.hostname;
  let remoteAddress = remote.hostname;
  if (unmapV4) {
    localAddress = unmapIPv4(localAddress);
    remoteAddress = unmapIPv4(remoteAddress);
  }
  return {
    family: ipFamily(localAddress),
    localAddress,
    localPort: local.port,
    remoteAddress,
    remotePort: remote.port,
  };
}

function unixInfo(conn: DenoConn): SocketInfo {
  return {
    family: "unix",
    localAddress: (conn.localAddr as DenoUnixAddr).path ?? "",
    remoteAddress: (conn.remoteAddr as DenoUnixAddr).path ?? "",
  };
}

function ipFamily(address: string): "IPv4" | "IPv6" {
  return address.includes(":") ? "IPv6" : "IPv4";
}

function unmapIPv4(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

function closeQuietly(closable: { close(): void }): void {
  try {
    closable.close();
  } catch {
    // Already closed (BadResource): close is idempotent.
  }
}
