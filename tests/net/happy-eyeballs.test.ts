// Happy eyeballs on loopback: the attempt that should hang connects to a listener whose
// process never accepts and whose backlog is full (see stalledListener), so its SYNs are
// dropped; that is the only way to make a connection attempt hang on loopback.
import { describe, expect, it } from "vitest";
import {
  type Backend,
  connectTcp,
  ConnectionFailed,
  createTcpListener,
  currentTime,
  moveOnAfter,
  run,
  SocketAttribute,
} from "../../mod.ts";
import { currentScope } from "../../src/core/cancel-scope.ts";
import { happyEyeballs, interleaveFamilies } from "../../src/net/happy-eyeballs.ts";
import { backendsUnderTest } from "../../testing.ts";
import { caught, stalledListener } from "./helpers.ts";

/** Runs `fn` with the current backend's connectTcp spied on: each call's address and signal. */
async function withConnectSpy<T>(
  fn: (calls: Array<{ address: string; signal: AbortSignal }>) => Promise<T>,
): Promise<T> {
  const scope = currentScope();
  const original: Backend = scope._backend;
  const calls: Array<{ address: string; signal: AbortSignal }> = [];
  scope._backend = {
    ...original,
    connectTcp(address, port, options) {
      calls.push({ address, signal: options.signal });
      return original.connectTcp(address, port, options);
    },
  };
  try {
    return await fn(calls);
  } finally {
    scope._backend = original;
  }
}

/** A listener on 127.0.0.1 and a stalled one on ::1, on the same port. */
async function liveAndStalled() {
  for (let attempt = 0;; attempt++) {
    const live = await createTcpListener({ localHost: "127.0.0.1" });
    const port = live.extra(SocketAttribute.localPort);
    try {
      const stalled = await stalledListener("::1", port);
      await stalled.fill();
      return { live, stalled, port };
    } catch (error) {
      await live.aclose();
      if (attempt === 4) throw error; // the port was taken on ::1: try another
    }
  }
}

describe("interleaveFamilies", () => {
  const v6 = (n: number) => ({ address: `2001:db8::${n}`, family: 6 as const });
  const v4 = (n: number) => ({ address: `192.0.2.${n}`, family: 4 as const });

  it("keeps the resolver's first address first and alternates the families after it", () => {
    expect(interleaveFamilies([v6(1), v6(2), v6(3), v4(1), v4(2)])).toEqual([v6(1), v4(1), v6(2), v4(2), v6(3)]);
    expect(interleaveFamilies([v4(1), v4(2), v6(1)])).toEqual([v4(1), v6(1), v4(2)]);
  });

  it("leaves a single family and short lists in the resolver's order", () => {
    expect(interleaveFamilies([v4(3), v4(1), v4(2)])).toEqual([v4(3), v4(1), v4(2)]);
    expect(interleaveFamilies([v4(1), v6(1)])).toEqual([v4(1), v6(1)]);
    expect(interleaveFamilies([])).toEqual([]);
  });
});

describe.each(backendsUnderTest())("happy eyeballs on %s", (backend) => {
  const inRun = (fn: () => Promise<void>) => () => run(fn, { backend });

  it("::1 first but hanging: the 127.0.0.1 attempt starts after the delay and wins; the hanging one is cancelled", inRun(async () => {
    const { live, stalled, port } = await liveAndStalled();
    try {
      await withConnectSpy(async (calls) => {
        const delay = 100;
        const start = currentTime();
        const socket = await happyEyeballs(
          [{ address: "::1", family: 6 }, { address: "127.0.0.1", family: 4 }],
          port,
          { delay },
        );
        const elapsed = currentTime() - start;
        try {
          expect(socket.info.remoteAddress).toBe("127.0.0.1");
          expect(elapsed).toBeGreaterThanOrEqual(delay - 2); // staggered, not at once
          expect(elapsed).toBeLessThan(1_000); // not after the ::1 attempt's SYN retry
          expect(calls.map((call) => call.address)).toEqual(["::1", "127.0.0.1"]);
          expect(calls[0]!.signal.aborted).toBe(true); // the loser was cancelled
          expect(calls[1]!.signal.aborted).toBe(false); // the winner is left alone
        } finally {
          socket.close();
        }
      });
    } finally {
      stalled.close();
      await live.aclose();
    }
  }));

  it("a failing attempt starts the next one at once, without waiting for the delay", inRun(async () => {
    await using live = await createTcpListener({ localHost: "127.0.0.1" });
    const port = live.extra(SocketAttribute.localPort);
    // Nothing listens on [::1]:port (the listener is IPv4 only): refused at once.
    const start = currentTime();
    const socket = await happyEyeballs(
      [{ address: "::1", family: 6 }, { address: "127.0.0.1", family: 4 }],
      port,
      { delay: 5_000 },
    );
    socket.close();
    expect(socket.info.remoteAddress).toBe("127.0.0.1");
    expect(currentTime() - start).toBeLessThan(1_000);
  }));

  it("every attempt failing gives ConnectionFailed with every error, in order", inRun(async () => {
    const listener = await createTcpListener({ localHost: "127.0.0.1" });
    const port = listener.extra(SocketAttribute.localPort);
    await listener.aclose();
    const error = await caught(() =>
      happyEyeballs([{ address: "::1", family: 6 }, { address: "127.0.0.1", family: 4 }], port, {
        delay: 5_000,
        host: "both",
      })
    );
    expect(error).toBeInstanceOf(ConnectionFailed);
    const errors = (error as ConnectionFailed).errors as Array<Error & { address?: string }>;
    expect(errors.length).toBe(2);
    expect((error as Error).cause).toBeInstanceOf(AggregateError);
    expect((error as Error).message).toMatch(/both/);
    // Portable errors name their address on every backend: the ::1 attempt failed first.
    expect(errors.map((e) => e.address)).toEqual([`[::1]:${port}`, `127.0.0.1:${port}`]);
    for (const e of errors) expect((e as { code?: string }).code).toBe("ECONNREFUSED");
  }));

  it("connectTcp to a name that resolves to 127.0.0.1 only connects there", inRun(async () => {
    await using live = await createTcpListener({ localHost: "127.0.0.1" });
    const port = live.extra(SocketAttribute.localPort);
    await using stream = await connectTcp("localhost", port, { happyEyeballsDelay: 0 });
    expect(stream.extra(SocketAttribute.remoteAddress)).toBe("127.0.0.1");
  }));

  it("cancelling the caller cancels a hanging attempt, and nothing is left behind", inRun(async () => {
    const { live, stalled, port } = await liveAndStalled();
    try {
      await withConnectSpy(async (calls) => {
        const start = currentTime();
        const result = await moveOnAfter(50, () => connectTcp("::1", port));
        expect(result).toBeUndefined();
        expect(currentTime() - start).toBeLessThan(1_000);
        expect(calls.length).toBe(1);
        expect(calls[0]!.signal.aborted).toBe(true);
      });
    } finally {
      stalled.close();
      await live.aclose();
    }
  }));
});
