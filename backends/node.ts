/**
 * The Node adapter, on node: modules. It also runs on Deno's and Bun's node:
 * compatibility layers, so every runtime can test against it.
 *
 * @module
 */
import { clearTimeout, setTimeout } from "node:timers";
import type { Backend } from "../src/backend.ts";
import { nodeNet, upgradeTls } from "./node-net.ts";

/**
 * The Node backend.
 *
 * @example
 * ```ts
 * import { run } from "@anyts/anyts";
 * await run(async () => {}, { backend: "node" });
 * ```
 */
export const nodeBackend: Backend = {
  name: "node",
  // One clock for every backend: deadlines computed outside a run stay valid inside it.
  currentTime: () => performance.now(),
  setTimer: (delayMs, callback) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  // Network I/O on node:net, node:dgram and node:dns (backends/node-net.ts).
  ...nodeNet,
  startTls: (transport, options) => import("./tls-engine.ts").then((engine) => engine.startTls(transport, options)),
  // node:tls on the runtime's own net.Socket, for connectTcp/TLSListener (backends/node-net.ts).
  upgradeTls,
};
