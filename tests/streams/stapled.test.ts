import { describe, expect, it } from "vitest";
import {
  attributeMap,
  ClosedResourceError,
  createMemoryObjectStream,
  EndOfStream,
  ObjectReceiveStreamBase,
  SocketAttribute,
  StapledByteStream,
  StapledObjectStream,
  type TypedAttributeMap,
} from "../../mod.ts";
import { bytes, caught, LoopbackWithAttributes, text } from "./helpers.ts";

function pair<T>(): [StapledObjectStream<T>, StapledObjectStream<T>] {
  const [aToB, bFromA] = createMemoryObjectStream<T>(4);
  const [bToA, aFromB] = createMemoryObjectStream<T>(4);
  return [new StapledObjectStream(aToB, aFromB), new StapledObjectStream(bToA, bFromA)];
}

describe("StapledObjectStream", () => {
  it("joins a send and a receive stream into a bidirectional stream", async () => {
    const [a, b] = pair<string>();
    await a.send("ping");
    expect(await b.receive()).toBe("ping");
    await b.send("pong");
    expect(await a.receive()).toBe("pong");
  });

  it("sendEof closes the send stream only: the peer gets EndOfStream, this side still receives", async () => {
    const [a, b] = pair<number>();
    await a.send(1);
    await a.sendEof();
    await b.send(2);
    expect(await a.receive()).toBe(2);
    const seen: number[] = [];
    for await (const n of b) seen.push(n);
    expect(seen).toEqual([1]);
    await expect(a.send(3)).rejects.toBeInstanceOf(ClosedResourceError);
  });

  it("aclose closes both streams, the receive stream even if closing the send stream fails", async () => {
    let receiveClosed = false;
    const failingSend = {
      send: async () => {},
      aclose: async () => {
        throw new Error("send close failed");
      },
      [Symbol.asyncDispose]: async () => {},
      extraAttributes: new Map(),
      extra: () => undefined,
    };
    const receive = new (class extends ObjectReceiveStreamBase<number> {
      async receive(): Promise<number> {
        throw new EndOfStream();
      }
      async aclose(): Promise<void> {
        receiveClosed = true;
      }
    })();
    const stapled = new StapledObjectStream<number>(failingSend as never, receive);
    const error = await caught(() => stapled.aclose());
    expect((error as Error).message).toBe("send close failed");
    expect(receiveClosed).toBe(true);

    const [a] = pair<number>();
    await a[Symbol.asyncDispose]();
    await expect(a.receive()).rejects.toBeInstanceOf(ClosedResourceError);
  });

  it("forwards the attributes of both streams, the receive stream's winning", () => {
    const receiveSide = new LoopbackWithAttributes<number>();
    const sendSide = new (class extends LoopbackWithAttributes<number> {
      override get extraAttributes(): TypedAttributeMap {
        return attributeMap([
          [SocketAttribute.localPort, () => 9],
          [SocketAttribute.localAddress, () => "send side"],
        ]);
      }
    })();
    const stapled = new StapledObjectStream(sendSide, receiveSide);
    expect(stapled.extra(SocketAttribute.localPort)).toBe(1111);
    expect(stapled.extra(SocketAttribute.remotePort)).toBe(2222);
    expect(stapled.extra(SocketAttribute.localAddress)).toBe("send side");
    expect(stapled.extra(SocketAttribute.family, "none")).toBe("none");
  });
});

describe("StapledByteStream", () => {
  it("gives at most maxBytes per receive and keeps the rest, even over an object stream", async () => {
    const [send, receive] = createMemoryObjectStream<Uint8Array>(4);
    const stream = new StapledByteStream(send, receive);
    await stream.send(bytes("hello"));
    expect(text(await stream.receive(2))).toBe("he");
    expect(text(await stream.receive(2))).toBe("ll");
    expect(text(await stream.receive())).toBe("o");
  });

  it("never returns an empty chunk", async () => {
    const [send, receive] = createMemoryObjectStream<Uint8Array>(4);
    const stream = new StapledByteStream(send, receive);
    await send.send(new Uint8Array(0));
    await send.send(bytes("x"));
    await send.send(new Uint8Array(0));
    await stream.sendEof();
    const chunks: string[] = [];
    for await (const chunk of stream) chunks.push(text(chunk));
    expect(chunks).toEqual(["x"]);
  });

  it("rejects a bad maxBytes and stays usable", async () => {
    const [send, receive] = createMemoryObjectStream<Uint8Array>(4);
    const stream = new StapledByteStream(send, receive);
    await stream.send(bytes("abc"));
    for (const bad of [0, -1, 1.5, NaN]) {
      const error = await caught(() => stream.receive(bad));
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/maxBytes/);
    }
    expect(await caught(() => stream.receive("2" as unknown as number))).toBeInstanceOf(TypeError);
    expect(text(await stream.receive())).toBe("abc");
  });

  it("forwards attributes", () => {
    const loop = new LoopbackWithAttributes<Uint8Array>();
    const stream = new StapledByteStream(loop, loop);
    expect(stream.extra(SocketAttribute.remotePort)).toBe(2222);
  });
});
