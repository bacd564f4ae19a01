// The accept loop of serve (issue 13, part 3) in virtual time, over a scripted raw
// listener: out of descriptors or buffers it sleeps 100 ms (the core's sleep, so a
// MockClock drives it) and accepts again; a connection that died on the way in is skipped
// at once; any other error ends serve with it; listener.accept() itself still raises. The
// real faults (a child runtime out of descriptors, clients that reset) are in
// accept-faults.test.ts.
import { describe, expect, it } from "vitest";
import {
  ClosedResourceError,
  connectTcp,
  createTcpListener,
  currentTime,
  moveOnAfter,
  sleepForever,
  SocketAttribute,
  SocketListener,
  taskGroup,
} from "../../mod.ts";
import type { RawListener, RawSocket } from "../../src/backend/index.ts";
import { backendTests, MockClock } from "../../testing.ts";
import { until } from "../helpers.ts";
import { caught } from "../process/helpers.ts";

/** The part of a node:net Server these tests use. */
interface NodeServer {
  emit(event: "error", error: Error): boolean;
}

const virtual = backendTests(it, { clock: () => new MockClock({ autojumpThreshold: 0 }) });

function osError(code: string): Error & { code: string } {
  return Object.assign(new Error(`accept failed: ${code}`), { code, syscall: "accept" });
}

/**
 * A raw listener whose accepts fail with `failures`, in order, then wait forever; records
 * the (virtual) time of every accept.
 */
function scripted(failures: unknown[]): RawListener & { times: number[] } {
  const times: number[] = [];
  let closed = false;
  let rejectPending: ((error: unknown) => void) | undefined;
  return {
    times,
    info: { family: "IPv4", localAddress: "127.0.0.1", localPort: 9 },
    raw: null,
    accept(): Promise<RawSocket> {
      times.push(currentTime());
      if (closed) return Promise.reject(new Error("closed"));
      const failure = failures.shift();
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise((_resolve, reject) => (rejectPending = reject));
    },
    close(): void {
      closed = true;
      rejectPending?.(new Error("closed"));
    },
  };
}

const noHandler = (): void => {
  throw new Error("no connection was expected");
};

describe("serve's accept loop", () => {
  for (const code of ["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM"]) {
    virtual(`${code} three times: serve sleeps 100 ms after each, then accepts again`, async () => {
      const raw = scripted([osError(code), osError(code), osError(code)]);
      await using listener = new SocketListener(raw);
      const start = currentTime();
      await moveOnAfter(1_000, () => listener.serve(noHandler));
      expect(raw.times.map((time) => time - start)).toEqual([0, 100, 200, 300]);
    });
  }

  for (const code of ["ECONNABORTED", "ECONNRESET", "EPROTO", "ENOTCONN", "ETIMEDOUT", "EHOSTUNREACH"]) {
    virtual(`${code} (a connection that died before it was accepted) is skipped at once`, async () => {
      const raw = scripted([osError(code), osError(code)]);
      await using listener = new SocketListener(raw);
      const start = currentTime();
      await moveOnAfter(1_000, () => listener.serve(noHandler));
      expect(raw.times.map((time) => time - start)).toEqual([0, 0, 0]);
    });
  }

  virtual("any other accept error ends serve with that error", async () => {
    for (const failure of [osError("EINVAL"), osError("EBADF"), new Error("no code")]) {
      await using listener = new SocketListener(scripted([osError("EMFILE"), failure]));
      // serve's own task group reports it (as every error of a task).
      const error = (await caught(listener.serve(noHandler))) as Error & { errors?: unknown[] };
      expect(error.errors).toEqual([failure]);
      expect(error.errors![0]).toBe(failure);
    }
  });

  virtual("accept() itself raises EMFILE (only serve retries)", async () => {
    await using listener = new SocketListener(scripted([osError("EMFILE")]));
    const error = await caught(listener.accept());
    expect(error.code).toBe("EMFILE");
  });

  virtual("a cancellation during the retry sleep ends serve at once; closing the listener ends it too", async () => {
    const raw = scripted(Array.from({ length: 100 }, () => osError("EMFILE")));
    await using listener = new SocketListener(raw);
    const start = currentTime();
    await moveOnAfter(250, () => listener.serve(noHandler));
    expect(currentTime() - start).toBe(250);
    expect(raw.times.length).toBe(3);
    await listener.aclose();
    const error = (await caught(listener.serve(noHandler))) as Error & { errors?: unknown[] };
    expect(error.errors?.[0]).toBeInstanceOf(ClosedResourceError);
  });
});

describe("the node backend's accept errors", () => {
  const onNode = backendTests(it, { backends: ["node"] });
  // libuv reports EMFILE only when its reserve descriptor is gone (it handles the rest
  // itself), as an 'error' event of the net.Server, which goes on listening: emitted here
  // as libuv would.
  onNode("an EMFILE 'error' of the net.Server fails the pending accept (portable), not the later ones; serve goes on", async () => {
    await using listener = await createTcpListener({ localHost: "127.0.0.1" });
    const port = listener.extra(SocketAttribute.localPort);
    const server = listener.extra(SocketAttribute.rawSocket) as NodeServer;
    const emfile = () => Object.assign(new Error("accept EMFILE"), { code: "EMFILE", errno: -24, syscall: "accept" });
    const single = listener.listeners[0] as SocketListener;
    const pending = caught(single.accept());
    server.emit("error", emfile());
    const error = await pending;
    expect(error.code).toBe("EMFILE");
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect((error as { cause?: unknown }).cause).toBeInstanceOf(Error);
    const served: string[] = [];
    await moveOnAfter(10_000, () =>
      taskGroup(async (tg) => {
        tg.startSoon(() =>
          listener.serve(async (client) => {
            served.push(new TextDecoder().decode(await client.receive()));
            tg.cancelScope.cancel();
          })
        );
        await until(() => true, "serve started");
        server.emit("error", emfile()); // serve's accept fails: it waits 100 ms
        await using client = await connectTcp("127.0.0.1", port);
        await client.send(new TextEncoder().encode("still serving"));
        await sleepForever();
      })
    );
    expect(served).toEqual(["still serving"]);
  });
});
