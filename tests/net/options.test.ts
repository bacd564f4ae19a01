// Every options object of the network and stream API rejects an unknown key with a
// TypeError naming it (issue 8, item 4), and serve()'s onHandlerError keeps a server
// going when one handler fails (README item 8).
import { describe, expect, it } from "vitest";
import {
  connectTcp,
  connectUnix,
  createConnectedUdpSocket,
  createMemoryObjectStream,
  createTcpListener,
  createUdpSocket,
  createUnixListener,
  fromReadableStream,
  getaddrinfo,
  SocketAttribute,
  StapledByteStream,
  taskGroup,
  TextReceiveStream,
  TextSendStream,
  TextStream,
  TLSListener,
  TLSStream,
  toReadableStream,
  toWritableStream,
} from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { bytes, caught, socketPath, text } from "./helpers.ts";

function memoryByteStream(): StapledByteStream {
  const [send, receive] = createMemoryObjectStream<Uint8Array>(4);
  return new StapledByteStream(send, receive);
}

describe("unknown option keys", () => {
  backendTests(it)("are a TypeError naming the key, everywhere", async () => {
    const cases: Array<[string, () => unknown, RegExp]> = [
      ["createTcpListener", () => createTcpListener({ localport: 1234 } as never), /createTcpListener: unknown option "localport" \(did you mean "localPort"\?\)/],
      ["connectTcp", () => connectTcp("127.0.0.1", 80, { happyEyeBallsDelay: 1 } as never), /connectTcp: unknown option "happyEyeBallsDelay" \(did you mean "happyEyeballsDelay"\?\)/],
      ["createUnixListener", () => createUnixListener(socketPath(), { backLog: 1 } as never), /createUnixListener: unknown option "backLog"/],
      ["createUdpSocket", () => createUdpSocket({ localHost: "127.0.0.1", reuse: true } as never), /createUdpSocket: unknown option "reuse"/],
      ["createConnectedUdpSocket", () => createConnectedUdpSocket("127.0.0.1", 9, { localhost: "x" } as never), /createConnectedUdpSocket: unknown option "localhost"/],
      ["getaddrinfo", () => getaddrinfo("localhost", 0, { famliy: 4 } as never), /getaddrinfo: unknown option "famliy"/],
      ["TLSStream.wrap", () => TLSStream.wrap(memoryByteStream(), { hostname: "a", alpn: ["h2"] } as never), /TLSStream\.wrap: TLS: unknown option "alpn"/],
      ["connectTcp tls", () => connectTcp("127.0.0.1", 80, { tls: { verfy: false } as never }), /unknown option "verfy"/],
      ["TextReceiveStream", () => new TextReceiveStream(memoryByteStream(), { encodig: "utf-8" } as never), /TextReceiveStream: unknown option "encodig"/],
      ["TextSendStream", () => new TextSendStream(memoryByteStream(), { errors: "strict" } as never), /TextSendStream: unknown option "errors"/],
      ["TextStream", () => new TextStream(memoryByteStream(), { eror: "strict" } as never), /TextStream: unknown option "eror"/],
      ["toReadableStream", () => toReadableStream(memoryByteStream(), { highwaterMark: 1 } as never), /toReadableStream: unknown option "highwaterMark"/],
      ["toWritableStream", () => toWritableStream(memoryByteStream(), { closeWith: "aclose" } as never), /toWritableStream: unknown option "closeWith"/],
      ["fromReadableStream", () => fromReadableStream(new ReadableStream<Uint8Array>(), { byte: true } as never), /fromReadableStream: unknown option "byte"/],
    ];
    for (const [where, call, message] of cases) {
      const error = await caught(call);
      expect(error, where).toBeInstanceOf(TypeError);
      expect((error as Error).message, where).toMatch(message);
    }
    await using listener = await createTcpListener({ localHost: "127.0.0.1" });
    const cert = "-----BEGIN CERTIFICATE-----x", key = "-----BEGIN PRIVATE KEY-----x";
    expect(() => new TLSListener(listener, { cert, key, onHandshakeFailure: () => {} } as never))
      .toThrow(/TLSListener: unknown option "onHandshakeFailure"/);
    await expect(listener.serve(() => {}, { onError: () => {} } as never)).rejects.toThrow(/serve: unknown option "onError"/);
    await expect(listener.serve(() => {}, { onHandlerError: 5 } as never)).rejects.toThrow(/onHandlerError must be a function/);
    await expect(connectUnix(socketPath())).rejects.toMatchObject({ code: "ENOENT" }); // takes no options at all
  });

  backendTests(it)("connectTcp to port 0 is a RangeError", async () => {
    const error = await caught(() => connectTcp("127.0.0.1", 0));
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/port must be from 1 to 65535/);
    await expect(createConnectedUdpSocket("127.0.0.1", 0)).rejects.toBeInstanceOf(RangeError);
  });
});

describe("serve() with onHandlerError", () => {
  backendTests(it)("a failing handler is reported and dropped; the server goes on", async () => {
    await using listener = await createTcpListener({ localHost: "127.0.0.1" });
    const port = listener.extra(SocketAttribute.localPort);
    const reported: unknown[] = [];
    await taskGroup(async (tg) => {
      tg.startSoon(() =>
        listener.serve(async (client) => {
          const request = text(await client.receive());
          if (request === "bad") throw new Error("a bad request");
          await client.send(bytes(`ok: ${request}`));
        }, { onHandlerError: (error) => reported.push(error) })
      );
      {
        await using bad = await connectTcp("127.0.0.1", port);
        await bad.send(bytes("bad"));
        await caught(() => bad.receive()); // the server closed it
      }
      expect(reported).toHaveLength(1);
      expect((reported[0] as Error).message).toBe("a bad request");
      await using good = await connectTcp("127.0.0.1", port);
      await good.send(bytes("good"));
      expect(text(await good.receive())).toBe("ok: good");
      tg.cancelScope.cancel();
    });
  });

  backendTests(it)("without it, a failing handler ends serve() with its error (as AnyIO)", async () => {
    await using listener = await createTcpListener({ localHost: "127.0.0.1" });
    const port = listener.extra(SocketAttribute.localPort);
    const failure = await caught(() =>
      taskGroup(async (tg) => {
        tg.startSoon(() =>
          listener.serve(async () => {
            throw new Error("a bad request");
          })
        );
        await using client = await connectTcp("127.0.0.1", port);
        await caught(() => client.receive());
      })
    );
    expect(String(failure)).toContain("a bad request");
  });
});
