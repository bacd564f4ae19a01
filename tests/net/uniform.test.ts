// Behaviour that must be the same on every backend (issue 8, items 5, 6 and 13): the
// portable errors of the same failures, concurrent sends, sends to a peer that has closed,
// closing with unread data, and addresses that can be bound again once aclose() resolved.
import { mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BrokenResourceError,
  BusyResourceError,
  connectTcp,
  connectUnix,
  ConnectionFailed,
  createTcpListener,
  createUdpSocket,
  createUnixListener,
  detectRuntime,
  EndOfStream,
  getaddrinfo,
  type MultiListener,
  SocketAttribute,
  type SocketListener,
  type SocketStream,
  taskGroup,
} from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { bytes, caught, ioTurn, socketPath } from "./helpers.ts";

/** A connected pair on 127.0.0.1. */
async function pair(): Promise<{ client: SocketStream; server: SocketStream; listener: MultiListener<SocketStream> }> {
  const listener = await createTcpListener({ localHost: "127.0.0.1" });
  const port = listener.extra(SocketAttribute.localPort);
  const [client, server] = await Promise.all([
    connectTcp("127.0.0.1", port),
    (listener.listeners[0] as SocketListener).accept(),
  ]);
  return { client, server, listener };
}

/** What a portable error must look like: the code, the target in the message, a cause. */
function expectPortable(error: unknown, code: string, target: string): void {
  expect(error, `${code} for ${target}`).toBeInstanceOf(Error);
  expect((error as { code?: unknown }).code).toBe(code);
  expect((error as Error).message).toContain(code);
  expect((error as Error).message).toContain(target);
  expect((error as Error).cause).toBeDefined();
}

/** Sends until a send fails (bounded); returns the error. */
async function sendUntilBroken(stream: SocketStream): Promise<unknown> {
  for (let i = 0; i < 200; i++) {
    try {
      await stream.send(bytes("more"));
    } catch (error) {
      return error;
    }
    await ioTurn(); // lets the peer's reset arrive
  }
  throw new Error("every send succeeded");
}

const root = typeof process.getuid === "function" && process.getuid() === 0;

describe("the same failures give the same portable errors", () => {
  backendTests(it)("ECONNREFUSED, EADDRINUSE, ENOTFOUND, ENOENT, EACCES", async () => {
    const listener = await createTcpListener({ localHost: "127.0.0.1" });
    const port = listener.extra(SocketAttribute.localPort);
    expectPortable(await caught(() => createTcpListener({ localHost: "127.0.0.1", localPort: port })), "EADDRINUSE", `127.0.0.1:${port}`);
    await listener.aclose();

    const refused = await caught(() => connectTcp("127.0.0.1", port));
    expect(refused).toBeInstanceOf(ConnectionFailed);
    expectPortable((refused as ConnectionFailed).errors[0], "ECONNREFUSED", `127.0.0.1:${port}`);

    expectPortable(await caught(() => getaddrinfo("no-such-host.invalid")), "ENOTFOUND", "no-such-host.invalid");
    const unresolved = await caught(() => connectTcp("no-such-host.invalid", 80));
    expect(unresolved).toBeInstanceOf(ConnectionFailed);
    expectPortable((unresolved as ConnectionFailed).errors[0], "ENOTFOUND", "no-such-host.invalid");

    const udp = await createUdpSocket({ localHost: "127.0.0.1" });
    const udpPort = udp.extra(SocketAttribute.localPort);
    expectPortable(await caught(() => createUdpSocket({ localHost: "127.0.0.1", localPort: udpPort })), "EADDRINUSE", `127.0.0.1:${udpPort}`);
    await udp.aclose();

    const missing = socketPath();
    expectPortable(await caught(() => connectUnix(missing)), "ENOENT", missing);
    const dir = mkdtempSync(join(tmpdir(), "anyts-errors-"));
    try {
      const noDirectory = join(dir, "gone", "a.sock");
      expectPortable(await caught(() => createUnixListener(noDirectory)), "ENOENT", noDirectory);
      expectPortable(await caught(() => connectUnix(noDirectory)), "ENOENT", noDirectory);
      if (root) {
        console.log("tests/net/uniform.test.ts: EACCES skipped: running as root, permissions do not apply");
      } else {
        const { chmodSync, mkdirSync } = await import("node:fs");
        const locked = join(dir, "locked");
        mkdirSync(locked, { mode: 0o500 });
        expectPortable(await caught(() => createUnixListener(join(locked, "a.sock"))), "EACCES", join(locked, "a.sock"));
        chmodSync(locked, 0o700);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  backendTests(it)("ECONNRESET from a peer that resets, EPIPE when sending after it", async () => {
    const listener = await createTcpListener({ localHost: "127.0.0.1" });
    const port = listener.extra(SocketAttribute.localPort);
    const peer = net.connect(port, "127.0.0.1");
    peer.on("error", () => {});
    const connected = new Promise<void>((resolve) => peer.once("connect", () => resolve()));
    const server = await (listener.listeners[0] as SocketListener).accept();
    const remote = `127.0.0.1:${server.extra(SocketAttribute.remotePort)}`;
    await connected;
    peer.resetAndDestroy();
    const reset = await caught(() => server.receive());
    expect(reset).toBeInstanceOf(BrokenResourceError);
    expectPortable((reset as Error).cause, "ECONNRESET", remote);
    const later = await caught(() => server.send(bytes("x")));
    expect(later).toBeInstanceOf(BrokenResourceError);
    await server.aclose();

    // A peer that closed (no reset from it): the kernel takes the first send, the peer's
    // kernel answers it with a reset, and the next sends fail with EPIPE.
    const { client, server: other, listener: second } = await pair();
    await other.aclose();
    await expect(client.receive()).rejects.toBeInstanceOf(EndOfStream);
    const broken = await sendUntilBroken(client);
    expect(broken).toBeInstanceOf(BrokenResourceError);
    expect(["EPIPE", "ECONNRESET"]).toContain(((broken as Error).cause as { code?: string }).code);
    expect(((broken as Error).cause as Error).message).toContain(`127.0.0.1:${second.extra(SocketAttribute.localPort)}`);
    await client.aclose();
    await second.aclose();
    await listener.aclose();
  });
});

describe("the same semantics on every backend", () => {
  backendTests(it)("a second send before the first finished is BusyResourceError", async () => {
    const { client, server, listener } = await pair();
    for (const size of [10, 8 * 1024 * 1024]) { // taken at once, and one that must wait
      const first = client.send(new Uint8Array(size));
      const second = client.send(bytes("second"));
      const eof = client.sendEof();
      await expect(second).rejects.toBeInstanceOf(BusyResourceError);
      await expect(eof).rejects.toBeInstanceOf(BusyResourceError);
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          let received = 0;
          while (received < size) received += (await server.receive()).length;
        });
        await first;
      });
      await client.send(bytes("")); // after it finished, sending works again
    }
    await client.aclose();
    await server.aclose();
    await listener.aclose();
  });

  backendTests(it)("the first send to a peer that closed is taken; later ones fail with BrokenResourceError", async () => {
    const { client, server, listener } = await pair();
    await server.aclose();
    await expect(client.receive()).rejects.toBeInstanceOf(EndOfStream);
    await client.send(bytes("the peer may only have half-closed")); // TCP cannot tell yet
    expect(await sendUntilBroken(client)).toBeInstanceOf(BrokenResourceError);
    await client.aclose();
    await listener.aclose();
  });

  backendTests(it)("closing with unread data: the peer sees the end of stream first, then its sends fail", async ({ backend }) => {
    const { client, server, listener } = await pair();
    await client.send(new Uint8Array(4096));
    await server.send(bytes("reply"));
    const reply = await client.receive();
    expect(reply.length).toBeGreaterThan(0);
    await server.aclose(); // the 4096 bytes are still unread
    // The end of stream (FIN) goes first on every backend; the kernel's reset follows at
    // once, and Bun's node:net may report it before the end (then BrokenResourceError).
    const end = await caught(() => client.receive());
    if (detectRuntime() === "bun" && backend === "node" && !(end instanceof EndOfStream)) {
      expect(end).toBeInstanceOf(BrokenResourceError);
    } else expect(end).toBeInstanceOf(EndOfStream);
    expect(await sendUntilBroken(client)).toBeInstanceOf(BrokenResourceError);
    await client.aclose();
    await listener.aclose();
  });
});

describe("aclose() resolves once the address can be bound again", () => {
  backendTests(it)("TCP and Unix listeners with an accept waiting, UDP sockets with a receive waiting", async () => {
    for (let round = 0; round < 3; round++) {
      const tcp = await createTcpListener({ localHost: "127.0.0.1" });
      const port = tcp.extra(SocketAttribute.localPort);
      const udp = await createUdpSocket({ localHost: "127.0.0.1" });
      const udpPort = udp.extra(SocketAttribute.localPort);
      const path = socketPath();
      const unix = await createUnixListener(path);
      await taskGroup(async (tg) => {
        tg.startSoon(() => tcp.serve(() => {}).catch(() => {}));
        tg.startSoon(() => unix.serve(() => {}).catch(() => {}));
        tg.startSoon(() => udp.receive().catch(() => {}));
        for (let i = 0; i < 3; i++) await ioTurn(); // the accepts and the receive are pending
        await Promise.all([tcp.aclose(), udp.aclose(), unix.aclose()]);
        const [tcpAgain, udpAgain, unixAgain] = await Promise.all([
          createTcpListener({ localHost: "127.0.0.1", localPort: port }),
          createUdpSocket({ localHost: "127.0.0.1", localPort: udpPort }),
          createUnixListener(path),
        ]);
        await Promise.all([tcpAgain.aclose(), udpAgain.aclose(), unixAgain.aclose()]);
        tg.cancelScope.cancel();
      });
      rmSync(path, { force: true });
    }
  });
});
