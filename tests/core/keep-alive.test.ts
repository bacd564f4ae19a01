import { describe, expect, it } from "vitest";
import { backendTests } from "../../testing.ts";
import { runTsChild } from "./child.ts";

describe("a run keeps the process alive", () => {
  backendTests(it)("a task in sleepForever() cancelled from outside by an unref'd timer's signal exits normally", async ({ backend }) => {
      const result = await runTsChild(new URL("./fixtures/sleep-forever.ts", import.meta.url), [backend]);
      expect(result.stderr).not.toMatch(/unsettled top-level await/i);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^cancelled after \d+ ms: TimeoutError$/m);
  }, 30_000);
});
