// Helpers shared by the test suites: synchronise tasks with checkpoints, never with sleeps.
import { cancelShieldedCheckpoint, detectRuntime } from "../mod.ts";

/**
 * Yields (one microtask turn at a time) until `condition()` holds; throws after `turns`
 * turns, so that a broken primitive or stream fails the test instead of hanging it.
 */
export async function until(condition: () => boolean, what: string, turns = 1_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await cancelShieldedCheckpoint();
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Lets every ready task run for `turns` microtask turns (to show that something does NOT happen). */
export async function settle(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await cancelShieldedCheckpoint();
}

/**
 * Whether this file's runtime-specific suite can run here; when not, prints why, so that
 * no test is skipped without a reason in the log. Use with `describe.skipIf(!…)`.
 */
export function runsOnlyOn(runtime: "node" | "deno" | "bun", file: string, reason: string): boolean {
  const here = detectRuntime();
  if (here === runtime) return true;
  console.log(`${file}: skipped on ${here}: ${reason}`);
  return false;
}
