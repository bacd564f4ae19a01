// The Deno adapter's raw network contract (RawSocket, RawListener, RawUdpSocket and the
// Backend network methods of src/backend/), over loopback only. It runs on Deno; on other
// runtimes the suite is skipped and the log says why.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lookup } from "node:dns/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backend, loadBackend, type RawListener, type RawSocket } from "../../mod.ts";
import { runsOnlyOn } from "../helpers.ts";

const onDeno = runsOnlyOn("deno", "tests/net/deno-backend.test.ts", "it tests the Deno adapter, which needs Deno.*");
const suiteName = "deno backend: raw network contract";

const never = new AbortController().signal;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads until `count` bytes arrived (or end of stream) and returns them. */
async function readExactly(socket: RawSocket, count: number, maxBytes = 65536): Promise<Uint8Array> {
  const out = new Uint8Array(count);
  let filled = 0;
  while (filled < count) {
    const chunk = await socket.read(Math.min(maxBytes, count - filled));
    if (chunk === null) break;
    expect(chunk.byteLength).toBeGreaterThan(0);
    out.set(chunk, filled);
    filled += chunk.byteLength;
  }
  return out.subarray(0, filled);
}

/** Reads everything until end of stream. */
async function readAll(socket: RawSocket): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = await socket.read(65536);
    if (chunk === null) break;
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function pattern(size: number, seed: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + seed) & 0xff;
  return data;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Settles `promise` into a tagged result, so a test can look without awaiting forever. */
function track<T>(promise: Promise<T>): { done: boolean; value?: T; error?: unknown } {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : String(error);
}

describe.skipIf(!onDeno)(suiteName, () => {
  let backend: Backend;
  let dir: string;

  beforeAll(async () => {
    backend = await loadBackend("deno");
    dir = mkdtempSync(join(tmpdir(), "anyts-deno-"));
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function tcpPair(host = "127.0.0.1"): Promise<{ listener: RawListener; client: RawSocket; server: RawSocket }> {
    const listener = await backend.listenTcp({ host, port: 0, backlog: 16, reuseAddress: false, ipv6Only: false });
    const accepting = listener.accept();
    const client = await backend.connectTcp(host, listener.info.localPort!, { signal: never });
    const server = await accepting;
    return { listener, client, server };
  }

  it("echoes over TCP on 127.0.0.1 and reports where the sockets are", async () => {
    const { listener, client, server } = await tcpPair();
    try {
      expect(listener.info).toEqual({ family: "IPv4", localAddress: "127.0.0.1", localPort: expect.any(Number) });
      expect(client.info).toEqual({
        family: "IPv4",
        localAddress: "127.0.0.1",
        localPort: server.info.remotePort,
        remoteAddress: "127.0.0.1",
        remotePort: listener.info.localPort,
      });
      expect(server.info.localPort).toBe(listener.info.localPort);
      await client.write(encoder.encode("hello"));
      const got = await readExactly(server, 5);
      expect(decoder.decode(got)).toBe("hello");
      await server.write(got);
      expect(decoder.decode(await readExactly(client, 5))).toBe("hello");
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  it("echoes over TCP on ::1", async () => {
    const { listener, client, server } = await tcpPair("::1");
    try {
      expect(client.info.family).toBe("IPv6");
      expect(client.info.remoteAddress).toBe("::1");
      await client.write(encoder.encode("six"));
      expect(decoder.decode(await readExactly(server, 3))).toBe("six");
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  it("hands out chunks the caller owns: a later read never overwrites an earlier chunk", async () => {
    const { listener, client, server } = await tcpPair();
    try {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < 20; i++) {
        await client.write(encoder.encode(`message ${i};`));
        const expected = `message ${i};`.length;
        chunks.push(await readExactly(server, expected));
      }
      expect(chunks.map((chunk) => decoder.decode(chunk)).join("")).toBe(
        Array.from({ length: 20 }, (_, i) => `message ${i};`).join(""),
      );
      // Small chunks must not pin a 64 KiB buffer each.
      for (const chunk of chunks) expect(chunk.buffer.byteLength).toBeLessThan(1024);
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  it("returns at most maxBytes per read", async () => {
    const { listener, client, server } = await tcpPair();
    try {
      await client.write(pattern(1000, 1));
      const first = await server.read(10);
      expect(first!.byteLength).toBeLessThanOrEqual(10);
      const rest = await readExactly(server, 1000 - first!.byteLength, 100);
      expect(sameBytes(new Uint8Array([...first!, ...rest]), pattern(1000, 1))).toBe(true);
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  it("adapts reads to the traffic: bulk chunks stay intact, small ones after them pin no bulk pool", async () => {
    const { listener, client, server } = await tcpPair();
    try {
      const bulk = pattern(4 << 20, 9);
      const kept: Uint8Array[] = [];
      let received = 0;
      const [,] = await Promise.all([
        client.write(bulk),
        (async () => {
          while (received < bulk.byteLength) {
            const chunk = (await server.read(65536))!;
            expect(chunk.byteLength).toBeLessThanOrEqual(65536);
            kept.push(chunk);
            received += chunk.byteLength;
          }
        })(),
      ]);
      // Small messages after the bulk transfer: each its own small buffer.
      for (let i = 0; i < 10; i++) {
        await client.write(encoder.encode(`small ${i}`));
        const chunk = await readExactly(server, `small ${i}`.length);
        expect(decoder.decode(chunk)).toBe(`small ${i}`);
      }
      await client.write(encoder.encode("last"));
      const last = (await server.read(65536))!;
      expect(decoder.decode(last)).toBe("last");
      expect(last.buffer.byteLength).toBeLessThanOrEqual(16 * 1024); // a small pool at most
      // Nothing read later overwrote a kept bulk chunk.
      const joined = new Uint8Array(received);
      let at = 0;
      for (const chunk of kept) {
        joined.set(chunk, at);
        at += chunk.byteLength;
      }
      expect(sameBytes(joined, bulk)).toBe(true);
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  it("serves a bulk transfer through small maxBytes (read-ahead handed out in order)", async () => {
    const { listener, client, server } = await tcpPair();
    try {
      const data = pattern(1 << 20, 11);
      const [, got] = await Promise.all([
        client.write(data).then(() => client.closeWrite()),
        (async () => {
          const out = new Uint8Array(data.byteLength + 1);
          let at = 0;
          for (;;) {
            const chunk = await server.read(1000);
            if (chunk === null) break;
            expect(chunk.byteLength).toBeLessThanOrEqual(1000);
            out.set(chunk, at);
            at += chunk.byteLength;
          }
          return out.subarray(0, at);
        })(),
      ]);
      expect(sameBytes(got, data)).toBe(true);
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  it("readCallback: read-ahead bytes come back synchronously, the rest later; end and errors too", async () => {
    const { listener, client, server } = await tcpPair();
    try {
      // The optional fast path of RawSocket.read (typed here, whether or not the contract has it yet).
      type WithReadCallback = RawSocket & {
        readCallback?(maxBytes: number, onChunk: (chunk: Uint8Array | null) => void, onError: (error: unknown) => void): void;
      };
      expect(typeof (server as WithReadCallback).readCallback).toBe("function");
      const readCb = (socket: WithReadCallback, maxBytes: number) => {
        let sync = true;
        let syncResult = false;
        const result = new Promise<Uint8Array | null>((resolve, reject) => {
          socket.readCallback!(maxBytes, (chunk) => {
            syncResult = sync;
            resolve(chunk);
          }, reject);
        });
        sync = false;
        return { result, wasSync: () => syncResult };
      };
      const data = pattern(1 << 20, 21);
      const writing = client.write(data).then(() => client.closeWrite());
      const out = new Uint8Array(data.byteLength);
      let at = 0;
      let syncCount = 0;
      for (;;) {
        const { result, wasSync } = readCb(server, 4096);
        const chunk = await result;
        if (chunk === null) break;
        if (wasSync()) syncCount++;
        out.set(chunk, at);
        at += chunk.byteLength;
      }
      await writing;
      expect(at).toBe(data.byteLength);
      expect(sameBytes(out, data)).toBe(true);
      expect(syncCount).toBeGreaterThan(0);
      // A pending readCallback settles with null when the socket is closed.
      const pending = readCb(client, 100);
      client.close();
      expect(await pending.result).toBeNull();
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  it("reads null at end of stream when the peer closes", async () => {
    const { listener, client, server } = await tcpPair();
    client.close();
    expect(await server.read(100)).toBeNull();
    expect(await server.read(100)).toBeNull();
    server.close();
    listener.close();
  });

  it("half-closes with closeWrite: the peer reads EOF and can still answer", async () => {
    const { listener, client, server } = await tcpPair();
    try {
      await client.write(encoder.encode("request"));
      await client.closeWrite();
      expect(decoder.decode(await readAll(server))).toBe("request");
      await server.write(encoder.encode("response"));
      await server.closeWrite();
      expect(decoder.decode(await readAll(client))).toBe("response");
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  it("moves 1 MiB each way at once, single writes taken in parts", async () => {
    const { listener, client, server } = await tcpPair();
    try {
      const up = pattern(1 << 20, 7);
      const down = pattern(1 << 20, 13);
      const [, , gotUp, gotDown] = await Promise.all([
        client.write(up).then(() => client.closeWrite()),
        server.write(down).then(() => server.closeWrite()),
        readAll(server),
        readAll(client),
      ]);
      expect(gotUp.byteLength).toBe(up.byteLength);
      expect(gotDown.byteLength).toBe(down.byteLength);
      expect(sameBytes(gotUp, up)).toBe(true);
      expect(sameBytes(gotDown, down)).toBe(true);
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  it("does not resolve a write before the runtime took every byte (backpressure)", async () => {
    const { listener, client, server } = await tcpPair();
    try {
      const big = pattern(64 << 20, 3);
      const writing = track(client.write(big));
      await tick(200);
      expect(writing.done).toBe(false); // nobody reads: the kernel buffers are full
      const got = await readExactly(server, big.byteLength);
      await tick(0);
      expect(writing).toEqual({ done: true, value: undefined });
      expect(sameBytes(got, big)).toBe(true);
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  it("close wakes a pending read with null and is idempotent", async () => {
    const { listener, client, server } = await tcpPair();
    const reading = track(client.read(100));
    await tick(10);
    expect(reading.done).toBe(false);
    client.close();
    client.close();
    await tick(10);
    expect(reading).toEqual({ done: true, value: null });
    expect(await client.read(100)).toBeNull();
    await expect(client.write(encoder.encode("x"))).rejects.toThrow();
    server.close();
    listener.close();
  });

  describe("a peer that resets the connection", () => {
    let peer: Server;
    let peerSockets: Socket[] = [];
    beforeAll(async () => {
      peer = createServer((socket) => {
        peerSockets.push(socket);
        socket.on("error", () => {});
      });
      await new Promise<void>((resolve) => peer.listen(0, "127.0.0.1", resolve));
    });
    afterAll(() => {
      peer.close();
      for (const socket of peerSockets) socket.destroy();
      peerSockets = [];
    });

    it("makes a pending read reject with the runtime's error (no crash, no unhandled rejection)", async () => {
      const port = (peer.address() as { port: number }).port;
      const before = peerSockets.length;
      const client = await backend.connectTcp("127.0.0.1", port, { signal: never });
      for (let i = 0; i < 100 && peerSockets.length === before; i++) await tick(5);
      const reading = client.read(100);
      peerSockets[peerSockets.length - 1]!.resetAndDestroy();
      const error = await reading.then(() => undefined, (error: unknown) => error);
      expect(error).toMatchObject({ code: "ECONNRESET" }); // portable, with Deno's error as the cause
      expect(errorName((error as Error).cause)).toBe("ConnectionReset");
      // Writing after the reset fails too (BrokenPipe or ConnectionReset), as an error.
      let writeError: unknown;
      try {
        for (let i = 0; i < 10; i++) await client.write(encoder.encode("after reset"));
      } catch (error) {
        writeError = error;
      }
      expect(writeError).toBeInstanceOf(Error);
      client.close();
    });
  });

  it("rejects a pending accept when the listener closes; close is idempotent", async () => {
    const listener = await backend.listenTcp({
      host: "127.0.0.1",
      port: 0,
      backlog: 4,
      reuseAddress: false,
      ipv6Only: false,
    });
    expect(listener.info.localPort).toBeGreaterThan(0);
    const accepting = track(listener.accept());
    await tick(10);
    expect(accepting.done).toBe(false);
    listener.close();
    listener.close();
    await tick(10);
    expect(accepting.done).toBe(true);
    expect(accepting.error).toBeInstanceOf(Error);
    await expect(listener.accept()).rejects.toThrow();
  });

  it("accepts several connections in order", async () => {
    const listener = await backend.listenTcp({
      host: "127.0.0.1",
      port: 0,
      backlog: 16,
      reuseAddress: false,
      ipv6Only: false,
    });
    const clients: RawSocket[] = [];
    const servers: RawSocket[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        clients.push(await backend.connectTcp("127.0.0.1", listener.info.localPort!, { signal: never }));
        await clients[i]!.write(encoder.encode(String(i)));
      }
      for (let i = 0; i < 5; i++) servers.push(await listener.accept());
      const got = await Promise.all(servers.map(async (s) => decoder.decode(await readExactly(s, 1))));
      expect(got.sort()).toEqual(["0", "1", "2", "3", "4"]);
    } finally {
      for (const socket of [...clients, ...servers]) socket.close();
      listener.close();
    }
  });

  for (const order of [["::", "0.0.0.0"], ["0.0.0.0", "::"]] as const) {
    it(`binds one port on :: (ipv6Only) and 0.0.0.0 (${order.join(" first, then ")}), each accepting its family`, async () => {
      const listeners: Record<string, RawListener> = {};
      let port = 0;
      for (const host of order) {
        listeners[host] = await backend.listenTcp({ host, port, backlog: 8, reuseAddress: false, ipv6Only: host === "::" });
        port = listeners[host]!.info.localPort!;
      }
      const v4 = listeners["0.0.0.0"]!;
      const v6 = listeners["::"]!;
      const sockets: RawSocket[] = [];
      try {
        expect(v6.info).toEqual({ family: "IPv6", localAddress: "::", localPort: port });
        expect(v4.info).toEqual({ family: "IPv4", localAddress: "0.0.0.0", localPort: port });
        const accept4 = v4.accept();
        const accept6 = v6.accept();
        sockets.push(await backend.connectTcp("127.0.0.1", port, { signal: never }));
        sockets.push(await backend.connectTcp("::1", port, { signal: never }));
        const [server4, server6] = await Promise.all([accept4, accept6]);
        sockets.push(server4, server6);
        expect(server4.info).toMatchObject({ family: "IPv4", localAddress: "127.0.0.1", remoteAddress: "127.0.0.1" });
        expect(server6.info).toMatchObject({ family: "IPv6", localAddress: "::1", remoteAddress: "::1" });
        await sockets[0]!.write(encoder.encode("4"));
        await sockets[1]!.write(encoder.encode("6"));
        expect(decoder.decode(await readExactly(server4, 1))).toBe("4");
        expect(decoder.decode(await readExactly(server6, 1))).toBe("6");
        // Several connections of both families, accepted in any order.
        for (let i = 0; i < 3; i++) {
          sockets.push(await backend.connectTcp("::1", port, { signal: never }));
          sockets.push(await backend.connectTcp("127.0.0.1", port, { signal: never }));
        }
        for (let i = 0; i < 3; i++) {
          const [a, b] = await Promise.all([v4.accept(), v6.accept()]);
          sockets.push(a, b);
          expect([a.info.family, b.info.family]).toEqual(["IPv4", "IPv6"]);
        }
      } finally {
        for (const socket of sockets) socket.close();
        v4.close();
        v6.close();
      }
      // Both closed: the port is free again.
      const again = await backend.listenTcp({ host: "::", port, backlog: 8, reuseAddress: false, ipv6Only: false });
      again.close();
    });
  }

  it("an ipv6Only listener on :: alone: an IPv4 client gets no working connection", async () => {
    const v6 = await backend.listenTcp({ host: "::", port: 0, backlog: 8, reuseAddress: false, ipv6Only: true });
    const port = v6.info.localPort!;
    try {
      const accepting = v6.accept();
      const refused = await backend.connectTcp("127.0.0.1", port, { signal: never }).then(
        async (socket) => {
          // Emulated V6ONLY: accepted and closed at once (Deno cannot refuse it).
          const chunk = await socket.read(10).catch(() => null);
          socket.close();
          return chunk === null;
        },
        () => true,
      );
      expect(refused).toBe(true);
      const client = await backend.connectTcp("::1", port, { signal: never });
      const server = await accepting;
      expect(server.info.family).toBe("IPv6");
      client.close();
      server.close();
    } finally {
      v6.close();
    }
  });

  it("connects from a given local address (localHost)", async () => {
    const listener = await backend.listenTcp({
      host: "127.0.0.1",
      port: 0,
      backlog: 4,
      reuseAddress: false,
      ipv6Only: false,
    });
    const accepting = listener.accept();
    const client = await backend.connectTcp("127.0.0.1", listener.info.localPort!, {
      localHost: "127.0.0.1",
      signal: never,
    });
    const server = await accepting;
    try {
      expect(client.info.localAddress).toBe("127.0.0.1");
      expect(client.info.remotePort).toBe(listener.info.localPort);
      await client.write(encoder.encode("from local"));
      expect(decoder.decode(await readExactly(server, 10))).toBe("from local");
      await server.write(encoder.encode("back"));
      expect(decoder.decode(await readExactly(client, 4))).toBe("back");
      await client.closeWrite();
      expect(await server.read(10)).toBeNull();
      const reading = track(client.read(10));
      client.close();
      await tick(10);
      expect(reading).toEqual({ done: true, value: null });
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  it("rejects a connection to a closed port with the runtime's error", async () => {
    const listener = await backend.listenTcp({
      host: "127.0.0.1",
      port: 0,
      backlog: 4,
      reuseAddress: false,
      ipv6Only: false,
    });
    const port = listener.info.localPort!;
    listener.close();
    await tick(10);
    const error = await backend.connectTcp("127.0.0.1", port, { signal: never }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(error).toMatchObject({ code: "ECONNREFUSED" }); // portable, with Deno's error as the cause
      expect(errorName((error as Error).cause)).toBe("ConnectionRefused");
  });

  it("abandons a connect whose signal aborts: pre-aborted at once, and mid-connect", async () => {
    const listener = await backend.listenTcp({
      host: "127.0.0.1",
      port: 0,
      backlog: 4,
      reuseAddress: false,
      ipv6Only: false,
    });
    const port = listener.info.localPort!;
    try {
      const reason = new Error("gave up");
      const pre = track(backend.connectTcp("127.0.0.1", port, { signal: AbortSignal.abort(reason) }));
      await tick(0);
      expect(pre).toEqual({ done: true, error: reason });
      const preLocal = track(
        backend.connectTcp("127.0.0.1", port, { localHost: "127.0.0.1", signal: AbortSignal.abort(reason) }),
      );
      await tick(0);
      expect(preLocal).toEqual({ done: true, error: reason });

      for (const localHost of [undefined, "127.0.0.1"]) {
        const controller = new AbortController();
        const connecting = backend.connectTcp("127.0.0.1", port, {
          ...(localHost !== undefined ? { localHost } : {}),
          signal: controller.signal,
        });
        controller.abort(reason);
        await expect(connecting).rejects.toBe(reason);
      }
    } finally {
      listener.close();
    }
  });

  it("echoes over a Unix socket and reports its path", async () => {
    const path = join(dir, "echo.sock");
    const listener = await backend.listenUnix(path, { backlog: 8 });
    const accepting = listener.accept();
    const client = await backend.connectUnix(path, { signal: never });
    const server = await accepting;
    try {
      expect(listener.info).toEqual({ family: "unix", localAddress: path });
      expect(client.info.family).toBe("unix");
      expect(client.info.remoteAddress).toBe(path);
      expect(server.info.localAddress).toBe(path);
      await client.write(encoder.encode("over unix"));
      await client.closeWrite();
      expect(decoder.decode(await readAll(server))).toBe("over unix");
      const [, got] = await Promise.all([server.write(pattern(1 << 20, 5)).then(() => server.closeWrite()), readAll(client)]);
      expect(sameBytes(got, pattern(1 << 20, 5))).toBe(true);
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  it("connectUnix: pre-aborted signal rejects at once; a missing path rejects with NotFound", async () => {
    const reason = new Error("stop");
    await expect(backend.connectUnix(join(dir, "none.sock"), { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    const error = await backend.connectUnix(join(dir, "none.sock"), { signal: never }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(error).toMatchObject({ code: "ENOENT" }); // portable, with Deno's error as the cause
      expect(errorName((error as Error).cause)).toBe("NotFound");
  });

  it("replaces a stale Unix socket file, refuses a live one and leaves a regular file alone", async () => {
    const path = join(dir, "stale.sock");
    // A process that listens and is killed leaves its socket file behind.
    const script = `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} }); console.log("ready");` +
      "setInterval(() => {}, 1000);";
    const child = spawn(process.execPath, ["eval", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", () => resolve());
      child.on("error", reject);
      child.on("exit", (code) => reject(new Error(`listener child exited with ${code}`)));
    });
    child.kill("SIGKILL");
    await new Promise((resolve) => child.on("exit", resolve));
    expect(statSync(path).isSocket()).toBe(true);

    const listener = await backend.listenUnix(path, { backlog: 8 });
    try {
      const accepting = listener.accept();
      const client = await backend.connectUnix(path, { signal: never });
      (await accepting).close();
      client.close();

      // A live listener: AddrInUse, and its file stays.
      const live = await backend.listenUnix(path, { backlog: 8 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(live).toMatchObject({ code: "EADDRINUSE" }); // portable, with Deno's error as the cause
      expect(errorName((live as Error).cause)).toBe("AddrInUse");
      expect(statSync(path).isSocket()).toBe(true);
    } finally {
      listener.close();
    }

    const regular = join(dir, "regular-file");
    writeFileSync(regular, "keep me");
    const notSocket = await backend.listenUnix(regular, { backlog: 8 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(notSocket).toMatchObject({ code: "EADDRINUSE" }); // portable, with Deno's error as the cause
      expect(errorName((notSocket as Error).cause)).toBe("AddrInUse");
    expect(statSync(regular).isFile()).toBe(true);
  });

  it("sends and receives UDP datagrams over 127.0.0.1 and ::1", async () => {
    for (const [family, host] of [[4, "127.0.0.1"], [6, "::1"]] as const) {
      const a = await backend.createUdpSocket({ family, localHost: host, localPort: 0, reuseAddress: false });
      const b = await backend.createUdpSocket({
        family,
        localHost: host,
        localPort: 0,
        reuseAddress: false,
        remote: { host, port: a.info.localPort! },
      });
      try {
        expect(a.info).toEqual({ family: family === 4 ? "IPv4" : "IPv6", localAddress: host, localPort: expect.any(Number) });
        expect(b.info.remoteAddress).toBe(host);
        expect(b.info.remotePort).toBe(a.info.localPort);
        await b.send(encoder.encode("ping"));
        const [data, fromHost, fromPort] = await a.receive();
        expect(decoder.decode(data)).toBe("ping");
        expect(fromHost).toBe(host);
        expect(fromPort).toBe(b.info.localPort);
        await a.send(encoder.encode("pong"), fromHost, fromPort);
        const [reply, replyHost, replyPort] = await b.receive();
        expect(decoder.decode(reply)).toBe("pong");
        expect([replyHost, replyPort]).toEqual([host, a.info.localPort]);
        // A pending receive settles on close.
        const receiving = track(a.receive());
        a.close();
        a.close();
        await tick(10);
        expect(receiving.done).toBe(true);
        expect(receiving.error).toBeInstanceOf(Error);
      } finally {
        a.close();
        b.close();
      }
    }
  });

  it("getaddrinfo keeps the system resolver's order and honours the family", async () => {
    for (const family of [0, 4] as const) {
      const expected = await lookup("localhost", { all: true, family, verbatim: true });
      const got = await backend.getaddrinfo("localhost", family);
      expect(got).toEqual(expected.map(({ address, family }) => ({ address, family })));
      expect(got.length).toBeGreaterThan(0);
    }
    expect(await backend.getaddrinfo("127.0.0.1", 0)).toEqual([{ address: "127.0.0.1", family: 4 }]);
    expect(await backend.getaddrinfo("::1", 0)).toEqual([{ address: "::1", family: 6 }]);
    const error = await backend.getaddrinfo("no-such-host.invalid", 0).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((error as { code?: string }).code).toBe("ENOTFOUND");
  });
});
