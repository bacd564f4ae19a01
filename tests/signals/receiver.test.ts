// openSignalReceiver and cancelOnSignals in the test process itself, with SIGUSR2 (which
// nothing else here uses), on every backend.
import process from "node:process";
import { describe, expect, it } from "vitest";
import {
  ClosedResourceError,
  failAfter,
  formatTaskTree,
  moveOnAfter,
  openSignalReceiver,
  run,
  type SignalName,
  type SignalReceiver,
  sleepForever,
  taskGroup,
} from "../../mod.ts";
import { backendsUnderTest, backendTests, waitAllTasksBlocked } from "../../testing.ts";
import { caught } from "../process/helpers.ts";

const test = backendTests(it);

/** Sends SIGUSR2 to this process and waits until `probe` has seen it (so no two coalesce). */
async function sendAndSee(probe: SignalReceiver): Promise<void> {
  process.kill(process.pid, "SIGUSR2");
  expect(await failAfter(5_000, () => probe.receive())).toBe("SIGUSR2");
}

describe("openSignalReceiver", () => {
  test("a task waiting for a signal counts as blocked, shown as SignalReceiver.receive", async () => {
    using receiver = openSignalReceiver("SIGUSR2");
    await taskGroup(async (tg) => {
      tg.startSoon({ name: "listener" }, () => receiver.receive());
      await waitAllTasksBlocked(); // returns only if the receive counts as blocked
      expect(formatTaskTree()).toMatch(/task listener #\d+: blocked in SignalReceiver\.receive/);
      process.kill(process.pid, "SIGUSR2");
    });
  });

  test("signals are queued, not coalesced, while nobody reads", async () => {
    using receiver = openSignalReceiver("SIGUSR2");
    using probe = openSignalReceiver("SIGUSR2");
    for (let i = 0; i < 3; i++) await sendAndSee(probe);
    const got: SignalName[] = [];
    for (let i = 0; i < 3; i++) got.push(await failAfter(1_000, () => receiver.receive()));
    expect(got).toEqual(["SIGUSR2", "SIGUSR2", "SIGUSR2"]);
    expect(await moveOnAfter(20, () => receiver.receive())).toBe(undefined);
  });

  test("a cancelled receive takes nothing: the signal goes to the next one", async () => {
    using receiver = openSignalReceiver("SIGUSR2");
    using probe = openSignalReceiver("SIGUSR2");
    expect(await moveOnAfter(10, () => receiver.receive())).toBe(undefined);
    await sendAndSee(probe);
    expect(await failAfter(1_000, () => receiver.receive())).toBe("SIGUSR2");
  });

  test("several waiting tasks get one signal each, first come first served", async () => {
    using receiver = openSignalReceiver("SIGUSR2");
    using probe = openSignalReceiver("SIGUSR2");
    const order: string[] = [];
    await taskGroup(async (tg) => {
      tg.startSoon(async () => order.push(`a:${await receiver.receive()}`));
      tg.startSoon(async () => order.push(`b:${await receiver.receive()}`));
      await sendAndSee(probe);
      await sendAndSee(probe);
    });
    expect(order).toEqual(["a:SIGUSR2", "b:SIGUSR2"]);
  });

  test("async iteration ends when the receiver is closed; receive after close is a ClosedResourceError", async () => {
    const receiver = openSignalReceiver("SIGUSR2", "SIGUSR2");
    expect(receiver.signals).toEqual(["SIGUSR2"]);
    using probe = openSignalReceiver("SIGUSR2");
    const seen: SignalName[] = [];
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        for await (const signal of receiver) {
          seen.push(signal);
          receiver.close();
        }
        seen.push("SIGHUP"); // marks the end of the loop
      });
      await sendAndSee(probe);
    });
    expect(seen).toEqual(["SIGUSR2", "SIGHUP"]);
    expect(await caught(receiver.receive())).toBeInstanceOf(ClosedResourceError);
    receiver.close(); // idempotent
  });

  test("a receive waiting in another task ends when the receiver closes", async () => {
    const receiver = openSignalReceiver("SIGUSR2");
    await taskGroup(async (tg) => {
      const waiting = caught(receiver.receive());
      tg.startSoon(() => receiver[Symbol.dispose]());
      expect(await waiting).toBeInstanceOf(ClosedResourceError);
    });
  });

  test("bad signal lists are TypeErrors naming the argument", async () => {
    expect(() => (openSignalReceiver as () => void)()).toThrow(/give at least one signal/);
    expect(() => openSignalReceiver("SIGFOO" as SignalName)).toThrow(/signals\[0\] must be a signal name such as "SIGTERM", got "SIGFOO"/);
    expect(() => openSignalReceiver("SIGINT", "usr1" as SignalName)).toThrow(/signals\[1\].*did you mean "SIGUSR1"/);
    expect(() => openSignalReceiver(2 as unknown as SignalName)).toThrow(TypeError);
    expect(() => openSignalReceiver("SIGKILL")).toThrow(/SIGKILL cannot be caught/);
    expect(() => openSignalReceiver("SIGSTOP")).toThrow(/SIGSTOP cannot be caught/);
  });
});

describe.each(backendsUnderTest())("run(fn, { cancelOnSignals }) on %s", (backend) => {
  it("the first signal cancels the root scope; run rejects with an Error naming it", async () => {
    let finallyRan = false;
    const error = await caught(run(async () => {
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          try {
            await sleepForever();
          } finally {
            finallyRan = true;
          }
        });
        process.kill(process.pid, "SIGUSR2");
        await sleepForever();
      });
    }, { backend, cancelOnSignals: ["SIGUSR2"] }));
    expect(error.constructor).toBe(Error);
    expect(error.message).toBe("SIGUSR2 received: the run was cancelled");
    expect(finallyRan).toBe(true);
  });

  it("the run's own AbortSignal still cancels it", async () => {
    const controller = new AbortController();
    const reason = new Error("stopped by hand");
    const error = await caught(run(async () => {
      controller.abort(reason);
      await sleepForever();
    }, { backend, cancelOnSignals: ["SIGUSR2"], signal: controller.signal }));
    expect(error).toBe(reason);
  });

  it("bad cancelOnSignals are TypeErrors", async () => {
    const fn = async () => {};
    expect(await caught(run(fn, { backend, cancelOnSignals: ["SIGNOPE" as SignalName] }))).toBeInstanceOf(TypeError);
    expect((await caught(run(fn, { backend, cancelOnSignals: "SIGINT" as unknown as SignalName[] }))).message)
      .toContain("cancelOnSignals must be an array");
    expect((await caught(run(fn, { backend, cancelOnSignals: ["SIGKILL"] }))).message).toContain("cannot be caught");
  });
});
