// A process still running when the scope it was opened in exits normally (a task group, a
// cancel scope, a spawned task, a run) is killed (killSignal, then SIGKILL after
// forceKillAfter) and reaped, and its pipes are closed, before the scope is left
// (DESIGN.md: no resource outlives the task group that owned it).
import { describe, expect, it } from "vitest";
import {
  CancelScope,
  ClosedResourceError,
  currentTime,
  EndOfStream,
  moveOnAfter,
  openProcess,
  type Process,
  run,
  runProcess,
  sleep,
  taskGroup,
} from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { currentScope } from "../../src/core/cancel-scope.ts";
import { caught, checkNoChildLeftAfterEachTest, eventually, isDead, LineReader } from "./helpers.ts";

const test = backendTests(it);
checkNoChildLeftAfterEachTest();

const quiet = { stdin: "ignore", stdout: "ignore", stderr: "ignore" } as const;

/** How many finalizers the current scope holds (resources it would clean up on exit). */
function finalizerCount(): number {
  return currentScope()._finalizers?.size ?? 0;
}

describe("a process left running when its scope exits", () => {
  test("is killed and reaped before a task group that exits normally is left", async () => {
    let child: Process | undefined;
    await taskGroup(async () => {
      child = await openProcess(["sleep", "100"], quiet);
    });
    expect(child!.returncode).toBe(-15); // reaped before the group exited, nobody waited
  });

  test("opened by a startSoon task, lives until the group's other tasks have finished", async () => {
    let child: Process | undefined;
    let runningWhenSiblingEnded: boolean | undefined;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        child = await openProcess(["sleep", "100"], quiet); // the task returns; the group owns the child
      });
      tg.startSoon(async () => {
        await sleep(50);
        runningWhenSiblingEnded = child !== undefined && child.returncode === null;
      });
    });
    expect(runningWhenSiblingEnded).toBe(true);
    expect(child!.returncode).toBe(-15);
  });

  test("is killed when the CancelScope (or moveOnAfter block) it was opened in exits", async () => {
    let child: Process | undefined;
    const result = await moveOnAfter(60_000, async () => {
      child = await openProcess(["sleep", "100"], quiet);
      return "done";
    });
    expect(result).toBe("done");
    expect(child!.returncode).toBe(-15);
  });

  test("opened in a spawned task, is killed when that task ends, before its handle settles", async () => {
    await taskGroup(async (tg) => {
      const handle = tg.spawn(async () => await openProcess(["sleep", "100"], quiet));
      const child = await handle;
      expect(child.returncode).toBe(-15);
    });
  });

  test("opened at the top level of a run, is killed when the run's function returns", async ({ backend }) => {
    const child = await run(() => openProcess(["sleep", "100"], quiet), { backend });
    expect(child.returncode).toBe(-15);
  });

  test("a child that ignores killSignal gets SIGKILL after forceKillAfter at the group's exit", async () => {
    let child: Process | undefined;
    let bodyEnded = 0;
    await taskGroup(async () => {
      child = await openProcess(["sh", "-c", "trap '' TERM; echo ready; exec sleep 100"], { forceKillAfter: 200 });
      expect(await new LineReader(child.stdout!).next()).toBe("ready");
      bodyEnded = currentTime();
    });
    expect(child!.returncode).toBe(-9);
    expect(currentTime() - bodyEnded).toBeGreaterThanOrEqual(190);
  });

  test("with processGroup, the grandchildren are gone too when the group exits", async () => {
    let grandchild = 0;
    await taskGroup(async () => {
      const child = await openProcess(["sh", "-c", "sleep 100 & echo $!; wait"], { processGroup: true });
      grandchild = Number(await new LineReader(child.stdout!).next());
    });
    await eventually(() => isDead(grandchild), "the grandchild is dead");
  });

  test("the pipes the parent left open are closed at the scope's exit, even of a child that exited", async () => {
    let done: Process | undefined;
    let running: Process | undefined;
    await new CancelScope().run(async () => {
      done = await openProcess(["sh", "-c", "echo unread"], { stderr: "ignore" });
      expect(await done.wait()).toBe(0); // reaped; its stdin and unread stdout are still open
      running = await openProcess(["cat"]);
    });
    expect(running!.returncode).toBe(-15);
    for (const child of [done!, running!]) {
      expect(await caught(child.stdout!.receive())).toBeInstanceOf(ClosedResourceError);
      expect(await caught(child.stdin!.send(new Uint8Array(1)))).toBeInstanceOf(ClosedResourceError);
    }
  });

  test("a child waited for and closed (await using, aclose, runProcess) leaves its scope nothing to do", async () => {
    await new CancelScope().run(async () => {
      {
        await using child = await openProcess(["cat"]);
        expect(finalizerCount()).toBe(1);
        await child.stdin!.sendEof();
      }
      expect(finalizerCount()).toBe(0);

      // Input ended with sendEof, output read to its end, child reaped: nothing left either.
      const child = await openProcess(["cat"]);
      await child.stdin!.send(new TextEncoder().encode("x"));
      await child.stdin!.sendEof();
      await child.stdout!.receive();
      expect(await caught(child.stdout!.receive())).toBeInstanceOf(EndOfStream);
      await child.stderr!.aclose();
      expect(await child.wait()).toBe(0);
      expect(finalizerCount()).toBe(0);

      await runProcess(["true"]);
      expect(finalizerCount()).toBe(0);
    });
  });
});
