import { describe, expect, it } from "vitest";
import {
  BrokenResourceError,
  Cancelled,
  CancelScope,
  checkpoint,
  ClosedResourceError,
  createMemoryObjectStream,
  EndOfStream,
  MemoryObjectReceiveStream,
  MemoryObjectSendStream,
  taskGroup,
  WouldBlock,
} from "../../mod.ts";
import { caught, settle, until } from "./helpers.ts";

describe("createMemoryObjectStream", () => {
  it("buffer 0 is a rendezvous: send waits until the item is received", async () => {
    const [send, receive] = createMemoryObjectStream<string>();
    let sent = false;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await send.send("x");
        sent = true;
      });
      await until(() => receive.statistics().tasksWaitingSend === 1, "the sender blocks");
      await settle();
      expect(sent).toBe(false);
      expect(receive.statistics().currentBufferUsed).toBe(0);
      expect(await receive.receive()).toBe("x");
      await until(() => sent, "the sender is released");
    });
    expect(receive.statistics().tasksWaitingSend).toBe(0);
  });

  it("buffer 0: receiveNowait takes the item of a blocked sender and releases it", async () => {
    const [send, receive] = createMemoryObjectStream<number>(0);
    const done: number[] = [];
    await taskGroup(async (tg) => {
      for (const n of [1, 2]) {
        tg.startSoon(async () => {
          await send.send(n);
          done.push(n);
        });
      }
      await until(() => send.statistics().tasksWaitingSend === 2, "both senders block");
      expect(receive.receiveNowait()).toBe(1);
      expect(send.statistics().tasksWaitingSend).toBe(1);
      await until(() => done.length === 1, "the first sender returns");
      expect(done).toEqual([1]);
      expect(receive.receiveNowait()).toBe(2);
      expect(() => receive.receiveNowait()).toThrow(WouldBlock);
    });
    expect(done).toEqual([1, 2]);
  });

  it("buffer 0: sendNowait hands the item straight to a waiting receiver", async () => {
    const [send, receive] = createMemoryObjectStream<string>();
    expect(() => send.sendNowait("nobody")).toThrow(WouldBlock);
    let got: string | undefined;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        got = await receive.receive();
      });
      await until(() => receive.statistics().tasksWaitingReceive === 1, "the receiver blocks");
      send.sendNowait("hi");
      expect(receive.statistics().tasksWaitingReceive).toBe(0);
      expect(receive.statistics().currentBufferUsed).toBe(0);
    });
    expect(got).toBe("hi");
  });

  it("sendNowait throws WouldBlock when the only waiting receiver was cancelled", async () => {
    const [send, receive] = createMemoryObjectStream<string>(0);
    const scope = new CancelScope();
    let outcome: unknown = "not finished";
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await scope.run(async () => {
          try {
            outcome = await receive.receive();
          } catch (error) {
            outcome = error;
            throw error;
          }
        });
      });
      await until(() => receive.statistics().tasksWaitingReceive === 1, "the receiver blocks");
      scope.cancel();
      expect(receive.statistics().tasksWaitingReceive).toBe(0);
      expect(() => send.sendNowait("lost?")).toThrow(WouldBlock);
    });
    expect(outcome).toBeInstanceOf(Cancelled);
    expect(scope.cancelledCaught).toBe(true);
    expect(receive.statistics().currentBufferUsed).toBe(0);
  });

  it("sendNowait skips a cancelled receiver and serves the next one", async () => {
    const [send, receive] = createMemoryObjectStream<string>(0);
    const scope = new CancelScope();
    let second: string | undefined;
    await taskGroup(async (tg) => {
      tg.startSoon(() => scope.run(() => receive.receive()));
      await until(() => receive.statistics().tasksWaitingReceive === 1, "the first receiver blocks");
      tg.startSoon(async () => {
        second = await receive.receive();
      });
      await until(() => receive.statistics().tasksWaitingReceive === 2, "the second receiver blocks");
      scope.cancel();
      send.sendNowait("item");
    });
    expect(second).toBe("item");
  });

  it("buffers up to maxBufferSize, then sendNowait throws WouldBlock; receiveNowait throws it when empty", () => {
    const [send, receive] = createMemoryObjectStream<number>(2);
    send.sendNowait(1);
    send.sendNowait(2);
    expect(() => send.sendNowait(3)).toThrow(WouldBlock);
    expect(send.statistics().currentBufferUsed).toBe(2);
    expect(receive.receiveNowait()).toBe(1);
    expect(receive.receiveNowait()).toBe(2);
    expect(() => receive.receiveNowait()).toThrow(WouldBlock);
  });

  it("keeps FIFO order: buffered items first, then blocked senders' items in the order they blocked", async () => {
    const [send, receive] = createMemoryObjectStream<string>(1);
    await taskGroup(async (tg) => {
      await send.send("a");
      tg.startSoon(() => send.send("b"));
      await until(() => send.statistics().tasksWaitingSend === 1, "b blocks");
      tg.startSoon(() => send.send("c"));
      await until(() => send.statistics().tasksWaitingSend === 2, "c blocks");
      expect(await receive.receive()).toBe("a");
      // b moved into the freed buffer slot, c still waits.
      expect(send.statistics()).toMatchObject({ currentBufferUsed: 1, tasksWaitingSend: 1 });
      expect(await receive.receive()).toBe("b");
      expect(await receive.receive()).toBe("c");
    });
  });

  it("serves blocked receivers first come, first served", async () => {
    const [send, receive] = createMemoryObjectStream<number>();
    const got: string[] = [];
    await taskGroup(async (tg) => {
      const names = ["r1", "r2", "r3"];
      for (let i = 0; i < names.length; i++) {
        tg.startSoon(async () => {
          got.push(`${names[i]}:${await receive.receive()}`);
        });
        await until(() => receive.statistics().tasksWaitingReceive === i + 1, `${names[i]} blocks`);
      }
      for (const n of [1, 2, 3]) await send.send(n);
    });
    expect(got).toEqual(["r1:1", "r2:2", "r3:3"]);
  });

  it("buffered items survive the sender closing; then EndOfStream", async () => {
    const [send, receive] = createMemoryObjectStream<number>(5);
    await send.send(1);
    await send.send(2);
    send.close();
    expect(receive.statistics().openSendStreams).toBe(0);
    expect(await receive.receive()).toBe(1);
    expect(receive.receiveNowait()).toBe(2);
    await expect(receive.receive()).rejects.toBeInstanceOf(EndOfStream);
    expect(() => receive.receiveNowait()).toThrow(EndOfStream);
    // Level-triggered: it stays at the end.
    await expect(receive.receive()).rejects.toBeInstanceOf(EndOfStream);
  });

  it("closing the last sender wakes blocked receivers with EndOfStream", async () => {
    const [send, receive] = createMemoryObjectStream<number>();
    const outcomes: unknown[] = [];
    await taskGroup(async (tg) => {
      for (let i = 0; i < 2; i++) tg.startSoon(() => receive.receive().catch((error) => outcomes.push(error)));
      await until(() => receive.statistics().tasksWaitingReceive === 2, "both receivers block");
      await send.aclose();
      expect(receive.statistics().tasksWaitingReceive).toBe(0);
    });
    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(EndOfStream);
  });

  it("clones keep the stream open until every clone is closed", async () => {
    const [send, receive] = createMemoryObjectStream<number>(4);
    const send2 = send.clone();
    expect(send.statistics().openSendStreams).toBe(2);
    send.close();
    expect(send.statistics().openSendStreams).toBe(1);
    await send2.send(1); // still open through the clone
    expect(await receive.receive()).toBe(1);
    expect(() => receive.receiveNowait()).toThrow(WouldBlock); // not EndOfStream
    send2.close();
    await expect(receive.receive()).rejects.toBeInstanceOf(EndOfStream);

    const [send3, receive3] = createMemoryObjectStream<number>(4);
    const receive4 = receive3.clone();
    receive3.close();
    await send3.send(7); // a receive clone is still open: no BrokenResourceError
    expect(receive4.receiveNowait()).toBe(7);
    receive4.close();
    expect(() => send3.sendNowait(8)).toThrow(BrokenResourceError);
  });

  it("clones share the buffer and the statistics", async () => {
    const [send, receive] = createMemoryObjectStream<number>(3);
    const sendClone = send.clone();
    const receiveClone = receive.clone();
    await send.send(1);
    await sendClone.send(2);
    expect(receive.statistics()).toEqual(receiveClone.statistics());
    expect(await receiveClone.receive()).toBe(1);
    expect(await receive.receive()).toBe(2);
  });

  it("closing the last receiver breaks senders, blocked ones included", async () => {
    const [send, receive] = createMemoryObjectStream<number>(1);
    await send.send(1);
    const outcomes: unknown[] = [];
    await taskGroup(async (tg) => {
      for (let i = 0; i < 2; i++) tg.startSoon(() => send.send(i).catch((error) => outcomes.push(error)));
      await until(() => send.statistics().tasksWaitingSend === 2, "both senders block");
      receive.close();
      expect(send.statistics().tasksWaitingSend).toBe(0);
    });
    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(BrokenResourceError);
    await expect(send.send(2)).rejects.toBeInstanceOf(BrokenResourceError);
    expect(() => send.sendNowait(2)).toThrow(BrokenResourceError);
  });

  it("throws ClosedResourceError on an end closed by this side", async () => {
    const [send, receive] = createMemoryObjectStream<number>(1);
    const sendClone = send.clone();
    send.close();
    send.close(); // idempotent
    await expect(send.send(1)).rejects.toBeInstanceOf(ClosedResourceError);
    expect(() => send.sendNowait(1)).toThrow(ClosedResourceError);
    expect(() => send.clone()).toThrow(ClosedResourceError);
    await sendClone.send(1); // the clone is not affected
    receive.close();
    await receive.aclose();
    await expect(receive.receive()).rejects.toBeInstanceOf(ClosedResourceError);
    expect(() => receive.receiveNowait()).toThrow(ClosedResourceError);
    expect(() => receive.clone()).toThrow(ClosedResourceError);
    expect(send.statistics()).toMatchObject({ openSendStreams: 1, openReceiveStreams: 0 });
  });

  it("a cancelled send transfers nothing", async () => {
    const [send, receive] = createMemoryObjectStream<string>(0);
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      tg.startSoon(() => scope.run(() => send.send("withdrawn")));
      await until(() => send.statistics().tasksWaitingSend === 1, "the sender blocks");
      scope.cancel();
      expect(send.statistics().tasksWaitingSend).toBe(0);
      expect(() => receive.receiveNowait()).toThrow(WouldBlock);
      tg.startSoon(() => send.send("kept"));
      expect(await receive.receive()).toBe("kept");
    });
    expect(scope.cancelledCaught).toBe(true);
    expect(() => receive.receiveNowait()).toThrow(WouldBlock);
  });

  it("a cancelled receive transfers nothing", async () => {
    const [send, receive] = createMemoryObjectStream<string>(1);
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      tg.startSoon(() => scope.run(() => receive.receive()));
      await until(() => receive.statistics().tasksWaitingReceive === 1, "the receiver blocks");
      scope.cancel();
      await send.send("stays");
    });
    expect(receive.statistics().currentBufferUsed).toBe(1);
    expect(receive.receiveNowait()).toBe("stays");
  });

  it("send and receive in an already cancelled scope raise Cancelled and transfer nothing", async () => {
    const [send, receive] = createMemoryObjectStream<number>(5);
    send.sendNowait(1);
    await new CancelScope().run(async (scope) => {
      scope.cancel();
      await expect(send.send(2)).rejects.toBeInstanceOf(Cancelled);
      await expect(receive.receive()).rejects.toBeInstanceOf(Cancelled);
    });
    expect(receive.statistics().currentBufferUsed).toBe(1);
    expect(receive.receiveNowait()).toBe(1);
    expect(() => receive.receiveNowait()).toThrow(WouldBlock);
  });

  it("an item handed to a receiver whose scope is cancelled in the same tick is delivered, not lost", async () => {
    const [send, receive] = createMemoryObjectStream<string>();
    const scope = new CancelScope();
    let got: string | undefined;
    let after: unknown;
    await taskGroup(async (tg) => {
      tg.startSoon(() =>
        scope.run(async () => {
          got = await receive.receive();
          try {
            await checkpoint();
          } catch (error) {
            after = error;
            throw error;
          }
        })
      );
      await until(() => receive.statistics().tasksWaitingReceive === 1, "the receiver blocks");
      send.sendNowait("delivered");
      scope.cancel();
    });
    expect(got).toBe("delivered");
    expect(after).toBeInstanceOf(Cancelled);
  });

  it("a blocked sender whose item was taken in the same tick as its cancellation completes the send", async () => {
    const [send, receive] = createMemoryObjectStream<string>();
    const scope = new CancelScope();
    let sendReturned = false;
    await taskGroup(async (tg) => {
      tg.startSoon(() =>
        scope.run(async () => {
          await send.send("taken");
          sendReturned = true;
        })
      );
      await until(() => send.statistics().tasksWaitingSend === 1, "the sender blocks");
      expect(receive.receiveNowait()).toBe("taken");
      scope.cancel();
    });
    expect(sendReturned).toBe(true);
    expect(() => receive.receiveNowait()).toThrow(WouldBlock);
  });

  it("checkpoints even when it does not block", async () => {
    const [send, receive] = createMemoryObjectStream<number>(10);
    const order: string[] = [];
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        for (let i = 0; i < 3; i++) {
          await send.send(i);
          order.push("send");
        }
      });
      tg.startSoon(async () => {
        for (let i = 0; i < 3; i++) {
          await checkpoint();
          order.push("other");
        }
      });
    });
    // The sender yielded after each send: the other task ran in between.
    expect(order).not.toEqual(["send", "send", "send", "other", "other", "other"]);
    expect(receive.statistics().currentBufferUsed).toBe(3);
  });

  it("reports exact statistics", async () => {
    const [send, receive] = createMemoryObjectStream<number>(1);
    expect(send.statistics()).toEqual({
      currentBufferUsed: 0,
      maxBufferSize: 1,
      openSendStreams: 1,
      openReceiveStreams: 1,
      tasksWaitingSend: 0,
      tasksWaitingReceive: 0,
    });
    const receiveClone = receive.clone();
    await taskGroup(async (tg) => {
      tg.startSoon(() => receive.receive());
      tg.startSoon(() => receiveClone.receive());
      await until(() => send.statistics().tasksWaitingReceive === 2, "receivers block");
      expect(send.statistics()).toEqual({
        currentBufferUsed: 0,
        maxBufferSize: 1,
        openSendStreams: 1,
        openReceiveStreams: 2,
        tasksWaitingSend: 0,
        tasksWaitingReceive: 2,
      });
      send.sendNowait(1);
      send.sendNowait(2);
      send.sendNowait(3);
      expect(send.statistics()).toMatchObject({ currentBufferUsed: 1, tasksWaitingReceive: 0 });
      tg.startSoon(() => send.send(4));
      await until(() => send.statistics().tasksWaitingSend === 1, "the sender blocks");
      expect(send.statistics()).toMatchObject({ currentBufferUsed: 1, tasksWaitingSend: 1 });
      expect(receive.receiveNowait()).toBe(3);
      expect(receive.receiveNowait()).toBe(4);
    });
    expect(send.statistics()).toEqual({
      currentBufferUsed: 0,
      maxBufferSize: 1,
      openSendStreams: 1,
      openReceiveStreams: 2,
      tasksWaitingSend: 0,
      tasksWaitingReceive: 0,
    });
  });

  it("many cancelled waits leave the stream consistent", async () => {
    const [send, receive] = createMemoryObjectStream<number>(0);
    for (let round = 0; round < 3; round++) {
      const scopes = Array.from({ length: 200 }, () => new CancelScope());
      await taskGroup(async (tg) => {
        for (const scope of scopes) tg.startSoon(() => scope.run(() => receive.receive()));
        tg.startSoon(async () => {
          const keep = new CancelScope();
          await keep.run(async () => expect(await receive.receive()).toBe(round));
        });
        await until(() => receive.statistics().tasksWaitingReceive === 201, "all receivers block");
        for (const scope of scopes.slice(0, 150)) scope.cancel();
        expect(receive.statistics().tasksWaitingReceive).toBe(51);
        for (const scope of scopes.slice(150)) scope.cancel();
        expect(receive.statistics().tasksWaitingReceive).toBe(1);
        send.sendNowait(round);
      });
      expect(receive.statistics().tasksWaitingReceive).toBe(0);
    }
  });

  it("is async-iterable until EndOfStream; breaking out does not close it", async () => {
    const [send, receive] = createMemoryObjectStream<number>(10);
    for (let i = 0; i < 5; i++) send.sendNowait(i);
    const first: number[] = [];
    for await (const n of receive) {
      first.push(n);
      if (n === 1) break;
    }
    expect(first).toEqual([0, 1]);
    expect(receive.statistics().openReceiveStreams).toBe(1);
    send.close();
    const rest: number[] = [];
    for await (const n of receive) rest.push(n);
    expect(rest).toEqual([2, 3, 4]);
  });

  it("iteration propagates errors other than EndOfStream", async () => {
    const [, receive] = createMemoryObjectStream<number>();
    receive.close();
    const error = await caught(async () => {
      for await (const _ of receive) { /* nothing */ }
    });
    expect(error).toBeInstanceOf(ClosedResourceError);
  });

  it("allows an unbounded buffer (Infinity)", () => {
    const [send, receive] = createMemoryObjectStream<number>(Infinity);
    for (let i = 0; i < 10_000; i++) send.sendNowait(i);
    expect(send.statistics()).toMatchObject({ currentBufferUsed: 10_000, maxBufferSize: Infinity });
    for (let i = 0; i < 10_000; i++) expect(receive.receiveNowait()).toBe(i);
  });

  it("closes with using / await using", async () => {
    const [send, receive] = createMemoryObjectStream<number>();
    {
      using _send = send;
      await using _receive = receive.clone();
    }
    expect(receive.statistics()).toMatchObject({ openSendStreams: 0, openReceiveStreams: 1 });
    await expect(receive.receive()).rejects.toBeInstanceOf(EndOfStream);
  });

  it("rejects a bad maxBufferSize with an error naming it", () => {
    for (const bad of [-1, 1.5, NaN, -Infinity]) {
      expect(() => createMemoryObjectStream(bad)).toThrow(RangeError);
      expect(() => createMemoryObjectStream(bad)).toThrow(/maxBufferSize/);
    }
    expect(() => createMemoryObjectStream("3" as unknown as number)).toThrow(TypeError);
    expect(() => createMemoryObjectStream("3" as unknown as number)).toThrow(/maxBufferSize/);
    const [send, receive] = createMemoryObjectStream();
    expect(send).toBeInstanceOf(MemoryObjectSendStream);
    expect(receive).toBeInstanceOf(MemoryObjectReceiveStream);
    expect(send.statistics().maxBufferSize).toBe(0);
    expect(() => new MemoryObjectSendStream<number>({})).toThrow(TypeError);
  });

  it("throws in a task only what the task caused", async () => {
    const [send, receive] = createMemoryObjectStream<number>();
    receive.close();
    const error = await caught(() => send.send(1));
    expect(error).toBeInstanceOf(BrokenResourceError);
  });
});
