import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BrokenResourceError,
  BusyResourceError,
  CancelScope,
  Cancelled,
  ClosedResourceError,
  detectRuntime,
  EndOfStream,
  Event,
  moveOnAfter,
  run,
  SocketAttribute,
  type StapledByteStream,
  taskGroup,
  TimeoutError,
  TLSAttribute,
  TLSListener,
  type TLSOptions,
  TLSStream,
} from "../../mod.ts";
import { backendsUnderTest } from "../../testing.ts";
import { caught, settle } from "./helpers.ts";
import { bytes, concatBytes, gatedPair, makePki, memoryPair, ResettableStream, type TestPki, text } from "./tls-helpers.ts";

let pki: TestPki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki?.remove());

const serverOptions = (extra: TLSOptions = {}): TLSOptions => ({
  serverSide: true,
  cert: pki.serverCert,
  key: pki.serverKey,
  ...extra,
});
const onBun = detectRuntime() === "bun";
const clientOptions = (extra: TLSOptions = {}): TLSOptions => ({ hostname: "localhost", ca: pki.caCert, ...extra });

/** Wraps both ends of a memory pair at once; resolves to [client, server]. */
async function tlsPair(
  client: TLSOptions = clientOptions(),
  server: TLSOptions = serverOptions(),
  pair: [StapledByteStream, StapledByteStream] = memoryPair(),
): Promise<[TLSStream, TLSStream]> {
  const [a, b] = pair;
  let serverStream: TLSStream | undefined;
  let clientStream: TLSStream | undefined;
  await taskGroup(async (tg) => {
    tg.startSoon(async () => {
      serverStream = await TLSStream.wrap(b, server);
    });
    clientStream = await TLSStream.wrap(a, client);
  });
  return [clientStream!, serverStream!];
}

/**
 * Runs the handshake of both sides over a memory pair; returns what each side threw (or
 * its stream). A side that fails closes its transport (as wrap does), which ends the
 * other side's handshake; a side that succeeds waits for the other before closing.
 */
async function handshakeOutcome(client: TLSOptions, server: TLSOptions): Promise<{ client: unknown; server: unknown }> {
  const [a, b] = memoryPair();
  const outcome: { client: unknown; server: unknown } = { client: undefined, server: undefined };
  const serverDone = new Event();
  const clientDone = new Event();
  await taskGroup(async (tg) => {
    tg.startSoon(async () => {
      outcome.server = await TLSStream.wrap(b, server).catch((error) => error);
      serverDone.set();
      if (outcome.server instanceof TLSStream) {
        await clientDone.wait();
        // In TLS 1.3 the server checks the client's certificate after the client has
        // finished: the client learns of a rejection on its first receive.
        if (outcome.client instanceof TLSStream) await outcome.server.aclose();
      }
    });
    outcome.client = await TLSStream.wrap(a, client).catch((error) => error);
    clientDone.set();
    if (outcome.client instanceof TLSStream) {
      await serverDone.wait();
      if (!(outcome.server instanceof TLSStream)) {
        outcome.client = await outcome.client.receive().catch((error) => error);
      }
    }
  });
  for (const side of [outcome.client, outcome.server]) if (side instanceof TLSStream) await side.aclose();
  return outcome;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function codeOf(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === "string" ? cause.code : undefined;
}

describe.each(backendsUnderTest())("TLSStream over memory streams on the %s backend", (backend) => {
  it("does the handshake on both sides and carries data both ways", async () => {
    await run(async () => {
      const [client, server] = await tlsPair();
      await client.send(bytes("ping"));
      expect(text(await server.receive())).toBe("ping");
      await server.send(bytes("pong"));
      expect(text(await client.receive())).toBe("pong");
      await client.aclose();
      await expect(server.receive()).rejects.toBeInstanceOf(EndOfStream);
      await server.aclose();
    }, { backend });
  });

  it("answers TLSAttribute on both sides and forwards the transport's attributes", async () => {
    await run(async () => {
      const [client, server] = await tlsPair(clientOptions({ alpnProtocols: ["h2", "http/1.1"] }), serverOptions({ alpnProtocols: ["http/1.1"] }));
      expect(client.extra(TLSAttribute.serverSide)).toBe(false);
      expect(server.extra(TLSAttribute.serverSide)).toBe(true);
      for (const side of [client, server]) {
        expect(side.extra(TLSAttribute.alpnProtocol)).toBe("http/1.1");
        expect(side.extra(TLSAttribute.tlsVersion)).toMatch(/^TLSv1\.[23]$/);
        const cipher = side.extra(TLSAttribute.cipher);
        expect(typeof cipher.name).toBe("string");
        expect(cipher.version).toMatch(/^TLSv1/);
        expect(side.extra(TLSAttribute.standardCompatible)).toBe(true);
        expect(side.extra(TLSAttribute.tlsObject)).toBeTruthy();
        // A memory pair has no socket attributes.
        expect(side.extra(SocketAttribute.localPort, "none")).toBe("none");
      }
      const peer = client.extra(TLSAttribute.peerCertificate);
      expect((peer?.subject as { CN?: string }).CN).toBe("localhost");
      expect(client.extra(TLSAttribute.peerCertificateBinary)).toEqual(pki.serverCertDer);
      // No client certificate was requested.
      expect(server.extra(TLSAttribute.peerCertificate)).toBeNull();
      expect(server.extra(TLSAttribute.peerCertificateBinary)).toBeNull();
      await client.aclose();
      await server.aclose();
    }, { backend });
  });

  it("gives no ALPN protocol when none was asked for", async () => {
    await run(async () => {
      const [client, server] = await tlsPair();
      expect(client.extra(TLSAttribute.alpnProtocol)).toBeNull();
      expect(server.extra(TLSAttribute.alpnProtocol)).toBeNull();
      await client.aclose();
      await server.aclose();
    }, { backend });
  });

  it("moves 1 MiB each way at once, with backpressure through a rendezvous transport", async () => {
    await run(async () => {
      const [client, server] = await tlsPair(clientOptions(), serverOptions(), memoryPair(0));
      const size = 1 << 20;
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >> 9)) & 0xff;
      const received: Record<string, Uint8Array> = {};
      await taskGroup(async (tg) => {
        for (const [name, from, to] of [["toServer", client, server], ["toClient", server, client]] as const) {
          tg.startSoon(async () => {
            for (let at = 0; at < size; at += 50_000) await from.send(data.subarray(at, Math.min(size, at + 50_000)));
            await from.sendEof();
          });
          tg.startSoon(async () => {
            const chunks: Uint8Array[] = [];
            for await (const chunk of to) chunks.push(chunk.slice());
            received[name] = concatBytes(chunks);
          });
        }
      });
      // Compared by hand: vitest's deep equality takes seconds on a 1 MiB array.
      for (const name of ["toServer", "toClient"]) {
        const got = received[name];
        expect(got?.length).toBe(size);
        expect(got !== undefined && sameBytes(got, data)).toBe(true);
      }
      await client.aclose();
      await server.aclose();
    }, { backend });
  });

  it("receive(maxBytes) splits a record's plaintext; receive(0) is a RangeError", async () => {
    await run(async () => {
      const [client, server] = await tlsPair();
      await client.send(bytes("abcdef"));
      expect(text(await server.receive(2))).toBe("ab");
      expect(text(await server.receive(3))).toBe("cde");
      expect(text(await server.receive())).toBe("f");
      await expect(server.receive(0)).rejects.toBeInstanceOf(RangeError);
      await expect(client.send("text" as never)).rejects.toBeInstanceOf(TypeError);
      await client.aclose();
      await server.aclose();
    }, { backend });
  });

  it("sendEof sends close_notify: the peer's receives end, and it can still send back", async () => {
    await run(async () => {
      const [client, server] = await tlsPair();
      await client.send(bytes("request"));
      await client.sendEof();
      await client.sendEof(); // idempotent
      await expect(client.send(bytes("more"))).rejects.toBeInstanceOf(ClosedResourceError);
      const chunks: string[] = [];
      for await (const chunk of server) chunks.push(text(chunk));
      expect(chunks.join("")).toBe("request");
      if (onBun) {
        // Bun's node:tls answers a close_notify with its own at once: no TLS half-close.
        await expect(server.send(bytes("response"))).rejects.toBeInstanceOf(BrokenResourceError);
      } else {
        await server.send(bytes("response"));
        expect(text(await client.receive())).toBe("response");
        await server.aclose();
      }
      await expect(client.receive()).rejects.toBeInstanceOf(EndOfStream);
      await client.aclose();
      await server.aclose();
    }, { backend });
  });

  it("a ragged EOF is BrokenResourceError when standardCompatible, EndOfStream otherwise", async () => {
    await run(async () => {
      for (const standardCompatible of [true, false]) {
        const [client, server] = await tlsPair(clientOptions({ standardCompatible }), serverOptions());
        await server.send(bytes("last words"));
        await server.transportStream.aclose(); // no close_notify
        expect(text(await client.receive())).toBe("last words");
        const error = await caught(() => client.receive());
        if (standardCompatible) {
          expect(error).toBeInstanceOf(BrokenResourceError);
          expect((error as Error).message).toMatch(/close_notify/);
          await expect(client.receive()).rejects.toBeInstanceOf(BrokenResourceError);
        } else {
          expect(error).toBeInstanceOf(EndOfStream);
          await expect(client.receive()).rejects.toBeInstanceOf(EndOfStream);
        }
        expect(client.extra(TLSAttribute.standardCompatible)).toBe(standardCompatible);
        await client.aclose();
        await server.aclose();
      }
    }, { backend });
  });

  it("STARTTLS: plain, then TLS, then unwrap back to plain with the bytes after close_notify", async () => {
    await run(async () => {
      const { a, b, toA } = gatedPair();
      await a.send(bytes("STARTTLS\n"));
      expect(text(await b.receive())).toBe("STARTTLS\n");
      const [client, server] = await tlsPair(clientOptions(), serverOptions(), [a, b] as never);
      await client.send(bytes("secret"));
      expect(text(await server.receive())).toBe("secret");
      let clientResult: [unknown, Uint8Array] | undefined;
      await taskGroup(async (tg) => {
        // The server's close_notify and its first plain bytes reach the client in ONE read.
        toA.hold();
        tg.startSoon(async () => {
          clientResult = await client.unwrap();
        });
        await expect(server.receive()).rejects.toBeInstanceOf(EndOfStream); // the client's close_notify
        const [plainServer, serverLeftover] = await server.unwrap();
        expect(plainServer).toBe(b);
        expect(serverLeftover.length).toBe(0);
        await plainServer.send(bytes("plain again"));
        toA.release();
      });
      const [plainClient, leftover] = clientResult!;
      expect(plainClient).toBe(a);
      expect(text(leftover)).toBe("plain again");
      // The TLS streams are done; the transports are usable in plain.
      await expect(client.receive()).rejects.toBeInstanceOf(ClosedResourceError);
      await expect(server.send(bytes("x"))).rejects.toBeInstanceOf(ClosedResourceError);
      await a.send(bytes("and back"));
      expect(text(await b.receive())).toBe("and back");
      await client.aclose(); // does not close the transport any more
      await a.send(bytes("still open"));
      expect(text(await b.receive())).toBe("still open");
    }, { backend });
  });

  it("STARTTLS twice on the same transport", async () => {
    await run(async () => {
      const [a, b] = memoryPair();
      for (let round = 0; round < 2; round++) {
        const [client, server] = await tlsPair(clientOptions(), serverOptions(), [a, b]);
        await client.send(bytes(`round ${round}`));
        expect(text(await server.receive())).toBe(`round ${round}`);
        await taskGroup(async (tg) => {
          tg.startSoon(async () => {
            const [, leftover] = await server.unwrap();
            expect(leftover.length).toBe(0);
          });
          const [, leftover] = await client.unwrap();
          expect(leftover.length).toBe(0);
        });
        await a.send(bytes("plain"));
        expect(text(await b.receive())).toBe("plain");
      }
    }, { backend });
  });

  it("unwrap fails with BrokenResourceError when the transport ends before the peer's close_notify", async () => {
    await run(async () => {
      const { a, b } = gatedPair();
      const [client, server] = await tlsPair(clientOptions(), serverOptions(), [a, b] as never);
      await server.transportStream.aclose(); // gone without close_notify
      const error = await caught(() => client.unwrap());
      expect(error).toBeInstanceOf(BrokenResourceError);
      expect((error as Error).message).toMatch(/close_notify/);
      await expect(client.send(bytes("x"))).rejects.toBeInstanceOf(BrokenResourceError);
      await client.aclose();
      await server.aclose();
    }, { backend });
  });

  it("concurrent receives and sends are BusyResourceError; closing wakes a waiting receive", async () => {
    await run(async () => {
      const [client, server] = await tlsPair();
      await taskGroup(async (tg) => {
        const waiting = tg.spawn(() => caught(() => client.receive()));
        await settle();
        await expect(client.receive()).rejects.toBeInstanceOf(BusyResourceError);
        await client.aclose();
        expect(await waiting).toBeInstanceOf(ClosedResourceError);
      });
      await expect(client.receive()).rejects.toBeInstanceOf(ClosedResourceError);
      await expect(client.send(bytes("x"))).rejects.toBeInstanceOf(ClosedResourceError);
      await expect(client.unwrap()).rejects.toBeInstanceOf(ClosedResourceError);
      await client.aclose(); // idempotent
      await expect(server.receive()).rejects.toBeInstanceOf(EndOfStream);
      await server.aclose();
    }, { backend });
  });

  it("a cancelled receive leaves the stream usable and loses nothing", async () => {
    await run(async () => {
      const [client, server] = await tlsPair();
      await moveOnAfter(5, () => client.receive());
      const scope = new CancelScope();
      scope.cancel();
      await scope.run(async () => {
        await expect(client.receive()).rejects.toBeInstanceOf(Cancelled);
      });
      await server.send(bytes("after cancel"));
      expect(text(await client.receive())).toBe("after cancel");
      await client.aclose();
      await server.aclose();
    }, { backend });
  });

  it("a cancelled send still delivers its data, before the next send's", async () => {
    await run(async () => {
      const [client, server] = await tlsPair(clientOptions(), serverOptions(), memoryPair(0));
      const big = new Uint8Array(200_000).fill(7);
      // Nobody reads on the server: the send blocks on the rendezvous transport.
      await moveOnAfter(10, () => client.send(big));
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          await client.send(bytes("after"));
          await client.sendEof();
        });
        const chunks: Uint8Array[] = [];
        for await (const chunk of server) chunks.push(chunk.slice());
        const all = concatBytes(chunks);
        expect(all.length).toBe(big.length + 5);
        expect(all.subarray(0, big.length).every((byte) => byte === 7)).toBe(true);
        expect(text(all.subarray(big.length))).toBe("after");
      });
      await client.aclose();
      await server.aclose();
    }, { backend });
  });

  it("aclose in a cancelled scope still closes the transport, without raising", async () => {
    await run(async () => {
      const [client, server] = await tlsPair();
      const scope = new CancelScope();
      scope.cancel();
      await scope.run(() => client.aclose());
      await expect(client.receive()).rejects.toBeInstanceOf(ClosedResourceError);
      // No close_notify was sent: the server sees a ragged EOF.
      await expect(server.receive()).rejects.toBeInstanceOf(BrokenResourceError);
      await server.aclose();
    }, { backend });
  });

  it("a transport reset mid-stream gives BrokenResourceError with the cause, never a hang", async () => {
    await run(async () => {
      const [a, b] = memoryPair();
      const faulty = new ResettableStream(a);
      const [client, server] = await tlsPair(clientOptions(), serverOptions(), [faulty, b] as never);
      await server.send(bytes("before"));
      expect(text(await client.receive())).toBe("before");
      await taskGroup(async (tg) => {
        const waiting = tg.spawn(() => caught(() => client.receive()));
        await settle();
        faulty.reset();
        const error = await waiting;
        expect(error).toBeInstanceOf(BrokenResourceError);
        expect((error as Error).message).toMatch(/reset/);
      });
      await expect(client.receive()).rejects.toBeInstanceOf(BrokenResourceError);
      await expect(client.send(bytes("x"))).rejects.toBeInstanceOf(BrokenResourceError);
      await client.aclose();
      await server.aclose();
    }, { backend });
  });
});

describe.each(backendsUnderTest())("TLS verification on the %s backend", (backend) => {
  it("rejects a self-signed server by default, accepts it with verify: false", async () => {
    await run(async () => {
      const selfSigned = { cert: pki.selfSignedCert, key: pki.selfSignedKey };
      const rejected = await handshakeOutcome({ hostname: "localhost" }, serverOptions(selfSigned));
      expect(rejected.client).toBeInstanceOf(BrokenResourceError);
      expect(codeOf(rejected.client)).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|UNKNOWN_ISSUER|CERT/);
      const accepted = await handshakeOutcome({ verify: false }, serverOptions(selfSigned));
      expect(accepted.client).toBeInstanceOf(TLSStream);
      expect(accepted.server).toBeInstanceOf(TLSStream);
    }, { backend });
  });

  it("rejects a certificate for another host name; accepts an IP address in its names", async () => {
    await run(async () => {
      const wrongName = await handshakeOutcome(clientOptions({ hostname: "example.com" }), serverOptions());
      expect(wrongName.client).toBeInstanceOf(BrokenResourceError);
      expect(codeOf(wrongName.client)).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
      const wrongIp = await handshakeOutcome(clientOptions({ hostname: "127.0.0.2" }), serverOptions());
      expect(codeOf(wrongIp.client)).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
      const ip = await handshakeOutcome(clientOptions({ hostname: "127.0.0.1" }), serverOptions());
      expect(ip.client).toBeInstanceOf(TLSStream);
      const ipv6 = await handshakeOutcome(clientOptions({ hostname: "::1" }), serverOptions());
      expect(ipv6.client).toBeInstanceOf(TLSStream);
    }, { backend });
  });

  it("trusts a custom CA only: without it the server's chain does not verify", async () => {
    await run(async () => {
      const withoutCa = await handshakeOutcome({ hostname: "localhost" }, serverOptions());
      expect(withoutCa.client).toBeInstanceOf(BrokenResourceError);
      const otherCa = await handshakeOutcome({ hostname: "localhost", ca: pki.selfSignedCert }, serverOptions());
      expect(otherCa.client).toBeInstanceOf(BrokenResourceError);
    }, { backend });
  });

  it("requires a client certificate signed by the server's ca, and shows it to the server", async () => {
    await run(async () => {
      const requiring = serverOptions({ ca: pki.caCert });
      const withCert = clientOptions({ cert: pki.clientCert, key: pki.clientKey });
      const [client, server] = await tlsPair(withCert, requiring);
      const peer = server.extra(TLSAttribute.peerCertificate);
      expect((peer?.subject as { CN?: string }).CN).toBe("client");
      expect(server.extra(TLSAttribute.peerCertificateBinary)?.length).toBeGreaterThan(100);
      await client.send(bytes("authenticated"));
      expect(text(await server.receive())).toBe("authenticated");
      await client.aclose();
      await server.aclose();

      const none = await handshakeOutcome(clientOptions(), requiring);
      expect(none.server).toBeInstanceOf(BrokenResourceError);
      expect(none.client).toBeInstanceOf(BrokenResourceError); // at once, or on its first receive

      const selfSigned = await handshakeOutcome(clientOptions({ cert: pki.selfSignedCert, key: pki.selfSignedKey }), requiring);
      expect(selfSigned.server).toBeInstanceOf(BrokenResourceError);

      // verify: false on the server side requests a certificate but takes any (or none).
      const lax = serverOptions({ ca: pki.caCert, verify: false });
      const anyCert = await handshakeOutcome(clientOptions({ cert: pki.selfSignedCert, key: pki.selfSignedKey }), lax);
      expect(anyCert.server).toBeInstanceOf(TLSStream);
      const noCert = await handshakeOutcome(clientOptions(), lax);
      expect(noCert.server).toBeInstanceOf(TLSStream);
    }, { backend });
  });

  it("fails the handshake when the two sides share no ALPN protocol", async () => {
    await run(async () => {
      const outcome = await handshakeOutcome(clientOptions({ alpnProtocols: ["a"] }), serverOptions({ alpnProtocols: ["b"] }));
      expect(outcome.server).toBeInstanceOf(BrokenResourceError);
      expect(outcome.client).toBeInstanceOf(BrokenResourceError);
    }, { backend });
  });

  it("handshakeTimeout: a silent peer gives TimeoutError and the transport is closed", async () => {
    await run(async () => {
      const [a, b] = memoryPair();
      const error = await caught(() => TLSStream.wrap(a, clientOptions({ handshakeTimeout: 20 })));
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toMatch(/20 ms/);
      // The client's transport was closed: the silent peer sees its hello, then the end.
      expect((await b.receive()).length).toBeGreaterThan(0);
      await expect(b.receive()).rejects.toBeInstanceOf(EndOfStream);
    }, { backend });
  });

  it("a cancelled handshake closes the transport and raises Cancelled", async () => {
    await run(async () => {
      const [a, b] = memoryPair();
      const started = new Event();
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          await b.receive(); // the client hello arrived: the handshake is under way
          started.set();
        });
        const scope = new CancelScope();
        tg.startSoon(async () => {
          await started.wait();
          scope.cancel();
        });
        await scope.run(async () => {
          await expect(TLSStream.wrap(a, clientOptions())).rejects.toBeInstanceOf(Cancelled);
        });
      });
      await expect(b.receive()).rejects.toBeInstanceOf(EndOfStream);
    }, { backend });
  });
});

describe("TLS options", () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ["options not an object", "x", /options must be an object/],
    ["an unknown option", { hostname: "a", alpn: ["h2"] }, /TLS: unknown option "alpn"/],
    ["serverSide without cert and key", { serverSide: true }, /serverSide: true needs cert and key/],
    ["key without cert", { hostname: "a", key: "-----BEGIN PRIVATE KEY-----" }, /cert and key must be given together \(got key without cert\)/],
    ["cert without key", { hostname: "a", cert: "-----BEGIN CERTIFICATE-----" }, /got cert without key/],
    ["hostname on the server side", { serverSide: true, hostname: "a", cert: "-----BEGIN C", key: "-----BEGIN K" }, /hostname is for the client side/],
    ["a client without hostname", {}, /needs hostname/],
    ["an empty hostname", { hostname: "" }, /hostname must be a non-empty string/],
    ["alpnProtocols not an array", { hostname: "a", alpnProtocols: "h2" }, /alpnProtocols must be a non-empty array/],
    ["alpnProtocols empty", { hostname: "a", alpnProtocols: [] }, /alpnProtocols must be a non-empty array/],
    ["an empty ALPN name", { hostname: "a", alpnProtocols: ["h2", ""] }, /alpnProtocols must hold non-empty strings/],
    ["a non-string ALPN name", { hostname: "a", alpnProtocols: [2] }, /alpnProtocols must hold non-empty strings/],
    ["a PEM that is not one", { hostname: "a", ca: "not a certificate" }, /ca must be a PEM string/],
    ["a PEM that is not a string", { hostname: "a", ca: 1 }, /ca must be a PEM string/],
    ["verify not a boolean", { hostname: "a", verify: "no" }, /verify must be a boolean/],
    ["standardCompatible not a boolean", { hostname: "a", standardCompatible: 0 }, /standardCompatible must be a boolean/],
    ["handshakeTimeout not a number", { hostname: "a", handshakeTimeout: "1s" }, /handshakeTimeout must be a number/],
  ];
  it.each(cases)("rejects %s with a TypeError naming it", async (_name, options, message) => {
    const [a] = memoryPair();
    const error = await caught(() => TLSStream.wrap(a, options as TLSOptions));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
  });

  it("rejects a negative or NaN handshakeTimeout with a RangeError", async () => {
    const [a] = memoryPair();
    for (const handshakeTimeout of [-1, NaN]) {
      const error = await caught(() => TLSStream.wrap(a, { hostname: "a", handshakeTimeout }));
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/handshakeTimeout/);
    }
  });

  it("TLSListener checks its options at once", () => {
    const listener = { serve: async () => {}, aclose: async () => {}, extraAttributes: new Map() } as never;
    const cert = "-----BEGIN CERTIFICATE-----", key = "-----BEGIN PRIVATE KEY-----";
    expect(() => new TLSListener(listener, {} as never)).toThrow(/TLSListener: serverSide: true needs cert and key/);
    expect(() => new TLSListener(listener, { cert, key, serverSide: false })).toThrow(/serverSide: false conflicts/);
    expect(() => new TLSListener(listener, { cert, key, onHandshakeError: 1 as never })).toThrow(/onHandshakeError must be a function/);
    expect(() => new TLSListener(listener, { cert, key, handshakeTimeout: -5 })).toThrow(RangeError);
    expect(() => new TLSListener({} as never, { cert, key })).toThrow(/listener must be a Listener/);
    const ok = new TLSListener(listener, { cert, key });
    expect(ok.handshakeTimeout).toBe(30_000);
    expect(ok.extra(TLSAttribute.standardCompatible)).toBe(true);
  });

  it("rejects a transport that is not a stream", async () => {
    await expect(TLSStream.wrap({} as never, { hostname: "a" })).rejects.toThrow(/transport must be a byte stream/);
  });
});
