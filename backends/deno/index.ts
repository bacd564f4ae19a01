/**
 * The Deno adapter, on Deno's native APIs (`Deno.*`); node: modules only where Deno lacks
 * a feature, each named at its use (they live in `node-fallback.ts`, loaded on first use).
 *
 * Network I/O: TCP and Unix sockets on `Deno.connect` / `Deno.listen` and the conn's own
 * `read` / `write` (no web streams in between). Fallbacks to node: modules:
 * - `getaddrinfo`: node:dns `lookup` (Deno has no getaddrinfo: `Deno.resolveDns` asks DNS
 *   servers and ignores /etc/hosts);
 * - `connectTcp` with `localHost`: node:net (`Deno.connect` cannot bind a local address);
 * - `createUdpSocket`: node:dgram (`Deno.listenDatagram` needs `--unstable-net`);
 * - processes (`process.ts`, on `Deno.Command`): node:process `kill(-pid, 0)` to see whether
 *   a process group is empty (`Deno.kill` takes no signal 0);
 *
 * Emulated: `listenTcp` with `ipv6Only` on "::". Deno cannot set IPV6_V6ONLY (nor can its
 * node:net), so one dual-stack socket serves both the "::" and the "0.0.0.0" listener of a
 * port (see `tcp-listener.ts`).
 *
 * @module
 */
import { type Backend, type RawUdpSocket, standardClock } from "../../src/backend/index.ts";
import { denoFs } from "./fs.ts";
import { connectTcp, connectUnix, listenTcp, listenUnix, loadFallback } from "./net.ts";
import { denoProcess } from "./process.ts";
import { denoSignals } from "./signals.ts";
import { denoWorkers } from "./worker.ts";

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
  ...standardClock,
  getaddrinfo: async (host, family) => (await loadFallback()).lookupAll(host, family),
  connectTcp,
  listenTcp,
  connectUnix,
  listenUnix,
  createUdpSocket: async (options): Promise<RawUdpSocket> => (await loadFallback()).openUdpSocket(options),
  startTls: (transport, options) => import("../shared/tls-engine.ts").then((engine) => engine.startTls(transport, options)),
  process: denoProcess, // Deno.Command (backends/deno/process.ts)
  signals: denoSignals, // Deno.addSignalListener (backends/deno/signals.ts)
  workers: denoWorkers, // node:worker_threads and node:child_process, each named why (backends/deno/worker.ts)
  fs: denoFs, // Deno.open / Deno.FsFile and Deno's path functions (backends/deno/fs.ts)
};
