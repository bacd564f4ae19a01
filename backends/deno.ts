/**
 * The Deno adapter, on Deno's native APIs (`Deno.*`); node: modules only where Deno lacks
 * a feature, each named at its use.
 *
 * @module
 */
import type { Backend } from "../src/backend.ts";

/**
 * The Deno backend.
 *
 * @example
 * ```ts
 * import { run } from "@anyts/anyts";
 * await run(async () => {}, { backend: "deno" }); // on Deno
 * ```
 */
export const denoBackend: Backend = {
  name: "deno",
  // One clock for every backend: deadlines computed outside a run stay valid inside it.
  currentTime: () => performance.now(),
  setTimer: (delayMs, callback) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  // Network I/O: being implemented (issue 4).
  getaddrinfo: notYet,
  connectTcp: notYet,
  listenTcp: notYet,
  connectUnix: notYet,
  listenUnix: notYet,
  createUdpSocket: notYet,
};

function notYet(): Promise<never> {
  return Promise.reject(new Error("network I/O is not implemented yet on this backend"));
}
