// Accept-loop faults (issue 13, part 3): the HTTP server of examples/http-server.ts in a
// child runtime (this runtime's own binary) on the backend under test, started with
// `ulimit -n 256`, under hostile load from node:net clients in this process: more clients
// than the child has descriptors (serve waits and accepts again instead of dying),
// clients that reset mid-request, slowloris clients; the first also over TLS
// (TLSListener) and on a Unix socket. Afterwards normal requests are
// answered, the child's descriptor count is back to its baseline, and it exits cleanly on
// SIGTERM without an unhandled rejection.
//
// Sizes (defaults: the numbers): ANYTS_ACCEPT_FD_LIMIT (256), ANYTS_ACCEPT_IDLE
// (400), ANYTS_ACCEPT_RESETS (2000), ANYTS_ACCEPT_RESET_WAVE (200 at once),
// ANYTS_ACCEPT_SLOWLORIS (1000), ANYTS_ACCEPT_TIMEOUT (the server's requestTimeout, 1000 ms).
import * as net from "node:net";
import * as tls from "node:tls";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendName, detectRuntime, openProcess, type ProcessReceiveStream } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { checkNoChildLeftAfterEachTest, eventually, LineReader, runtimeCommand } from "../process/helpers.ts";
import { makePki, type TestPki } from "../streams/tls-helpers.ts";

const test = backendTests(it);
checkNoChildLeftAfterEachTest();

function size(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${process.env[name]}`);
  return value;
}
const FD_LIMIT = size("ANYTS_ACCEPT_FD_LIMIT", 256);
const IDLE_CLIENTS = size("ANYTS_ACCEPT_IDLE", 400);
const RESETS = size("ANYTS_ACCEPT_RESETS", 2000);
const RESET_WAVE = size("ANYTS_ACCEPT_RESET_WAVE", 200);
const SLOWLORIS = size("ANYTS_ACCEPT_SLOWLORIS", 1000);
const REQUEST_TIMEOUT = size("ANYTS_ACCEPT_TIMEOUT", 1000);

const FIXTURE = fileURLToPath(new URL("./fixtures/accept-server.ts", import.meta.url));
const runtime = detectRuntime();

/**
 * Deno's node:net (the node backend run on Deno) stops accepting for good once an accept
 * failed with EMFILE, without an 'error' event: nothing the backend can see or undo. The
 * deno backend (Deno.listen) is not affected.
 */
function exhaustsDescriptorsHere(backend: BackendName, file: string): boolean {
  if (runtime === "deno" && backend === "node") {
    console.log(`tests/net/accept-faults.test.ts: "${file}" skipped for the node backend on Deno: Deno's node:net stops accepting for good after EMFILE`);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// This process's side: node:net clients, within this process's own descriptor limit.

/** How many more sockets this process may open now, keeping a margin for the runner. */
function descriptorBudget(): number {
  const limits = readFileSync("/proc/self/limits", "utf8");
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
  const limit = soft === undefined || soft === "unlimited" ? 1 << 20 : Number(soft);
  return limit - readdirSync("/proc/self/fd").length - 128;
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** A connection of this process to the child; `response` collects what it received. */
interface Client {
  socket: net.Socket;
  response: string;
  /** Resolves once the socket is closed (by either side); never rejects. */
  closed: Promise<void>;
  /** Resolves once connected or failed; never rejects. */
  connected: Promise<boolean>;
}

/** Where the server listens: a TCP port on 127.0.0.1, or a Unix socket's path. */
type Address = number | string;

function connectTo(address: Address): net.NetConnectOpts {
  return typeof address === "number" ? { port: address, host: "127.0.0.1" } : { path: address };
}

function connect(address: Address): Client {
  const socket = net.connect(connectTo(address));
  const client: Client = { socket, response: "", closed: undefined!, connected: undefined! };
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => (client.response += chunk));
  socket.on("error", () => {}); // resets are what these tests are about; `closed` follows
  client.closed = new Promise((resolve) => socket.once("close", () => resolve()));
  client.connected = new Promise((resolve) => {
    socket.once("connect", () => resolve(true));
    socket.once("close", () => resolve(false));
  });
  return client;
}

/** A normal request on a fresh connection (over TLS with `ca`): resolves to the status line (or what went wrong). */
async function statusOf(address: Address, ca?: string, ms = 10_000): Promise<string> {
  const socket = ca === undefined
    ? net.connect(connectTo(address))
    : tls.connect({ port: address as number, host: "127.0.0.1", ca, servername: "localhost" });
  let response = "";
  socket.setEncoding("latin1");
  socket.setTimeout(ms, () => socket.destroy());
  socket.on("data", (chunk: string) => (response += chunk));
  socket.on("error", () => {});
  socket.once(ca === undefined ? "connect" : "secureConnect", () => socket.write("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"));
  await new Promise((resolve) => socket.once("close", resolve));
  return response.split("\r\n")[0] || "no response";
}

/** Runs `task(i)` for i < count, at most `wave` at once. */
async function inWaves(count: number, wave: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(wave, count) }, worker));
}

// ---------------------------------------------------------------------------------------
// The child.

interface Server {
  address: Address;
  pid: number;
}

/** How the child serves: HTTPS (its certificate and key files, the CA the clients trust), or on a Unix socket. */
type Variant = { tls: { certFile: string; keyFile: string; ca: string } } | { unixPath: string };

async function drain(stream: ProcessReceiveStream | null, into: string[]): Promise<void> {
  if (stream === null) return;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of stream) into.push(decoder.decode(chunk, { stream: true }));
  } catch {
    // closed
  }
}

/**
 * Starts the server in a child runtime limited to FD_LIMIT descriptors, checks it answers,
 * runs `load`, then checks that it still answers, that its descriptors are back to the
 * baseline and that it shuts down cleanly on SIGTERM.
 */
async function underLoad(
  backend: BackendName,
  load: (server: Server) => Promise<void>,
  variant?: Variant,
  requestTimeout = REQUEST_TIMEOUT,
): Promise<void> {
  const https = variant !== undefined && "tls" in variant ? variant.tls : undefined;
  const args = [backend, String(requestTimeout)];
  if (https !== undefined) args.push("tls", https.certFile, https.keyFile);
  if (variant !== undefined && "unixPath" in variant) args.push("unix", variant.unixPath);
  const command = ["sh", "-c", `ulimit -n ${FD_LIMIT} && exec "$0" "$@"`, ...runtimeCommand(FIXTURE, args)];
  await using child = await openProcess(command, { stdin: "ignore", forceKillAfter: 1_000 });
  const stderr: string[] = [];
  const draining = drain(child.stderr, stderr);
  const lines = new LineReader(child.stdout!);
  try {
    let line: string | null;
    do line = await lines.next(); while (line !== null && !line.startsWith("listening "));
    if (line === null) throw new Error("the child ended before listening");
    const where = line.slice("listening ".length);
    const server = { address: /^\d+$/.test(where) ? Number(where) : where, pid: child.pid };
    expect(await statusOf(server.address, https?.ca)).toBe("HTTP/1.1 200 OK");
    const baseline = fdCount(server.pid);
    await load(server);
    // Until the server has closed the connections of the load, libuv (the node backend on
    // Node) would close a new connection at once.
    await eventually(() => fdCount(server.pid) <= baseline, `the child's descriptors are back to ${baseline}`, 10_000);
    for (let i = 0; i < 3; i++) expect(await statusOf(server.address, https?.ca)).toBe("HTTP/1.1 200 OK");
    await eventually(() => fdCount(server.pid) <= baseline, `the child's descriptors are back to ${baseline}`, 10_000);
    child.sendSignal("SIGTERM");
    const rest = await lines.rest();
    expect(rest.filter((entry) => entry.startsWith("unhandled"))).toEqual([]);
    expect(rest).toContain("exited cleanly");
    expect(await child.wait()).toBe(0);
  } catch (error) {
    child.kill();
    await child.wait();
    await draining;
    throw new Error(`${(error as Error).message}\nchild stdout: ${JSON.stringify(lines.lines)}\nchild stderr: ${stderr.join("")}`, {
      cause: error,
    });
  }
  await draining;
}

/** Waits until the child holds (nearly) all the descriptors it may: accepting fails with EMFILE now. */
async function outOfDescriptors(server: Server): Promise<void> {
  await eventually(() => fdCount(server.pid) >= FD_LIMIT - 4, `the child uses all its ${FD_LIMIT} descriptors`, 10_000);
}

/** IDLE_CLIENTS connections at once that stay open (and silent), then close. */
async function idleClients(backend: BackendName, what: string, variant?: Variant): Promise<void> {
  const ca = variant !== undefined && "tls" in variant ? variant.tls.ca : undefined;
  if (!exhaustsDescriptorsHere(backend, what)) return;
  if (descriptorBudget() < IDLE_CLIENTS) {
    console.log(`tests/net/accept-faults.test.ts: ${what} skipped: this process may not open ${IDLE_CLIENTS} sockets`);
    return;
  }
  await underLoad(backend, async (server) => {
    const clients = Array.from({ length: IDLE_CLIENTS }, () => connect(server.address));
    // The kernel completes every handshake (the listen queue holds what is not accepted).
    expect((await Promise.all(clients.map((client) => client.connected))).every(Boolean)).toBe(true);
    await outOfDescriptors(server);
    // A request now waits in the listen queue, behind the connections not yet accepted,
    // for serve's next try (libuv closes it at once instead).
    const queued = runtime === "node" ? undefined : statusOf(server.address, ca, 20_000);
    for (const client of clients) client.socket.destroy();
    await Promise.all(clients.map((client) => client.closed));
    if (queued !== undefined) expect(await queued).toBe("HTTP/1.1 200 OK");
  }, variant, 60_000); // the clients stay connected until they close (a TLS handshake is limited by it too)
}

let pki: TestPki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki?.remove());

describe("accept-loop faults in a child runtime with ulimit -n 256", () => {
  test(`${IDLE_CLIENTS} clients at once, more than the server has descriptors: serve waits, then serves again`, async ({ backend }) => {
    await idleClients(backend, "idle clients");
  }, 60_000);

  test(`over TLS (TLSListener): ${IDLE_CLIENTS} clients at once that never start a handshake`, async ({ backend }) => {
    await idleClients(backend, "idle clients over TLS", { tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, ca: pki.caCert } });
  }, 60_000);

  test(`on a Unix socket: ${IDLE_CLIENTS} clients at once`, async ({ backend }) => {
    await idleClients(backend, "idle clients on a Unix socket", { unixPath: join(pki.dir, `accept-${backend}.sock`) });
  }, 60_000);

  test(`${RESETS} clients that reset before or during their request (${RESET_WAVE} at once)`, async ({ backend }) => {
    const wave = Math.max(1, Math.min(RESET_WAVE, descriptorBudget()));
    await underLoad(backend, async (server) => {
      await inWaves(RESETS, wave, async (index) => {
        const client = connect(server.address);
        if (await client.connected) {
          switch (index % 4) {
            case 0: // at once: likely before the server accepted it
              break;
            case 1: // half a request head
              client.socket.write("GET / HTTP/1.1\r\nHost: te");
              break;
            case 2: // a whole request, reset before the response is read
              client.socket.write("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
              break;
            default: // half a request body
              client.socket.write("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nhalf");
          }
          client.socket.resetAndDestroy(); // SO_LINGER 0: the server sees ECONNRESET
        }
        await client.closed;
      });
    });
  }, 60_000);

  test(`${SLOWLORIS} slowloris clients are cut off at the request timeout`, async ({ backend }) => {
    if (SLOWLORIS > FD_LIMIT && !exhaustsDescriptorsHere(backend, "slowloris")) return;
    const atOnce = Math.max(1, Math.min(SLOWLORIS, descriptorBudget()));
    await underLoad(backend, async (server) => {
      let cutOff = 0;
      await inWaves(SLOWLORIS, atOnce, async () => {
        const client = connect(server.address);
        // Half a head, then nothing: only the server's timeout ends it.
        if (await client.connected) client.socket.write("GET / HTTP/1.1\r\nHost: slow");
        client.socket.on("data", () => client.socket.destroy()); // the 408: done
        await client.closed;
        if (client.response.startsWith("HTTP/1.1 408")) cutOff++;
      });
      // Each connection the server accepted got its 408 (on Node, libuv closes the
      // connections it has no descriptor for at once, without an answer).
      expect(cutOff).toBeGreaterThan(0);
    });
  }, 60_000);
});
