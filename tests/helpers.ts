// Helpers shared by the test suites: synchronise tasks with checkpoints, never with sleeps.
import { cancelShieldedCheckpoint } from "../mod.ts";

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
