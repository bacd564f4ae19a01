/**
 * The Backend interface that each runtime adapter in `backends/` implements, runtime
 * detection, and the registry that loads adapters lazily (a runtime never parses another
 * runtime's adapter).
 *
 * @module
 */

/** The name of a runtime adapter. */
export type BackendName = "node" | "deno" | "bun";

/** The JavaScript runtime executing this code. */
export type RuntimeName = BackendName | "unknown";

/** An opaque timer handle returned by {@linkcode Backend.setTimer}. */
export type TimerHandle = unknown;

/**
 * What a runtime adapter provides to the core. Later issues add I/O (sockets, files,
 * processes, workers) here; for now it is the clock and timers.
 *
 * @example
 * ```ts
 * import { loadBackend } from "@anyts/anyts";
 * const backend = await loadBackend("node");
 * console.log(backend.name, backend.currentTime());
 * ```
 */
export interface Backend {
  /** Which adapter this is. */
  readonly name: BackendName;
  /** A monotonic clock in milliseconds (the time base of deadlines). */
  currentTime(): number;
  /** Calls `callback` once, after `delayMs` milliseconds (or a little later). */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  /** Cancels a timer from {@linkcode Backend.setTimer}; harmless if it already ran. */
  clearTimer(handle: TimerHandle): void;
}

/**
 * Says which runtime is executing. Deno and Bun both fake `process.versions.node`, so they
 * are tested first.
 *
 * @example
 * ```ts
 * import { detectRuntime } from "@anyts/anyts";
 * console.log(detectRuntime()); // "node", "deno" or "bun"
 * ```
 */
export function detectRuntime(): RuntimeName {
  const global = globalThis as { Deno?: unknown; Bun?: unknown; process?: { versions?: { node?: string } } };
  if (global.Deno !== undefined) return "deno";
  if (global.Bun !== undefined) return "bun";
  if (typeof global.process?.versions?.node === "string") return "node";
  return "unknown";
}

/**
 * The backends that work in this runtime, native first: `["node"]` on Node, `["deno",
 * "node"]` on Deno, `["bun", "node"]` on Bun (the node adapter runs on their node:
 * compatibility layers).
 *
 * @example
 * ```ts
 * import { getAvailableBackends } from "@anyts/anyts";
 * console.log(getAvailableBackends()[0]); // the native backend
 * ```
 */
export function getAvailableBackends(): BackendName[] {
  switch (detectRuntime()) {
    case "node":
      return ["node"];
    case "deno":
      return ["deno", "node"];
    case "bun":
      return ["bun", "node"];
    default:
      return [];
  }
}

const adapterLoaders: Record<BackendName, () => Promise<Backend>> = {
  node: () => import("../backends/node.ts").then((module) => module.nodeBackend),
  deno: () => import("../backends/deno.ts").then((module) => module.denoBackend),
  bun: () => import("../backends/bun.ts").then((module) => module.bunBackend),
};

const loadedBackends = new Map<BackendName, Promise<Backend>>();

/**
 * Loads (once) and returns the named backend. Throws a `TypeError` for an unknown name and
 * an `Error` for a backend this runtime lacks.
 *
 * @example
 * ```ts
 * import { getAvailableBackends, loadBackend } from "@anyts/anyts";
 * const backend = await loadBackend(getAvailableBackends()[0]);
 * console.log(backend.name);
 * ```
 */
export function loadBackend(name: BackendName): Promise<Backend> {
  let loading = loadedBackends.get(name);
  if (loading === undefined) {
    if (!Object.hasOwn(adapterLoaders, name)) {
      return Promise.reject(
        new TypeError(`backend must be one of "node", "deno", "bun"; got ${JSON.stringify(name)}`),
      );
    }
    const available = getAvailableBackends();
    if (!available.includes(name)) {
      return Promise.reject(
        new Error(
          `backend "${name}" is not available on ${detectRuntime()}; available: ${
            available.map((n) => `"${n}"`).join(", ") || "none"
          }`,
        ),
      );
    }
    loading = adapterLoaders[name]();
    loadedBackends.set(name, loading);
  }
  return loading;
}

/**
 * Web-standard clock and timers, identical on every runtime. Code outside any `run` uses
 * them until the native backend has loaded (the adapters use the same clock).
 */
export const provisionalBackend: Backend = {
  name: getAvailableBackends()[0] ?? "node",
  currentTime: () => performance.now(),
  setTimer: (delayMs, callback) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
