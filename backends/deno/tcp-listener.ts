/**
 * TCP listeners of the Deno adapter, on `Deno.listen`, with IPV6_V6ONLY emulated.
 *
 * The core listens on "0.0.0.0" and on "::" with `ipv6Only` with one port. Deno cannot set
 * IPV6_V6ONLY (`Deno.listen` has no option for it and Deno's node:net ignores `ipv6Only`),
 * so on Linux (net.ipv6.bindv6only = 0) a "::" socket is dual-stack and the two binds of
 * one port conflict (AddrInUse). So one native dual-stack socket serves both: a "::"
 * listener with `ipv6Only` is a group whose IPv6 view accepts the IPv6 connections and
 * whose IPv4 view (the "0.0.0.0" listener of the same port) the IPv4-mapped ones.
 * - "::" first: the "0.0.0.0" bind fails with AddrInUse and attaches to the group instead.
 * - "0.0.0.0" first: the "::" bind fails with AddrInUse; if that "0.0.0.0" listener is ours
 *   and idle (no accept pending), it gives its port up, "::" binds dual-stack, and the
 *   "0.0.0.0" listener becomes the group's IPv4 view (same object, same port).
 * An IPv4 connection that arrives while the group has no open IPv4 view is closed, as a
 * v6-only socket would have refused it. Where the system's "::" sockets are v6-only
 * already, both binds succeed and nothing is shared.
 *
 * @module
 */
import type { RawListener, RawSocket, SocketInfo } from "../../src/backend/index.ts";
import { posixCode, socketAddress, toOSError } from "../shared/os-error.ts";
import { type DenoConn, type DenoListener, type DenoNetAddr, denoApi } from "./api.ts";

/**
 * Whether an accept failed only because that one connection died before or while it was
 * accepted (a client that reset at once: Deno reports NotConnected, os error 107, or
 * ConnectionReset/Aborted): the listener goes on with the next one.
 */
export function isDroppedConnection(error: unknown): boolean {
  const code = posixCode(error);
  return code === "ENOTCONN" || code === "ECONNRESET" || code === "ECONNABORTED" || code === "EPROTO";
}

const noop = (): void => {};

/**
 * Accepts from `native`, dropping connections that died on the way. Out of descriptors,
 * Deno's accept fails with "Too many open files" (EMFILE): that becomes the portable
 * OSError, and `serve` waits 100 ms and accepts again (the native listener stays usable,
 * so nothing is routed around it). What made Deno panic under this load was the uncaught
 * error once serve had ended: Deno 2.9 panics when it reports an uncaught error while
 * the process is out of descriptors.
 */
async function acceptLive(native: DenoListener, port: number): Promise<DenoConn> {
  for (;;) {
    try {
      return await native.accept();
    } catch (error) {
      if (isDroppedConnection(error)) continue;
      throw toOSError(error, "accept", { address: socketAddress((native.addr as DenoNetAddr).hostname, port) });
    }
  }
}

/** Makes a RawSocket of an accepted conn; `unmapV4` reports "::ffff:a.b.c.d" as IPv4. */
export type WrapConn = (conn: DenoConn, unmapV4: boolean) => RawSocket;

/** The options of `Backend.listenTcp`. */
export interface ListenTcpOptions {
  /** An IP address. */
  host: string;
  /** 0: any free port. */
  port: number;
  /** The listen queue length. */
  backlog: number;
  /** SO_REUSEPORT where the runtime allows it. */
  reuseAddress: boolean;
  /** IPV6_V6ONLY for IPv6 addresses. */
  ipv6Only: boolean;
}

// Live dual-stack groups by port, and our native "0.0.0.0" listeners by port.
const groups = new Map<number, DualStackGroup>();
const wildcardV4 = new Map<number, DenoTcpListener>();

/** Listens with `Deno.listen` (synchronous: throws the runtime's error). */
export function listenTcpNative(options: ListenTcpOptions, wrap: WrapConn): RawListener {
  const { host, port, backlog } = options;
  const deno = denoApi();
  // SO_REUSEPORT is unstable in Deno 2.9: without --unstable-net, asking for it ends the
  // process, so it is only asked for when the unstable network API is there.
  const reusePort = options.reuseAddress && "listenDatagram" in deno;
  if (options.ipv6Only && isUnspecifiedIPv6(host)) return listenV6Only(port, backlog, reusePort, wrap);
  let native: DenoListener;
  try {
    native = bind(host, port, backlog, reusePort);
  } catch (error) {
    if (host === "0.0.0.0" && port !== 0 && error instanceof deno.errors.AddrInUse) {
      const group = groups.get(port);
      if (group !== undefined && group.v4 === undefined) return group.attachV4(wrap);
    }
    throw error;
  }
  const listener = new DenoTcpListener(native, wrap, backlog, reusePort);
  if (host === "0.0.0.0") wildcardV4.set(listener.info.localPort!, listener);
  return listener;
}

function listenV6Only(port: number, backlog: number, reusePort: boolean, wrap: WrapConn): RawListener {
  let native: DenoListener;
  let v4: DenoTcpListener | undefined;
  try {
    native = bind("::", port, backlog, reusePort);
  } catch (error) {
    v4 = port === 0 ? undefined : wildcardV4.get(port);
    if (!(error instanceof denoApi().errors.AddrInUse) || v4 === undefined || !v4.canHandOver()) throw error;
    native = v4.handOver(() => bind("::", port, backlog, reusePort), error);
  }
  const group = new DualStackGroup(native, wrap, backlog);
  groups.set(group.port, group);
  v4?.delegateTo(group.attachV4(wrap));
  return group.v6;
}

function bind(host: string, port: number, backlog: number, reusePort: boolean): DenoListener {
  return denoApi().listen({
    hostname: host,
    port,
    transport: "tcp",
    tcpBacklog: backlog,
    ...(reusePort ? { reusePort: true } : {}),
  });
}

/** A native TCP listener; a "0.0.0.0" one may later hand its port to a dual-stack group. */
class DenoTcpListener implements RawListener {
  readonly info: SocketInfo;
  #native: DenoListener | undefined;
  #delegate: RawListener | undefined;
  #broken: unknown;
  #wrap: WrapConn;
  #backlog: number;
  #reusePort: boolean;
  #pending = 0;
  /** The native accept in flight: Deno releases the port only once it has settled. */
  #accepting: Promise<unknown> | undefined;
  #closed = false;

  constructor(native: DenoListener, wrap: WrapConn, backlog: number, reusePort: boolean) {
    this.#native = native;
    this.#wrap = wrap;
    this.#backlog = backlog;
    this.#reusePort = reusePort;
    const addr = native.addr as DenoNetAddr;
    this.info = { family: addr.hostname.includes(":") ? "IPv6" : "IPv4", localAddress: addr.hostname, localPort: addr.port };
  }

  get raw(): unknown {
    return this.#delegate !== undefined ? this.#delegate.raw : this.#native;
  }

  async accept(): Promise<RawSocket> {
    if (this.#delegate !== undefined) return this.#delegate.accept();
    if (this.#native === undefined) throw this.#broken;
    this.#pending++;
    const accepting = acceptLive(this.#native, this.info.localPort!);
    this.#accepting = accepting;
    try {
      return this.#wrap(await accepting, false);
    } finally {
      this.#pending--;
      if (this.#accepting === accepting) this.#accepting = undefined;
    }
  }

  close(): void | Promise<void> {
    if (this.#closed) return this.#accepting?.then(noop, noop);
    this.#closed = true;
    if (wildcardV4.get(this.info.localPort!) === this) wildcardV4.delete(this.info.localPort!);
    if (this.#delegate !== undefined) return this.#delegate.close();
    if (this.#native !== undefined) closeQuietly(this.#native);
    // A pending accept holds the socket: the port is free once it has been interrupted.
    return this.#accepting?.then(noop, noop);
  }

  /** Whether it can give its port up now (open, native, no accept pending). */
  canHandOver(): boolean {
    return !this.#closed && this.#delegate === undefined && this.#native !== undefined && this.#pending === 0;
  }

  /** Closes the native socket and calls `bindV6`; if that fails, binds again and throws. */
  handOver(bindV6: () => DenoListener, originalError: unknown): DenoListener {
    closeQuietly(this.#native!);
    this.#native = undefined;
    try {
      return bindV6();
    } catch {
      try {
        this.#native = bind("0.0.0.0", this.info.localPort!, this.#backlog, this.#reusePort);
      } catch (lost) {
        this.#broken = lost;
        wildcardV4.delete(this.info.localPort!);
      }
      throw originalError;
    }
  }

  /** From now on, accepts through `view` (the IPv4 view of a dual-stack group). */
  delegateTo(view: RawListener): void {
    this.#delegate = view;
    if (wildcardV4.get(this.info.localPort!) === this) wildcardV4.delete(this.info.localPort!);
  }
}

/** One native dual-stack "::" socket serving an IPv6 view and (maybe) an IPv4 view. */
class DualStackGroup {
  readonly native: DenoListener;
  readonly port: number;
  readonly v6: View;
  v4: View | undefined;
  // Connections accepted for a view that is not accepting, at most this many per view.
  readonly backlog: number;
  #pumping = false;
  /** The native accept in flight: Deno releases the port only once it has settled. */
  #accepting: Promise<unknown> | undefined;

  constructor(native: DenoListener, wrap: WrapConn, backlog: number) {
    this.native = native;
    this.backlog = backlog;
    this.port = (native.addr as DenoNetAddr).port;
    this.v6 = new View(this, wrap, false, { family: "IPv6", localAddress: "::", localPort: this.port });
  }

  attachV4(wrap: WrapConn): View {
    return (this.v4 = new View(this, wrap, true, { family: "IPv4", localAddress: "0.0.0.0", localPort: this.port }));
  }

  /** Accepts while a view waits, and hands each connection to its family's view. */
  async pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.v6.waiting || this.v4?.waiting === true) {
        let conn: DenoConn;
        const accepting = acceptLive(this.native, this.port);
        this.#accepting = accepting;
        try {
          conn = await accepting;
        } catch (error) {
          this.v6.fail(error);
          this.v4?.fail(error);
          return;
        }
        const remote = (conn.remoteAddr as DenoNetAddr).hostname;
        const view = remote.startsWith("::ffff:") && remote.includes(".") ? this.v4 : this.v6;
        if (view === undefined || view.closed) closeQuietly(conn);
        else view.deliver(conn);
      }
    } finally {
      this.#pumping = false;
    }
  }

  viewClosed(): void | Promise<void> {
    if (!this.v6.closed || (this.v4 !== undefined && !this.v4.closed)) return;
    if (groups.get(this.port) === this) groups.delete(this.port);
    closeQuietly(this.native);
    return this.#accepting?.then(noop, noop);
  }
}

class View implements RawListener {
  readonly info: SocketInfo;
  closed = false;
  #group: DualStackGroup;
  #wrap: WrapConn;
  #unmapV4: boolean;
  #ready: DenoConn[] = [];
  #waiter: { resolve: (socket: RawSocket) => void; reject: (error: unknown) => void } | undefined;

  constructor(group: DualStackGroup, wrap: WrapConn, unmapV4: boolean, info: SocketInfo) {
    this.#group = group;
    this.#wrap = wrap;
    this.#unmapV4 = unmapV4;
    this.info = info;
  }

  get raw(): unknown {
    return this.#group.native;
  }

  get waiting(): boolean {
    return this.#waiter !== undefined;
  }

  accept(): Promise<RawSocket> {
    if (this.closed) return Promise.reject(new (denoApi().errors.BadResource)("Listener has been closed"));
    const ready = this.#ready.shift();
    if (ready !== undefined) return Promise.resolve(this.#wrap(ready, this.#unmapV4));
    if (this.#waiter !== undefined) return Promise.reject(new Error("another accept is already pending"));
    return new Promise<RawSocket>((resolve, reject) => {
      this.#waiter = { resolve, reject };
      void this.#group.pump();
    });
  }

  deliver(conn: DenoConn): void {
    const waiter = this.#waiter;
    if (waiter === undefined) {
      // Beyond the backlog, a connection is dropped, as a full listen queue would.
      if (this.#ready.length < this.#group.backlog) this.#ready.push(conn);
      else closeQuietly(conn);
      return;
    }
    this.#waiter = undefined;
    waiter.resolve(this.#wrap(conn, this.#unmapV4));
  }

  fail(error: unknown): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }

  close(): void | Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const conn of this.#ready.splice(0)) closeQuietly(conn);
    this.fail(new (denoApi().errors.BadResource)("Listener has been closed"));
    return this.#group.viewClosed();
  }
}

function isUnspecifiedIPv6(host: string): boolean {
  return host.includes(":") && /^[0:]+$/.test(host);
}

function closeQuietly(closable: { close(): void }): void {
  try {
    closable.close();
  } catch {
    // Already closed (BadResource).
  }
}
