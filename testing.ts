/**
 * Helpers for testing code that uses anyts, on every runtime and backend.
 *
 * @example
 * ```ts
 * import { backendsUnderTest, trackUnhandledRejections } from "@anyts/anyts/testing";
 * using tracker = trackUnhandledRejections();
 * for (const backend of backendsUnderTest()) console.log(backend);
 * console.log(tracker.rejections.length); // 0
 * ```
 *
 * @module
 */
import { type BackendName, getAvailableBackends } from "./src/backend/index.ts";

export {
  type BackendTest,
  type BackendTestContext,
  backendTests,
  type BackendTestsOptions,
  type TestFunction,
} from "./src/testing/backend-tests.ts";
export { MockClock, type MockClockOptions } from "./src/testing/mock-clock.ts";
export { waitAllTasksBlocked } from "./src/testing/wait-all-tasks-blocked.ts";
export { freeTcpPort, freeUdpPort } from "./src/testing/free-port.ts";

/**
 * The backends a test suite should run on in this runtime: every available one, native
 * first (`["deno", "node"]` on Deno).
 *
 * @example
 * ```ts
 * import { run, sleep } from "@anyts/anyts";
 * import { backendsUnderTest } from "@anyts/anyts/testing";
 * for (const backend of backendsUnderTest()) await run(() => sleep(1), { backend });
 * ```
 */
export function backendsUnderTest(): BackendName[] {
  return getAvailableBackends();
}

/**
 * Collects the promise rejections that nobody handled, from the moment it is created until
 * it is disposed.
 *
 * @example
 * ```ts
 * import { trackUnhandledRejections } from "@anyts/anyts/testing";
 * using tracker = trackUnhandledRejections();
 * // ... run the code under test, then let a macrotask pass ...
 * if (tracker.rejections.length > 0) throw new AggregateError(tracker.rejections);
 * ```
 */
export interface UnhandledRejectionTracker extends Disposable {
  /** The unhandled rejection reasons seen so far, oldest first. */
  readonly rejections: readonly unknown[];
  /** Returns the reasons seen so far and forgets them. */
  takeAll(): unknown[];
}

/**
 * Starts collecting unhandled promise rejections (through `process.on("unhandledRejection")`,
 * which Node, Deno and Bun all provide). Dispose the tracker to stop.
 *
 * @example
 * ```ts
 * import { trackUnhandledRejections } from "@anyts/anyts/testing";
 * const tracker = trackUnhandledRejections();
 * tracker[Symbol.dispose]();
 * ```
 */
export function trackUnhandledRejections(): UnhandledRejectionTracker {
  let rejections: unknown[] = [];
  const listener = (reason: unknown) => rejections.push(reason);
  const process = (globalThis as {
    process?: {
      on(event: "unhandledRejection", listener: (reason: unknown) => void): void;
      off(event: "unhandledRejection", listener: (reason: unknown) => void): void;
    };
  }).process;
  if (process === undefined) throw new Error("trackUnhandledRejections needs process.on (Node, Deno or Bun)");
  process.on("unhandledRejection", listener);
  return {
    get rejections() {
      return rejections;
    },
    takeAll() {
      const taken = rejections;
      rejections = [];
      return taken;
    },
    [Symbol.dispose]() {
      process.off("unhandledRejection", listener);
    },
  };
}
