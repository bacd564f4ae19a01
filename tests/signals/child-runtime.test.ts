// OS signals delivered to a child runtime (this runtime's own binary running a fixture
// on the backend under test): openSignalReceiver, and run(fn, { cancelOnSignals }).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openProcess, type Process, type ProcessReceiveStream } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { checkNoChildLeftAfterEachTest, fixture, LineReader, runtimeCommand } from "../process/helpers.ts";

const test = backendTests(it);
checkNoChildLeftAfterEachTest();

const dir = mkdtempSync(join(tmpdir(), "anyts-signals-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the child printed on stderr, for failure messages. */
async function drain(stream: ProcessReceiveStream | null, into: string[]): Promise<void> {
  if (stream === null) return;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of stream) into.push(decoder.decode(chunk, { stream: true }));
  } catch {
    // closed
  }
}

async function withChild(
  script: string,
  args: string[],
  body: (child: Process, lines: LineReader) => Promise<void>,
): Promise<void> {
  await using child = await openProcess(runtimeCommand(fixture(script), args), { stdin: "ignore", forceKillAfter: 1_000 });
  const stderr: string[] = [];
  const draining = drain(child.stderr, stderr);
  const lines = new LineReader(child.stdout!);
  try {
    await body(child, lines);
  } catch (error) {
    child.kill();
    await child.wait();
    await draining;
    throw new Error(`${(error as Error).message}\nchild stdout: ${JSON.stringify(lines.lines)}\nchild stderr: ${stderr.join("")}`, {
      cause: error,
    });
  }
  await draining;
}

describe("signals in a child runtime", () => {
  test("openSignalReceiver: SIGUSR1 twice and SIGTERM, each printed; closing restores SIGTERM's default", async ({ backend }) => {
    await withChild("signal-receiver.ts", [backend], async (child, lines) => {
      await lines.until("ready");
      child.sendSignal("SIGUSR1");
      expect(await lines.next()).toBe("SIGUSR1");
      child.sendSignal("SIGUSR1");
      expect(await lines.next()).toBe("SIGUSR1");
      child.sendSignal("SIGTERM");
      expect(await lines.next()).toBe("SIGTERM");
      expect(await lines.next()).toBe("closed");
      expect(child.returncode).toBe(null); // the receiver kept it alive; the timer keeps it now
      child.sendSignal("SIGTERM"); // the default action again: the child dies of it
      expect(await child.wait()).toBe(-15);
    });
  }, 60_000);

  test("cancelOnSignals: SIGINT cancels the run, every finally runs, run rejects naming SIGINT", async ({ backend }) => {
    const path = join(dir, `cancel-${backend}.txt`);
    await withChild("cancel-on-signals.ts", [backend, path], async (child, lines) => {
      await lines.until("ready");
      child.sendSignal("SIGINT");
      const rest = await lines.rest();
      expect(rest.slice(0, 2).sort()).toEqual(["file closed", "socket closed"]);
      expect(rest.slice(2)).toEqual(["run rejected: Error: SIGINT received: the run was cancelled"]);
      expect(await child.wait()).toBe(0);
      expect(readFileSync(path, "utf8")).toBe("opened\nfinally ran\n");
    });
  }, 60_000);

  test("cancelOnSignals: SIGTERM works the same", async ({ backend }) => {
    const path = join(dir, `term-${backend}.txt`);
    await withChild("cancel-on-signals.ts", [backend, path], async (child, lines) => {
      await lines.until("ready");
      child.sendSignal("SIGTERM");
      const rest = await lines.rest();
      expect(rest.at(-1)).toBe("run rejected: Error: SIGTERM received: the run was cancelled");
      expect(await child.wait()).toBe(0);
    });
  }, 60_000);

  test("cancelOnSignals: a second SIGINT ends the process at once with exit code 130", async ({ backend }) => {
    await withChild("second-signal.ts", [backend], async (child, lines) => {
      await lines.until("ready");
      child.sendSignal("SIGINT");
      expect(await lines.next()).toBe("cleaning up");
      child.sendSignal("SIGINT");
      expect(await child.wait()).toBe(130);
      expect(await lines.rest()).toEqual([]);
    });
  }, 60_000);

  test("cancelOnSignals: SIGINT then SIGTERM ends it with 143", async ({ backend }) => {
    await withChild("second-signal.ts", [backend], async (child, lines) => {
      await lines.until("ready");
      child.sendSignal("SIGINT");
      expect(await lines.next()).toBe("cleaning up");
      child.sendSignal("SIGTERM");
      expect(await child.wait()).toBe(143);
    });
  }, 60_000);
});
