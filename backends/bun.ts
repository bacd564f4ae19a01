/**
 * The Bun adapter, on Bun's native APIs (`Bun.*`); node: modules only where Bun lacks a
 * feature, each named at its use.
 *
 * @module
 */
import type { Backend } from "../src/backend.ts";

/**
 * The Bun backend.
 *
 * @example
 * ```ts
 * import { run } from "@anyts/anyts";
 * await run(async () => {}, { backend: "bun" }); // on Bun
 * ```
 */
export const bunBackend: Backend = {
  name: "bun",
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
