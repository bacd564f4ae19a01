/**
 * Plain TCP benchmarks of issue 4 (item 5): anyts (on the runtime's native backend)
 * against the runtime's own socket API in the same process, over loopback.
 *
 * - throughput: 512 MiB one way in 64 KiB chunks (the size is printed; it is scaled down
 *   only on a runtime where one transfer takes more than 20 s). Target: anyts ≥ 90% of
 *   native, i.e. a time ratio ≤ 1.11.
 * - latency: 10,000 round trips of 100 bytes (send 100, the server echoes, receive 100).
 *
 * Candidates: `anyts`; `native`: node:net on Node, Deno.connect/Deno.listen on Deno,
 * Bun.connect/Bun.listen on Bun; and on Deno and Bun also `node:net` (their compatibility
 * layer), which anyts should beat there. Every candidate writes a chunk and waits until
 * the runtime took it before writing the next (node:net: write() then 'drain' when it
 * returns false; Deno: write() until every byte went; Bun: write() and 'drain' for the
 * rest), and reads whatever chunk arrives. TCP_NODELAY is on for every candidate.
 *
 * Run with `npm run bench -- net`, or one runtime with e.g.
 * `node --expose-gc scripts/bench/net.bench.ts` (Node ≥ 22.18), `deno run -A ...`,
 * `bun scripts/bench/net.bench.ts`.
 *
 * @module
 */
import * as net from "node:net";
import process from "node:process";
import {
  connectTcp,
  createTcpListener,
  detectRuntime,
  EndOfStream,
  getAvailableBackends,
  run,
  SocketAttribute,
  type SocketListener,
  type SocketStream,
  taskGroup,
} from "../../mod.ts";
import { compare } from "./harness.ts";

const CHUNK = 64 * 1024;
const FULL_SIZE = 512 * 1024 * 1024;
const ROUND_TRIPS = 10_000;
const MESSAGE = 100;
const HOST = "127.0.0.1";

const runtime = detectRuntime();
const nativeBackend = getAvailableBackends()[0]!;

// ---------------------------------------------------------------- anyts

async function anytsThroughput(size: number): Promise<void> {
  await run(async () => {
    const listener = await createTcpListener({ localHost: HOST });
    const port = listener.extra(SocketAttribute.localPort);
    let received = 0;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        const server = await (listener.listeners[0] as SocketListener).accept();
        try {
          for (;;) received += (await server.receive(CHUNK)).length;
        } catch (error) {
          if (!(error instanceof EndOfStream)) throw error;
        } finally {
          await server.aclose();
        }
      });
      const client = await connectTcp(HOST, port);
      const chunk = new Uint8Array(CHUNK);
      for (let sent = 0; sent < size; sent += CHUNK) await client.send(chunk);
      await client.sendEof();
      try {
        await client.receive();
      } catch (error) {
        if (!(error instanceof EndOfStream)) throw error;
      }
      await client.aclose();
    });
    await listener.aclose();
    if (received !== size) throw new Error(`anyts: received ${received} of ${size} bytes`);
  }, { backend: nativeBackend });
}

async function receiveExactly(stream: SocketStream, size: number): Promise<void> {
  let got = 0;
  while (got < size) got += (await stream.receive(size - got)).length;
}

async function anytsLatency(): Promise<void> {
  await run(async () => {
    const listener = await createTcpListener({ localHost: HOST });
    const port = listener.extra(SocketAttribute.localPort);
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        const server = await (listener.listeners[0] as SocketListener).accept();
        try {
          for await (const chunk of server) await server.send(chunk);
        } finally {
          await server.aclose();
        }
      });
      const client = await connectTcp(HOST, port);
      const message = new Uint8Array(MESSAGE);
      for (let i = 0; i < ROUND_TRIPS; i++) {
        await client.send(message);
        await receiveExactly(client, MESSAGE);
      }
      await client.aclose();
    });
    await listener.aclose();
  }, { backend: nativeBackend });
}

// ---------------------------------------------------------------- node:net

function nodeListen(onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer({ noDelay: true }, onConnection);
    server.listen({ host: HOST, port: 0 }, () => resolve(server));
  });
}

function nodeConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port, noDelay: true });
    socket.once("error", reject);
    socket.once("connect", () => resolve(socket));
  });
}

async function nodeThroughput(size: number): Promise<void> {
  let done!: (n: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const server = await nodeListen((socket) => {
    let received = 0;
    socket.on("data", (chunk: Uint8Array) => (received += chunk.length));
    socket.on("end", () => {
      socket.end();
      done(received);
    });
  });
  const client = await nodeConnect((server.address() as net.AddressInfo).port);
  const chunk = new Uint8Array(CHUNK);
  for (let sent = 0; sent < size; sent += CHUNK) {
    if (!client.write(chunk)) await new Promise((resolve) => client.once("drain", resolve));
  }
  client.end();
  client.resume();
  const received = await finished;
  await new Promise((resolve) => client.once("close", resolve));
  await new Promise((resolve) => server.close(resolve));
  if (received !== size) throw new Error(`node:net: received ${received} of ${size} bytes`);
}

async function nodeLatency(): Promise<void> {
  const server = await nodeListen((socket) => {
    socket.on("data", (chunk: Uint8Array) => socket.write(chunk));
    socket.on("end", () => socket.end());
  });
  const client = await nodeConnect((server.address() as net.AddressInfo).port);
  let got = 0;
  let wake: (() => void) | undefined;
  client.on("data", (chunk: Uint8Array) => {
    got += chunk.length;
    if (got >= MESSAGE && wake !== undefined) {
      const w = wake;
      wake = undefined;
      w();
    }
  });
  const message = new Uint8Array(MESSAGE);
  for (let i = 0; i < ROUND_TRIPS; i++) {
    got = 0;
    const arrived = new Promise<void>((resolve) => (wake = resolve));
    client.write(message);
    await arrived;
  }
  client.end();
  await new Promise((resolve) => client.once("close", resolve));
  await new Promise((resolve) => server.close(resolve));
}

// ---------------------------------------------------------------- Deno

interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
}
interface DenoListener extends AsyncIterable<DenoConn> {
  accept(): Promise<DenoConn>;
  close(): void;
  readonly addr: { port: number };
}
interface DenoNamespace {
  listen(options: { hostname: string; port: number }): DenoListener;
  connect(options: { hostname: string; port: number }): Promise<DenoConn>;
}
const Deno = (globalThis as { Deno?: DenoNamespace }).Deno;

async function denoWriteAll(conn: DenoConn, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await conn.write(at === 0 ? data : data.subarray(at));
}

async function denoThroughput(size: number): Promise<void> {
  const listener = Deno!.listen({ hostname: HOST, port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    conn.setNoDelay?.(true);
    const buffer = new Uint8Array(CHUNK);
    let received = 0;
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      received += n;
    }
    conn.close();
    return received;
  })();
  const client = await Deno!.connect({ hostname: HOST, port: listener.addr.port });
  client.setNoDelay?.(true);
  const chunk = new Uint8Array(CHUNK);
  for (let sent = 0; sent < size; sent += CHUNK) await denoWriteAll(client, chunk);
  await client.closeWrite();
  const received = await serving;
  client.close();
  listener.close();
  if (received !== size) throw new Error(`Deno: received ${received} of ${size} bytes`);
}

async function denoLatency(): Promise<void> {
  const listener = Deno!.listen({ hostname: HOST, port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    conn.setNoDelay?.(true);
    const buffer = new Uint8Array(CHUNK);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      await denoWriteAll(conn, buffer.subarray(0, n));
    }
    conn.close();
  })();
  const client = await Deno!.connect({ hostname: HOST, port: listener.addr.port });
  client.setNoDelay?.(true);
  const message = new Uint8Array(MESSAGE);
  const buffer = new Uint8Array(MESSAGE);
  for (let i = 0; i < ROUND_TRIPS; i++) {
    await denoWriteAll(client, message);
    let got = 0;
    while (got < MESSAGE) {
      const n = await client.read(buffer.subarray(got));
      if (n === null) throw new Error("Deno: unexpected end");
      got += n;
    }
  }
  await client.closeWrite();
  await serving;
  client.close();
  listener.close();
}

// ---------------------------------------------------------------- Bun

interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  shutdown?(halfClose?: boolean): void;
  setNoDelay?(noDelay?: boolean): boolean;
  data: unknown;
}
interface BunHandlers {
  open?(socket: BunSocket): void;
  data?(socket: BunSocket, data: Uint8Array): void;
  drain?(socket: BunSocket): void;
  end?(socket: BunSocket): void;
  close?(socket: BunSocket): void;
  error?(socket: BunSocket, error: Error): void;
}
interface BunNamespace {
  listen(options: { hostname: string; port: number; socket: BunHandlers }): { port: number; stop(force?: boolean): void };
  connect(options: { hostname: string; port: number; socket: BunHandlers }): Promise<BunSocket>;
}
const Bun = (globalThis as { Bun?: BunNamespace }).Bun;

/** Writes all of `data` with Bun's partial writes, waiting for 'drain' for the rest. */
function bunWriter(): { write(socket: BunSocket, data: Uint8Array): Promise<void> | undefined; drain(): void } {
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

async function bunThroughput(size: number): Promise<void> {
  let done!: (n: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  let received = 0;
  const server = Bun!.listen({
    hostname: HOST,
    port: 0,
    socket: {
      open: (socket) => socket.setNoDelay?.(true),
      data: (_socket, data) => void (received += data.length),
      end: (socket) => {
        socket.end();
        done(received);
      },
      error: () => {},
    },
  });
  const writer = bunWriter();
  const client = await Bun!.connect({
    hostname: HOST,
    port: server.port,
    socket: { drain: () => writer.drain(), data: () => {}, error: () => {} },
  });
  client.setNoDelay?.(true);
  const chunk = new Uint8Array(CHUNK);
  for (let sent = 0; sent < size; sent += CHUNK) {
    const waiting = writer.write(client, chunk);
    if (waiting !== undefined) await waiting;
  }
  if (client.shutdown) client.shutdown(true);
  else client.end();
  const total = await finished;
  client.end();
  server.stop(true);
  if (total !== size) throw new Error(`Bun: received ${total} of ${size} bytes`);
}

async function bunLatency(): Promise<void> {
  const server = Bun!.listen({
    hostname: HOST,
    port: 0,
    socket: {
      open: (socket) => socket.setNoDelay?.(true),
      data: (socket, data) => void socket.write(data),
      error: () => {},
    },
  });
  let got = 0;
  let wake: (() => void) | undefined;
  const client = await Bun!.connect({
    hostname: HOST,
    port: server.port,
    socket: {
      data: (_socket, data) => {
        got += data.length;
        if (got >= MESSAGE && wake !== undefined) {
          const w = wake;
          wake = undefined;
          w();
        }
      },
      error: () => {},
    },
  });
  client.setNoDelay?.(true);
  const message = new Uint8Array(MESSAGE);
  for (let i = 0; i < ROUND_TRIPS; i++) {
    got = 0;
    const arrived = new Promise<void>((resolve) => (wake = resolve));
    client.write(message);
    await arrived;
  }
  client.end();
  server.stop(true);
}

// ---------------------------------------------------------------- the cases

function candidates(throughput: boolean, size: number): Record<string, () => Promise<void>> {
  const anyts = throughput ? () => anytsThroughput(size) : anytsLatency;
  const nodeNet = throughput ? () => nodeThroughput(size) : nodeLatency;
  if (runtime === "deno") {
    return { anyts, native: throughput ? () => denoThroughput(size) : denoLatency, "node:net": nodeNet };
  }
  if (runtime === "bun") {
    return { anyts, native: throughput ? () => bunThroughput(size) : bunLatency, "node:net": nodeNet };
  }
  return { anyts, native: nodeNet };
}

/** The transfer size: 512 MiB unless one transfer of the slowest candidate takes > 20 s. */
async function chooseSize(): Promise<number> {
  let slowest = 0;
  const probe = 64 * 1024 * 1024;
  for (const fn of Object.values(candidates(true, probe))) {
    const start = performance.now();
    await fn();
    slowest = Math.max(slowest, performance.now() - start);
  }
  const projected = (slowest * FULL_SIZE) / probe;
  if (projected <= 20_000) return FULL_SIZE;
  const scaled = Math.max(CHUNK, Math.floor((FULL_SIZE * 20_000) / projected / CHUNK) * CHUNK);
  return scaled;
}

const size = await chooseSize();
const mib = size / (1024 * 1024);
console.log(`net: throughput size ${mib} MiB in ${CHUNK / 1024} KiB chunks${size < FULL_SIZE ? " (scaled down)" : ""}; backend ${nativeBackend}`);
await compare(`net: TCP throughput ${mib} MiB`, candidates(true, size), { runs: 5, warmup: 1, target: 1.11 });
await compare(`net: TCP latency ${ROUND_TRIPS / 1000}k round trips`, candidates(false, size), { runs: 5, warmup: 1 });
process.exitCode = 0;
