// TLS over real loopback sockets: anyts against openssl s_client / s_server, connectTcp
// with `tls`, TLSListener (handshake timeout, clients that vanish), STARTTLS over TCP.
// Loopback only (127.0.0.1); synchronisation by events, never by sleeping.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BrokenResourceError,
  CancelScope,
  ClosedResourceError,
  connectTcp,
  createTcpListener,
  EndOfStream,
  Event,
  run,
  SocketAttribute,
  taskGroup,
  TimeoutError,
  TLSAttribute,
  TLSListener,
  type TLSListenerOptions,
  TLSStream,
} from "../../mod.ts";
import { backendsUnderTest } from "../../testing.ts";
import { bytes, concatBytes, makePki, memoryPair, OpensslPeer, type TestPki, text } from "../streams/tls-helpers.ts";
import { settle } from "../helpers.ts";
import { caught } from "./helpers.ts";

let pki: TestPki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki?.remove());

/** Receives until `text` has been seen (or the stream ends). */
async function receiveUntil(stream: { receive(): Promise<Uint8Array> }, wanted: string, initial = ""): Promise<string> {
  let seen = initial;
  while (!seen.includes(wanted)) {
    try {
      seen += text(await stream.receive());
    } catch (error) {
      if (error instanceof EndOfStream) break;
      throw error;
    }
  }
  return seen;
}

interface TlsServer {
  port: number;
  /** The errors passed to onHandshakeError, in order. */
  handshakeErrors: unknown[];
  /** Set (and replaced) on every handshake error. */
  handshakeFailed: () => Event;
}

/** Runs an anyts TLS server on 127.0.0.1 around `body`. */
async function withTlsServer(
  options: Partial<TLSListenerOptions>,
  handler: (stream: TLSStream) => Promise<void>,
  body: (server: TlsServer) => Promise<void>,
): Promise<void> {
  const tcp = await createTcpListener({ localHost: "127.0.0.1" });
  const handshakeErrors: unknown[] = [];
  let failed = new Event();
  const listener = new TLSListener(tcp, {
    cert: pki.serverCert,
    key: pki.serverKey,
    ...options,
    onHandshakeError: (error) => {
      handshakeErrors.push(error);
      failed.set();
      failed = new Event();
    },
  });
  await taskGroup(async (tg) => {
    tg.startSoon(() => listener.serve(handler));
    try {
      await body({ port: tcp.extra(SocketAttribute.localPort), handshakeErrors, handshakeFailed: () => failed });
    } finally {
      tg.cancelScope.cancel();
      await listener.aclose();
    }
  });
}

/**
 * An echo handler that answers each chunk with "echo: " + the chunk, upper-cased. A client
 * killed mid-session (openssl) breaks the stream: that ends the handler quietly.
 */
async function shoutingEcho(stream: TLSStream): Promise<void> {
  try {
    for await (const chunk of stream) await stream.send(bytes(`echo: ${text(chunk).toUpperCase()}`));
  } catch (error) {
    if (!(error instanceof BrokenResourceError)) throw error;
  }
}

describe.each(backendsUnderTest())("TLS over TCP on the %s backend", (backend) => {
  it("serves openssl s_client: verified certificate, ALPN, data both ways", async () => {
    await run(async () => {
      let serverAlpn: string | null | undefined;
      await withTlsServer({ alpnProtocols: ["h2", "http/1.1"] }, async (stream) => {
        serverAlpn = stream.extra(TLSAttribute.alpnProtocol);
        await shoutingEcho(stream);
      }, async ({ port }) => {
        const client = new OpensslPeer([
          "s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost",
          "-CAfile", pki.caFile, "-verify_return_error", "-alpn", "http/1.1",
        ]);
        try {
          await client.until(() => client.output.includes("Verify return code: 0 (ok)"), "the handshake");
          expect(client.output).toMatch(/ALPN protocol: http\/1\.1/);
          client.write("hello from openssl\n");
          await client.until(() => client.output.includes("echo: HELLO FROM OPENSSL"), "the echo");
          expect(serverAlpn).toBe("http/1.1");
        } finally {
          await client.kill();
        }
      });
    }, { backend });
  });

  it("requires and checks s_client's client certificate when the server has a ca", async () => {
    await run(async () => {
      let clientName: unknown;
      await withTlsServer({ ca: pki.caCert }, async (stream) => {
        clientName = (stream.extra(TLSAttribute.peerCertificate)?.subject as { CN?: string }).CN;
        await shoutingEcho(stream);
      }, async ({ port, handshakeErrors, handshakeFailed }) => {
        const withCert = new OpensslPeer([
          "s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", "-CAfile", pki.caFile,
          "-cert", pki.clientCertFile, "-key", pki.clientKeyFile, "-quiet",
        ]);
        try {
          withCert.write("with a certificate\n");
          await withCert.until(() => withCert.output.includes("echo: WITH A CERTIFICATE"), "the echo");
          expect(clientName).toBe("client");
        } finally {
          await withCert.kill();
        }
        const failed = handshakeFailed();
        const without = new OpensslPeer(["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", "-CAfile", pki.caFile, "-quiet"]);
        try {
          without.write("no certificate\n");
          await failed.wait();
          expect(handshakeErrors.at(-1)).toBeInstanceOf(BrokenResourceError);
          await without.until(() => without.exited || /alert|error/i.test(without.errors), "the rejection");
          expect(without.output).not.toMatch(/echo:/);
        } finally {
          await without.kill();
        }
      });
    }, { backend });
  });

  it("talks to openssl s_server as a client: verification, ALPN, client certificate", async () => {
    await run(async () => {
      const server = new OpensslPeer([
        "s_server", "-accept", "127.0.0.1:0", "-cert", pki.serverCertFile, "-key", pki.serverKeyFile,
        "-rev", "-alpn", "h2,http/1.1", "-Verify", "1", "-CAfile", pki.caFile, "-verify_return_error",
      ]);
      try {
        await server.until(() => /ACCEPT 127\.0\.0\.1:\d+/.test(server.output), "listening");
        const port = Number(/ACCEPT 127\.0\.0\.1:(\d+)/.exec(server.output)![1]);
        await using stream = await connectTcp("127.0.0.1", port, {
          tls: { hostname: "localhost", ca: pki.caCert, alpnProtocols: ["http/1.1"], cert: pki.clientCert, key: pki.clientKey },
        });
        expect(stream).toBeInstanceOf(TLSStream);
        expect(stream.extra(TLSAttribute.alpnProtocol)).toBe("http/1.1");
        expect(stream.extra(TLSAttribute.serverSide)).toBe(false);
        expect(stream.extra(SocketAttribute.remotePort)).toBe(port);
        expect(stream.extra(SocketAttribute.remoteAddress)).toBe("127.0.0.1");
        await stream.send(bytes("hello s_server\n"));
        expect(await receiveUntil(stream, "revres_s olleh")).toMatch(/revres_s olleh/);
      } finally {
        await server.kill();
      }
    }, { backend });
  });

  it("connectTcp with tls: verifies against the IP address or the given host name, rejects an unknown CA", async () => {
    await run(async () => {
      await withTlsServer({}, shoutingEcho, async ({ port, handshakeFailed }) => {
        for (const tls of [{ ca: pki.caCert }, { ca: pki.caCert, hostname: "localhost" }]) {
          await using stream = await connectTcp("127.0.0.1", port, { tls });
          expect(stream.extra(TLSAttribute.tlsVersion)).toMatch(/^TLSv1\.[23]$/);
          expect(stream.extra(SocketAttribute.localAddress)).toBe("127.0.0.1");
          await stream.send(bytes("hi"));
          expect(await receiveUntil(stream, "echo: HI")).toBe("echo: HI");
        }
        // The default roots do not know the test CA: the handshake fails, the socket is closed.
        const failed = handshakeFailed();
        const error = await caught(() => connectTcp("127.0.0.1", port, { tls: true }));
        expect(error).toBeInstanceOf(BrokenResourceError);
        await failed.wait(); // the server saw the client give up
        const wrongName = await caught(() => connectTcp("127.0.0.1", port, { tls: { ca: pki.caCert, hostname: "example.com" } }));
        expect((wrongName as { cause?: { code?: string } }).cause?.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
      });
    }, { backend });
  });

  it("TLSListener: a silent client is dropped after handshakeTimeout while others are served", async () => {
    await run(async () => {
      await withTlsServer({ handshakeTimeout: 200 }, shoutingEcho, async ({ port, handshakeErrors, handshakeFailed }) => {
        const failed = handshakeFailed();
        await using silent = await connectTcp("127.0.0.1", port); // plain TCP, never says hello
        // Served while the silent client holds its connection.
        {
          await using stream = await connectTcp("127.0.0.1", port, { tls: { ca: pki.caCert } });
          await stream.send(bytes("served"));
          expect(await receiveUntil(stream, "echo: SERVED")).toBe("echo: SERVED");
        }
        await failed.wait();
        expect(handshakeErrors[0]).toBeInstanceOf(TimeoutError);
        expect((handshakeErrors[0] as Error).message).toMatch(/200 ms/);
        // The server closed the silent connection.
        const end = await caught(() => silent.receive());
        expect(end instanceof EndOfStream || end instanceof BrokenResourceError).toBe(true);
      });
    }, { backend });
  });

  it("TLSListener survives clients that vanish during the handshake", async () => {
    await run(async () => {
      await withTlsServer({}, shoutingEcho, async ({ port, handshakeErrors, handshakeFailed }) => {
        // 1: half a TLS record header, then gone.
        let failed = handshakeFailed();
        {
          const plain = await connectTcp("127.0.0.1", port);
          await plain.send(new Uint8Array([0x16, 0x03, 0x01]));
          await plain.aclose();
        }
        await failed.wait();
        // 2: a real client hello (captured over a memory pair), then gone.
        failed = handshakeFailed();
        {
          const [a, b] = memoryPair();
          let hello: Uint8Array = new Uint8Array(0);
          await taskGroup(async (tg) => {
            tg.startSoon(async () => {
              hello = await b.receive();
              await b.aclose();
            });
            await TLSStream.wrap(a, { hostname: "localhost", ca: pki.caCert }).catch(() => {});
          });
          expect(hello[0]).toBe(0x16); // a handshake record
          const plain = await connectTcp("127.0.0.1", port);
          await plain.send(hello);
          await plain.aclose();
        }
        await failed.wait();
        expect(handshakeErrors).toHaveLength(2);
        for (const error of handshakeErrors) expect(error).toBeInstanceOf(BrokenResourceError);
        // The listener still serves.
        await using stream = await connectTcp("127.0.0.1", port, { tls: { ca: pki.caCert } });
        await stream.send(bytes("still here"));
        expect(await receiveUntil(stream, "echo: STILL HERE")).toBe("echo: STILL HERE");
      });
    }, { backend });
  });

  it("STARTTLS over TCP: plain, TLS, then plain again with nothing lost", async () => {
    await run(async () => {
      const tcp = await createTcpListener({ localHost: "127.0.0.1" });
      const port = tcp.extra(SocketAttribute.localPort);
      await taskGroup(async (tg) => {
        tg.startSoon(() =>
          tcp.serve(async (plain) => {
            expect(await receiveUntil(plain, "STARTTLS\n")).toBe("STARTTLS\n");
            await plain.send(bytes("GO\n"));
            const secure = await TLSStream.wrap(plain, { serverSide: true, cert: pki.serverCert, key: pki.serverKey });
            expect(await receiveUntil(secure, "secret")).toBe("secret");
            await expect(secure.receive()).rejects.toBeInstanceOf(EndOfStream); // the client's close_notify
            const [back, leftover] = await secure.unwrap();
            expect(leftover.length).toBe(0);
            await back.send(bytes("PLAIN AGAIN\n")); // right behind the server's close_notify
          })
        );
        const plain = await connectTcp("127.0.0.1", port);
        await plain.send(bytes("STARTTLS\n"));
        expect(await receiveUntil(plain, "GO\n")).toBe("GO\n");
        const secure = await TLSStream.wrap(plain, { hostname: "localhost", ca: pki.caCert });
        expect(secure.extra(SocketAttribute.remotePort)).toBe(port);
        await secure.send(bytes("secret"));
        const [back, leftover] = await secure.unwrap();
        expect(back).toBe(plain);
        expect(await receiveUntil(back, "PLAIN AGAIN\n", text(leftover))).toBe("PLAIN AGAIN\n");
        await back.aclose();
        tg.cancelScope.cancel();
      });
      await tcp.aclose();
    }, { backend });
  });

  // With standardCompatible: false, connectTcp and TLSListener hand the socket to the
  // runtime's own TLS where the backend can (the node backend: node:tls on the net.Socket;
  // the bun backend: Bun's socket.upgradeTLS). `_pump === undefined` tells which path a
  // stream took. The node backend not on Deno (see upgradeTls in backends/node/net.ts).
  const nativePath = backend === "bun" || (backend === "node" && (globalThis as { Deno?: unknown }).Deno === undefined);

  it("standardCompatible: false: the native path where the backend has one, with verification, CA, ALPN and client certificates", async () => {
    await run(async () => {
      const seen: Array<{ native: boolean; clientName: unknown; alpn: unknown }> = [];
      await withTlsServer({ ca: pki.caCert, alpnProtocols: ["h2", "http/1.1"], standardCompatible: false }, async (stream) => {
        seen.push({
          native: stream._pump === undefined,
          clientName: (stream.extra(TLSAttribute.peerCertificate)?.subject as { CN?: string }).CN,
          alpn: stream.extra(TLSAttribute.alpnProtocol),
        });
        await shoutingEcho(stream);
      }, async ({ port, handshakeErrors, handshakeFailed }) => {
        const good = { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey, alpnProtocols: ["http/1.1"], standardCompatible: false };
        for (const hostname of [undefined, "localhost"]) {
          await using stream = await connectTcp("127.0.0.1", port, { tls: hostname === undefined ? good : { ...good, hostname } });
          expect(stream._pump === undefined).toBe(nativePath);
          expect(stream.extra(TLSAttribute.alpnProtocol)).toBe("http/1.1");
          expect(stream.extra(TLSAttribute.tlsVersion)).toMatch(/^TLSv1\.[23]$/);
          expect(stream.extra(TLSAttribute.cipher).name).toBeTruthy();
          expect(stream.extra(TLSAttribute.standardCompatible)).toBe(false);
          expect(stream.extra(TLSAttribute.peerCertificateBinary)).toEqual(pki.serverCertDer);
          expect(stream.extra(SocketAttribute.remotePort)).toBe(port);
          await stream.send(bytes("hi"));
          expect(await receiveUntil(stream, "echo: HI")).toBe("echo: HI");
          expect(seen.at(-1)).toEqual({ native: nativePath, clientName: "client", alpn: "http/1.1" });
          if (nativePath) {
            const error = await caught(() => stream.unwrap());
            expect(error).toBeInstanceOf(TypeError);
            expect(String(error)).toMatch(/TLSStream\.wrap/);
            await stream.send(bytes("still"));
            expect(await receiveUntil(stream, "echo: STILL")).toBe("echo: STILL");
          }
          await stream.sendEof();
          await expect(stream.receive()).rejects.toBeInstanceOf(EndOfStream); // the server's close
        }
        // An unknown CA, a wrong host name: the handshake fails on the client.
        const unknownCa = await caught(() => connectTcp("127.0.0.1", port, { tls: { ...good, ca: pki.selfSignedCert } }));
        expect(unknownCa).toBeInstanceOf(BrokenResourceError);
        const wrongName = await caught(() => connectTcp("127.0.0.1", port, { tls: { ...good, hostname: "example.com" } }));
        expect(wrongName).toBeInstanceOf(BrokenResourceError);
        expect((wrongName as { cause?: { code?: string } }).cause?.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
        // No client certificate, or one the server's CA did not sign: the server rejects it.
        for (const client of [{ cert: undefined, key: undefined }, { cert: pki.selfSignedCert, key: pki.selfSignedKey }]) {
          const failed = handshakeFailed();
          const error = await caught(async () => {
            await using stream = await connectTcp("127.0.0.1", port, { tls: { ...good, ...client } });
            await stream.send(bytes("let me in"));
            await stream.receive();
          });
          // TLS 1.3: the client may finish first, then sees the connection end (no echo).
          expect(error instanceof BrokenResourceError || error instanceof EndOfStream).toBe(true);
          await failed.wait();
          expect(handshakeErrors.at(-1)).toBeInstanceOf(BrokenResourceError);
        }
        // verify: false accepts the unknown server certificate.
        await using unverified = await connectTcp("127.0.0.1", port, { tls: { ...good, ca: undefined, verify: false } });
        await unverified.send(bytes("ok"));
        expect(await receiveUntil(unverified, "echo: OK")).toBe("echo: OK");
      });
    }, { backend });
  });

  it("standardCompatible: false: the native client path against openssl s_server, and a handshake timeout on a silent server", async () => {
    await run(async () => {
      const server = new OpensslPeer([
        "s_server", "-accept", "127.0.0.1:0", "-cert", pki.serverCertFile, "-key", pki.serverKeyFile,
        "-rev", "-alpn", "h2,http/1.1", "-Verify", "1", "-CAfile", pki.caFile, "-verify_return_error",
      ]);
      try {
        await server.until(() => /ACCEPT 127\.0\.0\.1:\d+/.test(server.output), "listening");
        const port = Number(/ACCEPT 127\.0\.0\.1:(\d+)/.exec(server.output)![1]);
        await using stream = await connectTcp("127.0.0.1", port, {
          tls: { hostname: "localhost", ca: pki.caCert, alpnProtocols: ["http/1.1"], cert: pki.clientCert, key: pki.clientKey, standardCompatible: false },
        });
        expect(stream._pump === undefined).toBe(nativePath);
        expect(stream.extra(TLSAttribute.alpnProtocol)).toBe("http/1.1");
        await stream.send(bytes("hello s_server\n"));
        expect(await receiveUntil(stream, "revres_s olleh")).toMatch(/revres_s olleh/);
      } finally {
        await server.kill();
      }
      // A plain TCP server that never answers: the handshake times out, the socket is closed.
      const silent = await createTcpListener({ localHost: "127.0.0.1" });
      const closed = new Event();
      await taskGroup(async (tg) => {
        tg.startSoon(() =>
          silent.serve(async (connection) => {
            const rest = await caught(async () => {
              for (;;) await connection.receive();
            });
            expect(rest).toBeInstanceOf(EndOfStream);
            closed.set();
          })
        );
        const error = await caught(() =>
          connectTcp("127.0.0.1", silent.extra(SocketAttribute.localPort), {
            tls: { ca: pki.caCert, standardCompatible: false, handshakeTimeout: 100 },
          })
        );
        expect(error).toBeInstanceOf(TimeoutError);
        await closed.wait();
        tg.cancelScope.cancel();
      });
      await silent.aclose();
    }, { backend });
  });

  it("a cancelled receive loses nothing, and closing wakes a waiting receive, on either path", async () => {
    await run(async () => {
      for (const standardCompatible of [true, false]) {
        const cancelled = new Event();
        await withTlsServer({ standardCompatible }, async (stream) => {
          await cancelled.wait();
          await stream.send(bytes("after cancel"));
          await receiveUntil(stream, "nothing comes").catch(() => {}); // until the client is gone
        }, async ({ port }) => {
          const stream = await connectTcp("127.0.0.1", port, { tls: { ca: pki.caCert, standardCompatible } });
          expect(stream._pump === undefined).toBe(nativePath && !standardCompatible);
          // A receive cancelled while it waits: the read it started is kept for the next one.
          const scope = new CancelScope();
          const receiving = scope.run(() => stream.receive());
          scope.cancel();
          expect(await receiving).toBeUndefined();
          expect(scope.cancelledCaught).toBe(true);
          cancelled.set();
          expect(text(await stream.receive())).toBe("after cancel");
          // Another task closes the stream while a receive waits.
          await taskGroup(async (tg) => {
            const waiting = tg.spawn(() => caught(() => stream.receive()));
            await settle();
            expect(waiting.status).toBe("pending");
            await stream.aclose();
            expect(await waiting).toBeInstanceOf(ClosedResourceError);
          });
          await expect(stream.send(bytes("late"))).rejects.toBeInstanceOf(ClosedResourceError);
        });
      }
    }, { backend });
  });

  it("a server that closes the socket without close_notify: ragged EOF per standardCompatible", async () => {
    await run(async () => {
      await withTlsServer({}, async (stream) => {
        await stream.send(bytes("last words"));
        await stream.transportStream.aclose(); // no close_notify
      }, async ({ port }) => {
        for (const standardCompatible of [true, false]) {
          await using stream = await connectTcp("127.0.0.1", port, { tls: { ca: pki.caCert, standardCompatible } });
          const chunks: Uint8Array[] = [];
          const error = await caught(async () => {
            for (;;) chunks.push(await stream.receive());
          });
          expect(text(concatBytes(chunks))).toBe("last words");
          expect(error).toBeInstanceOf(standardCompatible ? BrokenResourceError : EndOfStream);
        }
      });
    }, { backend });
  });
});
