/**
 * The raw-runtime peers that the network benchmarks (net.bench.ts, tls.bench.ts) time
 * anyts against, written once for plain TCP and TLS: each runtime's loop takes the
 * runtime's own listen and connect functions and runs the same transfer over them.
 *
 * Every peer writes a chunk and waits until the runtime took it before the next
 * (node:net: `write()`, then 'drain' when it returns false; Deno: `write()` until every
 * byte went; Bun: `write()` and 'drain' for the rest), and reads whatever chunk arrives.
 *
 * ```ts
 * import * as net from "node:net";
 * import { nodeThroughput, type NodePeer } from "./peers.ts";
 * const plain: NodePeer = { listen: ..., connect: ... };
 * await nodeThroughput(plain, 512 * 1024 * 1024, 65536);
 * ```
 *
 * @module
 */
import type * as net from "node:net";

// ---------------------------------------------------------------- shared

/**
 * Counts arriving bytes and wakes the round trip that waits for `size` of them: the
 * latency client of every runtime.
 */
export function arrivals(size: number): { received(bytes: number): void; next(): Promise<void> } {
  let got = 0;
  let wake: (() => void) | undefined;
  return {
    received(bytes) {
      got += bytes;
      if (got >= size && wake !== undefined) {
        const w = wake;
        wake = undefined;
        w();
      }
    },
    next() {
      got = 0;
      return new Promise<void>((resolve) => (wake = resolve));
    },
  };
}

// ---------------------------------------------------------------- node:net and node:tls

/** How to listen and connect with node:net or node:tls (a TLS socket is a net.Socket). */
export interface NodePeer {
  /** Which module, for error messages: `node:net` or `node:tls`. */
  readonly label: string;
  listen(onConnection: (socket: net.Socket) => void): Promise<net.Server>;
  /** Resolves once the connection is ready (for TLS: the handshake verified the server). */
  connect(port: number): Promise<net.Socket>;
}

/** `size` bytes one way in `chunkSize` chunks; the server counts them. */
export async function nodeThroughput(peer: NodePeer, size: number, chunkSize: number): Promise<void> {
  let done!: (n: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const server = await peer.listen((socket) => {
    let received = 0;
    socket.on("data", (chunk: Uint8Array) => (received += chunk.length));
    socket.on("end", () => {
      socket.end();
      done(received);
    });
  });
  const client = await peer.connect((server.address() as net.AddressInfo).port);
  const chunk = new Uint8Array(chunkSize);
  for (let sent = 0; sent < size; sent += chunkSize) {
    if (!client.write(chunk)) await new Promise((resolve) => client.once("drain", resolve));
  }
  client.end();
  client.resume();
  const received = await finished;
  await new Promise((resolve) => client.once("close", resolve));
  await new Promise((resolve) => server.close(resolve));
  if (received !== size) throw new Error(`${peer.label}: received ${received} of ${size} bytes`);
}

/** `roundTrips` times: send `messageSize` bytes, the server echoes, receive them. */
export async function nodeLatency(peer: NodePeer, roundTrips: number, messageSize: number): Promise<void> {
  const server = await peer.listen((socket) => {
    socket.on("data", (chunk: Uint8Array) => socket.write(chunk));
    socket.on("end", () => socket.end());
  });
  const client = await peer.connect((server.address() as net.AddressInfo).port);
  const arrived = arrivals(messageSize);
  client.on("data", (chunk: Uint8Array) => arrived.received(chunk.length));
  const message = new Uint8Array(messageSize);
  for (let i = 0; i < roundTrips; i++) {
    const next = arrived.next();
    client.write(message);
    await next;
  }
  client.end();
  await new Promise((resolve) => client.once("close", resolve));
  await new Promise((resolve) => server.close(resolve));
}

// ---------------------------------------------------------------- Deno

/** The part of `Deno.Conn` / `Deno.TlsConn` the peers use. */
export interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
  handshake?(): Promise<unknown>;
}

/** The part of `Deno.Listener` the peers use. */
export interface DenoListener {
  accept(): Promise<DenoConn>;
  close(): void;
  readonly addr: { port: number };
}

/** How to listen and connect with `Deno.listen`/`connect` or their TLS versions. */
export interface DenoPeer {
  readonly label: string;
  listen(): DenoListener;
  /** Resolves once the connection is ready (for TLS: after the handshake). */
  connect(port: number): Promise<DenoConn>;
}

/** Writes all of `data`: Deno's `write` may take only part of it. */
export async function denoWriteAll(conn: DenoConn, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await conn.write(at === 0 ? data : data.subarray(at));
}

/** `size` bytes one way in `chunkSize` chunks; the server counts them. */
export async function denoThroughput(peer: DenoPeer, size: number, chunkSize: number): Promise<void> {
  const listener = peer.listen();
  const serving = (async () => {
    const conn = await listener.accept();
    conn.setNoDelay?.(true);
    const buffer = new Uint8Array(chunkSize);
    let received = 0;
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      received += n;
    }
    conn.close();
    return received;
  })();
  const client = await peer.connect(listener.addr.port);
  const chunk = new Uint8Array(chunkSize);
  for (let sent = 0; sent < size; sent += chunkSize) await denoWriteAll(client, chunk);
  await client.closeWrite();
  const received = await serving;
  client.close();
  listener.close();
  if (received !== size) throw new Error(`${peer.label}: received ${received} of ${size} bytes`);
}

/** `roundTrips` times: send `messageSize` bytes, the server echoes, receive them. */
export async function denoLatency(peer: DenoPeer, roundTrips: number, messageSize: number): Promise<void> {
  const listener = peer.listen();
  const serving = (async () => {
    const conn = await listener.accept();
    conn.setNoDelay?.(true);
    const buffer = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      await denoWriteAll(conn, buffer.subarray(0, n));
    }
    conn.close();
  })();
  const client = await peer.connect(listener.addr.port);
  const message = new Uint8Array(messageSize);
  const buffer = new Uint8Array(messageSize);
  for (let i = 0; i < roundTrips; i++) {
    await denoWriteAll(client, message);
    let got = 0;
    while (got < messageSize) {
      const n = await client.read(buffer.subarray(got));
      if (n === null) throw new Error(`${peer.label}: unexpected end`);
      got += n;
    }
  }
  await client.closeWrite();
  await serving;
  client.close();
  listener.close();
}

// ---------------------------------------------------------------- Bun

/** The part of Bun's socket the peers use. */
export interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  shutdown?(halfClose?: boolean): void;
  setNoDelay?(noDelay?: boolean): boolean;
}

/** The socket handlers of `Bun.listen` and `Bun.connect` that the peers use. */
export interface BunHandlers {
  open?(socket: BunSocket): void;
  handshake?(socket: BunSocket, success: boolean, error: Error | null): void;
  data?(socket: BunSocket, data: Uint8Array): void;
  drain?(socket: BunSocket): void;
  end?(socket: BunSocket): void;
  close?(socket: BunSocket): void;
  error?(socket: BunSocket, error: Error): void;
}

/** How to listen and connect with `Bun.listen`/`Bun.connect`, with or without `tls`. */
export interface BunPeer {
  readonly label: string;
  listen(handlers: BunHandlers): { port: number; stop(force?: boolean): void };
  /** Resolves once the connection is ready (for TLS: the handshake verified the server). */
  connect(port: number, handlers: BunHandlers): Promise<BunSocket>;
}

/** Writes all of `data` with Bun's partial writes, waiting for 'drain' for the rest. */
export function bunWriter(): { write(socket: BunSocket, data: Uint8Array): Promise<void> | undefined; drain(): void } {
  let pending: { socket: BunSocket; data: Uint8Array; resolve: () => void } | undefined;
  return {
    write(socket, data) {
      const n = socket.write(data);
      if (n === data.length) return undefined;
      return new Promise<void>((resolve) => (pending = { socket, data: data.subarray(Math.max(n, 0)), resolve }));
    },
    drain() {
      const p = pending;
      if (p === undefined) return;
      const n = p.socket.write(p.data);
      if (n === p.data.length) {
        pending = undefined;
        p.resolve();
      } else p.data = p.data.subarray(Math.max(n, 0));
    },
  };
}

/**
 * `size` bytes one way in `chunkSize` chunks; done when the server counted every byte
 * (Bun's TLS half-close can overtake the last record, so the count decides, not 'end').
 */
export async function bunThroughput(peer: BunPeer, size: number, chunkSize: number): Promise<void> {
  let done!: (n: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  let received = 0;
  const server = peer.listen({
    open: (socket) => socket.setNoDelay?.(true),
    data: (_socket, data) => {
      received += data.length;
      if (received >= size) done(received);
    },
    error: () => {},
  });
  const writer = bunWriter();
  const client = await peer.connect(server.port, { drain: () => writer.drain(), data: () => {}, error: () => {} });
  client.setNoDelay?.(true);
  const chunk = new Uint8Array(chunkSize);
  for (let sent = 0; sent < size; sent += chunkSize) {
    const waiting = writer.write(client, chunk);
    if (waiting !== undefined) await waiting;
  }
  const total = await finished;
  client.end();
  server.stop(true);
  if (total !== size) throw new Error(`${peer.label}: received ${total} of ${size} bytes`);
}

/** `roundTrips` times: send `messageSize` bytes, the server echoes, receive them. */
export async function bunLatency(peer: BunPeer, roundTrips: number, messageSize: number): Promise<void> {
  const server = peer.listen({
    open: (socket) => socket.setNoDelay?.(true),
    data: (socket, data) => void socket.write(data),
    error: () => {},
  });
  const arrived = arrivals(messageSize);
  const client = await peer.connect(server.port, {
    data: (_socket, data) => arrived.received(data.length),
    error: () => {},
  });
  client.setNoDelay?.(true);
  const message = new Uint8Array(messageSize);
  for (let i = 0; i < roundTrips; i++) {
    const next = arrived.next();
    client.write(message);
    await next;
  }
  client.end();
  server.stop(true);
}
