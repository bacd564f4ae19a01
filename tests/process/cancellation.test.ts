// Cancellation of processes (DESIGN.md, I/O → Processes): killSignal, then SIGKILL after
// forceKillAfter, the child reaped, Cancelled raised; no child outlives its scope.
import process from "node:process";
import { describe, expect, it } from "vitest";
import {
  CancelScope,
  Cancelled,
  currentTime,
  moveOnAfter,
  openProcess,
  type Process,
  runProcess,
  sleep,
  sleepForever,
  taskGroup,
} from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { caught, checkNoChildLeftAfterEachTest, eventually, isDead, LineReader } from "./helpers.ts";

const test = backendTests(it);
checkNoChildLeftAfterEachTest();

const quiet = { stdin: "ignore", stdout: "ignore", stderr: "ignore" } as const;

describe("process cancellation", () => {
  test("a cancelled wait terminates `sleep 100` and reaps it within the grace period", async () => {
    await using child = await openProcess(["sleep", "100"], quiet);
    const start = currentTime();
    const scope = new CancelScope({ deadline: currentTime() + 50 });
    await scope.run(() => child.wait());
    expect(scope.cancelledCaught).toBe(true);
    expect(child.returncode).toBe(-15);
    expect(currentTime() - start).toBeLessThan(4_000); // well before forceKillAfter (5 s)
  });

  test("a child that ignores SIGTERM is SIGKILLed after forceKillAfter", async () => {
    await using child = await openProcess(["sh", "-c", "trap '' TERM; echo ready; exec sleep 100"], {
      forceKillAfter: 300,
    });
    expect(await new LineReader(child.stdout!).next()).toBe("ready");
    const start = currentTime();
    await moveOnAfter(10, () => child.wait());
    const elapsed = currentTime() - start;
    expect(child.returncode).toBe(-9);
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(5_000);
  });

  test("killSignal chooses the signal of cancellation", async () => {
    await using child = await openProcess(["sleep", "100"], { ...quiet, killSignal: "SIGINT" });
    await moveOnAfter(10, () => child.wait());
    expect(child.returncode).toBe(-2);
  });

  test("forceKillAfter: 0 sends SIGKILL right after killSignal", async () => {
    await using child = await openProcess(["sh", "-c", "trap '' TERM; echo ready; exec sleep 100"], {
      forceKillAfter: 0,
    });
    expect(await new LineReader(child.stdout!).next()).toBe("ready");
    await moveOnAfter(10, () => child.wait());
    expect(child.returncode).toBe(-9);
  });

  test("the wait raises Cancelled after the reap; several cancelled waiters share one kill", async () => {
    await using child = await openProcess(["sleep", "100"], quiet);
    const errors: unknown[] = [];
    await taskGroup(async (tg) => {
      for (let i = 0; i < 3; i++) {
        tg.startSoon(async () => {
          try {
            await child.wait();
          } catch (error) {
            errors.push(error);
            expect(child.returncode).toBe(-15); // reaped before Cancelled is raised
            throw error;
          }
        });
      }
      await sleep(20);
      tg.cancelScope.cancel();
    });
    expect(errors).toHaveLength(3);
    expect(errors.every((error) => error instanceof Cancelled)).toBe(true);
  });

  test("a process still running when its task group is cancelled is killed and reaped", async () => {
    let child: Process | undefined;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await using running = await openProcess(["sleep", "100"], quiet);
        child = running;
        await running.wait();
      });
      await sleep(20);
      tg.cancelScope.cancel();
    });
    expect(child!.returncode).toBe(-15);
  });

  test("cancelling the scope a process was opened in terminates it even if nobody waits", async () => {
    let child: Process | undefined;
    await taskGroup(async (tg) => {
      child = await openProcess(["sleep", "100"], quiet);
      tg.startSoon(sleepForever);
      await sleep(10);
      tg.cancelScope.cancel();
    });
    // Terminated in the background; its wait (outside the cancelled scope) sees the end.
    expect(await child!.wait()).toBe(-15);
  });

  test("a process opened in a shielded scope is left to its owner when the outer scope is cancelled", async () => {
    const outer = new CancelScope();
    let returncode: number | undefined;
    await outer.run(() =>
      new CancelScope({ shield: true }).run(async () => {
        const child = await openProcess(["sh", "-c", "read line"], { stdout: "ignore" });
        outer.cancel();
        await sleep(20); // the outer cancellation does not reach the child
        expect(child.returncode).toBe(null);
        await child.stdin!.aclose(); // shut down the owner's way: `read` gets end of file
        returncode = await child.wait();
      })
    );
    expect(returncode).toBe(1);
  });

  test("processGroup: cancellation kills the grandchildren too", async () => {
    await using child = await openProcess(["sh", "-c", "sleep 100 & echo $!; wait"], { processGroup: true });
    const grandchild = Number(await new LineReader(child.stdout!).next());
    await moveOnAfter(10, () => child.wait());
    expect(child.returncode).toBe(-15);
    await eventually(() => isDead(grandchild), "the grandchild is dead");
  });

  test("without processGroup a grandchild survives its parent (what processGroup is for)", async () => {
    await using child = await openProcess(["sh", "-c", "sleep 100 & echo $!; wait"]);
    const grandchild = Number(await new LineReader(child.stdout!).next());
    try {
      await moveOnAfter(10, () => child.wait());
      expect(child.returncode).toBe(-15);
      expect(isDead(grandchild)).toBe(false);
    } finally {
      process.kill(grandchild, "SIGKILL");
    }
  });

  test("processGroup: a grandchild that ignores killSignal is SIGKILLed when the grace period ends", async () => {
    const script = "(trap '' TERM; exec sleep 100) & echo $!; wait";
    await using child = await openProcess(["sh", "-c", script], { processGroup: true, forceKillAfter: 300 });
    const grandchild = Number(await new LineReader(child.stdout!).next());
    const start = currentTime();
    await moveOnAfter(10, () => child.wait());
    expect(currentTime() - start).toBeGreaterThanOrEqual(290);
    await eventually(() => isDead(grandchild), "the grandchild is dead");
  });

  test("a cancelled runProcess terminates and reaps its child, then raises Cancelled", async () => {
    const scope = new CancelScope({ deadline: currentTime() + 50 });
    let error: unknown;
    await scope.run(async () => {
      try {
        await runProcess(["sleep", "100"]);
      } catch (caughtError) {
        error = caughtError;
        throw caughtError;
      }
    });
    expect(error).toBeInstanceOf(Cancelled);
    expect(scope.cancelledCaught).toBe(true);
  });

  test("aclose in a cancelled scope kills, reaps and raises Cancelled", async () => {
    const child = await openProcess(["sleep", "100"], quiet);
    const scope = new CancelScope();
    scope.cancel();
    let error: unknown;
    await scope.run(async () => {
      error = await caught(child.aclose());
    });
    expect(error).toBeInstanceOf(Cancelled);
    expect(child.returncode).toBe(-15);
  });

  test("await using in a cancelled block: the child is reaped and the cancellation propagates as Cancelled", async () => {
    let child: Process | undefined;
    const scope = new CancelScope({ deadline: currentTime() + 30 });
    await scope.run(async () => {
      await using running = await openProcess(["sleep", "100"], quiet);
      child = running;
      await sleepForever();
    });
    expect(scope.cancelledCaught).toBe(true); // not a SuppressedError
    expect(child!.returncode).toBe(-15);
  });

  test("openProcess in an already cancelled scope raises Cancelled and starts nothing", async () => {
    const scope = new CancelScope();
    scope.cancel();
    let error: unknown;
    await scope.run(async () => {
      error = await caught(openProcess(["sleep", "100"], quiet));
    });
    expect(error).toBeInstanceOf(Cancelled);
  });

  test("a caller cancelled while the child was being spawned leaves no child behind", async () => {
    const scope = new CancelScope();
    let error: unknown;
    await scope.run(async () => {
      const opening = openProcess(["sleep", "100"], quiet);
      scope.cancel(); // during the spawn, which cannot be interrupted
      error = await caught(opening);
    });
    expect(error).toBeInstanceOf(Cancelled);
  });
});
