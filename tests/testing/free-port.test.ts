import { describe, expect, it } from "vitest";
import { createTcpListener, createUdpSocket, SocketAttribute } from "../../mod.ts";
import { backendTests, freeTcpPort, freeUdpPort } from "../../testing.ts";

describe("freeTcpPort and freeUdpPort", () => {
  backendTests(it)("give bindable ports, never the same one twice in a process", async () => {
    const tcp = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
    const udp = [await freeUdpPort(), await freeUdpPort()];
    expect(new Set(tcp).size).toBe(3);
    expect(new Set(udp).size).toBe(2);
    for (const port of [...tcp, ...udp]) {
      expect(Number.isInteger(port)).toBe(true);
      expect(port).toBeGreaterThan(0);
      expect(port).toBeLessThan(65536);
    }
    await using listener = await createTcpListener({ localHost: "127.0.0.1", localPort: tcp[0]! });
    expect(listener.listeners[0]!.extra(SocketAttribute.localPort)).toBe(tcp[0]);
    await using socket = await createUdpSocket({ localHost: "127.0.0.1", localPort: udp[0]! });
    expect(socket.extra(SocketAttribute.localPort)).toBe(udp[0]);
  });
});
