/**
 * The subset of Bun's API that the Bun adapter uses (Bun's type definitions are not a
 * dependency), looked up lazily so that the module still loads on other runtimes, and the
 * errors the adapter makes where Bun reports none.
 *
 * @module
 */
import type { BunConnection } from "./net.ts";
import type { BunUpgradableSocket } from "./tls.ts";

// ---------------------------------------------------------------------------------------
// The subset of Bun's API used here (Bun's type definitions are not a dependency).

export interface BunTcpSocket extends BunUpgradableSocket {
  data: BunConnection | undefined;
  write(data: Uint8Array, byteOffset?: number, byteLength?: number): number;
  shutdown(halfClose?: boolean): void;
  end(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay(noDelay: boolean): boolean;
  /** Lets the process exit while this socket is open (Bun keeps it alive otherwise). */
  unref(): void;
  /** Keeps the process alive while this socket is open (the default). */
  ref(): void;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}

export interface BunSocketHandler {
  binaryType: "uint8array";
  open?(socket: BunTcpSocket): void;
  data(socket: BunTcpSocket, chunk: Uint8Array<ArrayBuffer>): void;
  drain(socket: BunTcpSocket): void;
  end(socket: BunTcpSocket): void;
  close(socket: BunTcpSocket, error?: Error): void;
  error(socket: BunTcpSocket, error: Error): void;
  connectError?(socket: BunTcpSocket, error: Error): void;
}

export interface BunTcpServer {
  readonly port?: number;
  readonly hostname?: string;
  stop(closeActiveConnections?: boolean): void;
}

interface BunUdpAddress {
  readonly address: string;
  readonly family: "IPv4" | "IPv6";
  readonly port: number;
}

export interface BunUdp {
  readonly address: BunUdpAddress;
  readonly remoteAddress?: BunUdpAddress;
  readonly closed: boolean;
  send(data: Uint8Array, port?: number, address?: string): boolean;
  close(): void;
}

export interface BunUdpHandler {
  data(socket: BunUdp, data: Uint8Array<ArrayBuffer>, port: number, address: string): void;
  drain(socket: BunUdp): void;
  error(socket: BunUdp, error: Error): void;
}

interface BunNamespace {
  connect(
    options: {
      hostname?: string;
      port?: number;
      unix?: string;
      localAddress?: string;
      allowHalfOpen: boolean;
      data: BunConnection;
      socket: BunSocketHandler;
    },
  ): Promise<BunTcpSocket>;
  listen(
    options: {
      hostname?: string;
      port?: number;
      unix?: string;
      ipv6Only?: boolean;
      reusePort?: boolean;
      allowHalfOpen: boolean;
      socket: BunSocketHandler;
    },
  ): BunTcpServer;
  udpSocket(
    options: {
      hostname: string;
      port: number;
      flags: number;
      binaryType: "uint8array";
      connect?: { hostname: string; port: number };
      socket: BunUdpHandler;
    },
  ): Promise<BunUdp>;
  readonly dns: {
    lookup(host: string, options: { family: 0 | 4 | 6 }): Promise<Array<{ address: string; family: 4 | 6 }>>;
  };
}

let bunNamespace: BunNamespace | undefined;

/** `globalThis.Bun`, looked up on first use (this module must still load elsewhere). */
export function bun(): BunNamespace {
  if (bunNamespace === undefined) {
    const found = (globalThis as unknown as { Bun?: BunNamespace }).Bun;
    if (found === undefined) throw new Error("the bun backend needs the Bun runtime");
    bunNamespace = found;
  }
  return bunNamespace;
}

// ---------------------------------------------------------------------------------------
// Errors made here, where Bun reports none (Bun's write returns -1 without an error object).

export function errnoError(code: string, message: string, syscall: string): Error {
  return Object.assign(new Error(`${syscall} ${code}: ${message}`), { code, syscall });
}

export function closedError(): Error {
  return Object.assign(new Error("the socket is closed"), { code: "ERR_SOCKET_CLOSED" });
}
