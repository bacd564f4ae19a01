import { describe, expect, it } from "vitest";
import {
  BufferedByteReceiveStream,
  BufferedByteStream,
  CancelScope,
  Cancelled,
  ClosedResourceError,
  createMemoryObjectStream,
  DelimiterNotFound,
  IncompleteRead,
  SocketAttribute,
  StapledByteStream,
  taskGroup,
} from "../../mod.ts";
import { bytes, caught, LoopbackWithAttributes, text, until } from "./helpers.ts";

function setup(chunks: string[], { close = true } = {}) {
  const [send, receive] = createMemoryObjectStream<Uint8Array>(Infinity);
  for (const chunk of chunks) send.sendNowait(bytes(chunk));
  if (close) send.close();
  return { send, receive, buffered: new BufferedByteReceiveStream(receive) };
}

describe("BufferedByteReceiveStream", () => {
  it("receiveExactly gathers bytes across chunks and keeps the surplus", async () => {
    const { buffered } = setup(["ab", "cde", "f"]);
    expect(text(await buffered.receiveExactly(4))).toBe("abcd");
    expect(text(buffered.buffer)).toBe("e");
    expect(text(await buffered.receiveExactly(2))).toBe("ef");
    expect(buffered.buffer.length).toBe(0);
  });

  it("receiveExactly throws IncompleteRead at the end and keeps what it read", async () => {
    const { buffered } = setup(["ab", "c"]);
    const error = await caught(() => buffered.receiveExactly(5));
    expect(error).toBeInstanceOf(IncompleteRead);
    expect(text(buffered.buffer)).toBe("abc");
    expect(text(await buffered.receive())).toBe("abc");
  });

  it("receiveUntil finds a delimiter split across chunk boundaries", async () => {
    const { buffered } = setup(["GET / HTTP/1.1\r", "\nHost: x\r", "\n", "\r\nbody"]);
    const crlf = bytes("\r\n");
    expect(text(await buffered.receiveUntil(crlf, 100))).toBe("GET / HTTP/1.1");
    expect(text(await buffered.receiveUntil(crlf, 100))).toBe("Host: x");
    expect(text(await buffered.receiveUntil(crlf, 100))).toBe("");
    expect(text(buffered.buffer)).toBe("body");
  });

  it("receiveUntil finds a long delimiter spread over several chunks", async () => {
    const { buffered } = setup(["data--", "-", "-BOUND", "ARY--", "rest"]);
    expect(text(await buffered.receiveUntil(bytes("----BOUNDARY--"), 100))).toBe("data");
    expect(text(await buffered.receive())).toBe("rest");
  });

  it("receiveUntil does not match a partial delimiter at the end of the buffer", async () => {
    const { buffered } = setup(["aXbX", "Xc"]);
    expect(text(await buffered.receiveUntil(bytes("XX"), 100))).toBe("aXb");
    expect(text(buffered.buffer)).toBe("c");
  });

  it("receiveUntil throws DelimiterNotFound past maxBytes and keeps the buffer", async () => {
    const { buffered } = setup(["abc", "def", "ghi\n"]);
    const error = await caught(() => buffered.receiveUntil(bytes("\n"), 5));
    expect(error).toBeInstanceOf(DelimiterNotFound);
    expect((error as Error).message).toMatch(/5/);
    expect(text(buffered.buffer)).toBe("abcdef");
    // A larger limit then succeeds with every byte.
    expect(text(await buffered.receiveUntil(bytes("\n"), 100))).toBe("abcdefghi");
  });

  it("receiveUntil throws IncompleteRead at the end and keeps the buffer", async () => {
    const { buffered } = setup(["no delimiter ", "here"]);
    expect(await caught(() => buffered.receiveUntil(bytes("\n"), 100))).toBeInstanceOf(IncompleteRead);
    expect(text(buffered.buffer)).toBe("no delimiter here");
  });

  it("receive gives the buffer first, at most maxBytes, and splits object-stream chunks", async () => {
    const { buffered } = setup(["0123456789"]);
    buffered.feedData(bytes("fed"));
    expect(text(await buffered.receive(2))).toBe("fe");
    expect(text(await buffered.receive())).toBe("d");
    expect(text(await buffered.receive(4))).toBe("0123");
    expect(text(buffered.buffer)).toBe("456789");
    expect(text(await buffered.receive())).toBe("456789");
    const chunks: Uint8Array[] = [];
    for await (const chunk of buffered) chunks.push(chunk);
    expect(chunks).toEqual([]);
  });

  it("feedData takes a Uint8Array or an iterable of bytes, and rejects other values", async () => {
    const { buffered } = setup([]);
    buffered.feedData(bytes("a"));
    buffered.feedData([98, 99]);
    expect(text(await buffered.receiveExactly(3))).toBe("abc");
    expect(() => buffered.feedData(42 as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => buffered.feedData(42 as unknown as Uint8Array)).toThrow(/data/);
  });

  it("keeps large amounts of data in order as the buffer grows and compacts", async () => {
    const { send, receive } = setup([], { close: false });
    const buffered = new BufferedByteReceiveStream(receive);
    let expected = "";
    for (let i = 0; i < 200; i++) {
      const line = `line ${i} ${"x".repeat(i % 37)}\n`;
      expected += line;
      send.sendNowait(bytes(line));
    }
    send.close();
    let got = "";
    for (let i = 0; i < 200; i++) got += text(await buffered.receiveUntil(bytes("\n"), 1000)) + "\n";
    expect(got).toBe(expected);
  });

  it("a cancelled receiveExactly keeps the bytes it had read for the next call", async () => {
    const [send, receive] = createMemoryObjectStream<Uint8Array>(0);
    const buffered = new BufferedByteReceiveStream(receive);
    const scope = new CancelScope();
    let outcome: unknown;
    await taskGroup(async (tg) => {
      tg.startSoon(() =>
        scope.run(() => buffered.receiveExactly(4)).catch((error) => (outcome = error)).then((v) => (outcome ??= v))
      );
      await until(() => receive.statistics().tasksWaitingReceive === 1, "the reader blocks");
      await send.send(bytes("ab"));
      await until(() => receive.statistics().tasksWaitingReceive === 1, "the reader blocks again");
      scope.cancel();
    });
    expect(outcome).toBeUndefined(); // the scope caught its cancellation
    expect(scope.cancelledCaught).toBe(true);
    expect(text(buffered.buffer)).toBe("ab");
    await taskGroup(async (tg) => {
      tg.startSoon(() => send.send(bytes("cd")));
      expect(text(await buffered.receiveExactly(4))).toBe("abcd");
    });
  });

  it("checkpoints even when the buffer can serve the call", async () => {
    const { buffered } = setup(["abc\n"]);
    await new CancelScope().run(async (scope) => {
      scope.cancel();
      await expect(buffered.receive()).rejects.toBeInstanceOf(Cancelled);
      await expect(buffered.receiveExactly(1)).rejects.toBeInstanceOf(Cancelled);
      await expect(buffered.receiveUntil(bytes("\n"), 10)).rejects.toBeInstanceOf(Cancelled);
    });
    expect(text(await buffered.receiveUntil(bytes("\n"), 10))).toBe("abc");
  });

  it("rejects bad arguments with errors naming them and stays usable", async () => {
    const { buffered } = setup(["abc\n"]);
    const cases: [() => Promise<unknown>, ErrorConstructor, RegExp][] = [
      [() => buffered.receive(0), RangeError, /maxBytes/],
      [() => buffered.receive(-3), RangeError, /maxBytes/],
      [() => buffered.receive(2.5), RangeError, /maxBytes/],
      [() => buffered.receiveExactly(0), RangeError, /nbytes/],
      [() => buffered.receiveExactly(-1), RangeError, /nbytes/],
      [() => buffered.receiveExactly(1.5), RangeError, /nbytes/],
      [() => buffered.receiveUntil(new Uint8Array(0), 10), RangeError, /delimiter/],
      [() => buffered.receiveUntil("\n" as unknown as Uint8Array, 10), TypeError, /delimiter/],
      [() => buffered.receiveUntil(bytes("\n"), 0), RangeError, /maxBytes/],
      [() => buffered.receiveUntil(bytes("\n"), 0.5), RangeError, /maxBytes/],
      [() => buffered.receiveUntil(bytes("\n"), Infinity), RangeError, /maxBytes/],
    ];
    for (const [call, type, message] of cases) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
    }
    expect(text(await buffered.receiveUntil(bytes("\n"), 10))).toBe("abc");
  });

  it("aclose closes the wrapped stream; receiving afterwards throws ClosedResourceError", async () => {
    const { buffered, receive } = setup(["abc"]);
    buffered.feedData(bytes("x"));
    await buffered.aclose();
    expect(receive.statistics().openReceiveStreams).toBe(0);
    await expect(buffered.receive()).rejects.toBeInstanceOf(ClosedResourceError);
    await expect(buffered.receiveExactly(1)).rejects.toBeInstanceOf(ClosedResourceError);
    await expect(buffered.receiveUntil(bytes("c"), 10)).rejects.toBeInstanceOf(ClosedResourceError);
  });

  it("forwards the attributes of the wrapped stream", () => {
    const buffered = new BufferedByteReceiveStream(new LoopbackWithAttributes<Uint8Array>());
    expect(buffered.extra(SocketAttribute.localPort)).toBe(1111);
    expect(buffered.extra(SocketAttribute.family, null)).toBeNull();
  });
});

describe("BufferedByteStream", () => {
  it("buffers receiving and passes sending through", async () => {
    const loop = new LoopbackWithAttributes<Uint8Array>();
    const stream = new BufferedByteStream(loop);
    await stream.send(bytes("a;b;"));
    expect(text(await stream.receiveUntil(bytes(";"), 10))).toBe("a");
    expect(text(await stream.receiveUntil(bytes(";"), 10))).toBe("b");
    await stream.sendEof();
    expect(loop.eofSent).toBe(true);
    expect(stream.extra(SocketAttribute.remotePort)).toBe(2222);
    const [send, receive] = createMemoryObjectStream<Uint8Array>(1);
    const stapled = new BufferedByteStream(new StapledByteStream(send, receive));
    await stapled.send(bytes("z"));
    expect(text(await stapled.receiveExactly(1))).toBe("z");
  });
});
