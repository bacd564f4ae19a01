import { describe, expect, it } from "vitest";
import {
  CancelScope,
  createMemoryObjectStream,
  EndOfStream,
  SocketAttribute,
  StapledObjectStream,
  taskGroup,
  TextReceiveStream,
  TextSendStream,
  TextStream,
} from "../../mod.ts";
import { caught, LoopbackWithAttributes, text, until } from "./helpers.ts";

function chunks(...parts: number[][]) {
  const [send, receive] = createMemoryObjectStream<Uint8Array>(Infinity);
  for (const part of parts) send.sendNowait(new Uint8Array(part));
  send.close();
  return receive;
}

describe("TextReceiveStream", () => {
  it("holds back a character split over two chunks (ö = C3 B6)", async () => {
    const stream = new TextReceiveStream(chunks([0x61, 0xc3], [0xb6, 0x62]));
    expect(await stream.receive()).toBe("a");
    expect(await stream.receive()).toBe("öb");
    await expect(stream.receive()).rejects.toBeInstanceOf(EndOfStream);
  });

  it("never returns an empty string: a chunk holding only part of a character is not a result", async () => {
    // 😀 = F0 9F 98 80, one byte per chunk.
    const stream = new TextReceiveStream(chunks([0xf0], [0x9f], [0x98], [0x80]));
    const received: string[] = [];
    for await (const part of stream) received.push(part);
    expect(received).toEqual(["😀"]);
  });

  it("at the end, an incomplete character is an error in strict mode and U+FFFD with errors: replace", async () => {
    const strict = new TextReceiveStream(chunks([0x61], [0xc3]));
    expect(await strict.receive()).toBe("a");
    expect(await caught(() => strict.receive())).toBeInstanceOf(TypeError);

    const lenient = new TextReceiveStream(chunks([0x61], [0xc3]), { errors: "replace" });
    expect(await lenient.receive()).toBe("a");
    expect(await lenient.receive()).toBe("\uFFFD");
    await expect(lenient.receive()).rejects.toBeInstanceOf(EndOfStream);
  });

  it("invalid bytes are an error in strict mode (the default)", async () => {
    const stream = new TextReceiveStream(chunks([0xff, 0x61]));
    expect(await caught(() => stream.receive())).toBeInstanceOf(TypeError);
    const lenient = new TextReceiveStream(chunks([0xff, 0x61]), { errors: "replace" });
    expect(await lenient.receive()).toBe("\uFFFDa");
  });

  it("decodes other encodings: utf-16le split mid-character", async () => {
    // "hé" in UTF-16LE: 68 00 E9 00
    const stream = new TextReceiveStream(chunks([0x68, 0x00, 0xe9], [0x00]), { encoding: "utf-16le" });
    expect(stream.encoding).toBe("utf-16le");
    expect(await stream.receive()).toBe("h");
    expect(await stream.receive()).toBe("é");
  });

  it("a cancelled receive loses no bytes", async () => {
    const [send, receive] = createMemoryObjectStream<Uint8Array>(0);
    const stream = new TextReceiveStream(receive);
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      tg.startSoon(() => scope.run(() => stream.receive()));
      await until(() => receive.statistics().tasksWaitingReceive === 1, "the receiver blocks");
      await send.send(new Uint8Array([0xc3])); // half of ö: decoded to "", so it waits again
      await until(() => receive.statistics().tasksWaitingReceive === 1, "the receiver blocks again");
      scope.cancel();
    });
    await taskGroup(async (tg) => {
      tg.startSoon(() => send.send(new Uint8Array([0xb6])));
      expect(await stream.receive()).toBe("ö");
    });
  });

  it("rejects an unknown encoding or errors mode with a RangeError naming it", () => {
    const receive = chunks();
    expect(() => new TextReceiveStream(receive, { encoding: "klingon" })).toThrow(RangeError);
    expect(() => new TextReceiveStream(receive, { encoding: "klingon" })).toThrow(/klingon/);
    expect(() => new TextReceiveStream(receive, { errors: "ignore" as "strict" })).toThrow(/errors/);
  });

  it("forwards attributes and closes the wrapped stream", async () => {
    const loop = new LoopbackWithAttributes<Uint8Array>();
    const stream = new TextReceiveStream(loop);
    expect(stream.extra(SocketAttribute.localPort)).toBe(1111);
    await stream.aclose();
    expect(loop.closed).toBe(true);
  });
});

describe("TextSendStream", () => {
  it("encodes UTF-8", async () => {
    const [send, receive] = createMemoryObjectStream<Uint8Array>(4);
    const stream = new TextSendStream(send);
    await stream.send("grüß");
    await stream.send("ö");
    expect(text(receive.receiveNowait())).toBe("grüß");
    expect([...receive.receiveNowait()]).toEqual([0xc3, 0xb6]);
    expect(receive.statistics().currentBufferUsed).toBe(0);
  });

  it("an empty string sends nothing", async () => {
    const [send, receive] = createMemoryObjectStream<Uint8Array>(4);
    await new TextSendStream(send).send("");
    expect(receive.statistics().currentBufferUsed).toBe(0);
  });

  it("rejects encodings other than UTF-8 (TextEncoder has no others) and non-strings", async () => {
    const [send] = createMemoryObjectStream<Uint8Array>(4);
    expect(() => new TextSendStream(send, { encoding: "latin1" })).toThrow(RangeError);
    expect(() => new TextSendStream(send, { encoding: "latin1" })).toThrow(/only utf-8/);
    expect(new TextSendStream(send, { encoding: "UTF8" }).encoding).toBe("utf-8");
    const stream = new TextSendStream(send);
    expect(await caught(() => stream.send(42 as unknown as string))).toBeInstanceOf(TypeError);
    expect(send.statistics().currentBufferUsed).toBe(0);
  });

  it("forwards attributes", () => {
    expect(new TextSendStream(new LoopbackWithAttributes<Uint8Array>()).extra(SocketAttribute.remotePort)).toBe(2222);
  });
});

describe("TextStream", () => {
  it("sends and receives text over a byte stream", async () => {
    const loop = new LoopbackWithAttributes<Uint8Array>();
    const stream = new TextStream(loop);
    await stream.send("héllo ");
    await stream.send("wörld");
    await stream.sendEof();
    expect(loop.eofSent).toBe(true);
    let all = "";
    for await (const part of stream) all += part;
    expect(all).toBe("héllo wörld");
    expect(stream.extra(SocketAttribute.localPort)).toBe(1111);
    await stream.aclose();
    expect(loop.closed).toBe(true);
  });

  it("rejects a non-UTF-8 encoding, since it also sends", () => {
    const [send, receive] = createMemoryObjectStream<Uint8Array>();
    expect(() => new TextStream(new StapledObjectStream(send, receive), { encoding: "utf-16le" })).toThrow(/utf-8/);
  });
});
