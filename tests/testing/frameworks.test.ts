// backendTests with each test framework's own registering function: vitest's (this suite
// on Node and Deno) and bun:test's (this suite on Bun, plus the explicit registration
// below) in the matrix; node:test and Deno.test in a child process whose output is checked.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { currentBackend, detectRuntime, getAvailableBackends, sleep } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { runChild, tsRunner } from "../core/child.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

if (detectRuntime() === "bun") {
  // bun:test's own `test`, not the vitest shim.
  const bunTest = await import("bun:test" as string) as { test: (name: string, fn: () => unknown) => void };
  backendTests(bunTest.test)("bun:test registers and runs each backend's copy", async ({ backend }) => {
    await sleep(1);
    expect(currentBackend()).toBe(backend);
  });
} else {
  console.log("frameworks.test.ts: the bun:test registration runs only under bun test");
}

describe("backendTests with other frameworks", () => {
  it("node:test: one test per backend, passes and failures reported", async () => {
    const [runner] = tsRunner();
    const node = detectRuntime() === "node" ? runner : fileURLToPath(new URL("../../node_modules/node22/bin/node", import.meta.url));
    const result = await runChild(node, ["--test", "--test-reporter=tap", fixture("node-test.ts")], 60_000, root);
    expect(result.stdout).toMatch(/^ok \d+ - node:test body runs inside run\(\) \[node\]$/m);
    expect(result.stdout).toMatch(/^not ok \d+ - node:test failure is reported \[node\]$/m);
    expect(result.stdout).toMatch(/^# pass 1$/m);
    expect(result.stdout).toMatch(/^# fail 1$/m);
    expect(result.code).toBe(1);
  }, 60_000);

  it("Deno.test: one test per backend, passes and failures reported", async () => {
    const deno = detectRuntime() === "deno" ? process.execPath : fileURLToPath(new URL("../../node_modules/deno/deno", import.meta.url));
    const result = await runChild(deno, ["test", "-A", "--no-check", fixture("deno-test.ts")], 60_000, root);
    // deno test colours its output even into a pipe: strip the escapes.
    const out = result.stdout.replace(/\x1b\[[0-9;]*m/g, "");
    for (const backend of ["deno", "node"]) {
      expect(out).toContain(`Deno.test body runs inside run() [${backend}] ... ok`);
      expect(out).toContain(`Deno.test failure is reported [${backend}] ... FAILED`);
    }
    expect(out).toMatch(/FAILED \| 2 passed \| 2 failed/);
    expect(result.code).not.toBe(0);
  }, 60_000);

  it("vitest (or bun:test under bun): this suite's own it", () => {
    expect(getAvailableBackends().length).toBeGreaterThan(0);
  });
});
