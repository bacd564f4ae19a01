// Loaded before every test file on every runtime (vitest setupFiles, bun --preload).
// Any unhandled promise rejection fails the test during which it surfaced.
import { afterEach } from "vitest";
import { trackUnhandledRejections } from "../testing.ts";

const tracker = trackUnhandledRejections();

afterEach(async () => {
  // Rejections are reported after a macrotask turn: let one pass before checking.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const rejections = tracker.takeAll();
  if (rejections.length > 0) {
    throw new AggregateError(rejections, `${rejections.length} unhandled promise rejection(s) during this test`);
  }
});
