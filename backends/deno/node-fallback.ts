/**
 * The node: fallbacks of the Deno adapter, for what Deno's native API lacks (loaded on
 * first use):
 * - getaddrinfo: node:dns `lookup`, because Deno has no getaddrinfo (`Deno.resolveDns`
 *   queries DNS servers and ignores /etc/hosts);
 * - a TCP connection from a given local address: node:net, because `Deno.connect` has no
 *   local address option;
 * - UDP: node:dgram, because `Deno.listenDatagram` needs `--unstable-net`.
 *
 * @module
 */
import { createSocket, type Socket as DgramSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { connect, type Socket } from "node:net";
import type { RawSocket, RawUdpSocket, SocketInfo } from "../../src/backend/index.ts";
import { denoPermissionError, posixCode, socketAddress, toOSError } from "../shared/os-error.ts";
import { abortReason, denoApi } from "./api.ts";

/** getaddrinfo through node:dns, in the resolver's order. */
export async function lookupAll(
  host: string,
  family: 0 | 4 | 6,
): Promise<Array<{ address: string; family: 4 | 6 }>> {
  let results;
  try {
    results = await lookup(host, { all: true, family, verbatim: true, order: "verbatim" });
  } catch (error) {
    // Without --allow-net, Deno's node:dns fails with a bare EPERM.
    if (posixCode(error) === "EPERM") {
      const denied = denoPermissionError({ name: "net", host }, "getaddrinfo", { address: host });
      if (denied !== undefined) throw Object.assign(denied, { cause: error });
    }
    throw toOSError(error, "getaddrinfo", { address: host });
  }
  return results.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

/** Connects from `localHost` with node:net. */
export function connectTcpFrom(
  address: string,
  port: number,
  localHost: string,
  signal: AbortSignal,
): Promise<RawSocket> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<RawSocket>((resolve, reject) => {
    const socket = connect({ host: address, port, localAddress: localHost, noDelay: true });
    const onAbort = (): void => {
      socket.destroy();
      settle();
      reject(abortReason(signal));
    };
    const onError = (error: Error): void => {
      settle();
      reject(toOSError(error, "connect", { address: socketAddress(address, port) }));
    };
    const onConnect = (): void => {
      settle();
      resolve(new NodeSocket(socket));
    };
    const settle = (): void => {
      signal.removeEventListener("abort", onAbort);
      socket.off("error", onError);
      socket.off("connect", onConnect);
      // Keep a listener: a late 'error' must never become an uncaught exception.
      socket.on("error", () => {});
    };
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("error", onError);
    socket.once("connect", onConnect);
  });
}

/** A node:net socket as a RawSocket: paused-mode reads, writes resolved by their callback. */
class NodeSocket implements RawSocket {
  readonly raw: Socket;
  #error: unknown;
  #ended = false;
  #closed = false;
  #wake: (() => void) | undefined;
  #info: SocketInfo | undefined;

  constructor(socket: Socket) {
    this.raw = socket;
    const wake = (): void => {
      const resume = this.#wake;
      this.#wake = undefined;
      resume?.();
    };
    socket.on("readable", wake);
    socket.on("end", () => {
      this.#ended = true;
      wake();
    });
    socket.on("error", (error) => {
      this.#error ??= toOSError(error, (error as { syscall?: string }).syscall ?? "read", {
        address: socketAddress(socket.remoteAddress ?? "", socket.remotePort),
      });
      wake();
    });
    socket.on("close", wake);
  }

  get info(): SocketInfo {
    const socket = this.raw;
    return (this.#info ??= {
      family: socket.localAddress?.includes(":") === true ? "IPv6" : "IPv4",
      localAddress: socket.localAddress ?? "",
      localPort: socket.localPort,
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
    });
  }

  async read(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
    const socket = this.raw;
    for (;;) {
      if (this.#closed) return null;
      const chunk = socket.read() as Uint8Array | null;
      if (chunk !== null && chunk.byteLength > 0) {
        if (chunk.byteLength > maxBytes) socket.unshift(chunk.subarray(maxBytes));
        // A copy into a plain Uint8Array: Node's buffers may share a pool.
        return new Uint8Array(chunk.subarray(0, maxBytes));
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended || socket.destroyed) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.raw.write(data, (error) => {
        if (!error) resolve();
        else reject(this.#error ?? toOSError(error, "write", { address: socketAddress(this.raw.remoteAddress ?? "", this.raw.remotePort) }));
      });
    });
  }

  closeWrite(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.raw.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
  }

  close(): void | Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closing = finishThenDestroy(this.raw);
    const resume = this.#wake;
    this.#wake = undefined;
    resume?.();
    return closing;
  }
}

/**
 * Closes a node:net socket with the end of stream (FIN) first, as the deno backend's own
 * sockets do (Deno shuts the write side down on close), also when received data is
 * unread; resolves once it is closed.
 */
function finishThenDestroy(socket: Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    socket.once("close", () => resolve());
    if (socket.writableEnded || socket.writableLength !== 0 || socket.connecting) {
      socket.destroy();
      return;
    }
    socket.end(() => socket.destroy());
    socket.once("error", () => socket.destroy());
  });
}

/** Opens a UDP socket with node:dgram. */
export async function openUdpSocket(options: {
  family: 4 | 6;
  localHost: string;
  localPort: number;
  reuseAddress: boolean;
  remote?: { host: string; port: number };
}): Promise<RawUdpSocket> {
  const bindAddress = socketAddress(options.localHost, options.localPort);
  // Deno's node:dgram reports a missing permission as an uncaught exception: ask first.
  const denied = denoPermissionError({ name: "net", host: bindAddress }, "bind", { address: bindAddress });
  if (denied !== undefined) throw denied;
  const socket = createSocket({ type: options.family === 6 ? "udp6" : "udp4", reuseAddr: options.reuseAddress });
  const udp = new NodeUdpSocket(socket, options.family);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", (error) => reject(toOSError(error, "bind", { address: bindAddress })));
      socket.bind({ port: options.localPort, address: options.localHost }, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    const remote = options.remote;
    if (remote !== undefined) {
      await new Promise<void>((resolve, reject) => {
        socket.connect(remote.port, remote.host, (error?: Error) => {
          if (!error) resolve();
          else reject(toOSError(error, "connect", { address: socketAddress(remote.host, remote.port) }));
        });
      });
    }
  } catch (error) {
    udp.close();
    throw error;
  }
  return udp;
}

// Datagrams kept while nobody receives; more are dropped, as a full kernel buffer would.
const MAX_QUEUED_DATAGRAMS = 1024;

class NodeUdpSocket implements RawUdpSocket {
  readonly raw: DgramSocket;
  #family: 4 | 6;
  #queue: Array<[Uint8Array<ArrayBuffer>, string, number]> = [];
  #error: unknown;
  #closed = false;
  #waiter:
    | { resolve: (datagram: [Uint8Array<ArrayBuffer>, string, number]) => void; reject: (error: unknown) => void }
    | undefined;
  #info: SocketInfo | undefined;

  constructor(socket: DgramSocket, family: 4 | 6) {
    this.raw = socket;
    this.#family = family;
    socket.on("message", (message, from) => {
      // A copy into a plain Uint8Array that the receiver owns.
      const datagram: [Uint8Array<ArrayBuffer>, string, number] = [new Uint8Array(message), from.address, from.port];
      const waiter = this.#waiter;
      if (waiter !== undefined) {
        this.#waiter = undefined;
        waiter.resolve(datagram);
      } else if (this.#queue.length < MAX_QUEUED_DATAGRAMS) {
        this.#queue.push(datagram);
      }
    });
    socket.on("error", (raw) => {
      const error = toOSError(raw, "recv", {});
      const waiter = this.#waiter;
      this.#waiter = undefined;
      if (waiter !== undefined) waiter.reject(error);
      else this.#error ??= error;
    });
  }

  get info(): SocketInfo {
    if (this.#info === undefined) {
      const local = this.raw.address();
      let remote: { address: string; port: number } | undefined;
      try {
        remote = this.raw.remoteAddress();
      } catch {
        // Not connected.
      }
      this.#info = {
        family: this.#family === 6 ? "IPv6" : "IPv4",
        localAddress: local.address,
        localPort: local.port,
        ...(remote !== undefined ? { remoteAddress: remote.address, remotePort: remote.port } : {}),
      };
    }
    return this.#info;
  }

  receive(): Promise<[data: Uint8Array<ArrayBuffer>, host: string, port: number]> {
    const datagram = this.#queue.shift();
    if (datagram !== undefined) return Promise.resolve(datagram);
    if (this.#closed) return Promise.reject(closedError());
    if (this.#error !== undefined) {
      const error = this.#error;
      this.#error = undefined;
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  send(data: Uint8Array, host?: string, port?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error: Error | null): void => {
        if (!error) resolve();
        else reject(toOSError(error, "send", { address: host === undefined ? "" : socketAddress(host, port) }));
      };
      try {
        if (host === undefined || port === undefined) this.raw.send(data, done);
        else this.raw.send(data, port, host, done);
      } catch (error) {
        reject(error);
      }
    });
  }

  close(): void | Promise<void> {
    if (this.#closed) return this.#closing;
    this.#closed = true;
    this.#queue.length = 0;
    // Deno's node:dgram releases the port a tick after close(): its callback says when.
    this.#closing = new Promise<void>((resolve) => {
      try {
        this.raw.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(closedError());
    return this.#closing;
  }

  #closing: Promise<void> | undefined;
}

function closedError(): Error {
  return new (denoApi().errors.BadResource)("the UDP socket is closed");
}
