import { describe, expect, it } from "vitest";
import {
  CancelScope,
  connectTcp,
  createTcpListener,
  currentTime,
  EndOfStream,
  Event,
  failAfter,
  moveOnAfter,
  run,
  sleep,
  sleepForever,
  sleepUntil,
  type SocketStream,
  taskGroup,
  TimeoutError,
} from "../../mod.ts";
import { backendTests, MockClock, waitAllTasksBlocked } from "../../testing.ts";

describe("MockClock", () => {
  backendTests(it)("with autojump, a 1-hour sleep finishes in well under a second of real time", async ({ backend }) => {
    const clock = new MockClock({ autojumpThreshold: 0 });
    const realStart = performance.now();
    const elapsed = await run(async () => {
      const start = currentTime();
      await sleep(60 * 60_000);
      return currentTime() - start;
    }, { clock, backend });
    expect(elapsed).toBe(60 * 60_000);
    expect(performance.now() - realStart).toBeLessThan(1_000);
  });

  backendTests(it)("without autojump, virtual time advances only by jump()", async ({ backend }) => {
    const clock = new MockClock();
    await run(async () => {
      expect(currentTime()).toBe(0);
      let woke = false;
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          await sleep(1_000);
          woke = true;
        });
        await sleep(0); // a real turn of the event loop: virtual time stands still
        await waitAllTasksBlocked(5);
        expect(currentTime()).toBe(0);
        expect(woke).toBe(false);
        clock.jump(999);
        await waitAllTasksBlocked();
        expect(woke).toBe(false);
        clock.jump(1);
        expect(currentTime()).toBe(1_000);
      });
      expect(woke).toBe(true);
    }, { clock, backend });
  });

  it("deadlines fire in deadline order under virtual time, ties first in first out", async () => {
    const clock = new MockClock({ autojumpThreshold: 0 });
    const order = await run(async () => {
      const fired: string[] = [];
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          await sleep(300);
          fired.push("sleep 300");
        });
        tg.startSoon(async () => {
          await moveOnAfter(100, sleepForever);
          fired.push(`scope 100 at ${currentTime()}`);
        });
        tg.startSoon(async () => {
          await sleepUntil(200);
          fired.push("until 200 a");
        });
        tg.startSoon(async () => {
          await sleepUntil(200);
          fired.push("until 200 b");
        });
        tg.startSoon(async () => {
          const error = await failAfter(250, sleepForever).catch((e) => e);
          fired.push(`${(error as Error).name} at ${currentTime()}`);
        });
      });
      return fired;
    }, { clock });
    expect(order).toEqual(["scope 100 at 100", "until 200 a", "until 200 b", "TimeoutError at 250", "sleep 300"]);
  });

  it("a scope's deadline set while the clock is virtual follows virtual time", async () => {
    const clock = new MockClock();
    await run(async () => {
      const scope = new CancelScope();
      await taskGroup(async (tg) => {
        tg.startSoon(() => scope.run(sleepForever));
        await waitAllTasksBlocked();
        scope.deadline = currentTime() + 60_000;
        clock.jump(59_999);
        expect(scope.cancelCalled).toBe(false);
        scope.deadline += 1_000; // moved later
        clock.jump(1);
        expect(scope.cancelCalled).toBe(false);
        clock.jump(1_000);
        expect(scope.cancelCalled).toBe(true);
      });
      expect(scope.cancelledCaught).toBe(true);
    }, { clock });
  });

  it("rate: virtual time runs at a multiple of real time; rate 0 stops it", async () => {
    const clock = new MockClock({ rate: 1_000 });
    await run(async () => {
      const realStart = performance.now();
      await sleep(5_000); // 5 real ms
      expect(currentTime()).toBeGreaterThanOrEqual(5_000);
      expect(performance.now() - realStart).toBeLessThan(1_000);
      clock.rate = 0;
      const frozen = currentTime();
      await sleep(0);
      expect(currentTime()).toBe(frozen);
    }, { clock });
  });

  it("only the run given the clock follows it", async () => {
    const clock = new MockClock({ autojumpThreshold: 0 });
    const outside = currentTime();
    await run(async () => {
      expect(currentTime()).toBe(0);
      await Promise.all([
        sleep(10_000),
        run(async () => {
          expect(currentTime()).toBeGreaterThanOrEqual(outside); // real time in the other run
        }),
      ]);
    }, { clock });
  });

  backendTests(it)("a server's 30-minute idle timeout over real loopback finishes in real milliseconds", async ({ backend }) => {
    const clock = new MockClock({ autojumpThreshold: 20 });
    const realStart = performance.now();
    const log = await run(async () => {
      const events: string[] = [];
      await using listener = await createTcpListener({ localHost: "127.0.0.1" });
      const port = listener.listeners[0]!.extra((await import("../../mod.ts")).SocketAttribute.localPort);
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          await listener.serve(async (stream: SocketStream) => {
            const idleTimeout = 30 * 60_000;
            for (;;) {
              const chunk = await moveOnAfter(idleTimeout, () => stream.receive());
              if (chunk === undefined) {
                events.push(`server: idle for ${currentTime() / 60_000} min, closing`);
                await stream.aclose();
                return;
              }
              await stream.send(chunk);
            }
          });
        });
        await using client = await connectTcp("127.0.0.1", port);
        await client.send(new TextEncoder().encode("ping"));
        events.push(`client: ${new TextDecoder().decode(await client.receive())}`);
        const end = await client.receive().catch((e) => e);
        events.push(`client: ${end instanceof EndOfStream ? "end of stream" : String(end)} at ${currentTime() / 60_000} min`);
        tg.cancelScope.cancel();
      });
      return events;
    }, { clock, backend });
    expect(log).toEqual(["client: ping", "server: idle for 30 min, closing", "client: end of stream at 30 min"]);
    expect(performance.now() - realStart).toBeLessThan(5_000);
  });

  describe("bad input", () => {
    it("jump: NaN, negative and non-numbers", () => {
      const clock = new MockClock();
      expect(() => clock.jump(Number.NaN)).toThrow(RangeError);
      expect(() => clock.jump(-1)).toThrow(/jump: ms must be a non-negative number/);
      expect(() => clock.jump("1" as never)).toThrow(TypeError);
      expect(clock.currentTime()).toBe(0);
    });

    it("rate and autojumpThreshold", () => {
      expect(() => new MockClock({ rate: -1 })).toThrow(/rate must be a finite number >= 0/);
      expect(() => new MockClock({ rate: Infinity })).toThrow(RangeError);
      expect(() => new MockClock({ autojumpThreshold: Number.NaN })).toThrow(/autojumpThreshold must be a number >= 0/);
      const clock = new MockClock();
      expect(() => (clock.rate = Number.NaN)).toThrow(RangeError);
      clock.autojumpThreshold = 0;
      expect(clock.autojumpThreshold).toBe(0);
    });

    it("a clock shared by two runs at once is an error; after the first ends it can be reused", async () => {
      const clock = new MockClock();
      const release = new Event();
      const started = new Event();
      await run(async () => {
        await taskGroup(async (tg) => {
          tg.startSoon(() =>
            run(async () => {
              started.set();
              await release.wait();
            }, { clock })
          );
          await started.wait();
          await expect(run(async () => {}, { clock })).rejects.toThrow(/already used by another run/);
          release.set();
        });
      });
      await run(async () => expect(currentTime()).toBe(0), { clock });
    });
  });

  it("the clock of a failAfter timeout inside the run is virtual too", async () => {
    const clock = new MockClock({ autojumpThreshold: 0 });
    const error = await run(() => failAfter(24 * 3_600_000, sleepForever), { clock }).catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toBe(`timed out after ${24 * 3_600_000} ms`);
  });
});

describe("backendTests with a clock", () => {
  backendTests(it, { clock: () => new MockClock({ autojumpThreshold: 0 }) })(
    "runs each body in virtual time and hands it the clock",
    async ({ clock }) => {
      expect(clock).toBeInstanceOf(MockClock);
      await sleep(3_600_000);
      expect(currentTime()).toBe(3_600_000);
    },
  );
});
