// toProcess.run: the contract of toWorker.run in child processes of the same runtime.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokenWorkerError, CancelScope, Cancelled, detectRuntime, taskGroup, toProcess } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { eventually, expectNoWorkersLeft, FIXTURE_TIMEOUT, fixture, processExists, runScript } from "./helpers.ts";

const test = backendTests(it);
let work: URL;
let processWork: URL;

beforeAll(async () => {
  work = await fixture("work.ts");
  processWork = await fixture("process-work.ts");
}, FIXTURE_TIMEOUT);
afterAll(expectNoWorkersLeft);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

/** Runs `call` with a `report` proxy; cancels the scope once `when` was reported. */
async function cancelWhenReported(when: string, call: (report: (what: string) => void) => Promise<unknown>) {
  const reports: string[] = [];
  const report = (what: string) => void reports.push(what);
  const scope = new CancelScope();
  let error: unknown;
  await taskGroup(async (tg) => {
    tg.startSoon(async () => {
      await eventually(() => reports.some((r) => r.startsWith(when)), `"${when}" was reported`);
      scope.cancel();
    });
    await scope.run(async () => {
      try {
        await call(report);
      } catch (caught) {
        error = caught;
        throw caught;
      }
    });
  });
  return { reports, error, caught: scope.cancelledCaught };
}

describe("toProcess.run", () => {
  test("runs in a child process of the same runtime, reused, with structured clones", async () => {
    const first = await toProcess.run<{ pid: number }>(work, "whoAmI");
    expect(first.pid).not.toBe(process.pid);
    expect(processExists(first.pid)).toBe(true);
    const value = { map: new Map([[1, new Date(5)]]), bytes: new Uint8Array([1, 2, 3]), big: 2n ** 70n };
    expect(await toProcess.run(work, "echo", [value])).toEqual(value);
    expect(await toProcess.run<number>(work, "add", [20, 22])).toBe(42);
    expect((await toProcess.run<{ pid: number }>(work, "whoAmI")).pid).toBe(first.pid);
  });

  test("transfer: the buffer is copied there and detached here", async () => {
    const buffer = new ArrayBuffer(16);
    expect(await toProcess.run(work, "byteLength", [buffer], { transfer: [buffer] })).toBe(16);
    expect(buffer.byteLength).toBe(0);
  });

  test("errors with class, message, stack and cause; a missing export", async () => {
    const error = await rejection(toProcess.run(work, "throwValidation"));
    expect(error.name).toBe("ValidationError");
    expect(error.stack).toContain("throwValidation");
    expect(error.cause).toBeInstanceOf(RangeError);
    expect((error as { code?: string }).code).toBe("E_VALIDATION");
    const missing = await rejection(toProcess.run(work, "nope"));
    expect(missing.message).toContain(`has no export "nope"`);
    const result = await rejection(toProcess.run(work, "returnFunction"));
    expect(result.name).toBe("DataCloneError");
  });

  test("a child that exits: BrokenWorkerError, and the next call gets a new child", async () => {
    const { pid } = await toProcess.run<{ pid: number }>(work, "whoAmI");
    const error = await rejection(toProcess.run(work, "exitWith", [4]));
    expect(error).toBeInstanceOf(BrokenWorkerError);
    expect(error.message).toMatch(/^the child process \d+ exited with code 4 while running "exitWith"/);
    const next = await toProcess.run<{ pid: number }>(work, "whoAmI");
    expect(next.pid).not.toBe(pid);
    await eventually(() => !processExists(pid), "the child that exited is gone");
  });

  test("an uncaught error in the child: BrokenWorkerError with the error as cause", async () => {
    const error = await rejection(toProcess.run(work, "crashLater"));
    expect(error).toBeInstanceOf(BrokenWorkerError);
    expect(error.message).toContain("crashed with an uncaught error (Error: boom, later)");
  });

  test("async proxies work; callSync is a clear error in a child process", async () => {
    expect(await toProcess.run(work, "viaProxy", [async (x: number) => x * 3, 3])).toBe(10);
    expect(await toProcess.run(processWork, "callSyncHere", [() => 1])).toBe(
      "Error: fromWorker.callSync: a child process of toProcess.run shares no memory with its parent, so it cannot block for an answer; use await fn(...args)",
    );
  });

  test("cancellable: false: the child's signal aborts, it finishes, then Cancelled", async () => {
    const { reports, error, caught } = await cancelWhenReported("started", (report) => toProcess.run(processWork, "waitForCancel", [report]));
    expect(error).toBeInstanceOf(Cancelled);
    expect(caught).toBe(true);
    expect(reports).toEqual(["started", "aborted: Cancelled", "returning"]);
  });

  test("cancellable: false: checkCancelled() between turns stops the child's loop", async () => {
    const { reports, error } = await cancelWhenReported("started", (report) => toProcess.run(processWork, "loopUntilCancelled", [report]));
    expect(error).toBeInstanceOf(Cancelled);
    expect(reports).toContain("stopped: Cancelled");
  });

  test("cancellable: true kills a busy child at once", async () => {
    const { reports, error } = await cancelWhenReported("", (report) => toProcess.run(processWork, "spinForever", [report], { cancellable: true }));
    expect(error).toBeInstanceOf(Cancelled);
    const pid = Number(reports[0]);
    await eventually(() => !processExists(pid), "the killed child is gone");
    expect(await toProcess.run(work, "echo", ["next"])).toBe("next");
  });

  test("bad input: a SharedArrayBuffer, transfer of what is not an ArrayBuffer", async () => {
    if (detectRuntime() === "bun") {
      // Bun's IPC serializer copies a SharedArrayBuffer (as a plain buffer).
      expect(await toProcess.run(work, "byteLength", [new SharedArrayBuffer(8)])).toBe(8);
    } else {
      const shared = await rejection(toProcess.run(work, "echo", [1, new SharedArrayBuffer(8)]));
      expect(shared.name).toBe("DataCloneError");
      expect(shared.message).toContain("toProcess.run: args[1] cannot be sent to the child process");
    }
    const fn = await rejection(toProcess.run(work, "echo", [{ f: () => 1 }]));
    expect(fn.name).toBe("DataCloneError");
    expect(fn.message).toContain("toProcess.run: args[0].f cannot be sent to the child process");
    const transfer = await rejection(toProcess.run(work, "echo", [], { transfer: [new Uint8Array(2) as never] }));
    expect(transfer).toBeInstanceOf(TypeError);
    expect(transfer.message).toBe("toProcess.run: transfer[0] must be an ArrayBuffer (nothing else can move to another process), got object");
    const option = await rejection(toProcess.run(work, "echo", [], { cancelable: true } as never));
    expect(option.message).toBe(`toProcess.run: unknown option "cancelable"; known options: limiter, cancellable, transfer`);
  });
});

describe("a script that uses workers", () => {
  it("exits by itself right after its last call; the children's output reaches its stdout and stderr", async () => {
    const script = await fixture("idle-script.ts");
    const result = await runScript(script.pathname, "done");
    expect(result.stderr).not.toContain("Error");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("printed by a worker thread");
    expect(result.stdout).toContain("printed by a child process");
    expect(result.stderr).toContain("printed by a child process (stderr)");
    expect(result.stdout).toContain("portal: 3");
    // The idle timeouts are 10 s (threads) and 5 minutes (processes): an idle pool or
    // portal must not hold the process open.
    expect(result.afterMarkerMs).toBeLessThan(5_000);
    const pid = Number(/child pid (\d+)/.exec(result.stdout)![1]);
    await eventually(() => !processExists(pid), "the script's child process is gone");
  }, 30_000);
});
