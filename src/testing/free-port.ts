/**
 * freeTcpPort / freeUdpPort: ports that tests can bind, found through the backend's own
 * network calls.
 *
 * @module
 */
import type { Backend } from "../backend/index.ts";
import { currentScope } from "../core/cancel-scope.ts";
import { sleep } from "../core/time.ts";

const handedOut = { tcp: new Set<number>(), udp: new Set<number>() };
let ipv6: Promise<boolean> | undefined;

/**
 * A TCP port that is free on both 127.0.0.1 and ::1 (where this machine has IPv6) right
 * now, and that no earlier call of this process returned (AnyIO's `free_tcp_port`). Found by
 * binding port 0 with the current backend and closing the listener again.
 *
 * @example
 * ```ts
 * import { createTcpListener } from "@anyts/anyts";
 * import { freeTcpPort } from "@anyts/anyts/testing";
 * const port = await freeTcpPort();
 * await using listener = await createTcpListener({ localHost: "127.0.0.1", localPort: port });
 * ```
 */
export function freeTcpPort(): Promise<number> {
  return freePort("tcp");
}

/**
 * A UDP port that is free on both 127.0.0.1 and ::1 (where this machine has IPv6) right
 * now, and that no earlier call of this process returned (AnyIO's `free_udp_port`).
 *
 * @example
 * ```ts
 * import { createUdpSocket } from "@anyts/anyts";
 * import { freeUdpPort } from "@anyts/anyts/testing";
 * const port = await freeUdpPort();
 * await using socket = await createUdpSocket({ localHost: "127.0.0.1", localPort: port });
 * ```
 */
export function freeUdpPort(): Promise<number> {
  return freePort("udp");
}

async function freePort(kind: "tcp" | "udp"): Promise<number> {
  const backend = currentScope()._backend;
  ipv6 ??= bind(backend, kind, "::1", 0).then((close) => (close(), true), () => false);
  const checkIpv6 = await ipv6;
  let lastError: unknown;
  for (let attempt = 0; attempt < 50; attempt++) {
    let closeV4: (() => void) | undefined;
    let closeV6: (() => void) | undefined;
    try {
      const [close, port] = await bindAny(backend, kind);
      closeV4 = close;
      if (handedOut[kind].has(port)) continue;
      if (checkIpv6) closeV6 = await bind(backend, kind, "::1", port);
      handedOut[kind].add(port);
      return port;
    } catch (error) {
      lastError = error; // taken on ::1 (or a transient failure): try another port
    } finally {
      closeV4?.();
      closeV6?.();
      // Let the runtime release the port before anyone binds it again.
      await sleep(0);
    }
  }
  throw new Error(`free${kind === "tcp" ? "Tcp" : "Udp"}Port: no free port found after 50 attempts`, { cause: lastError });
}

async function bindAny(backend: Backend, kind: "tcp" | "udp"): Promise<[() => void, number]> {
  if (kind === "tcp") {
    const listener = await backend.listenTcp({ host: "127.0.0.1", port: 0, backlog: 1, reuseAddress: false, ipv6Only: false });
    return [() => listener.close(), listener.info.localPort!];
  }
  const socket = await backend.createUdpSocket({ family: 4, localHost: "127.0.0.1", localPort: 0, reuseAddress: false });
  return [() => socket.close(), socket.info.localPort!];
}

async function bind(backend: Backend, kind: "tcp" | "udp", host: string, port: number): Promise<() => void> {
  if (kind === "tcp") {
    const listener = await backend.listenTcp({ host, port, backlog: 1, reuseAddress: false, ipv6Only: true });
    return () => listener.close();
  }
  const socket = await backend.createUdpSocket({ family: 6, localHost: host, localPort: port, reuseAddress: false });
  return () => socket.close();
}
