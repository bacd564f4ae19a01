/**
 * TLS benchmarks of issue 4 (item 5): anyts (`connectTcp(..., { tls })` and
 * `TLSStream.wrap` on the runtime's native backend) against the runtime's own TLS API in
 * the same process, over loopback, with certificates made by the openssl CLI at start.
 *
 * - throughput: 512 MiB one way in 64 KiB chunks (the size is printed; it is scaled down
 *   when one transfer of the slowest candidate would take more than 20 s).
 * - latency: 10,000 round trips of 100 bytes (send 100, the server echoes, receive 100).
 *
 * Candidates: `anyts`; `native`: node:tls on Node, Deno.connectTls/Deno.listenTls on Deno,
 * Bun.connect/Bun.listen with `tls` on Bun; and on Deno and Bun also `node:tls` (their
 * compatibility layer, which is also what anyts's TLS engine runs on there). Every
 * candidate verifies the server's certificate (a private CA, host name "localhost" or the
 * IP address); the raw candidates are the loops of peers.ts (shared with net.bench.ts).
 * The handshake is inside the timed region (one per run).
 *
 * Run with `npm run bench -- tls`, or one runtime with e.g.
 * `node --expose-gc scripts/bench/tls.bench.ts` (Node ≥ 22.18), `deno run -A ...`,
 * `bun scripts/bench/tls.bench.ts`.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import * as tls from "node:tls";
import {
  connectTcp,
  createTcpListener,
  detectRuntime,
  EndOfStream,
  getAvailableBackends,
  run,
  SocketAttribute,
  type SocketListener,
  taskGroup,
  TLSListener,
  TLSStream,
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

// ---------------------------------------------------------------- certificates

function makeCertificates(): { ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "anyts-tls-bench-"));
  try {
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=anyts bench CA");
    writeFileSync(join(dir, "ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext");
    const read = (name: string) => readFileSync(join(dir, name), "utf8");
    return { ca: read("ca.pem"), cert: read("server.pem"), key: read("server.key") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { ca, cert, key } = makeCertificates();

// ---------------------------------------------------------------- anyts

/**
 * How an anyts candidate runs: the default (TLSStream.wrap on the server, connectTcp with
 * `tls` on the client: the TLS engine), or with `standardCompatible: false` on both sides
 * through TLSListener and connectTcp, which take the runtime's native TLS where the
 * backend has it (the node backend), on the runtime's native backend or another.
 */
interface AnytsMode {
  fast: boolean;
  backend: typeof nativeBackend;
}

const DEFAULT_MODE: AnytsMode = { fast: false, backend: nativeBackend };

/** An anyts TLS server on 127.0.0.1 (one connection) around `client(port)`. */
async function anytsSession(mode: AnytsMode, serve: (stream: TLSStream) => Promise<void>, client: (port: number) => Promise<void>): Promise<void> {
  await run(async () => {
    const listener = await createTcpListener({ localHost: HOST });
    const port = listener.extra(SocketAttribute.localPort);
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        if (mode.fast) {
          // One connection: the handler cancels the serving once it is done.
          const tlsListener = new TLSListener(listener, { cert, key, standardCompatible: false });
          await taskGroup(async (inner) => {
            inner.startSoon(() =>
              tlsListener.serve(async (stream) => {
                try {
                  await serve(stream);
                } finally {
                  inner.cancelScope.cancel();
                }
              })
            );
          });
          return;
        }
        const plain = await (listener.listeners[0] as SocketListener).accept();
        const stream = await TLSStream.wrap(plain, { serverSide: true, cert, key });
        try {
          await serve(stream);
        } finally {
          await stream.aclose();
        }
      });
      await client(port);
    });
    await listener.aclose();
  }, { backend: mode.backend });
}

async function untilEnd(receive: () => Promise<unknown>): Promise<void> {
  try {
    for (;;) await receive();
  } catch (error) {
    if (!(error instanceof EndOfStream)) throw error;
  }
}

async function anytsThroughput(size: number, mode: AnytsMode = DEFAULT_MODE): Promise<void> {
  let received = 0;
  await anytsSession(
    mode,
    (server) => untilEnd(async () => (received += (await server.receive(CHUNK)).length)),
    async (port) => {
      const client = await connectTcp(HOST, port, { tls: { ca, hostname: "localhost", standardCompatible: !mode.fast } });
      const chunk = new Uint8Array(CHUNK);
      for (let sent = 0; sent < size; sent += CHUNK) await client.send(chunk);
      await client.sendEof();
      await untilEnd(() => client.receive());
      await client.aclose();
    },
  );
  if (received !== size) throw new Error(`anyts: received ${received} of ${size} bytes`);
}

async function anytsLatency(mode: AnytsMode = DEFAULT_MODE): Promise<void> {
  await anytsSession(
    mode,
    async (server) => {
      for await (const chunk of server) await server.send(chunk);
    },
    async (port) => {
      const client = await connectTcp(HOST, port, { tls: { ca, hostname: "localhost", standardCompatible: !mode.fast } });
      const message = new Uint8Array(MESSAGE);
      for (let i = 0; i < ROUND_TRIPS; i++) {
        await client.send(message);
        let got = 0;
        while (got < MESSAGE) got += (await client.receive(MESSAGE - got)).length;
      }
      await client.aclose();
    },
  );
}

// ---------------------------------------------------------------- the raw peers

const nodeTls: NodePeer = {
  label: "node:tls",
  listen: (onConnection) =>
    new Promise((resolve) => {
      const server = tls.createServer({ cert, key, noDelay: true } as tls.TlsOptions, onConnection);
      server.listen({ host: HOST, port: 0 }, () => resolve(server));
    }),
  connect: (port) =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({ host: HOST, port, ca, servername: "localhost", noDelay: true } as tls.ConnectionOptions);
      socket.once("error", reject);
      socket.once("secureConnect", () => resolve(socket));
    }),
};

interface DenoNamespace {
  listenTls(options: { hostname: string; port: number; cert: string; key: string }): DenoListener;
  connectTls(options: { hostname: string; port: number; caCerts: string[] }): Promise<DenoConn>;
}
const Deno = (globalThis as { Deno?: DenoNamespace }).Deno;

const denoTls: DenoPeer = {
  label: "Deno.connectTls",
  listen: () => Deno!.listenTls({ hostname: HOST, port: 0, cert, key }),
  async connect(port) {
    const conn = await Deno!.connectTls({ hostname: HOST, port, caCerts: [ca] });
    await conn.handshake?.();
    return conn;
  },
};

interface BunNamespace {
  listen(options: {
    hostname: string;
    port: number;
    tls: { cert: string; key: string };
    socket: BunHandlers;
  }): { port: number; stop(force?: boolean): void };
  connect(options: {
    hostname: string;
    port: number;
    tls: { ca: string; serverName: string; rejectUnauthorized: boolean };
    socket: BunHandlers;
  }): Promise<BunSocket>;
}
const Bun = (globalThis as { Bun?: BunNamespace }).Bun;

const bunTls: BunPeer = {
  label: "Bun.connect with tls",
  listen: (socket) => Bun!.listen({ hostname: HOST, port: 0, tls: { cert, key }, socket }),
  /** Connects with TLS and resolves once the handshake has verified the server. */
  connect: (port, handlers) =>
    new Promise((resolve, reject) => {
      Bun!.connect({
        hostname: HOST,
        port,
        tls: { ca, serverName: "localhost", rejectUnauthorized: true },
        socket: {
          ...handlers,
          handshake(socket, success, error) {
            if (success) resolve(socket);
            else reject(error ?? new Error("Bun: TLS handshake failed"));
          },
          error: (_socket, error) => reject(error),
        },
      }).catch(reject);
    }),
};

// ---------------------------------------------------------------- the cases

function candidates(throughput: boolean, size: number): Record<string, () => Promise<void>> {
  const anyts = throughput ? () => anytsThroughput(size) : () => anytsLatency();
  const node = throughput ? () => nodeThroughput(nodeTls, size, CHUNK) : () => nodeLatency(nodeTls, ROUND_TRIPS, MESSAGE);
  // standardCompatible: false (connectTcp and TLSListener): the native TLS fast path of
  // the node backend; on Deno and Bun also measured on their native backends.
  const fast = (backend: typeof nativeBackend) => {
    const mode = { fast: true, backend };
    return throughput ? () => anytsThroughput(size, mode) : () => anytsLatency(mode);
  };
  if (runtime === "deno") {
    return {
      anyts,
      native: throughput ? () => denoThroughput(denoTls, size, CHUNK) : () => denoLatency(denoTls, ROUND_TRIPS, MESSAGE),
      "node:tls": node,
      "anyts sc:false": fast("deno"),
      "anyts sc:false node": fast("node"),
    };
  }
  if (runtime === "bun") {
    return {
      anyts,
      native: throughput ? () => bunThroughput(bunTls, size, CHUNK) : () => bunLatency(bunTls, ROUND_TRIPS, MESSAGE),
      "node:tls": node,
      "anyts sc:false": fast("bun"),
      "anyts sc:false node": fast("node"),
    };
  }
  return { anyts, native: node, "anyts sc:false": fast("node") };
}

/** The transfer size: 512 MiB unless one transfer of the slowest candidate takes > 20 s. */
async function chooseSize(): Promise<number> {
  let slowest = 0;
  const probe = 32 * 1024 * 1024;
  for (const fn of Object.values(candidates(true, probe))) {
    const start = performance.now();
    await fn();
    slowest = Math.max(slowest, performance.now() - start);
  }
  const projected = (slowest * FULL_SIZE) / probe;
  if (projected <= 20_000) return FULL_SIZE;
  return Math.max(CHUNK, Math.floor((FULL_SIZE * 20_000) / projected / CHUNK) * CHUNK);
}

const size = await chooseSize();
const mib = size / (1024 * 1024);
console.log(`tls: throughput size ${mib} MiB in ${CHUNK / 1024} KiB chunks${size < FULL_SIZE ? " (scaled down)" : ""}; backend ${nativeBackend}`);
await compare(`tls: TLS throughput ${mib} MiB`, candidates(true, size), { runs: 5, warmup: 1 });
await compare(`tls: TLS latency ${ROUND_TRIPS / 1000}k round trips`, candidates(false, size), { runs: 5, warmup: 1 });
process.exitCode = 0;
