/**
 * Backend parametrisation for any test framework: one test per available backend, each
 * body run inside `run(…, { backend })` (what AnyIO's pytest plugin does with its
 * `anyio_backend` fixture).
 *
 * @module
 */
import { type BackendName, getAvailableBackends } from "../backend/index.ts";
import { checkOptions } from "../core/options.ts";
import { run } from "../core/run.ts";
import type { MockClock } from "./mock-clock.ts";

/**
 * What a test body registered through {@linkcode backendTests} receives.
 *
 * @example
 * ```ts
 * import type { BackendTestContext } from "@anyts/anyts/testing";
 * const body = async ({ backend }: BackendTestContext) => console.log(backend);
 * ```
 */
export interface BackendTestContext {
  /** The backend this copy of the test runs on. */
  readonly backend: BackendName;
  /** The virtual clock of this test's run, when `backendTests` was given a `clock` option. */
  readonly clock?: MockClock;
}

/**
 * Options of {@linkcode backendTests}.
 *
 * @example
 * ```ts
 * import type { BackendTestsOptions } from "@anyts/anyts/testing";
 * const options: BackendTestsOptions = { backends: ["node"] };
 * ```
 */
export interface BackendTestsOptions {
  /** The backends to register a test for (default: every available one, native first). */
  backends?: readonly BackendName[];
  /**
   * Makes a fresh `MockClock` for each test run: the body then runs as
   * `run(…, { backend, clock: clock() })` in virtual time, and receives the clock.
   */
  clock?: () => MockClock;
}

const BACKEND_TESTS_OPTIONS: readonly (keyof BackendTestsOptions)[] = ["backends", "clock"];

/**
 * A test-registering function as every framework has one: vitest's and bun:test's `test`,
 * node:test's `test`, `Deno.test`. Extra arguments (a timeout, options) are passed on.
 */
export type TestFunction = (name: string, fn: () => Promise<void>, ...rest: never[]) => unknown;

/**
 * Registers a test under each backend.
 *
 * @example
 * ```ts
 * import { sleep } from "@anyts/anyts";
 * import { backendTests } from "@anyts/anyts/testing";
 * declare const test: (name: string, fn: () => unknown) => void; // vitest's, bun:test's, Deno.test
 * backendTests(test)("sleeps", async ({ backend }) => {
 *   await sleep(1);
 *   console.log(backend);
 * });
 * ```
 */
export type BackendTest = (name: string, fn: (context: BackendTestContext) => unknown, ...rest: unknown[]) => void;

/**
 * Wraps any `test(name, fn)` function so that each test is registered once per backend, as
 * `"<name> [<backend>]"`, with its body run inside `run(…, { backend })`.
 *
 * @param test the framework's test-registering function
 * @param options which backends (default: {@linkcode getAvailableBackends})
 * @example
 * ```ts
 * import { sleep } from "@anyts/anyts";
 * import { backendTests } from "@anyts/anyts/testing";
 * declare const test: (name: string, fn: () => unknown) => void;
 * const anyTest = backendTests(test);
 * anyTest("a sleep is a checkpoint", async () => {
 *   await sleep(1);
 * });
 * ```
 */
export function backendTests(test: TestFunction, options?: BackendTestsOptions): BackendTest {
  if (typeof test !== "function") {
    throw new TypeError(`backendTests: test must be a test-registering function, got ${test === null ? "null" : typeof test}`);
  }
  checkOptions(options, BACKEND_TESTS_OPTIONS, "backendTests");
  const makeClock = options?.clock;
  if (makeClock !== undefined && typeof makeClock !== "function") {
    throw new TypeError(`backendTests: clock must be a function that returns a MockClock, got ${typeof makeClock}`);
  }
  const available = getAvailableBackends();
  const backends = options?.backends ?? available;
  if (!Array.isArray(backends)) throw new TypeError("backendTests: backends must be an array of backend names");
  for (const backend of backends) {
    if (!available.includes(backend)) {
      throw new TypeError(
        `backendTests: backend ${JSON.stringify(backend)} is not available here; available: ${
          available.map((name) => `"${name}"`).join(", ") || "none"
        }`,
      );
    }
  }
  return (name, fn, ...rest) => {
    if (typeof fn !== "function") throw new TypeError(`backendTests: the body of "${name}" must be a function`);
    for (const backend of backends) {
      (test as (name: string, fn: () => unknown, ...rest: unknown[]) => unknown)(
        `${name} [${backend}]`,
        async (): Promise<void> => {
          if (makeClock === undefined) await run(() => fn({ backend }), { backend });
          else {
            const clock = makeClock();
            await run(() => fn({ backend, clock }), { backend, clock });
          }
        },
        ...rest,
      );
    }
  };
}
