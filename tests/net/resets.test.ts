// Clients that reset (SO_LINGER 0) before or while their connection is accepted must not
// stop a listener's serve() on any backend (issue 8, item 14: on the deno backend, serve()
// failed with NotConnected, os error 107, and the listener stopped serving).
import * as net from "node:net";
import { describe, expect, it } from "vitest";
import { connectTcp, createTcpListener, SocketAttribute, taskGroup } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { bytes, text } from "./helpers.ts";

/** Connects with node:net and resets at once (RST, no FIN); resolves once closed. */
function resetAtOnce(options: net.NetConnectOpts): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(options, () => socket.resetAndDestroy());
    socket.on("error", () => {});
    socket.on("close", () => resolve());
  });
}

const RESETS = 30;

describe("listeners and clients that reset at once", () => {
  backendTests(it)("a TCP listener's serve() drops them and goes on", async () => {
    await using listener = await createTcpListener({ localHost: "127.0.0.1" });
    const port = listener.extra(SocketAttribute.localPort);
    // Reset while they wait in the listen queue (nobody accepts yet)…
    await Promise.all(Array.from({ length: RESETS }, () => resetAtOnce({ host: "127.0.0.1", port })));
    await taskGroup(async (tg) => {
      tg.startSoon(() =>
        listener.serve(async (client) => {
          try {
            await client.send(bytes("hi\n"));
          } catch {
            // a reset client: its own handler's business
          }
        })
      );
      // …and while it serves.
      await Promise.all(Array.from({ length: RESETS }, () => resetAtOnce({ host: "127.0.0.1", port })));
      await using stream = await connectTcp("127.0.0.1", port);
      expect(text(await stream.receive())).toBe("hi\n");
      tg.cancelScope.cancel();
    });
  });
});
