/**
 * UDP sockets of the Bun adapter, on `Bun.udpSocket`.
 *
 * @module
 */
import type { RawUdpSocket, SocketInfo } from "../../src/backend/index.ts";
import type { Waiter } from "../shared/bun-io.ts";
import { socketAddress, toOSError } from "../shared/os-error.ts";
import { bun, type BunUdp, type BunUdpHandler, closedError } from "./api.ts";

// ---------------------------------------------------------------------------------------
// UDP.

/** Unread datagrams beyond this many bytes are dropped, as a full kernel buffer would. */
const UDP_QUEUE_BYTES = 4 * 1024 * 1024;

type Datagram = [data: Uint8Array<ArrayBuffer>, host: string, port: number];

class BunUdpSocket implements RawUdpSocket {
  socket: BunUdp | null = null;
  info: SocketInfo = { family: "IPv4", localAddress: "" };
  readonly connected: boolean;
  #queue: Datagram[] = [];
  #head = 0;
  #queued = 0;
  #receiver: Waiter<Datagram> | null = null;
  #drainWaiters: Array<() => void> = [];
  #error: unknown = null;
  #closed = false;
  readonly handler: BunUdpHandler;

  constructor(connected: boolean) {
    this.connected = connected;
    this.handler = {
      data: (_socket, data, port, address) => this.#onData(data, address, port),
      drain: () => {
        const waiters = this.#drainWaiters;
        this.#drainWaiters = [];
        for (const wake of waiters) wake();
      },
      error: (_socket, raw) => {
        const error = toOSError(raw, "recv", {});
        this.#error = error;
        const receiver = this.#receiver;
        if (receiver !== null) {
          this.#receiver = null;
          this.#error = null;
          receiver.reject(error);
        }
      },
    };
  }

  get raw(): unknown {
    return this.socket;
  }

  #onData(data: Uint8Array<ArrayBuffer>, host: string, port: number): void {
    if (this.#closed) return;
    const receiver = this.#receiver;
    if (receiver !== null) {
      this.#receiver = null;
      receiver.resolve([data, host, port]);
      return;
    }
    if (this.#queued + data.length > UDP_QUEUE_BYTES) return;
    this.#queue.push([data, host, port]);
    this.#queued += data.length;
  }

  receive(): Promise<Datagram> {
    if (this.#head < this.#queue.length) {
      const datagram = this.#queue[this.#head]!;
      this.#queue[this.#head] = undefined as unknown as Datagram;
      if (++this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      this.#queued -= datagram[0].length;
      return Promise.resolve(datagram);
    }
    if (this.#closed) return Promise.reject(closedError());
    if (this.#error !== null) {
      const error = this.#error;
      this.#error = null;
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#receiver = { resolve, reject };
    });
  }

  async send(data: Uint8Array, host?: string, port?: number): Promise<void> {
    for (;;) {
      const socket = this.socket;
      if (this.#closed || socket === null) throw closedError();
      // A connected Bun UDP socket refuses a destination, even its own peer's.
      const sent = this.connected ? socket.send(data) : socket.send(data, port, host);
      if (sent) return;
      await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.socket?.close();
    this.#queue = [];
    this.#head = 0;
    this.#queued = 0;
    const receiver = this.#receiver;
    if (receiver !== null) {
      this.#receiver = null;
      receiver.reject(closedError());
    }
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** SO_REUSEPORT in Bun.udpSocket's (undocumented) `flags`, as Bun's node:dgram uses it. */
const UDP_REUSE_PORT = 4;

export async function createUdpSocket(options: {
  family: 4 | 6;
  localHost: string;
  localPort: number;
  reuseAddress: boolean;
  remote?: { host: string; port: number };
}): Promise<RawUdpSocket> {
  const udp = new BunUdpSocket(options.remote !== undefined);
  let socket: BunUdp;
  try {
    socket = await bun().udpSocket({
      hostname: options.localHost,
      port: options.localPort,
      flags: options.reuseAddress ? UDP_REUSE_PORT : 0,
      binaryType: "uint8array",
      ...(options.remote === undefined ? {} : { connect: { hostname: options.remote.host, port: options.remote.port } }),
      socket: udp.handler,
    });
  } catch (error) {
    throw toOSError(error, "bind", { address: socketAddress(options.localHost, options.localPort) });
  }
  udp.socket = socket;
  const local = socket.address;
  const remote = socket.remoteAddress;
  udp.info = {
    family: local.family,
    localAddress: local.address,
    localPort: local.port,
    ...(remote === undefined || remote === null ? {} : { remoteAddress: remote.address, remotePort: remote.port }),
  };
  return udp;
}
