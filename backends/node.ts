/**
 * The Node adapter, on node: modules. It also runs on Deno's and Bun's node:
 * compatibility layers, so every runtime can test against it.
 *
 * @module
 */
import { type Backend, standardClock } from "../src/backend.ts";
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
  ...standardClock,
  // Network I/O on node:net, node:dgram and node:dns (backends/node-net.ts).
  ...nodeNet,
  startTls: (transport, options) => import("./tls-engine.ts").then((engine) => engine.startTls(transport, options)),
  // node:tls on the runtime's own net.Socket, for connectTcp/TLSListener (backends/node-net.ts).
  upgradeTls,
};
