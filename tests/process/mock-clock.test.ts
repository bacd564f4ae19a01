// Processes under a MockClock and in the task tree: every wait of src/process counts its
// task as blocked (autojump, waitAllTasksBlocked) with a label (formatTaskTree), and every
// timer of the kill sequence (forceKillAfter, the process group's grace period) follows
// the run's clock.
import { describe, expect, it } from "vitest";
import {
  CancelScope,
  currentTime,
  EndOfStream,
  formatTaskTree,
  moveOnAfter,
  openProcess,
  type Process,
  type ProcessReceiveStream,
  taskGroup,
} from "../../mod.ts";
import { backendTests, MockClock, waitAllTasksBlocked } from "../../testing.ts";
import { checkNoChildLeftAfterEachTest, eventually, isDead } from "./helpers.ts";

checkNoChildLeftAfterEachTest();

const HOUR = 3_600_000;
const test = backendTests(it);
/** Autojump as soon as every task is blocked. */
const autojumping = backendTests(it, { clock: () => new MockClock({ autojumpThreshold: 0 }) });

/**
 * One line of a child's output, read without a deadline (under autojump a pending deadline
 * would be jumped to while the child is still starting).
 */
async function readLine(stream: ProcessReceiveStream): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  while (!text.includes("\n")) {
    try {
      text += decoder.decode(await stream.receive(), { stream: true });
    } catch (error) {
      if (error instanceof EndOfStream) throw new Error(`the child ended its output after ${JSON.stringify(text)}`);
      throw error;
    }
  }
  return text.slice(0, text.indexOf("\n"));
}

const ignoresTerm = ["sh", "-c", "trap '' TERM; echo ready; exec sleep 100"];

describe("processes and the MockClock", () => {
  autojumping("a task waiting only on a child's stdout lets autojump reach a pending deadline", async () => {
    await using child = await openProcess(["cat"], { stderr: "ignore" }); // writes nothing until fed
    const start = currentTime();
    const realStart = performance.now();
    const scope = new CancelScope({ deadline: currentTime() + HOUR });
    await scope.run(() => child.stdout!.receive());
    expect(scope.cancelledCaught).toBe(true);
    expect(currentTime() - start).toBeGreaterThanOrEqual(HOUR);
    expect(performance.now() - realStart).toBeLessThan(1_000);
    await child.stdin!.aclose(); // cat exits
  });

  autojumping("a child ignoring SIGTERM gets SIGKILL after a virtual forceKillAfter of an hour", async () => {
    await using child = await openProcess(ignoresTerm, { forceKillAfter: HOUR, stdin: "ignore" });
    expect(await readLine(child.stdout!)).toBe("ready"); // the trap is set
    const start = currentTime();
    const realStart = performance.now();
    await moveOnAfter(10, () => child.wait());
    expect(child.returncode).toBe(-9);
    expect(currentTime() - start).toBeGreaterThanOrEqual(10 + HOUR);
    expect(performance.now() - realStart).toBeLessThan(1_000);
  });

  autojumping("children left running at a group's exit are SIGKILLed after one virtual grace period, all at once", async () => {
    const children: Process[] = [];
    let bodyEnded = 0;
    const realStart = performance.now();
    await taskGroup(async () => {
      for (let i = 0; i < 3; i++) {
        const child = await openProcess(ignoresTerm, { forceKillAfter: HOUR, stdin: "ignore" });
        children.push(child);
        expect(await readLine(child.stdout!)).toBe("ready");
      }
      bodyEnded = currentTime();
    });
    expect(children.map((child) => child.returncode)).toEqual([-9, -9, -9]);
    const elapsed = currentTime() - bodyEnded;
    expect(elapsed).toBeGreaterThanOrEqual(HOUR);
    expect(elapsed).toBeLessThan(2 * HOUR); // concurrent cleanups: one grace period, not three
    expect(performance.now() - realStart).toBeLessThan(3_000);
  });

  backendTests(it, { clock: () => new MockClock({ autojumpThreshold: 100 }) })(
    "processGroup: a grandchild ignoring SIGTERM is SIGKILLed at the end of a virtual grace period",
    async () => {
      // The leader dies of SIGTERM; the grandchild's group is then watched in real time until
      // the grace period (virtual, autojumped once everything waits) ends.
      const script = "(trap '' TERM; exec sleep 100) & echo $!; wait";
      await using child = await openProcess(["sh", "-c", script], { processGroup: true, forceKillAfter: HOUR, stdin: "ignore" });
      const grandchild = Number(await readLine(child.stdout!));
      const start = currentTime();
      const realStart = performance.now();
      await moveOnAfter(10, () => child.wait());
      expect(currentTime() - start).toBeGreaterThanOrEqual(10 + HOUR);
      expect(performance.now() - realStart).toBeLessThan(5_000);
      await eventually(() => isDead(grandchild), "the grandchild is dead");
    },
  );
});

describe("processes in the task tree", () => {
  test("formatTaskTree shows what tasks are blocked in: Process.wait, the pipes", async () => {
    await using child = await openProcess(["cat"], { stderr: "ignore" });
    await taskGroup(async (tg) => {
      tg.startSoon({ name: "waiter" }, () => child.wait());
      tg.startSoon({ name: "reader" }, () => child.stdout!.receive());
      await waitAllTasksBlocked(); // returns only if both waits count as blocked
      const tree = formatTaskTree();
      expect(tree).toMatch(/task waiter #\d+: blocked in Process\.wait\n/);
      expect(tree).toMatch(/task reader #\d+: blocked in ProcessReceiveStream\.receive \(stdout\)/);
      await child.stdin!.send(new TextEncoder().encode("x")); // the reader gets it
      await child.stdin!.aclose(); // cat exits: the waiter returns
    });
  });

  test("formatTaskTree shows a cancelled wait's kill sequence as Process.wait (terminating)", async () => {
    await using child = await openProcess(ignoresTerm, { stdin: "ignore" });
    expect(await readLine(child.stdout!)).toBe("ready");
    await taskGroup(async (tg) => {
      const waiter = tg.spawn({ name: "waiter" }, () => child.wait());
      await waitAllTasksBlocked();
      waiter.cancel();
      await waitAllTasksBlocked();
      expect(formatTaskTree()).toMatch(/task waiter #\d+ \(cancelled\): blocked in Process\.wait \(terminating\)/);
      child.kill();
    });
    expect(child.returncode).toBe(-9);
  });
});
