/**
 * UDP sockets of the node adapter, on node:dgram.
 *
 * @module
 */
import * as dgram from "node:dgram";
import type { Backend, RawUdpSocket, SocketInfo } from "../../src/backend/index.ts";
import { denoPermissionError, socketAddress, toOSError } from "../shared/os-error.ts";
import { plain } from "./net.ts";

/** A bounded number of datagrams wait for `receive()`; beyond it they are dropped, as UDP may. */
const MAX_QUEUED_DATAGRAMS = 1024;

/** A `dgram.Socket` as a {@linkcode RawUdpSocket}. */
class NodeRawUdpSocket implements RawUdpSocket {
  readonly raw: dgram.Socket;
  info: SocketInfo;
  #queue: [Uint8Array<ArrayBuffer>, string, number][] = [];
  #receiveResolve: ((datagram: [Uint8Array<ArrayBuffer>, string, number]) => void) | undefined = undefined;
  #receiveReject: ((error: unknown) => void) | undefined = undefined;
  #closed = false;
  #error: unknown = undefined;

  constructor(socket: dgram.Socket, info: SocketInfo) {
    this.raw = socket;
    this.info = info;
    socket.on("message", this.#onMessage);
    socket.on("error", this.#onError);
  }

  receive(): Promise<[data: Uint8Array<ArrayBuffer>, host: string, port: number]> {
    const datagram = this.#queue.shift();
    if (datagram !== undefined) return Promise.resolve(datagram);
    if (this.#closed) return Promise.reject(new Error("the socket is closed"));
    const error = this.#error;
    if (error !== undefined) {
      this.#error = undefined; // reported once (an ICMP error does not end the socket)
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#receiveResolve = resolve;
      this.#receiveReject = reject;
    });
  }

  send(data: Uint8Array, host?: string, port?: number): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the socket is closed"));
    return new Promise((resolve, reject) => {
      const callback = (error: Error | null) => {
        if (!error) resolve();
        else reject(toOSError(error, "send", { address: this.#peer(host, port) }));
      };
      try {
        if (host === undefined) this.raw.send(data, callback);
        else this.raw.send(data, port, host, callback);
      } catch (error) {
        reject(error);
      }
    });
  }

  #closing: Promise<void> | undefined;

  close(): void | Promise<void> {
    if (this.#closed) return this.#closing;
    this.#closed = true;
    // The port is free once the close callback ran (a tick later on Deno's node:dgram).
    this.#closing = new Promise<void>((resolve) => {
      try {
        this.raw.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
    const reject = this.#receiveReject;
    if (reject !== undefined) {
      this.#receiveResolve = this.#receiveReject = undefined;
      reject(new Error("the socket is closed"));
    }
    return this.#closing;
  }

  #onMessage = (message: Uint8Array, remote: dgram.RemoteInfo): void => {
    const datagram: [Uint8Array<ArrayBuffer>, string, number] = [plain(message), remote.address, remote.port];
    const resolve = this.#receiveResolve;
    if (resolve !== undefined) {
      this.#receiveResolve = this.#receiveReject = undefined;
      resolve(datagram);
    } else if (this.#queue.length < MAX_QUEUED_DATAGRAMS) {
      this.#queue.push(datagram);
    }
  };

  /** The address a send went to (the connected peer's when none was given). */
  #peer(host: string | undefined, port: number | undefined): string {
    if (host !== undefined) return socketAddress(host, port);
    return socketAddress(this.info.remoteAddress ?? "", this.info.remotePort);
  }

  #onError = (raw: unknown): void => {
    const error = toOSError(raw, "recv", { address: this.#peer(undefined, undefined) });
    // A connected socket gets ICMP errors (ECONNREFUSED) here: hand them to the waiter.
    const reject = this.#receiveReject;
    if (reject !== undefined) {
      this.#receiveResolve = this.#receiveReject = undefined;
      reject(error);
    } else this.#error = error;
  };
}

function bindUdp(socket: dgram.Socket, address: string, port: number): Promise<void> {
  const target = { address: socketAddress(address, port) };
  // Deno's node:dgram reports a missing permission as an uncaught exception: ask first.
  const denied = denoPermissionError({ name: "net", host: target.address }, "bind", target);
  if (denied !== undefined) {
    socket.close();
    return Promise.reject(denied);
  }
  return new Promise((resolve, reject) => {
    const onError = (error: unknown) => {
      socket.close();
      reject(toOSError(error, "bind", target));
    };
    socket.once("error", onError);
    socket.bind({ address, port }, () => {
      socket.off("error", onError);
      resolve();
    });
  });
}

function connectUdp(socket: dgram.Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      socket.connect(port, host, (error?: Error) => {
        if (error) {
          socket.close();
          reject(toOSError(error, "connect", { address: socketAddress(host, port) }));
        } else resolve();
      });
    } catch (error) {
      socket.close();
      reject(toOSError(error, "connect", { address: socketAddress(host, port) }));
    }
  });
}

/** `Backend.createUdpSocket` of the node adapter. */
export async function createUdpSocket({ family, localHost, localPort, reuseAddress, remote }: Parameters<Backend["createUdpSocket"]>[0]): Promise<RawUdpSocket> {
  const socket = dgram.createSocket({ type: family === 6 ? "udp6" : "udp4", reuseAddr: reuseAddress });
  await bindUdp(socket, localHost, localPort);
  if (remote !== undefined) await connectUdp(socket, remote.host, remote.port);
  const local = socket.address();
  let info: SocketInfo = {
    family: family === 6 ? "IPv6" : "IPv4",
    localAddress: local.address,
    localPort: local.port,
  };
  if (remote !== undefined) {
    const peer = socket.remoteAddress();
    info = { ...info, remoteAddress: peer.address, remotePort: peer.port };
  }
  return new NodeRawUdpSocket(socket, info);
}
