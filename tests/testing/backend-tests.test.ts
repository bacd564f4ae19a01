import { describe, expect, it } from "vitest";
import { currentBackend, getAvailableBackends } from "../../mod.ts";
import { backendTests } from "../../testing.ts";

describe("backendTests", () => {
  const seen: string[] = [];
  backendTests(it)("runs its body inside run() on each backend", ({ backend }) => {
    expect(currentBackend()).toBe(backend);
    seen.push(backend);
  });
  it("registered one test per available backend, native first", () => {
    expect(seen).toEqual(getAvailableBackends());
  });

  it("names each copy '<name> [<backend>]' and passes extra arguments on", () => {
    const registered: Array<[string, unknown[]]> = [];
    const collect = (name: string, _fn: () => unknown, ...rest: unknown[]) => void registered.push([name, rest]);
    backendTests(collect)("x", () => {}, 5_000);
    expect(registered).toEqual(getAvailableBackends().map((backend) => [`x [${backend}]`, [5_000]]));
  });

  it("rejects a non-function, an unavailable backend and a non-function body", () => {
    expect(() => backendTests(undefined as never)).toThrow(/test must be a test-registering function/);
    const missing = (["node", "deno", "bun"] as const).find((name) => !getAvailableBackends().includes(name))!;
    expect(() => backendTests(it, { backends: [missing] })).toThrow(new RegExp(`"${missing}" is not available here; available: `));
    expect(() => backendTests(it)("bad", 42 as never)).toThrow(/body of "bad" must be a function/);
  });
});
