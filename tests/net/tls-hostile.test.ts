// Hostile TLS clients against a TLSListener, on every backend, through the engine (the
// default) and the native path (standardCompatible: false): a rogue client certificate
// (issued by a CA with the real client CA's name), one from an unknown CA, an expired one,
// garbage bytes, a truncated ClientHello and a client that resets mid-handshake. After
// each, the listener must still serve, and nothing may surface as an unhandled rejection
// (tests/setup.ts fails the test then) or crash the process (issue 8, item 1: Node 24's
// TLSWrap threw a RangeError into the engine's pump on the rogue certificate).
import * as net from "node:net";
import { Duplex } from "node:stream";
import * as tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BrokenResourceError,
  connectTcp,
  createTcpListener,
  EndOfStream,
  Event,
  SocketAttribute,
  taskGroup,
  TLSListener,
} from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { bytes, type HostilePki, makeHostilePki, OpensslPeer, text } from "../streams/tls-helpers.ts";

let pki: HostilePki;
beforeAll(() => {
  pki = makeHostilePki();
});
afterAll(() => pki?.remove());

/**
 * A TLS client (the runtime's node:tls) whose records leave in one TCP write per event-loop
 * turn, so that its last handshake flight and its first request reach the server together
 * (as curl's often do). Resolves once the server has closed the connection, with what the
 * client received.
 */
function coalescingClient(port: number, cert: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let out: Uint8Array[] = [];
    let flushing = false;
    const flush = () => {
      flushing = false;
      const size = out.reduce((sum, chunk) => sum + chunk.length, 0);
      const all = new Uint8Array(size);
      let at = 0;
      for (const chunk of out) {
        all.set(chunk, at);
        at += chunk.length;
      }
      out = [];
      if (!socket.destroyed) socket.write(all);
    };
    const wire = new Duplex({
      read() {},
      write(chunk: Uint8Array, _encoding, callback) {
        out.push(new Uint8Array(chunk));
        if (!flushing) {
          flushing = true;
          setImmediate(flush);
        }
        callback();
      },
      final(callback) {
        socket.end();
        callback();
      },
    });
    socket.on("data", (chunk: Uint8Array) => wire.push(chunk));
    socket.on("end", () => wire.push(null));
    socket.on("error", () => {});
    let received = "";
    const client = tls.connect({ socket: wire, servername: "localhost", ca: pki.serverCert, cert, key: pki.clientKey });
    client.on("secureConnect", () => client.write(REQUEST));
    client.on("data", (chunk: Uint8Array) => (received += text(chunk)));
    client.on("error", () => socket.destroy());
    socket.on("close", () => {
      client.destroy();
      resolve(received);
    });
  });
}

/** A real ClientHello, captured from node:tls over a Duplex that never answers. */
function clientHello(): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const wire = new Duplex({
      read() {},
      write(chunk: Uint8Array, _encoding, callback) {
        resolve(new Uint8Array(chunk));
        callback();
        queueMicrotask(() => client.destroy());
      },
    });
    const client = tls.connect({ socket: wire, servername: "localhost", ca: pki.serverCert });
    client.on("error", () => {});
  });
}

const REQUEST = "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: hostile/1.0\r\nAccept: */*\r\n\r\n";

/**
 * openssl s_client with a client certificate, sending a request as soon as its handshake is
 * done (in its own TCP segment, as curl does); resolves with its output once the server
 * has closed the connection (-quiet: stdin is not closed, s_client waits for the server).
 */
async function opensslClient(port: number, certFile: string): Promise<string> {
  const client = new OpensslPeer([
    "s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", "-CAfile", pki.file("server.pem"),
    "-cert", certFile, "-key", pki.file("client.key"), "-quiet",
  ]);
  client.write(REQUEST);
  try {
    await client.until(() => client.exited, "the server closes the connection");
  } finally {
    await client.kill();
  }
  return client.output;
}

/** A plain TCP client: connects, then `act(socket)`; resolves when the socket has closed. */
function rawClient(port: number, act: (socket: net.Socket) => void): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => act(socket));
    socket.on("error", () => {});
    socket.on("close", () => resolve());
    socket.resume();
  });
}

describe("TLSListener against hostile clients", () => {
  for (const standardCompatible of [true, false]) {
    backendTests(it)(`keeps serving (standardCompatible: ${standardCompatible})`, async () => {
      const tcp = await createTcpListener({ localHost: "127.0.0.1" });
      const port = tcp.extra(SocketAttribute.localPort);
      const failures: unknown[] = [];
      let failed = new Event();
      const listener = new TLSListener(tcp, {
        cert: pki.serverCert,
        key: pki.serverKey,
        ca: pki.clientCa,
        standardCompatible,
        handshakeTimeout: 10_000,
        onHandshakeError: (error) => {
          failures.push(error);
          failed.set();
          failed = new Event();
        },
      });
      const hello = await clientHello();
      expect(hello[0]).toBe(0x16); // a handshake record

      /** Runs one hostile client and waits for the listener to report its failure. */
      const hostile = async <T>(what: string, client: () => Promise<T>): Promise<T> => {
        const reported = failed;
        const before = failures.length;
        const outcome = await client();
        await reported.wait();
        expect(failures.length, what).toBe(before + 1);
        return outcome;
      };
      /** A good client gets the greeting. */
      const served = async () => {
        await using stream = await connectTcp("127.0.0.1", port, {
          tls: { hostname: "localhost", ca: pki.serverCert, cert: pki.goodCert, key: pki.clientKey, standardCompatible },
        });
        let seen = "";
        while (!seen.includes("\n")) {
          try {
            seen += text(await stream.receive());
          } catch (error) {
            if (error instanceof EndOfStream) break;
            throw error;
          }
        }
        expect(seen).toBe("hello\n");
      };

      await taskGroup(async (tg) => {
        tg.startSoon(() =>
          listener.serve(async (stream) => {
            await stream.send(bytes("hello\n")); // a line at once, as the server
          })
        );
        await served();
        for (let round = 0; round < 5; round++) {
          expect(await hostile("rogue", () => opensslClient(port, pki.file("rogue.pem")))).not.toContain("hello");
          await served();
        }
        // The same, with the request in the segment of the client's Finished.
        expect(await hostile("rogue, coalesced", () => coalescingClient(port, pki.rogueCert))).not.toContain("hello");
        expect(await hostile("unknown CA", () => opensslClient(port, pki.file("unknown.pem")))).not.toContain("hello");
        expect(await hostile("expired", () => opensslClient(port, pki.file("expired.pem")))).not.toContain("hello");
        await served();
        await hostile("garbage", () =>
          rawClient(port, (socket) => {
            socket.write(bytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
            socket.write(new Uint8Array(300).map((_, i) => (i * 37 + 11) & 0xff));
          }));
        await hostile("truncated ClientHello", () =>
          rawClient(port, (socket) => {
            socket.end(hello.subarray(0, hello.length >> 1));
          }));
        await hostile("reset mid-handshake", () =>
          rawClient(port, (socket) => {
            socket.once("data", () => socket.resetAndDestroy()); // the ServerHello came: RST
            socket.write(hello);
          }));
        await served();
        for (const failure of failures) expect(failure).toBeInstanceOf(BrokenResourceError);
        tg.cancelScope.cancel();
      });
      await listener.aclose();
    });
  }
});
