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
 * layer), which anyts should beat there. The raw candidates are the loops of peers.ts
 * (shared with tls.bench.ts). TCP_NODELAY is on for every candidate.
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
import {
  type BunHandlers,
  type BunPeer,
  type BunSocket,
  bunLatency,
  bunThroughput,
  type DenoConn,
  type DenoListener,
  type DenoPeer,
  denoLatency,
  denoThroughput,
  nodeLatency,
  type NodePeer,
  nodeThroughput,
} from "./peers.ts";

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

// ---------------------------------------------------------------- the raw peers

const nodeNet: NodePeer = {
  label: "node:net",
  listen: (onConnection) =>
    new Promise((resolve) => {
      const server = net.createServer({ noDelay: true }, onConnection);
      server.listen({ host: HOST, port: 0 }, () => resolve(server));
    }),
  connect: (port) =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: HOST, port, noDelay: true });
      socket.once("error", reject);
      socket.once("connect", () => resolve(socket));
    }),
};

interface DenoNamespace {
  listen(options: { hostname: string; port: number }): DenoListener;
  connect(options: { hostname: string; port: number }): Promise<DenoConn>;
}
const Deno = (globalThis as { Deno?: DenoNamespace }).Deno;

const denoNet: DenoPeer = {
  label: "Deno.connect",
  listen: () => Deno!.listen({ hostname: HOST, port: 0 }),
  async connect(port) {
    const conn = await Deno!.connect({ hostname: HOST, port });
    conn.setNoDelay?.(true);
    return conn;
  },
};

interface BunNamespace {
  listen(options: { hostname: string; port: number; socket: BunHandlers }): { port: number; stop(force?: boolean): void };
  connect(options: { hostname: string; port: number; socket: BunHandlers }): Promise<BunSocket>;
}
const Bun = (globalThis as { Bun?: BunNamespace }).Bun;

const bunNet: BunPeer = {
  label: "Bun.connect",
  listen: (socket) => Bun!.listen({ hostname: HOST, port: 0, socket }),
  connect: (port, socket) => Bun!.connect({ hostname: HOST, port, socket }),
};

// ---------------------------------------------------------------- the cases

function candidates(throughput: boolean, size: number): Record<string, () => Promise<void>> {
  const anyts = throughput ? () => anytsThroughput(size) : anytsLatency;
  const node = throughput ? () => nodeThroughput(nodeNet, size, CHUNK) : () => nodeLatency(nodeNet, ROUND_TRIPS, MESSAGE);
  if (runtime === "deno") {
    const native = throughput ? () => denoThroughput(denoNet, size, CHUNK) : () => denoLatency(denoNet, ROUND_TRIPS, MESSAGE);
    return { anyts, native, "node:net": node };
  }
  if (runtime === "bun") {
    const native = throughput ? () => bunThroughput(bunNet, size, CHUNK) : () => bunLatency(bunNet, ROUND_TRIPS, MESSAGE);
    return { anyts, native, "node:net": node };
  }
  return { anyts, native: node };
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
await compare(`net: TCP throughput ${mib} MiB`, candidates(true, size), { runs: 11, warmup: 2, target: 1.11 });
await compare(`net: TCP latency ${ROUND_TRIPS / 1000}k round trips`, candidates(false, size), { runs: 9, warmup: 1 });
process.exitCode = 0;
