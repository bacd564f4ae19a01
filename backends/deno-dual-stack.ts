/**
 * IPV6_V6ONLY for the Deno adapter. The core listens on "::" with `ipv6Only` and on
 * "0.0.0.0" with the same port; Deno cannot set IPV6_V6ONLY (`Deno.listen` has no option
 * and Deno's node:net ignores `ipv6Only`), so on Linux (net.ipv6.bindv6only = 0) its "::"
 * socket is dual-stack and the "0.0.0.0" bind fails with AddrInUse.
 *
 * So one native dual-stack listener serves two views: the "::" view accepts the IPv6
 * connections, the "0.0.0.0" view (attached when its bind fails with AddrInUse on the
 * port of a live group) the IPv4-mapped ones. An IPv4 connection that arrives while no
 * "0.0.0.0" view is open is closed, as a v6-only socket would have refused it. Where the
 * system socket is already v6-only, the "0.0.0.0" bind succeeds and no view attaches.
 *
 * @module
 */
import type { RawListener, RawSocket, SocketInfo } from "../src/backend.ts";
import { type DenoConn, type DenoListener, type DenoNetAddr, denoApi } from "./deno-api.ts";

type Wrap = (conn: DenoConn) => RawSocket;

// Live groups by bound port.
const groups = new Map<number, DualStackGroup>();

/** Listens on "::" (dual-stack where the system makes it so) and returns its IPv6 view. */
export function listenDualStackV6(port: number, backlog: number, wrap: Wrap): RawListener {
  const listener = denoApi().listen({ hostname: "::", port, transport: "tcp", tcpBacklog: backlog });
  const group = new DualStackGroup(listener, wrap);
  groups.set(group.port, group);
  return group.v6;
}

/** The IPv4 view of the live group on `port`, or `undefined` if there is none to share. */
export function listenDualStackV4(port: number, wrap: Wrap): RawListener | undefined {
  const group = groups.get(port);
  if (group === undefined || group.v4 !== undefined) return undefined;
  return (group.v4 = new View(group, wrap, { family: "IPv4", localAddress: "0.0.0.0", localPort: port }));
}

class DualStackGroup {
  readonly native: DenoListener;
  readonly port: number;
  readonly v6: View;
  v4: View | undefined;
  #pumping = false;

  constructor(native: DenoListener, wrap: Wrap) {
    this.native = native;
    this.port = (native.addr as DenoNetAddr).port;
    this.v6 = new View(this, wrap, { family: "IPv6", localAddress: "::", localPort: this.port });
  }

  /** Accepts while a view waits, and hands each connection to its family's view. */
  async pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.v6.waiting || this.v4?.waiting === true) {
        let conn: DenoConn;
        try {
          conn = await this.native.accept();
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

  viewClosed(): void {
    if (!this.v6.closed || (this.v4 !== undefined && !this.v4.closed)) return;
    if (groups.get(this.port) === this) groups.delete(this.port);
    closeQuietly(this.native);
  }
}

class View implements RawListener {
  readonly info: SocketInfo;
  closed = false;
  #group: DualStackGroup;
  #wrap: Wrap;
  #ready: DenoConn[] = [];
  #waiter: { resolve: (socket: RawSocket) => void; reject: (error: unknown) => void } | undefined;

  constructor(group: DualStackGroup, wrap: Wrap, info: SocketInfo) {
    this.#group = group;
    this.#wrap = wrap;
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
    if (ready !== undefined) return Promise.resolve(this.#wrap(ready));
    return new Promise<RawSocket>((resolve, reject) => {
      this.#waiter = { resolve, reject };
      void this.#group.pump();
    });
  }

  deliver(conn: DenoConn): void {
    const waiter = this.#waiter;
    if (waiter === undefined) {
      this.#ready.push(conn);
      return;
    }
    this.#waiter = undefined;
    waiter.resolve(this.#wrap(conn));
  }

  fail(error: unknown): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const conn of this.#ready.splice(0)) closeQuietly(conn);
    this.fail(new (denoApi().errors.BadResource)("Listener has been closed"));
    this.#group.viewClosed();
  }
}

function closeQuietly(closable: { close(): void }): void {
  try {
    closable.close();
  } catch {
    // Already closed.
  }
}
