// The BlockingPortal: synchronous code calling async exports, blocking until they settle.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlockingPortal, BrokenWorkerError, ClosedResourceError, detectRuntime, startBlockingPortal, TimeoutError } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { expectNoWorkersLeft, FIXTURE_TIMEOUT, fixture, sharedCounter, whenSet } from "./helpers.ts";

const test = backendTests(it);
let work: URL;

beforeAll(async () => {
  work = await fixture("work.ts");
}, FIXTURE_TIMEOUT);
afterAll(expectNoWorkersLeft);

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

/** A synchronous function that needs an async export: what the portal is for. */
function loadSync(module: URL, a: number, b: number): number {
  const portal = startBlockingPortal();
  try {
    return portal.call<number>(module, "add", a, b);
  } finally {
    portal.close();
  }
}

describe("BlockingPortal", () => {
  test("a synchronous function gets an async export's value, with no event-loop turn", () => {
    let turned = false;
    queueMicrotask(() => (turned = true));
    expect(loadSync(work, 2, 3)).toBe(5);
    const portal = startBlockingPortal();
    try {
      expect(portal.call(work, "slowly", 20, { nested: [1] })).toEqual({ nested: [1] });
      expect(portal.call(work, "echo", new Map([[1, 2]]))).toEqual(new Map([[1, 2]]));
    } finally {
      portal.close();
    }
    expect(turned).toBe(false);
  });

  test("an error of the export is thrown with its class, message, stack and cause", () => {
    const portal = startBlockingPortal();
    try {
      const error = thrown(() => portal.call(work, "throwValidation"));
      expect(error.name).toBe("ValidationError");
      expect(error.message).toBe("the name is missing");
      expect(error.stack).toContain("throwValidation");
      expect(error.cause).toBeInstanceOf(RangeError);
      const typeError = thrown(() => portal.call(work, "rejectTypeError"));
      expect(typeError).toBeInstanceOf(TypeError);
      expect(thrown(() => portal.call(work, "nope")).message).toContain(`has no export "nope"`);
      expect(portal.call(work, "echo", "still usable")).toBe("still usable");
    } finally {
      portal.close();
    }
  });

  test("{ timeout }: a TimeoutError; the call is told; the portal stays usable, a late result is dropped", async () => {
    const seen = sharedCounter(1);
    const portal = startBlockingPortal({ timeout: 10_000 });
    try {
      portal.call(work, "echo", "loads the module first");
      portal.timeout = 50;
      const error = thrown(() => portal.call(work, "hangUntilAborted", seen));
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error.message).toBe(`BlockingPortal.call: "hangUntilAborted" of ${work.href} did not settle within 50 ms`);
      await whenSet(seen); // the stuck call's fromWorker.signal aborted
      // A call that answers late: its result arrives while the next call waits, and is dropped.
      expect(thrown(() => portal.call(work, "slowly", 150, "late"))).toBeInstanceOf(TimeoutError);
      portal.timeout = Infinity;
      expect(portal.call(work, "slowly", 300, "fresh")).toBe("fresh");
      expect(portal.call(work, "echo", 7)).toBe(7);
    } finally {
      portal.close();
    }
  });

  test("a portal whose worker died throws BrokenWorkerError, then and afterwards", () => {
    const portal = startBlockingPortal();
    try {
      const exited = thrown(() => portal.call(work, "exitWith", 5));
      expect(exited).toBeInstanceOf(BrokenWorkerError);
      expect(exited.message).toMatch(/exited with code 5 while running "exitWith"/);
      const again = thrown(() => portal.call(work, "echo", 1));
      expect(again).toBeInstanceOf(BrokenWorkerError);
      expect(again.message).toContain("the portal's worker thread has died");
    } finally {
      portal.close();
    }
    const crashing = startBlockingPortal();
    try {
      const crashed = thrown(() => crashing.call(work, "crashLater"));
      expect(crashed).toBeInstanceOf(BrokenWorkerError);
      // bun test hands a worker's uncaught errors to the parent thread's event loop (which
      // is blocked here), not to the worker's handler: there the portal sees only the exit.
      if (detectRuntime() !== "bun") {
        expect(crashed.message).toContain("crashed with an uncaught error (Error: boom, later)");
      }
    } finally {
      crashing.close();
    }
  });

  test("close(), closed, using; a closed portal throws ClosedResourceError", () => {
    let kept: BlockingPortal;
    {
      using portal = startBlockingPortal();
      kept = portal;
      expect(portal.closed).toBe(false);
    }
    expect(kept.closed).toBe(true);
    kept.close();
    const error = thrown(() => kept.call(work, "echo", 1));
    expect(error).toBeInstanceOf(ClosedResourceError);
    expect(error.message).toBe("BlockingPortal is closed: BlockingPortal.call after close()");
    const direct = new BlockingPortal();
    expect(direct.call(work, "echo", "constructed")).toBe("constructed");
    direct.close();
  });

  test("bad input", () => {
    const portal = startBlockingPortal();
    try {
      const fn = thrown(() => portal.call(work, "echo", 1, () => 2));
      expect(fn.name).toBe("DataCloneError");
      expect(fn.message).toContain("BlockingPortal.call: args[1] is a function, which cannot be proxied to a portal");
      const symbol = thrown(() => portal.call(work, "echo", { deep: { s: Symbol("x") } }));
      expect(symbol.name).toBe("DataCloneError");
      expect(symbol.message).toContain("args[0].deep.s");
      expect(thrown(() => portal.call("./relative.ts", "f"))).toBeInstanceOf(TypeError);
      expect(thrown(() => portal.call(work, ""))).toBeInstanceOf(TypeError);
      expect(thrown(() => (portal.timeout = -1)).message).toBe("BlockingPortal.timeout: timeout must be >= 0 (or Infinity), got -1");
      expect(portal.call(work, "echo", "fine")).toBe("fine");
    } finally {
      portal.close();
    }
    expect(thrown(() => startBlockingPortal({ timeout: "1s" as never }))).toBeInstanceOf(TypeError);
    expect(thrown(() => startBlockingPortal({ timeout: Number.NaN }))).toBeInstanceOf(RangeError);
    expect(thrown(() => startBlockingPortal({ limit: 1 } as never)).message).toContain(`startBlockingPortal: unknown option "limit"`);
  });
});
