/**
 * The Node adapter, on node: modules. It also runs on Deno's and Bun's node:
 * compatibility layers, so every runtime can test against it.
 *
 * @module
 */
import { type Backend, standardClock } from "../../src/backend/index.ts";
import { nodeFs } from "./fs.ts";
import { nodeNet } from "./net.ts";
import { nodeProcess } from "./process.ts";
import { nodeSignals } from "./signals.ts";
import { upgradeTls } from "./tls.ts";
import { createUdpSocket } from "./udp.ts";
import { nodeWorkers } from "./worker.ts";

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
  // TCP, Unix sockets and name resolution on node:net and node:dns (backends/node/net.ts).
  ...nodeNet,
  createUdpSocket, // node:dgram (backends/node/udp.ts)
  startTls: (transport, options) => import("../shared/tls-engine.ts").then((engine) => engine.startTls(transport, options)),
  // node:tls on the runtime's own net.Socket, for connectTcp/TLSListener (backends/node/tls.ts).
  upgradeTls,
  process: nodeProcess, // node:child_process (backends/node/process.ts)
  signals: nodeSignals, // process.on and os.constants.signals (backends/node/signals.ts)
  workers: nodeWorkers, // node:worker_threads and node:child_process (backends/node/worker.ts)
  fs: nodeFs, // node:fs/promises FileHandle and opendir (backends/node/fs.ts)
};
