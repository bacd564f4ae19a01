/**
 * The node adapter's native TLS fast path (`Backend.upgradeTls`): node:tls on the
 * runtime's own `net.Socket`. The engine that runs TLS over any byte stream is shared by
 * every adapter (`backends/shared/tls-engine.ts`).
 *
 * @module
 */
import type { RawSocket, RawTlsSocket, TlsEngineOptions } from "../../src/backend/index.ts";
import { NodeRawSocket } from "./net.ts";

const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;

/**
 * `Backend.upgradeTls` of the node adapter: node:tls straight on the `net.Socket` of a
 * fresh {@linkcode NodeRawSocket} (Node's native TLSWrap on the socket's handle, no
 * JavaScript pumping; on Bun, its node:tls on its net.Socket).
 */
export function upgradeTls(socket: RawSocket, options: TlsEngineOptions): Promise<RawTlsSocket> | undefined {
  // Not on Deno: its node:tls on a net.Socket lost the end of stream (the peer's 'end'
  // never came) after a bulk transfer in the TLS benchmark; the engine is used there.
  if (isDeno || !(socket instanceof NodeRawSocket)) return undefined;
  const netSocket = socket.detach();
  if (netSocket === undefined) return undefined;
  return import("../shared/tls-engine.ts").then((engine) => engine.startNativeTls(netSocket, options));
}

