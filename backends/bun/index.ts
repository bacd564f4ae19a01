/**
 * The Bun adapter, on Bun's native APIs (`Bun.connect`, `Bun.listen`, `Bun.udpSocket`,
 * `Bun.dns.lookup`); node: modules only where Bun lacks a feature, each named at its use.
 *
 * Facts about Bun 1.4.5 this file relies on (checked by experiment, see
 * tests/net/bun-backend.test.ts):
 * - `socket.write(data, offset, length)` does not buffer: it returns how many bytes the
 *   kernel took (0 when full, -1 once closed); the rest is resent on `drain`.
 * - `socket.pause()` / `socket.resume()` stop and restart reading from the kernel.
 * - With `binaryType: "uint8array"` every `data` chunk is a fresh `Uint8Array` over its own
 *   `ArrayBuffer`: Bun does not reuse it, so it is handed to the reader without a copy.
 * - `socket.shutdown()` (no argument) sends FIN and keeps reading; `shutdown(true)` shuts
 *   the *read* side despite its documentation, so it is never used here.
 * - `Bun.connect` takes `localAddress` (undocumented, works) but no `AbortSignal`.
 * - `Bun.listen` has no backlog option (uSockets listens with 512); `reusePort` works.
 * - `Bun.udpSocket` takes `flags` (4 = SO_REUSEPORT, as Bun's own node:dgram passes);
 *   its `send` returns `false` when the datagram could not be sent yet (retry on `drain`).
 * - The peer's FIN arriving after our own FIN fires `close` without `end`.
 * - `socket.pause()` in `open` keeps what the peer sends in the kernel until `resume()`
 *   (or `upgradeTLS`, which resumes the socket): accepted sockets start paused, so that a
 *   client's ClientHello is still unread when a TLSListener hands the socket to Bun's TLS.
 * - After `socket.upgradeTLS(...)` the socket's own handlers still get its events (the
 *   ciphertext as `data`, `close`): a connection upgraded to TLS ignores them
 *   (backends/bun/tls.ts owns the socket).
 *
 * @module
 */
import { type Backend, standardClock } from "../../src/backend/index.ts";
import { bunFsBackend } from "./fs.ts";
import { connectStream, getaddrinfo, listenTcp, listenUnix, upgradeTls } from "./net.ts";
import { bunProcess } from "./process.ts";
import { bunSignals } from "./signals.ts";
import { createUdpSocket } from "./udp.ts";
import { bunWorkers } from "./worker.ts";

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
  ...standardClock,
  getaddrinfo,
  connectTcp: (address, port, { localHost, signal }) =>
    connectStream(
      localHost === undefined ? { hostname: address, port } : { hostname: address, port, localAddress: localHost },
      signal,
    ),
  listenTcp,
  connectUnix: (path, { signal }) => connectStream({ unix: path }, signal),
  listenUnix,
  createUdpSocket,
  startTls: (transport, options) => import("../shared/tls-engine.ts").then((engine) => engine.startTls(transport, options)),
  upgradeTls,
  process: bunProcess, // Bun.spawn (backends/bun/process.ts)
  signals: bunSignals, // process.on, Bun's own (backends/bun/signals.ts)
  workers: bunWorkers, // node:worker_threads and Bun.spawn (backends/bun/worker.ts)
  fs: bunFsBackend, // node:fs (native on Bun), Bun.file / Bun.write where faster (backends/bun/fs.ts)
};
