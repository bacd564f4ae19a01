import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import {
  BrokenResourceError,
  BusyResourceError,
  CancelScope,
  Cancelled,
  checkpoint,
  ClosedResourceError,
  connectTcp,
  ConnectionFailed,
  createTcpListener,
  EndOfStream,
  type MultiListener,
  run,
  SocketAttribute,
  type SocketListener,
  sleepForever,
  type SocketStream,
  taskGroup,
  TaskGroupError,
} from "../../mod.ts";
import { backendsUnderTest } from "../../testing.ts";
import {
  bytes,
  caught,
  concat,
  ioTurn,
  nodeServer,
  payload,
  sameBytes,
  text,
  untilIO,
} from "./helpers.ts";

/** A connected pair on loopback: `client` from connectTcp, `server` from the listener. */
async function connectedPair(host = "127.0.0.1"): Promise<{
  client: SocketStream;
  server: SocketStream;
  listener: MultiListener<SocketStream>;
  close(): Promise<void>;
}> {
  const listener = await createTcpListener({ localHost: host });
  const port = listener.extra(SocketAttribute.localPort);
  const [client, server] = await Promise.all([
    connectTcp(host, port),
    (listener.listeners[0] as SocketListener).accept(),
  ]);
  return {
    client,
    server,
    listener,
    async close() {
      await client.aclose();
      await server.aclose();
      await listener.aclose();
    },
  };
}

/**
 * Resets a node:net peer's connection (RST): `resetAndDestroy()`, or where a compatibility
 * layer lacks it, a close with unread data (which makes the kernel send RST as well).
 */
function resetPeer(socket: Socket): void {
  const reset = (socket as { resetAndDestroy?: () => void }).resetAndDestroy;
  if (typeof reset === "function") reset.call(socket);
  else socket.destroy();
}

/** The leaves of nested TaskGroupErrors. */
function flatErrors(error: unknown): unknown[] {
  return error instanceof TaskGroupError ? error.errors.flatMap(flatErrors) : [error];
}

async function receiveAll(stream: SocketStream, maxBytes?: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    try {
      chunks.push(await stream.receive(maxBytes));
    } catch (error) {
      if (error instanceof EndOfStream) return concat(chunks);
      throw error;
    }
  }
}

describe.each(backendsUnderTest())("TCP on %s", (backend) => {
  const inRun = (fn: () => Promise<void>) => () => run(fn, { backend });

  it("echoes through a listener served with serve() on IPv4 and IPv6", inRun(async () => {
    for (const host of ["127.0.0.1", "::1"]) {
      await using listener = await createTcpListener({ localHost: host });
      const port = listener.extra(SocketAttribute.localPort);
      await taskGroup(async (tg) => {
        tg.startSoon(() =>
          listener.serve(async (client) => {
            for await (const chunk of client) await client.send(chunk);
          })
        );
        await using stream = await connectTcp(host, port);
        await stream.send(bytes(`hello ${host}`));
        await stream.sendEof();
        expect(text(await receiveAll(stream))).toBe(`hello ${host}`);
        tg.cancelScope.cancel();
      });
    }
  }));

  it("connects to a host name (localhost resolves to 127.0.0.1)", inRun(async () => {
    await using listener = await createTcpListener({ localHost: "127.0.0.1" });
    const port = listener.extra(SocketAttribute.localPort);
    await using stream = await connectTcp("localhost", port);
    expect(stream.extra(SocketAttribute.remoteAddress)).toBe("127.0.0.1");
    expect(stream.extra(SocketAttribute.remotePort)).toBe(port);
  }));

  it("carries 1 MiB each way through an echo server to a slow reader, byte for byte", inRun(async () => {
    const pair = await connectedPair();
    try {
      const data = payload(1 << 20);
      let echoed: Uint8Array = new Uint8Array();
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          for await (const chunk of pair.server) await pair.server.send(chunk);
          await pair.server.sendEof();
        });
        tg.startSoon(async () => {
          for (let at = 0; at < data.length; at += 65536) await pair.client.send(data.subarray(at, at + 65536));
          await pair.client.sendEof();
        });
        // The slow reader: small reads, and an event-loop turn every 64 of them.
        const chunks: Uint8Array[] = [];
        for (let n = 0;; n++) {
          try {
            chunks.push(await pair.client.receive(4096));
          } catch (error) {
            if (error instanceof EndOfStream) break;
            throw error;
          }
          if (n % 64 === 0) await ioTurn();
        }
        echoed = concat(chunks);
      });
      expect(echoed.length).toBe(data.length);
      expect(sameBytes(echoed, data)).toBe(true);
    } finally {
      await pair.close();
    }
  }));

  it("blocks the sender while the reader does not read: buffering is bounded", inRun(async () => {
    const pair = await connectedPair();
    try {
      const chunk = payload(65536);
      const cap = 64 << 20; // what a sender that is never held back would get through
      const bound = 16 << 20; // kernel buffers on loopback (a few MiB) and the backend's own
      let sent = 0;
      let stop = false;
      let finished = false;
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          while (!stop && sent < cap) {
            await pair.client.send(chunk);
            sent += chunk.length;
          }
          finished = true;
          await pair.client.sendEof();
        });
        // Wait until the sender makes no progress for 25 event-loop turns in a row.
        let last = -1;
        let still = 0;
        for (let turn = 0; still < 25; turn++) {
          if (turn > 20_000) throw new Error("the sender never stopped");
          await ioTurn();
          if (sent === last) still++;
          else {
            still = 0;
            last = sent;
          }
        }
        expect(sent).toBeLessThan(bound);
        // Still held back while nobody reads (the kernel may take a little more; the
        // backend must not take everything).
        for (let i = 0; i < 50; i++) await ioTurn();
        expect(finished).toBe(false);
        expect(sent).toBeLessThan(bound);
        const blockedAt = sent;
        stop = true;
        const received = await receiveAll(pair.server);
        expect(received.length).toBe(sent);
        expect(sent).toBeGreaterThan(blockedAt); // the pending send completed once read
      });
    } finally {
      await pair.close();
    }
  }));

  it("a peer that closes gives EndOfStream on receive and BrokenResourceError on send", inRun(async () => {
    const pair = await connectedPair();
    try {
      await pair.server.send(bytes("last words"));
      await pair.server.aclose();
      expect(text(await receiveAll(pair.client))).toBe("last words");
      await expect(pair.client.receive()).rejects.toBeInstanceOf(EndOfStream);
      await expect(pair.client.receive()).rejects.toBeInstanceOf(EndOfStream);
      const error = await caught(async () => {
        for (let i = 0; i < 1_000; i++) {
          await pair.client.send(payload(1024));
          await ioTurn();
        }
      });
      expect(error).toBeInstanceOf(BrokenResourceError);
      expect((error as Error).cause).toBeDefined();
      await expect(pair.client.send(bytes("x"))).rejects.toBeInstanceOf(BrokenResourceError);
    } finally {
      await pair.close();
    }
  }));

  it("after its own close: ClosedResourceError for receive, send and sendEof; aclose is idempotent", inRun(async () => {
    const pair = await connectedPair();
    try {
      await pair.client.aclose();
      await pair.client.aclose();
      await expect(pair.client.receive()).rejects.toBeInstanceOf(ClosedResourceError);
      await expect(pair.client.send(bytes("x"))).rejects.toBeInstanceOf(ClosedResourceError);
      await expect(pair.client.sendEof()).rejects.toBeInstanceOf(ClosedResourceError);
      await expect(pair.server.receive()).rejects.toBeInstanceOf(EndOfStream);
    } finally {
      await pair.close();
    }
  }));

  it("concurrent receives: BusyResourceError; a close from another task wakes the receiver", inRun(async () => {
    const pair = await connectedPair();
    try {
      let outcome: unknown;
      let waiting = false;
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          waiting = true;
          outcome = await caught(() => pair.client.receive());
        });
        await untilIO(() => waiting, "the receiver is waiting");
        await checkpoint();
        await expect(pair.client.receive()).rejects.toBeInstanceOf(BusyResourceError);
        await expect(pair.client.receive()).rejects.toThrow(/receiving/);
        await pair.client.aclose();
      });
      expect(outcome).toBeInstanceOf(ClosedResourceError);
    } finally {
      await pair.close();
    }
  }));

  it("concurrent sends: BusyResourceError", inRun(async () => {
    const pair = await connectedPair();
    try {
      const big = payload(64 << 20); // more than the kernel buffers take at once
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          await expect(pair.client.send(big)).rejects.toBeInstanceOf(ClosedResourceError);
        });
        await checkpoint();
        await checkpoint();
        const error = await caught(() => pair.client.send(bytes("x")));
        expect(error).toBeInstanceOf(BusyResourceError);
        expect((error as Error).message).toMatch(/sending/);
        await pair.client.aclose();
      });
    } finally {
      await pair.close();
    }
  }));

  it("a cancelled receive leaves the stream usable and loses no bytes", inRun(async () => {
    const pair = await connectedPair();
    try {
      const scope = new CancelScope();
      await taskGroup(async (tg) => {
        tg.startSoon(() => scope.run(() => pair.client.receive()));
        await ioTurn();
        scope.cancel();
      });
      expect(scope.cancelledCaught).toBe(true);
      await pair.server.send(bytes("hello world"));
      expect(text(await pair.client.receive(5))).toBe("hello");
      expect(text(await pair.client.receive())).toBe(" world");
      // Cancelled again while the bytes are on their way: they go to the next receive.
      const again = new CancelScope();
      await taskGroup(async (tg) => {
        tg.startSoon(() => again.run(() => pair.client.receive()));
        await ioTurn();
        await pair.server.send(bytes("more"));
        again.cancel();
      });
      expect(text(await pair.client.receive())).toBe("more");
    } finally {
      await pair.close();
    }
  }));

  it("receive and send are checkpoints: they raise Cancelled in a cancelled scope", inRun(async () => {
    const pair = await connectedPair();
    try {
      await new CancelScope().run(async (scope) => {
        scope.cancel();
        await expect(pair.client.receive()).rejects.toBeInstanceOf(Cancelled);
        await expect(pair.client.send(bytes("x"))).rejects.toBeInstanceOf(Cancelled);
        await expect(pair.client.sendEof()).rejects.toBeInstanceOf(Cancelled);
        await pair.client.aclose(); // closing never raises
      });
      await expect(pair.server.receive()).rejects.toBeInstanceOf(EndOfStream); // nothing was sent
    } finally {
      await pair.close();
    }
  }));

  it("sendEof half-closes: the peer sees the end and can still answer", inRun(async () => {
    const pair = await connectedPair();
    try {
      await pair.client.send(bytes("request"));
      await pair.client.sendEof();
      await pair.client.sendEof(); // idempotent
      await expect(pair.client.send(bytes("x"))).rejects.toBeInstanceOf(ClosedResourceError);
      expect(text(await receiveAll(pair.server))).toBe("request");
      await pair.server.send(bytes("response"));
      await pair.server.aclose();
      expect(text(await receiveAll(pair.client))).toBe("response");
    } finally {
      await pair.close();
    }
  }));

  it("answers SocketAttribute on streams and listeners", inRun(async () => {
    for (const [host, family] of [["127.0.0.1", "IPv4"], ["::1", "IPv6"]] as const) {
      const pair = await connectedPair(host);
      try {
        const port = pair.listener.extra(SocketAttribute.localPort);
        expect(port).toBeGreaterThan(0);
        expect(pair.listener.extra(SocketAttribute.localAddress)).toBe(host);
        expect(pair.listener.extra(SocketAttribute.family)).toBe(family);
        expect(pair.listener.extra(SocketAttribute.rawSocket)).toBeDefined();
        expect(pair.listener.extra(SocketAttribute.remotePort, "none")).toBe("none");
        const { client, server } = pair;
        expect(client.extra(SocketAttribute.family)).toBe(family);
        expect(client.extra(SocketAttribute.localAddress)).toBe(host);
        expect(client.extra(SocketAttribute.remoteAddress)).toBe(host);
        expect(client.extra(SocketAttribute.remotePort)).toBe(port);
        expect(server.extra(SocketAttribute.family)).toBe(family);
        expect(server.extra(SocketAttribute.localPort)).toBe(port);
        expect(server.extra(SocketAttribute.remoteAddress)).toBe(host);
        expect(server.extra(SocketAttribute.remotePort)).toBe(client.extra(SocketAttribute.localPort));
        expect(client.extra(SocketAttribute.rawSocket)).toBeDefined();
      } finally {
        await pair.close();
      }
    }
  }));

  it("serve closes each connection when its handler returns", inRun(async () => {
    await using listener = await createTcpListener({ localHost: "127.0.0.1" });
    const port = listener.extra(SocketAttribute.localPort);
    let handled = 0;
    await taskGroup(async (tg) => {
      tg.startSoon(() =>
        listener.serve(async (client) => {
          handled++;
          await client.send(bytes("bye"));
        })
      );
      for (let i = 0; i < 3; i++) {
        await using stream = await connectTcp("127.0.0.1", port);
        expect(text(await receiveAll(stream))).toBe("bye");
      }
      tg.cancelScope.cancel();
    });
    expect(handled).toBe(3);
  }));

  it("a failing handler's error surfaces in the task group, and its connection is closed", inRun(async () => {
    await using listener = await createTcpListener({ localHost: "127.0.0.1" });
    const port = listener.extra(SocketAttribute.localPort);
    const boom = new Error("handler failed");
    const error = await caught(() =>
      taskGroup(async (tg) => {
        tg.startSoon(() =>
          listener.serve(async () => {
            throw boom;
          })
        );
        const stream = await connectTcp("127.0.0.1", port);
        try {
          // Shielded: the handler's failure cancels this body too, but the end must be seen.
          const outcome = await new CancelScope({ shield: true }).run(() => caught(() => stream.receive()));
          expect(outcome).toBeInstanceOf(EndOfStream);
        } finally {
          await stream.aclose();
        }
      })
    );
    expect(error).toBeInstanceOf(TaskGroupError);
    // As in AnyIO: serve's own task group reports the handler's error inside the outer one.
    expect(flatErrors(error)).toEqual([boom]);
  }));

  it("serve with a given task group runs the handlers there", inRun(async () => {
    await using listener = await createTcpListener({ localHost: "127.0.0.1" });
    const port = listener.extra(SocketAttribute.localPort);
    const boom = new Error("in the outer group");
    const error = await caught(() =>
      taskGroup(async (outer) => {
        outer.startSoon(() => listener.serve(() => Promise.reject(boom), outer));
        await using _stream = await connectTcp("127.0.0.1", port);
        await sleepForever(); // cancelled when the handler fails

      })
    );
    expect((error as TaskGroupError).errors).toEqual([boom]);
  }));

  it("a cancelled accept loses no connection; concurrent accepts are busy", inRun(async () => {
    await using multi = await createTcpListener({ localHost: "127.0.0.1" });
    const listener = multi.listeners[0] as SocketListener;
    const port = multi.extra(SocketAttribute.localPort);
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      tg.startSoon(() => scope.run(() => listener.accept()));
      await ioTurn();
      await expect(listener.accept()).rejects.toBeInstanceOf(BusyResourceError);
      scope.cancel();
    });
    await using client = await connectTcp("127.0.0.1", port);
    await using server = await listener.accept();
    await client.send(bytes("ok"));
    expect(text(await server.receive())).toBe("ok");
  }));

  it("closing the listener wakes a pending accept with ClosedResourceError", inRun(async () => {
    const multi = await createTcpListener({ localHost: "127.0.0.1" });
    const listener = multi.listeners[0] as SocketListener;
    let outcome: unknown;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        outcome = await caught(() => listener.accept());
      });
      await ioTurn();
      await multi.aclose();
    });
    expect(outcome).toBeInstanceOf(ClosedResourceError);
    await expect(listener.accept()).rejects.toBeInstanceOf(ClosedResourceError);
  }));

  it("listens dual-stack on one port for 127.0.0.1 and ::1 when no host is given", inRun(async () => {
    await using listener = await createTcpListener();
    expect(listener.listeners.length).toBe(2);
    const ports = listener.listeners.map((l) => l.extra(SocketAttribute.localPort));
    expect(ports[0]).toBe(ports[1]);
    const families = listener.listeners.map((l) => l.extra(SocketAttribute.family)).sort();
    expect(families).toEqual(["IPv4", "IPv6"]);
    const port = listener.extra(SocketAttribute.localPort);
    const peers: string[] = [];
    await taskGroup(async (tg) => {
      tg.startSoon(() =>
        listener.serve(async (client) => {
          peers.push(client.extra(SocketAttribute.remoteAddress));
          await client.send(bytes(client.extra(SocketAttribute.family)));
        })
      );
      for (const host of ["127.0.0.1", "::1"]) {
        await using stream = await connectTcp(host, port);
        expect(text(await receiveAll(stream))).toBe(host === "::1" ? "IPv6" : "IPv4");
      }
      tg.cancelScope.cancel();
    });
    expect(peers.sort()).toEqual(["127.0.0.1", "::1"]);
  }));

  it("listens on one family only with family 4 or 6", inRun(async () => {
    await using v4 = await createTcpListener({ family: 4, localHost: "127.0.0.1" });
    expect(v4.listeners.length).toBe(1);
    await using v6 = await createTcpListener({ localHost: "::1", family: 6 });
    expect(v6.extra(SocketAttribute.family)).toBe("IPv6");
    await expect(createTcpListener({ localHost: "::1", family: 4 })).rejects.toBeInstanceOf(RangeError);
  }));

  it("a port in use: the listener fails with the runtime's error", inRun(async () => {
    await using first = await createTcpListener({ localHost: "127.0.0.1" });
    const port = first.extra(SocketAttribute.localPort);
    await expect(createTcpListener({ localHost: "127.0.0.1", localPort: port })).rejects.toBeDefined();
  }));

  it("binds the client to localHost", inRun(async () => {
    await using listener = await createTcpListener({ localHost: "127.0.0.1" });
    const port = listener.extra(SocketAttribute.localPort);
    await using stream = await connectTcp("127.0.0.1", port, { localHost: "127.0.0.1" });
    expect(stream.extra(SocketAttribute.localAddress)).toBe("127.0.0.1");
  }));

  it("a peer that resets mid-stream gives BrokenResourceError, not a crash or a hang", inRun(async () => {
    const peer = await nodeServer("127.0.0.1", (socket) => {
      socket.on("data", (data: Uint8Array) => {
        if (text(data).includes("go")) socket.write(payload(200_000));
        if (text(data).includes("reset")) resetPeer(socket);
      });
    });
    try {
      await using stream = await connectTcp("127.0.0.1", peer.port);
      await stream.send(bytes("go"));
      expect((await stream.receive()).length).toBeGreaterThan(0); // mid-stream
      await stream.send(bytes("reset"));
      const error = await caught(async () => {
        for (let i = 0; i < 10_000; i++) {
          await stream.receive(1000);
          await ioTurn();
        }
      });
      expect(error).toBeInstanceOf(BrokenResourceError);
      expect((error as Error).cause).toBeDefined();
      await expect(stream.receive()).rejects.toBeInstanceOf(BrokenResourceError);
      await expect(stream.send(bytes("x"))).rejects.toBeInstanceOf(BrokenResourceError);
    } finally {
      await peer.close();
    }
  }));

  it("a reset while nobody reads is reported by the next receive and send", inRun(async () => {
    let resetDone = false;
    const peer = await nodeServer("127.0.0.1", (socket) => {
      socket.once("data", () => {
        resetPeer(socket);
        resetDone = true;
      });
    });
    try {
      await using stream = await connectTcp("127.0.0.1", peer.port);
      await stream.send(bytes("trigger"));
      await untilIO(() => resetDone, "the peer reset");
      const error = await caught(async () => {
        for (let i = 0; i < 1_000; i++) {
          await stream.receive();
          await ioTurn();
        }
      });
      expect(error).toBeInstanceOf(BrokenResourceError);
      await expect(stream.send(bytes("x"))).rejects.toBeInstanceOf(BrokenResourceError);
    } finally {
      await peer.close();
    }
  }));

  it("rejects bad arguments with TypeError or RangeError naming them", inRun(async () => {
    for (const port of [-1, 65536, 1.5, NaN, Infinity]) {
      const error = await caught(() => connectTcp("127.0.0.1", port));
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/port/);
    }
    expect(await caught(() => connectTcp("127.0.0.1", "80" as unknown as number))).toBeInstanceOf(TypeError);
    const empty = await caught(() => connectTcp("", 80));
    expect(empty).toBeInstanceOf(RangeError);
    expect((empty as Error).message).toMatch(/host/);
    expect(await caught(() => connectTcp(undefined as unknown as string, 80))).toBeInstanceOf(TypeError);
    const delay = await caught(() => connectTcp("127.0.0.1", 80, { happyEyeballsDelay: -1 }));
    expect(delay).toBeInstanceOf(RangeError);
    expect((delay as Error).message).toMatch(/happyEyeballsDelay/);
    expect(await caught(() => createTcpListener({ localPort: 70_000 }))).toBeInstanceOf(RangeError);
    expect(await caught(() => createTcpListener({ localHost: "127.0.0.1", backlog: -1 }))).toBeInstanceOf(RangeError);
    expect(await caught(() => createTcpListener({ family: 5 as 4 }))).toBeInstanceOf(RangeError);

    const pair = await connectedPair();
    try {
      for (const maxBytes of [0, -1, 1.5, NaN]) {
        const error = await caught(() => pair.client.receive(maxBytes));
        expect(error).toBeInstanceOf(RangeError);
        expect((error as Error).message).toMatch(/maxBytes/);
      }
      const notBytes = await caught(() => pair.client.send("text" as unknown as Uint8Array));
      expect(notBytes).toBeInstanceOf(TypeError);
      await pair.client.send(new Uint8Array(0)); // nothing to send is fine
    } finally {
      await pair.close();
    }
  }));

  it("an unresolvable host gives ConnectionFailed whose cause is the resolver's error, promptly", inRun(async () => {
    const error = await caught(() => connectTcp("anyts-test.invalid", 80));
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as ConnectionFailed).errors.length).toBe(1);
    expect((error as Error).cause).toBe((error as ConnectionFailed).errors[0]);
    expect((error as Error).message).toMatch(/anyts-test\.invalid/);
  }));

  it("a refused connection gives ConnectionFailed with the runtime's error", inRun(async () => {
    const listener = await createTcpListener({ localHost: "127.0.0.1" });
    const port = listener.extra(SocketAttribute.localPort);
    await listener.aclose();
    const error = await caught(() => connectTcp("127.0.0.1", port));
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as ConnectionFailed).errors.length).toBe(1);
  }));
});

// Cross-backend: on Deno and Bun, the native backend's client against a server on the node
// adapter (node: compatibility layer), and the other way round, in one process.
const crossPairs = backendsUnderTest()
  .filter((name) => name !== "node")
  .flatMap((name) => [[name, "node"], ["node", name]] as const);

for (const [clientBackend, serverBackend] of crossPairs) {
  describe(`TCP client on ${clientBackend} against a server on ${serverBackend}`, () => {
    it("echoes 1 MiB and half-closes", () =>
      run(async () => {
        await using listener = await createTcpListener({ localHost: "127.0.0.1" });
        const port = listener.extra(SocketAttribute.localPort);
        await taskGroup(async (tg) => {
          tg.startSoon(() =>
            listener.serve(async (client) => {
              for await (const chunk of client) await client.send(chunk);
              await client.sendEof();
            })
          );
          const data = payload(1 << 20);
          const echoed = await run(async () => {
            await using stream = await connectTcp("127.0.0.1", port);
            let received: Uint8Array = new Uint8Array();
            await taskGroup(async (inner) => {
              inner.startSoon(async () => {
                received = await receiveAll(stream);
              });
              for (let at = 0; at < data.length; at += 65536) await stream.send(data.subarray(at, at + 65536));
              await stream.sendEof();
            });
            return received;
          }, { backend: clientBackend });
          expect(sameBytes(echoed, data)).toBe(true);
          tg.cancelScope.cancel();
        });
      }, { backend: serverBackend }));
  });
}
