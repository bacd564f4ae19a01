// The Bun adapter's raw network contract (src/backend/: RawSocket, RawListener,
// RawUdpSocket, getaddrinfo/connect/listen), exercised directly over loopback with real
// peers: native Bun sockets, and node:net where a peer must misbehave (reset).
// Only on Bun; elsewhere the describe below says why it does nothing.
import { spawn } from "node:child_process";
import * as dns from "node:dns";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Backend, loadBackend, type RawListener, type RawSocket, type RawTlsSocket, type TlsEngineOptions } from "../../src/backend/index.ts";
import { makePki, type TestPki } from "../streams/tls-helpers.ts";
import { runsOnlyOn } from "../helpers.ts";


/** Waits (real time: this is I/O) until `condition()` holds; fails after `ms`. */
async function eventually(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readAll(socket: RawSocket, limit = Infinity): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = await socket.read(65536);
    if (chunk === null) break;
    parts.push(chunk);
    total += chunk.length;
    if (total >= limit) break;
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

async function readExactly(socket: RawSocket, n: number): Promise<Uint8Array> {
  const data = await readAll(socket, n);
  expect(data.length).toBe(n);
  return data;
}

function pattern(n: number, seed: number): Uint8Array {
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (i * 31 + seed) & 255;
  return data;
}

const text = (data: Uint8Array | null) => (data === null ? null : new TextDecoder().decode(data));
const bytes = (s: string) => new TextEncoder().encode(s);

const onBun = runsOnlyOn("bun", "tests/net/bun-backend.test.ts", "it tests the Bun adapter, which needs Bun.*");
{
  describe.skipIf(!onBun)("bun backend raw contract", () => {
    let backend: Backend;
    const cleanups: Array<() => void | Promise<void>> = [];
    const never = new AbortController().signal;

    async function listen(host = "127.0.0.1"): Promise<RawListener> {
      backend ??= await loadBackend("bun");
      const listener = await backend.listenTcp({ host, port: 0, backlog: 128, reuseAddress: false, ipv6Only: true });
      cleanups.push(() => listener.close());
      return listener;
    }

    async function pair(host = "127.0.0.1"): Promise<[client: RawSocket, server: RawSocket, listener: RawListener]> {
      const listener = await listen(host);
      const [client, server] = await Promise.all([
        backend.connectTcp(host, listener.info.localPort!, { signal: never }),
        listener.accept(),
      ]);
      cleanups.push(() => client.close(), () => server.close());
      return [client, server, listener];
    }

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it("echoes over TCP and reports both ends' addresses", async () => {
      const [client, server, listener] = await pair();
      expect(listener.info).toEqual({ family: "IPv4", localAddress: "127.0.0.1", localPort: expect.any(Number) });
      expect(listener.info.localPort).toBeGreaterThan(0);
      await client.write(bytes("hello"));
      const got = await server.read(100);
      expect(text(got)).toBe("hello");
      expect(got!.constructor).toBe(Uint8Array); // a plain Uint8Array, not a Buffer
      await server.write(got!);
      expect(text(await client.read(100))).toBe("hello");
      expect(client.info).toEqual({
        family: "IPv4",
        localAddress: "127.0.0.1",
        localPort: server.info.remotePort,
        remoteAddress: "127.0.0.1",
        remotePort: listener.info.localPort,
      });
      expect(server.info.localPort).toBe(listener.info.localPort);
      expect(server.info.remotePort).toBe(client.info.localPort);
    });

    it("echoes over IPv6 loopback", async () => {
      const [client, server, listener] = await pair("::1");
      expect(listener.info.family).toBe("IPv6");
      expect(client.info).toMatchObject({ family: "IPv6", localAddress: "::1", remoteAddress: "::1" });
      expect(server.info).toMatchObject({ family: "IPv6", localAddress: "::1", remoteAddress: "::1" });
      await client.write(bytes("six"));
      expect(text(await server.read(100))).toBe("six");
    });

    it("splits a chunk larger than maxBytes and keeps the rest for the next read", async () => {
      const [client, server] = await pair();
      await client.write(bytes("abcdefghij"));
      await eventually(() => true, "");
      const first = await server.read(3);
      expect(text(first)).toBe("abc");
      const rest = await readExactly(server, 7);
      expect(text(rest)).toBe("defghij");
    });

    it("readCallback and writeCallback call back synchronously when they can, once otherwise", async () => {
      type Fast = RawSocket & {
        readCallback(max: number, onChunk: (c: Uint8Array | null) => void, onError: (e: unknown) => void): void;
        writeCallback(data: Uint8Array, onDone: () => void, onError: (e: unknown) => void): void;
      };
      const [client, server] = (await pair()) as unknown as [Fast, Fast];
      const calls: string[] = [];
      client.writeCallback(bytes("sync"), () => calls.push("written"), () => calls.push("write error"));
      expect(calls).toEqual(["written"]); // a small write is taken at once
      // Nothing queued yet on the server: the callback comes later, exactly once.
      let got: Uint8Array | null | undefined;
      server.readCallback(100, (chunk) => (got = chunk), (error) => calls.push(`read error ${error}`));
      await eventually(() => got !== undefined, "the read called back");
      expect(text(got!)).toBe("sync");
      await client.write(bytes("queued"));
      await sleep(20);
      let sync: Uint8Array | null | undefined;
      server.readCallback(3, (chunk) => (sync = chunk), () => {});
      expect(text(sync!)).toBe("que"); // already there: called back before returning
      server.readCallback(100, (chunk) => (sync = chunk), () => {});
      expect(text(sync!)).toBe("ued");
      client.close();
      let end: Uint8Array | null | undefined;
      server.readCallback(100, (chunk) => (end = chunk), () => {});
      await eventually(() => end !== undefined, "end of stream");
      expect(end).toBeNull();
      expect(calls).toEqual(["written"]);
    });

    it("gives end of stream (null) once the peer closes, and again on the next read", async () => {
      const [client, server] = await pair();
      await client.write(bytes("last"));
      client.close();
      expect(text(await readAll(server))).toBe("last");
      expect(await server.read(10)).toBeNull();
      // Writing to a peer that closed fails (EPIPE or ECONNRESET), eventually.
      await expect((async () => {
        for (let i = 0; i < 1000; i++) {
          await server.write(new Uint8Array(65536));
          await sleep(1);
        }
      })()).rejects.toThrow();
    });

    it("half-closes with closeWrite: the peer reads EOF and can still answer", async () => {
      const [client, server] = await pair();
      await client.write(bytes("question"));
      await client.closeWrite();
      await client.closeWrite(); // idempotent
      expect(text(await readAll(server))).toBe("question");
      await server.write(bytes("answer"));
      await server.closeWrite();
      expect(text(await readAll(client))).toBe("answer");
      await expect(client.write(bytes("more"))).rejects.toThrow();
    });

    it("moves 1 MiB each way at once through slow readers, buffering only a bounded amount", async () => {
      const [client, server] = await pair();
      const size = 1 << 20;
      const send = async (socket: RawSocket, seed: number) => {
        const expected = pattern(size, seed);
        const buffer = new Uint8Array(65536);
        for (let offset = 0; offset < size; offset += buffer.length) {
          buffer.set(expected.subarray(offset, offset + buffer.length));
          await socket.write(buffer);
          buffer.fill(0); // the runtime must not keep a reference to written memory
        }
        await socket.closeWrite();
      };
      const slowRead = async (socket: RawSocket) => {
        const parts: Uint8Array[] = [];
        let total = 0;
        for (;;) {
          await sleep(1);
          const chunk = await socket.read(16384);
          if (chunk === null) break;
          parts.push(chunk);
          total += chunk.length;
        }
        const all = new Uint8Array(total);
        let offset = 0;
        for (const part of parts) all.set(part, (offset += part.length) - part.length);
        return all;
      };
      const [, , atServer, atClient] = await Promise.all([send(client, 1), send(server, 2), slowRead(server), slowRead(client)]);
      expect(atServer).toEqual(pattern(size, 1));
      expect(atClient).toEqual(pattern(size, 2));
    });

    it("keeps a write pending while nobody reads (no unbounded buffering), then completes it", async () => {
      const [client, server] = await pair();
      const size = 32 << 20;
      const data = pattern(size, 7);
      let done = false;
      const writing = client.write(data).then(() => (done = true));
      await sleep(200);
      expect(done).toBe(false); // kernel buffers plus the reader's queue hold far less than 32 MiB
      const got = await readExactly(server, size);
      await writing;
      expect(got).toEqual(data);
    });

    it("close() wakes a pending read with null and rejects later writes", async () => {
      const [client] = await pair();
      const reading = client.read(100);
      await sleep(10);
      client.close();
      client.close(); // idempotent
      expect(await reading).toBeNull();
      await expect(client.write(bytes("x"))).rejects.toThrow();
    });

    it("a reset by the peer rejects the pending read with ECONNRESET", async () => {
      const peer = net.createServer((socket) => {
        socket.on("error", () => {});
        socket.once("data", () => socket.resetAndDestroy());
      });
      await new Promise<void>((resolve) => peer.listen(0, "127.0.0.1", resolve));
      cleanups.push(() => new Promise<void>((resolve) => peer.close(() => resolve())));
      backend ??= await loadBackend("bun");
      const client = await backend.connectTcp("127.0.0.1", (peer.address() as net.AddressInfo).port, { signal: never });
      cleanups.push(() => client.close());
      const reading = client.read(100);
      await client.write(bytes("reset me"));
      await expect(reading).rejects.toMatchObject({ code: "ECONNRESET" });
      await expect(client.write(bytes("x"))).rejects.toThrow();
    });

    it("a failed connect rejects with the runtime's error", async () => {
      const listener = await listen();
      const port = listener.info.localPort!;
      listener.close();
      await expect(backend.connectTcp("127.0.0.1", port, { signal: never })).rejects.toMatchObject({
        code: "ECONNREFUSED",
      });
    });

    it("binds the local address given as localHost", async () => {
      const listener = await listen();
      const [client] = await Promise.all([
        backend.connectTcp("127.0.0.1", listener.info.localPort!, { localHost: "127.0.0.1", signal: never }),
        listener.accept().then((server) => cleanups.push(() => server.close())),
      ]);
      cleanups.push(() => client.close());
      expect(client.info.localAddress).toBe("127.0.0.1");
      // An IPv6 local address cannot reach an IPv4 peer: proof that the binding happens.
      await expect(backend.connectTcp("127.0.0.1", listener.info.localPort!, { localHost: "::1", signal: never }))
        .rejects.toThrow();
    });

    it("a pre-aborted signal rejects with its reason and connects nothing", async () => {
      const listener = await listen();
      const controller = new AbortController();
      const reason = new Error("gave up");
      controller.abort(reason);
      await expect(backend.connectTcp("127.0.0.1", listener.info.localPort!, { signal: controller.signal }))
        .rejects.toBe(reason);
      let accepted = false;
      listener.accept().then(() => (accepted = true), () => {});
      await sleep(50);
      expect(accepted).toBe(false);
    });

    it("an abort mid-connect rejects at once and closes the socket when it opens", async () => {
      const listener = await listen();
      const controller = new AbortController();
      const reason = new Error("lost the race");
      const connecting = backend.connectTcp("127.0.0.1", listener.info.localPort!, { signal: controller.signal });
      controller.abort(reason);
      await expect(connecting).rejects.toBe(reason);
      const server = await listener.accept();
      cleanups.push(() => server.close());
      expect(await server.read(10)).toBeNull(); // the abandoned client was closed
    });

    it("listener: queues connections until accepted; close rejects a pending accept and refuses new ones", async () => {
      const listener = await listen();
      const port = listener.info.localPort!;
      const early = await backend.connectTcp("127.0.0.1", port, { signal: never });
      cleanups.push(() => early.close());
      await early.write(bytes("early"));
      await sleep(20);
      const accepted = await listener.accept();
      cleanups.push(() => accepted.close());
      expect(text(await accepted.read(100))).toBe("early");
      const pending = listener.accept();
      listener.close();
      listener.close(); // idempotent
      await expect(pending).rejects.toThrow();
      await expect(listener.accept()).rejects.toThrow();
      await expect(backend.connectTcp("127.0.0.1", port, { signal: never })).rejects.toMatchObject({
        code: "ECONNREFUSED",
      });
      // A connection accepted before the listener closed lives on.
      await early.write(bytes("still here"));
      expect(text(await accepted.read(100))).toBe("still here");
    });

    it("turns away connections beyond the backlog while nobody accepts", async () => {
      backend ??= await loadBackend("bun");
      const listener = await backend.listenTcp({ host: "127.0.0.1", port: 0, backlog: 2, reuseAddress: false, ipv6Only: false });
      cleanups.push(() => listener.close());
      const clients: RawSocket[] = [];
      for (let i = 0; i < 4; i++) {
        const client = await backend.connectTcp("127.0.0.1", listener.info.localPort!, { signal: never });
        cleanups.push(() => client.close());
        clients.push(client);
        await sleep(10); // one after the other, so that the kernel accepts them in this order
      }
      await sleep(50);
      // The last two were closed by the listener: they read end of stream at once.
      expect(await clients[2]!.read(10)).toBeNull();
      expect(await clients[3]!.read(10)).toBeNull();
      for (const index of [0, 1]) {
        const server = await listener.accept();
        cleanups.push(() => server.close());
        await clients[index]!.write(bytes(`client ${index}`));
        expect(text(await server.read(100))).toBe(`client ${index}`);
      }
    });

    it("listens with reuseAddress (SO_REUSEPORT) twice on one port, and refuses without it", async () => {
      backend ??= await loadBackend("bun");
      const options = { host: "127.0.0.1", backlog: 16, ipv6Only: false };
      const first = await backend.listenTcp({ ...options, port: 0, reuseAddress: true });
      cleanups.push(() => first.close());
      const second = await backend.listenTcp({ ...options, port: first.info.localPort!, reuseAddress: true });
      cleanups.push(() => second.close());
      expect(second.info.localPort).toBe(first.info.localPort);
      await expect(backend.listenTcp({ ...options, port: first.info.localPort!, reuseAddress: false }))
        .rejects.toMatchObject({ code: "EADDRINUSE" });
    });

    describe("Unix sockets", () => {
      let dir: string;
      afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

      it("echoes and reports the path", async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "anyts-bun-"));
        const socketPath = path.join(dir, "echo.sock");
        backend ??= await loadBackend("bun");
        const listener = await backend.listenUnix(socketPath, { backlog: 16 });
        cleanups.push(() => listener.close());
        expect(listener.info).toEqual({ family: "unix", localAddress: socketPath });
        const [client, server] = await Promise.all([
          backend.connectUnix(socketPath, { signal: never }),
          listener.accept(),
        ]);
        cleanups.push(() => client.close(), () => server.close());
        expect(client.info).toMatchObject({ family: "unix", localAddress: "", remoteAddress: socketPath });
        expect(server.info).toMatchObject({ family: "unix", localAddress: socketPath });
        await client.write(bytes("unix"));
        expect(text(await server.read(100))).toBe("unix");
        await server.write(bytes("echo"));
        await server.closeWrite();
        expect(text(await readAll(client))).toBe("echo");
      });

      it("replaces a stale socket file, but not a live listener's nor a regular file", async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "anyts-bun-"));
        const socketPath = path.join(dir, "stale.sock");
        // A process that dies without cleaning up leaves its socket file behind.
        const child = spawn(process.execPath, [
          "-e",
          `Bun.listen({ unix: ${JSON.stringify(socketPath)}, socket: { data() {} } }); console.log("ready"); setInterval(() => {}, 1000);`,
        ], { stdio: ["ignore", "pipe", "inherit"] });
        await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
        backend ??= await loadBackend("bun");
        // While it listens: address in use, file untouched.
        await expect(backend.listenUnix(socketPath, { backlog: 16 })).rejects.toMatchObject({ code: "EADDRINUSE" });
        child.kill("SIGKILL");
        await new Promise((resolve) => child.once("exit", resolve));
        expect(fs.lstatSync(socketPath).isSocket()).toBe(true);
        const listener = await backend.listenUnix(socketPath, { backlog: 16 });
        cleanups.push(() => listener.close());
        const [client, server] = await Promise.all([
          backend.connectUnix(socketPath, { signal: never }),
          listener.accept(),
        ]);
        cleanups.push(() => client.close(), () => server.close());
        await client.write(bytes("fresh"));
        expect(text(await server.read(100))).toBe("fresh");

        const regular = path.join(dir, "regular");
        fs.writeFileSync(regular, "keep me");
        await expect(backend.listenUnix(regular, { backlog: 16 })).rejects.toMatchObject({ code: "EADDRINUSE" });
        expect(fs.readFileSync(regular, "utf8")).toBe("keep me");
      });

      it("connectUnix to a missing path rejects with ENOENT", async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "anyts-bun-"));
        backend ??= await loadBackend("bun");
        await expect(backend.connectUnix(path.join(dir, "none.sock"), { signal: never })).rejects.toMatchObject({
          code: "ENOENT",
        });
      });
    });

    it("UDP: round trip between an unbound-peer socket and a connected one, with addresses", async () => {
      backend ??= await loadBackend("bun");
      const server = await backend.createUdpSocket({ family: 4, localHost: "127.0.0.1", localPort: 0, reuseAddress: false });
      cleanups.push(() => server.close());
      expect(server.info).toEqual({ family: "IPv4", localAddress: "127.0.0.1", localPort: expect.any(Number) });
      const client = await backend.createUdpSocket({
        family: 4,
        localHost: "127.0.0.1",
        localPort: 0,
        reuseAddress: false,
        remote: { host: "127.0.0.1", port: server.info.localPort! },
      });
      cleanups.push(() => client.close());
      expect(client.info).toMatchObject({ remoteAddress: "127.0.0.1", remotePort: server.info.localPort });
      await client.send(bytes("ping"));
      const [data, host, port] = await server.receive();
      expect([text(data), host, port]).toEqual(["ping", "127.0.0.1", client.info.localPort]);
      await server.send(bytes("pong"), host, port);
      const [reply, from, fromPort] = await client.receive();
      expect([text(reply), from, fromPort]).toEqual(["pong", "127.0.0.1", server.info.localPort]);
      // Datagrams that arrive before anyone receives are queued in order.
      await client.send(bytes("1"));
      await client.send(bytes("2"));
      await sleep(20);
      expect(text((await server.receive())[0])).toBe("1");
      expect(text((await server.receive())[0])).toBe("2");
      // close settles a pending receive.
      const pending = client.receive();
      client.close();
      client.close();
      await expect(pending).rejects.toThrow();
    });

    it("UDP over IPv6 and with reuseAddress", async () => {
      backend ??= await loadBackend("bun");
      const a = await backend.createUdpSocket({ family: 6, localHost: "::1", localPort: 0, reuseAddress: true });
      cleanups.push(() => a.close());
      expect(a.info.family).toBe("IPv6");
      const b = await backend.createUdpSocket({ family: 6, localHost: "::1", localPort: a.info.localPort!, reuseAddress: true });
      cleanups.push(() => b.close());
      const c = await backend.createUdpSocket({ family: 6, localHost: "::1", localPort: 0, reuseAddress: false });
      cleanups.push(() => c.close());
      await c.send(bytes("v6"), "::1", a.info.localPort!);
      const [data, host] = await Promise.race([a.receive(), b.receive()]);
      expect([text(data), host]).toEqual(["v6", "::1"]);
      await expect(backend.createUdpSocket({ family: 6, localHost: "::1", localPort: c.info.localPort!, reuseAddress: false }))
        .rejects.toMatchObject({ code: "EADDRINUSE" });
    });

    it("getaddrinfo keeps the system resolver's order and filters by family", async () => {
      backend ??= await loadBackend("bun");
      const system = await new Promise<Array<{ address: string; family: number }>>((resolve, reject) =>
        dns.lookup("localhost", { all: true, verbatim: true }, (error, addresses) => error ? reject(error) : resolve(addresses))
      );
      const ours = await backend.getaddrinfo("localhost", 0);
      expect(ours).toEqual(system.filter((a, i) => system.findIndex((b) => b.address === a.address) === i));
      expect(ours.map((a) => a.address)).toContain("127.0.0.1");
      expect(await backend.getaddrinfo("localhost", 4)).toEqual(ours.filter((a) => a.family === 4));
      expect(await backend.getaddrinfo("127.0.0.1", 0)).toEqual([{ address: "127.0.0.1", family: 4 }]);
      expect(await backend.getaddrinfo("::1", 0)).toEqual([{ address: "::1", family: 6 }]);
      // Bun's own code for an unknown name (its node:dns says ENOTFOUND).
      await expect(backend.getaddrinfo("no-such-host.invalid", 0)).rejects.toMatchObject({ code: "ENOTFOUND" });
    });

    describe("native TLS (upgradeTls on Bun's socket.upgradeTLS)", () => {
      let pki: TestPki;
      beforeAll(() => {
        pki = makePki();
      });
      afterAll(() => pki?.remove());

      const serverOptions = (extra: Partial<TlsEngineOptions> = {}): TlsEngineOptions => ({
        serverSide: true,
        cert: pki.serverCert,
        key: pki.serverKey,
        verify: true,
        requestClientCertificate: false,
        signal: never,
        ...extra,
      });
      const clientOptions = (extra: Partial<TlsEngineOptions> = {}): TlsEngineOptions => ({
        serverSide: false,
        hostname: "localhost",
        ca: pki.caCert,
        verify: true,
        requestClientCertificate: false,
        signal: never,
        ...extra,
      });

      /** Both ends of a TLS connection on Bun's own TLS. */
      async function tlsPair(
        server: Partial<TlsEngineOptions> = {},
        client: Partial<TlsEngineOptions> = {},
      ): Promise<[client: RawTlsSocket, server: RawTlsSocket, plain: [RawSocket, RawSocket]]> {
        const [plainClient, plainServer] = await pair();
        const serving = backend.upgradeTls!(plainServer, serverOptions(server));
        const connecting = backend.upgradeTls!(plainClient, clientOptions(client));
        expect(serving).toBeDefined();
        expect(connecting).toBeDefined();
        const [tlsClient, tlsServer] = await Promise.all([connecting!, serving!]);
        cleanups.push(() => tlsClient.close(), () => tlsServer.close());
        return [tlsClient, tlsServer, [plainClient, plainServer]];
      }

      async function readAllTls(socket: RawTlsSocket): Promise<string> {
        let all = "";
        for (;;) {
          const chunk = await socket.read(65536);
          if (chunk === null) return all;
          all += text(chunk);
        }
      }

      it("an accepted socket reads nothing before its first read: a ClientHello that arrived is still there for upgradeTls", async () => {
        // A real ClientHello, recorded from Bun's TLS client on a first connection.
        const [hello, helloServer] = await pair();
        const tlsClient = backend.upgradeTls!(hello, clientOptions());
        expect(tlsClient).toBeDefined();
        tlsClient!.catch(() => {});
        const clientHello = await helloServer.read(65536);
        expect(clientHello![0]).toBe(22); // a TLS handshake record
        helloServer.close();
        // A plain client sends it; once the server's reply to a later write came back, the
        // ClientHello had long been readable on the server side: a reading socket would
        // have taken it into its queue (and upgradeTls would decline).
        const [client, server] = await pair();
        await client.write(clientHello!);
        await server.write(bytes("ping"));
        expect(text(await client.read(100))).toBe("ping");
        const serving = backend.upgradeTls!(server, serverOptions());
        expect(serving).toBeDefined();
        serving!.catch(() => {});
        // Bun's TLS got the ClientHello: it answers with a ServerHello (a handshake record).
        const reply = await client.read(65536);
        expect(reply![0]).toBe(22);
        client.close(); // this fake client cannot finish the handshake
        await expect(serving).rejects.toBeDefined();
      });

      it("declines (undefined, socket untouched) once bytes have arrived, and for another backend's socket; the socket keeps working", async () => {
        const [client, server] = await pair();
        await client.write(bytes("early"));
        expect(text(await server.read(100))).toBe("early");
        expect(backend.upgradeTls!(server, serverOptions())).toBeUndefined();
        // A connected socket with unread bytes in its queue: once a later round trip on
        // another connection came back, Bun had read them.
        await server.write(bytes("queued"));
        const [other, otherServer] = await pair();
        await other.write(bytes("x"));
        expect(text(await otherServer.read(100))).toBe("x");
        expect(backend.upgradeTls!(client, clientOptions())).toBeUndefined();
        expect(text(await client.read(100))).toBe("queued");
        await client.write(bytes("still plain"));
        expect(text(await server.read(100))).toBe("still plain");
        // Another backend's socket.
        const node = await loadBackend("node");
        const listener = await node.listenTcp({ host: "127.0.0.1", port: 0, backlog: 8, reuseAddress: false, ipv6Only: false });
        cleanups.push(() => listener.close());
        const foreign = await node.connectTcp("127.0.0.1", listener.info.localPort!, { signal: never });
        cleanups.push(() => foreign.close());
        expect(backend.upgradeTls!(foreign, clientOptions())).toBeUndefined();
      });

      it("handshakes both ways, moves data, half-closes with close_notify, and ignores the plain socket afterwards", async () => {
        const [client, server, [plainClient, plainServer]] = await tlsPair({ alpnProtocols: ["h2", "http/1.1"] }, { alpnProtocols: ["http/1.1"] });
        expect(client.session.alpnProtocol).toBe("http/1.1");
        expect(server.session.alpnProtocol).toBe("http/1.1");
        expect(client.session.tlsVersion).toMatch(/^TLSv1\.[23]$/);
        expect(client.session.peerCertificateBinary).toEqual(pki.serverCertDer);
        expect(client.session.peerCertificateBinary!.constructor).toBe(Uint8Array);
        expect(server.session.peerCertificate).toBeNull(); // none requested
        expect(client.closeNotifyReceived).toBe(true);
        // The plain sockets belong to Bun's TLS now: closing them does nothing.
        plainClient.close();
        plainServer.close();
        await client.write(bytes("hello"));
        expect(text(await server.read(100))).toBe("hello");
        await client.closeWrite();
        await client.closeWrite(); // once
        await expect(client.write(bytes("late"))).rejects.toMatchObject({ code: "ERR_STREAM_WRITE_AFTER_END" });
        expect(await server.read(100)).toBeNull();
        expect(server.tryRead!(100)).toBeUndefined();
        await server.write(bytes("after your close_notify"));
        await server.closeWrite();
        expect(await readAllTls(client)).toBe("after your close_notify");
        await expect(client.unwrap()).rejects.toMatchObject({ code: "ERR_TLS_NATIVE_UNWRAP" });
        await client.close();
        await client.close(); // idempotent
      });

      it("close() ends the connection without close_notify; the peer reads the end", async () => {
        const [client, server] = await tlsPair();
        await server.write(bytes("bye"));
        await server.close();
        expect(await readAllTls(client)).toBe("bye");
        await expect(server.read(10)).rejects.toThrow();
      });

      it("backpressure: a big write stays pending while nobody reads, then completes; 8 MiB back", async () => {
        const [client, server] = await tlsPair();
        const size = 32 << 20;
        const data = pattern(size, 3);
        let done = false;
        const writing = client.write(data).then(() => (done = true));
        await sleep(200);
        expect(done).toBe(false); // the reader's queue stops at its high-water mark
        expect(await readExactlyTls(server, size)).toEqual(data);
        await writing;
        const back = data.subarray(0, 8 << 20);
        const answering = server.write(back);
        expect(await readExactlyTls(client, back.length)).toEqual(back);
        await answering;
      });

      async function readExactlyTls(socket: RawTlsSocket, n: number): Promise<Uint8Array> {
        const all = new Uint8Array(n);
        let offset = 0;
        while (offset < n) {
          const chunk = await socket.read(n - offset);
          if (chunk === null) throw new Error("early end");
          all.set(chunk, offset);
          offset += chunk.length;
        }
        return all;
      }

      it("verifies: the host name (ERR_TLS_CERT_ALTNAME_INVALID), IP addresses, an unknown CA; verify: false accepts", async () => {
        await expect(tlsPair({}, { hostname: "example.com" })).rejects.toMatchObject({ code: "ERR_TLS_CERT_ALTNAME_INVALID" });
        await expect(tlsPair({}, { hostname: "127.0.0.2" })).rejects.toMatchObject({ code: "ERR_TLS_CERT_ALTNAME_INVALID" });
        await expect(tlsPair({}, { ca: pki.selfSignedCert })).rejects.toBeDefined();
        const [byIp] = await tlsPair({}, { hostname: "127.0.0.1" });
        expect(byIp.session.peerCertificateBinary).toEqual(pki.serverCertDer);
        // Bun's `handshake` says success: false here (its own name check), yet the
        // connection is up.
        const [unverified, server] = await tlsPair({}, { ca: undefined, hostname: "example.com", verify: false });
        expect(unverified.session.tlsVersion).toMatch(/^TLSv1\.[23]$/);
        await unverified.write(bytes("unverified"));
        expect(text(await server.read(100))).toBe("unverified");
        await server.write(bytes("fine"));
        expect(text(await unverified.read(100))).toBe("fine");
      });

      it("client certificates: required and verified on the server side, or requested and accepted with verify: false", async () => {
        const required = { ca: pki.caCert, requestClientCertificate: true };
        const [, server] = await tlsPair(required, { cert: pki.clientCert, key: pki.clientKey });
        expect((server.session.peerCertificate?.subject as { CN?: string }).CN).toBe("client");
        // None, or one the CA did not sign: the server's handshake fails.
        for (const client of [{}, { cert: pki.selfSignedCert, key: pki.selfSignedKey }]) {
          const [plainClient, plainServer] = await pair();
          const serving = backend.upgradeTls!(plainServer, serverOptions(required))!;
          const connecting = backend.upgradeTls!(plainClient, clientOptions(client))!;
          connecting.then((socket) => socket.close(), () => {});
          await expect(serving).rejects.toBeDefined();
        }
        const [, lenient] = await tlsPair({ ...required, verify: false }, { cert: pki.selfSignedCert, key: pki.selfSignedKey });
        expect(lenient.session.peerCertificate).not.toBeNull();
      });

      it("works over a Unix socket too (a TLSListener over a Unix listener)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anyts-bun-tls-"));
        cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
        const socketPath = path.join(dir, "tls.sock");
        const listener = await backend.listenUnix(socketPath, { backlog: 8 });
        cleanups.push(() => listener.close());
        const [plainClient, plainServer] = await Promise.all([backend.connectUnix(socketPath, { signal: never }), listener.accept()]);
        const [client, server] = await Promise.all([
          backend.upgradeTls!(plainClient, clientOptions())!,
          backend.upgradeTls!(plainServer, serverOptions())!,
        ]);
        cleanups.push(() => client.close(), () => server.close());
        await client.write(bytes("over unix"));
        expect(text(await server.read(100))).toBe("over unix");
      });

      it("an aborted signal abandons the handshake and closes the socket", async () => {
        const [client, server] = await pair();
        const controller = new AbortController();
        const serving = backend.upgradeTls!(server, serverOptions({ signal: controller.signal }))!;
        controller.abort(new Error("gave up"));
        await expect(serving).rejects.toThrow("gave up");
        expect(await client.read(100)).toBeNull(); // the server's side was closed
      });
    });
  });
}
