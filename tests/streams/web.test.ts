import { describe, expect, it } from "vitest";
import {
  BrokenResourceError,
  BusyResourceError,
  CancelScope,
  Cancelled,
  ClosedResourceError,
  createMemoryObjectStream,
  EndOfStream,
  fromReadableStream,
  fromWritableStream,
  sleepForever,
  taskGroup,
  toReadableStream,
  toWritableStream,
} from "../../mod.ts";
import { bytes, caught, LoopbackWithAttributes, settle, text, until } from "./helpers.ts";

const noop = () => {};

describe("toReadableStream", () => {
  it("reads the items, then closes at EndOfStream and closes the anyts stream", async () => {
    const [send, receive] = createMemoryObjectStream<number>(10);
    for (const n of [1, 2, 3]) send.sendNowait(n);
    send.close();
    const seen: number[] = [];
    for await (const n of toReadableStream(receive)) seen.push(n);
    expect(seen).toEqual([1, 2, 3]);
    expect(receive.statistics().openReceiveStreams).toBe(0);
  });

  it("keeps backpressure: a slow reader keeps the producer's pending sends bounded", async () => {
    const [send, receive] = createMemoryObjectStream<number>(0);
    let sent = 0;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        for (let i = 0; i < 20; i++) {
          await send.send(i);
          sent++;
        }
        send.close();
      });
      const reader = toReadableStream(receive).getReader();
      await settle();
      expect(sent).toBe(0); // nobody read: nothing was received
      expect(receive.statistics().tasksWaitingSend).toBe(1);
      for (let consumed = 1; consumed <= 20; consumed++) {
        expect((await reader.read()).value).toBe(consumed - 1);
        await settle();
        expect(sent).toBeLessThanOrEqual(consumed + 1);
        expect(receive.statistics().tasksWaitingSend).toBeLessThanOrEqual(1);
        expect(receive.statistics().currentBufferUsed).toBe(0);
      }
      expect((await reader.read()).done).toBe(true);
    });
  });

  it("receives ahead of the reader by at most highWaterMark items", async () => {
    const [send, receive] = createMemoryObjectStream<number>(Infinity);
    for (let i = 0; i < 50; i++) send.sendNowait(i);
    const reader = toReadableStream(receive, { highWaterMark: 3 }).getReader();
    await settle();
    expect(receive.statistics().currentBufferUsed).toBeGreaterThanOrEqual(50 - 3);
    expect((await reader.read()).value).toBe(0);
    await settle();
    expect(receive.statistics().currentBufferUsed).toBeGreaterThanOrEqual(50 - 4);
  });

  it("reader.cancel() interrupts a pending receive and closes the anyts stream", async () => {
    const [send, receive] = createMemoryObjectStream<number>(0);
    const reader = toReadableStream(receive).getReader();
    const read = reader.read();
    await until(() => receive.statistics().tasksWaitingReceive === 1, "the pull blocks in receive()");
    await reader.cancel("not interested");
    expect(await read).toEqual({ done: true, value: undefined });
    expect(receive.statistics()).toMatchObject({ tasksWaitingReceive: 0, openReceiveStreams: 0 });
    expect(() => send.sendNowait(1)).toThrow(BrokenResourceError);
  });

  it("errors with Cancelled when the scope it was made in is cancelled", async () => {
    const [, receive] = createMemoryObjectStream<number>(0);
    const scope = new CancelScope();
    let readable: ReadableStream<number> | undefined;
    await taskGroup(async (tg) => {
      tg.startSoon(() =>
        scope.run(async () => {
          readable = toReadableStream(receive);
          await sleepForever();
        })
      );
      await until(() => readable !== undefined, "the readable is made");
      const read = readable!.getReader().read();
      await until(() => receive.statistics().tasksWaitingReceive === 1, "the pull blocks");
      scope.cancel();
      expect(await caught(() => read)).toBeInstanceOf(Cancelled);
    });
    expect(receive.statistics()).toMatchObject({ tasksWaitingReceive: 0, openReceiveStreams: 0 });
  });

  it("errors with the anyts error and closes the stream", async () => {
    const [, receive] = createMemoryObjectStream<number>(0);
    const readable = toReadableStream(receive);
    receive.close(); // the readable's receive now throws ClosedResourceError
    expect(await caught(() => readable.getReader().read())).toBeInstanceOf(ClosedResourceError);
  });

  it("works as a Response body", async () => {
    const [send, receive] = createMemoryObjectStream<Uint8Array>(4);
    send.sendNowait(bytes("hello, "));
    send.sendNowait(bytes("wörld"));
    send.close();
    expect(await new Response(toReadableStream(receive)).text()).toBe("hello, wörld");
  });

  it("rejects bad arguments", () => {
    const [, receive] = createMemoryObjectStream<number>();
    expect(() => toReadableStream(null as never)).toThrow(TypeError);
    expect(() => toReadableStream(receive, { highWaterMark: -1 })).toThrow(/highWaterMark/);
  });
});

describe("toWritableStream", () => {
  it("writes are sends; closing the writable closes the anyts stream", async () => {
    const [send, receive] = createMemoryObjectStream<string>(10);
    const writer = toWritableStream(send).getWriter();
    await writer.write("a");
    await writer.write("b");
    await writer.close();
    expect(receive.receiveNowait()).toBe("a");
    expect(receive.receiveNowait()).toBe("b");
    expect(() => receive.receiveNowait()).toThrow(EndOfStream);
  });

  it("keeps backpressure: a slow anyts receiver bounds the writes in flight", async () => {
    const [send, receive] = createMemoryObjectStream<number>(0);
    const writer = toWritableStream(send).getWriter();
    let issued = 0;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        for (let i = 0; i < 20; i++) {
          await writer.ready;
          issued++;
          writer.write(i).catch(noop);
        }
        await writer.close();
      });
      await settle();
      expect(issued).toBeLessThanOrEqual(2);
      for (let received = 1; received <= 20; received++) {
        expect(await receive.receive()).toBe(received - 1);
        await settle();
        expect(issued).toBeLessThanOrEqual(received + 2);
        expect(send.statistics().tasksWaitingSend).toBeLessThanOrEqual(1);
      }
      await expect(receive.receive()).rejects.toBeInstanceOf(EndOfStream);
    });
  });

  it("writer.abort() interrupts a blocked send, transfers nothing and closes the anyts stream", async () => {
    const [send, receive] = createMemoryObjectStream<number>(0);
    const writer = toWritableStream(send).getWriter();
    const write = writer.write(1).catch(noop);
    await until(() => send.statistics().tasksWaitingSend === 1, "the send blocks");
    await writer.abort("stop");
    await write;
    expect(send.statistics()).toMatchObject({ tasksWaitingSend: 0, openSendStreams: 0 });
    expect(() => receive.receiveNowait()).toThrow(EndOfStream);
  });

  it("a failing send errors the writable and closes the anyts stream", async () => {
    const [send, receive] = createMemoryObjectStream<number>(0);
    receive.close();
    const writer = toWritableStream(send).getWriter();
    expect(await caught(() => writer.write(1))).toBeInstanceOf(BrokenResourceError);
    expect(send.statistics().openSendStreams).toBe(0);
  });

  it("close: sendEof half-closes a bidirectional stream", async () => {
    const loop = new LoopbackWithAttributes<string>();
    const writer = toWritableStream(loop, { close: "sendEof" }).getWriter();
    await writer.write("x");
    await writer.close();
    expect(loop.eofSent).toBe(true);
    expect(loop.closed).toBe(false);
    expect(await loop.receive()).toBe("x");
    await expect(loop.receive()).rejects.toBeInstanceOf(EndOfStream);
  });

  it("pipes from toReadableStream, ending with EndOfStream on the far side", async () => {
    const [send1, receive1] = createMemoryObjectStream<number>(0);
    const [send2, receive2] = createMemoryObjectStream<number>(0);
    const got: number[] = [];
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        for (let i = 0; i < 10; i++) await send1.send(i);
        send1.close();
      });
      tg.startSoon(async () => {
        for await (const n of receive2) got.push(n);
      });
      await toReadableStream(receive1).pipeTo(toWritableStream(send2));
    });
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("rejects bad arguments", () => {
    const [send] = createMemoryObjectStream<number>();
    expect(() => toWritableStream({} as never)).toThrow(TypeError);
    expect(() => toWritableStream(send, { close: "later" as "aclose" })).toThrow(/close/);
    expect(() => toWritableStream(send, { close: "sendEof" })).toThrow(/sendEof/);
    expect(() => toWritableStream(send, { highWaterMark: NaN })).toThrow(/highWaterMark/);
  });
});

describe("fromReadableStream", () => {
  it("receives each chunk, then EndOfStream; async-iterable", async () => {
    const stream = fromReadableStream(ReadableStream.from(["a", "b", "c"]));
    expect(await stream.receive()).toBe("a");
    const rest: string[] = [];
    for await (const item of stream) rest.push(item);
    expect(rest).toEqual(["b", "c"]);
    await expect(stream.receive()).rejects.toBeInstanceOf(EndOfStream);
  });

  it("keeps backpressure: it reads only as fast as the anyts side receives", async () => {
    let pulls = 0;
    const readable = new ReadableStream<number>({
      pull(controller) {
        controller.enqueue(pulls++);
      },
    });
    const stream = fromReadableStream(readable);
    await settle();
    expect(pulls).toBeLessThanOrEqual(1);
    for (let received = 1; received <= 20; received++) {
      expect(await stream.receive()).toBe(received - 1);
      await settle();
      expect(pulls).toBeLessThanOrEqual(received + 1);
    }
    await stream.aclose();
  });

  it("a receive cancelled while its read is pending loses nothing: the chunk goes to the next receive", async () => {
    let controller!: ReadableStreamDefaultController<string>;
    const stream = fromReadableStream(new ReadableStream<string>({ start: (c) => void (controller = c) }));
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      tg.startSoon(() => scope.run(() => stream.receive()));
      await settle(); // the read is pending: nothing was enqueued
      scope.cancel();
    });
    expect(scope.cancelledCaught).toBe(true);
    controller.enqueue("kept");
    controller.enqueue("next");
    controller.close();
    expect(await stream.receive()).toBe("kept");
    expect(await stream.receive()).toBe("next");
    await expect(stream.receive()).rejects.toBeInstanceOf(EndOfStream);
  });

  it("an error of the readable is a BrokenResourceError with the error as cause", async () => {
    const failure = new Error("network down");
    const stream = fromReadableStream(
      new ReadableStream<number>({
        start(controller) {
          controller.enqueue(1);
          controller.error(failure);
        },
      }),
    );
    const error = await caught(() => stream.receive());
    expect(error).toBeInstanceOf(BrokenResourceError);
    expect((error as Error).cause).toBe(failure);
    expect(await caught(() => stream.receive())).toBeInstanceOf(BrokenResourceError);
    await stream.aclose();
  });

  it("concurrent receives throw BusyResourceError", async () => {
    let controller!: ReadableStreamDefaultController<number>;
    const stream = fromReadableStream(new ReadableStream<number>({ start: (c) => void (controller = c) }));
    await taskGroup(async (tg) => {
      let first: number | undefined;
      tg.startSoon(async () => {
        first = await stream.receive();
      });
      await settle();
      expect(await caught(() => stream.receive())).toBeInstanceOf(BusyResourceError);
      controller.enqueue(5);
      await until(() => first === 5, "the first receive gets the chunk");
    });
  });

  it("aclose cancels the readable, releases its lock and wakes a pending receive with ClosedResourceError", async () => {
    let cancelReason: unknown = "not cancelled";
    const readable = new ReadableStream<number>({
      cancel(reason) {
        cancelReason = reason;
      },
    });
    const stream = fromReadableStream(readable);
    expect(readable.locked).toBe(true);
    let outcome: unknown;
    await taskGroup(async (tg) => {
      tg.startSoon(() => stream.receive().catch((error) => (outcome = error)));
      await settle();
      await stream.aclose();
    });
    expect(outcome).toBeInstanceOf(ClosedResourceError);
    expect(cancelReason).toBeUndefined();
    expect(readable.locked).toBe(false);
    await expect(stream.receive()).rejects.toBeInstanceOf(ClosedResourceError);
    await stream.aclose(); // idempotent
  });

  it("bytes: true gives a byte stream: at most maxBytes per receive, no empty chunks", async () => {
    const stream = fromReadableStream(
      ReadableStream.from([bytes("hello"), new Uint8Array(0), bytes(" world")]),
      { bytes: true },
    );
    expect(text(await stream.receive(3))).toBe("hel");
    expect(text(await stream.receive())).toBe("lo");
    expect(text(await stream.receive(100))).toBe(" world");
    await expect(stream.receive()).rejects.toBeInstanceOf(EndOfStream);
  });

  it("bytes: true rejects non-Uint8Array chunks and a bad maxBytes", async () => {
    const stream = fromReadableStream(
      ReadableStream.from(["text" as unknown as Uint8Array, bytes("ok")]),
      { bytes: true },
    );
    expect(await caught(() => stream.receive(0))).toBeInstanceOf(RangeError);
    expect(await caught(() => stream.receive())).toBeInstanceOf(TypeError);
    expect(text(await stream.receive())).toBe("ok");
  });

  it("rejects what is not a ReadableStream", () => {
    expect(() => fromReadableStream({} as ReadableStream<number>)).toThrow(TypeError);
  });
});

describe("fromWritableStream", () => {
  it("sends write in order; aclose closes the writable after the writes finish", async () => {
    const written: string[] = [];
    let closed = false;
    const writable = new WritableStream<string>({
      async write(chunk) {
        await Promise.resolve();
        written.push(chunk);
      },
      close() {
        closed = true;
      },
    });
    const stream = fromWritableStream(writable);
    for (const s of ["a", "b", "c"]) await stream.send(s);
    await stream.aclose();
    expect(written).toEqual(["a", "b", "c"]);
    expect(closed).toBe(true);
    expect(writable.locked).toBe(false);
    await expect(stream.send("d")).rejects.toBeInstanceOf(ClosedResourceError);
  });

  it("keeps backpressure: sends wait while the sink is busy", async () => {
    const release: (() => void)[] = [];
    let processed = 0;
    const writable = new WritableStream<number>({
      write() {
        return new Promise<void>((resolve) =>
          release.push(() => {
            processed++;
            resolve();
          })
        );
      },
    });
    const stream = fromWritableStream(writable);
    let sent = 0;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        for (let i = 0; i < 10; i++) {
          await stream.send(i);
          sent++;
        }
      });
      for (let round = 0; round < 10; round++) {
        await until(() => release.length > 0, "the sink gets a write");
        await settle();
        expect(sent).toBeLessThanOrEqual(processed + 2);
        release.shift()!();
      }
    });
    expect(processed).toBe(10);
  });

  it("a send cancelled while waiting for room writes nothing", async () => {
    const written: number[] = [];
    let release!: () => void;
    const writable = new WritableStream<number>({
      write(chunk) {
        written.push(chunk);
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    const stream = fromWritableStream(writable);
    await stream.send(1); // in the sink, which is now busy: the writer is not ready
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      tg.startSoon(() => scope.run(() => stream.send(2)));
      await settle();
      scope.cancel();
    });
    release();
    await settle();
    expect(written).toEqual([1]);
    await stream.send(3);
    await until(() => written.length === 2, "3 is written");
    expect(written).toEqual([1, 3]);
  });

  it("an error of the writable makes sends throw BrokenResourceError", async () => {
    const failure = new Error("disk full");
    const stream = fromWritableStream(
      new WritableStream<number>({
        write() {
          throw failure;
        },
      }),
    );
    await stream.send(1); // accepted; the sink fails afterwards
    await settle();
    const error = await caught(() => stream.send(2));
    expect(error).toBeInstanceOf(BrokenResourceError);
    expect((error as Error).cause).toBe(failure);
    await stream.aclose();
  });

  it("rejects what is not a WritableStream", () => {
    expect(() => fromWritableStream({} as WritableStream<number>)).toThrow(TypeError);
  });
});
