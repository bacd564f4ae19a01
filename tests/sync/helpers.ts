// Helpers of the synchronization tests: synchronise tasks with checkpoints, never sleeps.

export { settle, until } from "../helpers.ts";
