// toWorker.run: results, reuse, parallelism, limiters, errors and bad input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CapacityLimiter, run, taskGroup, TimeoutError, toWorker } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { _workerCensus } from "../../src/workers/pool.ts";
import { expectNoWorkersLeft, FIXTURE_TIMEOUT, fixture, runsTypeScript, sharedCounter } from "./helpers.ts";

const test = backendTests(it);
let work: URL;

beforeAll(async () => {
  work = await fixture("work.ts");
}, FIXTURE_TIMEOUT);
afterAll(expectNoWorkersLeft);

/** The rejection of `promise` (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("toWorker.run: values", () => {
  test("runs a sync and an async export and returns structured clones", async () => {
    const value = { n: 1, list: [1, "two"], map: new Map([["k", new Date(0)]]), bytes: new Uint8Array([1, 2]), big: 10n };
    const echoed = await toWorker.run<typeof value>(work, "echo", [value]);
    expect(echoed).toEqual(value);
    expect(echoed).not.toBe(value);
    expect(echoed.map.get("k")).toBeInstanceOf(Date);
    expect(await toWorker.run<number>(work, "add", [2, 3])).toBe(5);
    expect(await toWorker.run(work, "echo")).toBeUndefined();
  });

  test("transfer moves an ArrayBuffer: detached here, whole there", async () => {
    const buffer = new ArrayBuffer(1024);
    expect(await toWorker.run(work, "byteLength", [buffer], { transfer: [buffer] })).toBe(1024);
    expect(buffer.byteLength).toBe(0);
    const copied = new ArrayBuffer(8);
    expect(await toWorker.run(work, "byteLength", [copied])).toBe(8);
    expect(copied.byteLength).toBe(8);
    const bytes = await toWorker.run<Uint8Array>(work, "makeBytes", [3]);
    expect([...bytes]).toEqual([7, 7, 7]);
  });

  test("runs in another thread of this process, and reuses it", async () => {
    const first = await toWorker.run<{ threadId: number; pid: number }>(work, "whoAmI");
    const threads = _workerCensus().threads;
    const second = await toWorker.run<{ threadId: number; pid: number }>(work, "whoAmI");
    expect(first.pid).toBe(process.pid);
    expect(first.threadId).not.toBe(0);
    expect(second.threadId).toBe(first.threadId);
    expect(_workerCensus().threads).toBe(threads);
  });

  it("a TypeScript module: loaded as is where the runtime strips types, a clear error on Node 20", async () => {
    const ts = new URL("./fixtures/work.ts", import.meta.url);
    if (runsTypeScript) {
      // Types, a generic and a class field, loaded unchanged.
      expect(await toWorker.run(ts, "echo", ["typed"])).toBe("typed");
      return;
    }
    const error = await rejection(toWorker.run(ts, "echo", [1]));
    expect(error.message).toContain(`cannot load the TypeScript module "${ts.href}" in a worker: Node ${process.version} does not strip types`);
    expect((error as { code?: string }).code).toBe("ERR_UNKNOWN_FILE_EXTENSION");
  });

  test("a module given as an absolute path or a URL string", async () => {
    expect(await toWorker.run(decodeURIComponent(work.pathname), "echo", [1])).toBe(1);
    expect(await toWorker.run(work.href, "echo", [2])).toBe(2);
    expect(await toWorker.run("data:text/javascript,export const triple = (n) => 3 * n;", "triple", [3])).toBe(9);
    expect(await toWorker.run("node:path", "basename", ["/a/b.txt"])).toBe("b.txt");
  });
});

describe("toWorker.run: concurrency and limiters", () => {
  test("calls run in parallel threads (a barrier only all four together pass)", async () => {
    const counter = sharedCounter();
    const limiter = new CapacityLimiter(4);
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => toWorker.run<boolean>(work, "barrier", [counter, 4, 8_000], { limiter })),
    );
    expect(results).toEqual([true, true, true, true]);
  });

  test("one call per worker at a time: concurrent calls get distinct threads", async () => {
    const counter = sharedCounter();
    const limiter = new CapacityLimiter(3);
    const results = await Promise.all(
      [1, 2, 3].map(() => toWorker.run<{ reached: boolean; threadId: number }>(work, "barrierThenWho", [counter, 3, 8_000], { limiter })),
    );
    expect(results.map((r) => r.reached)).toEqual([true, true, true]);
    expect(new Set(results.map((r) => r.threadId)).size).toBe(3);
  });

  test("a limiter bounds the calls in flight", async () => {
    const counter = sharedCounter();
    const limiter = new CapacityLimiter(2);
    await taskGroup(async (tg) => {
      for (let i = 0; i < 6; i++) tg.startSoon(() => toWorker.run(work, "overlap", [counter, 20], { limiter }));
    });
    expect(Atomics.load(counter, 1)).toBe(2);
    expect(Atomics.load(counter, 0)).toBe(0);
    expect(limiter.borrowedTokens).toBe(0);
  });

  test("the default limiter: one per run, availableParallelism() tokens, settable", async () => {
    const limiter = toWorker.defaultLimiter();
    expect(toWorker.defaultLimiter()).toBe(limiter);
    expect(limiter.totalTokens).toBeGreaterThanOrEqual(1);
    const inner = await run(async () => toWorker.defaultLimiter());
    expect(inner).not.toBe(limiter);
    const counter = sharedCounter();
    const before = limiter.totalTokens;
    limiter.totalTokens = 1;
    try {
      await taskGroup(async (tg) => {
        for (let i = 0; i < 3; i++) tg.startSoon(() => toWorker.run(work, "overlap", [counter, 10]));
      });
    } finally {
      limiter.totalTokens = before;
    }
    expect(Atomics.load(counter, 1)).toBe(1);
  });

  it("outside any run, calls work on the default backend", async () => {
    expect(await toWorker.run(work, "add", [40, 2])).toBe(42);
  });
});

describe("toWorker.run: errors", () => {
  test("an error is rethrown with its class name, message, stack, cause and properties", async () => {
    const error = await rejection(toWorker.run(work, "throwValidation"));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ValidationError");
    expect(error.message).toBe("the name is missing");
    expect(error.stack).toContain("the name is missing");
    expect(error.stack).toContain("work.");
    expect(error.stack).toContain("throwValidation");
    expect((error as { code?: string }).code).toBe("E_VALIDATION");
    expect((error as { field?: string }).field).toBe("name");
    expect(error.cause).toBeInstanceOf(RangeError);
    expect((error.cause as Error).message).toBe("length 0 < 1");
  });

  test("built-in classes stay themselves; thrown non-errors stay values", async () => {
    const typeError = await rejection(toWorker.run(work, "rejectTypeError"));
    expect(typeError).toBeInstanceOf(TypeError);
    expect(typeError.message).toBe("not a number");
    expect(await rejection(toWorker.run(work, "throwString"))).toBe("plain string");
    const aggregate = await rejection(toWorker.run(work, "throwAggregate"));
    expect(aggregate).toBeInstanceOf(AggregateError);
    expect((aggregate as AggregateError).errors.map((e: Error) => e.name)).toEqual(["Error", "SyntaxError"]);
  });

  test("anyts errors thrown in a worker are anyts errors here", async () => {
    const error = await rejection(toWorker.run(work, "throwTimeout"));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.name).toBe("TimeoutError");
    expect(error.message).toBe("too slow");
  });

  test("a missing module, a missing export, an export that is not a function", async () => {
    const missing = new URL("./fixtures/no-such-module.js", import.meta.url);
    const notFound = await rejection(toWorker.run(missing, "x"));
    expect(notFound.message).toContain(`cannot import module "${missing.href}"`);
    expect(notFound.cause).toBeDefined();
    const noExport = await rejection(toWorker.run(work, "nope"));
    expect(noExport).toBeInstanceOf(TypeError);
    expect(noExport.message).toContain(`has no export "nope"`);
    expect(noExport.message).toContain("echo");
    const notFunction = await rejection(toWorker.run(work, "answer"));
    expect(notFunction).toBeInstanceOf(TypeError);
    expect(notFunction.message).toBe(`export "answer" of module "${work.href}" is not a function (it is number)`);
    // The worker survives all of these.
    expect(await toWorker.run(work, "echo", ["still fine"])).toBe("still fine");
  });

  test("a module whose top level throws", async () => {
    const error = await rejection(toWorker.run(await fixture("throws-at-load.ts"), "x"));
    expect(error.message).toContain("cannot import module");
    expect(error.message).toContain("broken at load");
  });

  test("a result that cannot be cloned is a DataCloneError", async () => {
    const error = await rejection(toWorker.run(work, "returnFunction"));
    expect(error.name).toBe("DataCloneError");
    expect(error.message).toContain("the result of the export could not be cloned");
  });
});

describe("toWorker.run: bad input", () => {
  test("arguments that cannot be cloned: a DataCloneError naming the position", async () => {
    const nested = await rejection(toWorker.run(work, "echo", [1, { options: { onProgress: () => {} } }]));
    expect(nested.name).toBe("DataCloneError");
    expect(nested.message).toContain("toWorker.run: args[1].options.onProgress cannot be sent to the worker thread");
    const symbol = await rejection(toWorker.run(work, "echo", [Symbol("s")]));
    expect(symbol.name).toBe("DataCloneError");
    expect(symbol.message).toContain("args[0]");
    const inArray = await rejection(toWorker.run(work, "echo", [[1, 2, new WeakMap()]]));
    expect(inArray.message).toContain("args[0][2]");
  });

  test("bad module, exportName, args and options", async () => {
    const cases: Array<[() => Promise<unknown>, ErrorConstructor, string]> = [
      [() => toWorker.run(42 as never, "f"), TypeError, "toWorker.run: module must be a string or a URL, got number"],
      [() => toWorker.run("", "f"), TypeError, "toWorker.run: module must not be empty"],
      [() => toWorker.run("./work.ts", "f"), TypeError, `module "./work.ts" is a relative path`],
      [() => toWorker.run(work, ""), TypeError, "toWorker.run: exportName must be a non-empty string, got an empty string"],
      [() => toWorker.run(work, 3 as never), TypeError, "toWorker.run: exportName must be a non-empty string, got number"],
      [() => toWorker.run(work, "echo", "x" as never), TypeError, "toWorker.run: args must be an array, got string"],
      [() => toWorker.run(work, "echo", [], { limit: 1 } as never), TypeError, `toWorker.run: unknown option "limit"`],
      [() => toWorker.run(work, "echo", [], { limiter: {} as never }), TypeError, "toWorker.run: limiter must be a CapacityLimiter, got object"],
      [() => toWorker.run(work, "echo", [], { cancellable: "yes" as never }), TypeError, "toWorker.run: cancellable must be a boolean, got string"],
      [() => toWorker.run(work, "echo", [], { transfer: {} as never }), TypeError, "toWorker.run: transfer must be an array, got object"],
    ];
    for (const [call, kind, message] of cases) {
      const error = await rejection(call());
      expect(error, message).toBeInstanceOf(kind);
      expect(error.message).toContain(message);
    }
  });
});
