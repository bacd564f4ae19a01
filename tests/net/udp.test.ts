import { describe, expect, it } from "vitest";
import {
  BusyResourceError,
  CancelScope,
  ClosedResourceError,
  createConnectedUdpSocket,
  createUdpSocket,
  getaddrinfo,
  run,
  SocketAttribute,
  taskGroup,
} from "../../mod.ts";
import { backendsUnderTest } from "../../testing.ts";
import { bytes, caught, ioTurn, text } from "./helpers.ts";

describe.each(backendsUnderTest())("UDP on %s", (backend) => {
  const inRun = (fn: () => Promise<void>) => () => run(fn, { backend });

  it("round trip with sendto and send([data, [host, port]]) on IPv4 and IPv6", inRun(async () => {
    for (const host of ["127.0.0.1", "::1"]) {
      await using server = await createUdpSocket({ localHost: host });
      await using client = await createUdpSocket({ localHost: host });
      const serverPort = server.extra(SocketAttribute.localPort);
      await client.sendto(bytes("ping"), host, serverPort);
      const [data, [from, port]] = await server.receive();
      expect(text(data)).toBe("ping");
      expect(from).toBe(host);
      expect(port).toBe(client.extra(SocketAttribute.localPort));
      await server.send([bytes("pong"), [from, port]]);
      const [reply, [replyFrom, replyPort]] = await client.receive();
      expect(text(reply)).toBe("pong");
      expect(replyFrom).toBe(host);
      expect(replyPort).toBe(serverPort);
    }
  }));

  it("sendto resolves a host name", inRun(async () => {
    await using server = await createUdpSocket({ localHost: "127.0.0.1" });
    await using client = await createUdpSocket({ family: 4 });
    await client.sendto(bytes("by name"), "localhost", server.extra(SocketAttribute.localPort));
    expect(text((await server.receive())[0])).toBe("by name");
  }));

  it("a connected socket sends to and receives from its peer only", inRun(async () => {
    await using server = await createUdpSocket({ localHost: "127.0.0.1" });
    const port = server.extra(SocketAttribute.localPort);
    await using client = await createConnectedUdpSocket("127.0.0.1", port);
    expect(client.extra(SocketAttribute.remoteAddress)).toBe("127.0.0.1");
    expect(client.extra(SocketAttribute.remotePort)).toBe(port);
    expect(client.extra(SocketAttribute.family)).toBe("IPv4");
    await client.send(bytes("hello"));
    const [data, [host, clientPort]] = await server.receive();
    expect(text(data)).toBe("hello");
    expect(clientPort).toBe(client.extra(SocketAttribute.localPort));
    await server.sendto(bytes("world"), host, clientPort);
    expect(text(await client.receive())).toBe("world");
  }));

  it("answers SocketAttribute", inRun(async () => {
    await using socket = await createUdpSocket({ localHost: "::1" });
    expect(socket.extra(SocketAttribute.family)).toBe("IPv6");
    expect(socket.extra(SocketAttribute.localAddress)).toBe("::1");
    expect(socket.extra(SocketAttribute.localPort)).toBeGreaterThan(0);
    expect(socket.extra(SocketAttribute.remotePort, "none")).toBe("none");
    expect(socket.extra(SocketAttribute.rawSocket)).toBeDefined();
  }));

  it("a cancelled receive loses no datagram; concurrent receives are busy", inRun(async () => {
    await using server = await createUdpSocket({ localHost: "127.0.0.1" });
    await using client = await createUdpSocket({ family: 4 });
    const port = server.extra(SocketAttribute.localPort);
    const scope = new CancelScope();
    await taskGroup(async (tg) => {
      tg.startSoon(() => scope.run(() => server.receive()));
      await ioTurn();
      await expect(server.receive()).rejects.toBeInstanceOf(BusyResourceError);
      await client.sendto(bytes("kept"), "127.0.0.1", port);
      scope.cancel();
    });
    expect(text((await server.receive())[0])).toBe("kept");
  }));

  it("closing wakes a pending receive; a closed socket raises ClosedResourceError", inRun(async () => {
    const socket = await createUdpSocket({ localHost: "127.0.0.1" });
    let outcome: unknown;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        outcome = await caught(() => socket.receive());
      });
      await ioTurn();
      await socket.aclose();
    });
    expect(outcome).toBeInstanceOf(ClosedResourceError);
    await expect(socket.receive()).rejects.toBeInstanceOf(ClosedResourceError);
    await expect(socket.sendto(bytes("x"), "127.0.0.1", 9)).rejects.toBeInstanceOf(ClosedResourceError);
    await socket.aclose();
  }));

  it("rejects bad arguments", inRun(async () => {
    expect(await caught(() => createUdpSocket())).toBeInstanceOf(TypeError);
    expect(await caught(() => createUdpSocket({ family: 4, localPort: -1 }))).toBeInstanceOf(RangeError);
    expect(await caught(() => createConnectedUdpSocket("127.0.0.1", 70_000))).toBeInstanceOf(RangeError);
    await using socket = await createUdpSocket({ family: 4 });
    expect(await caught(() => socket.sendto("x" as unknown as Uint8Array, "127.0.0.1", 9))).toBeInstanceOf(TypeError);
    expect(await caught(() => socket.sendto(bytes("x"), "", 9))).toBeInstanceOf(RangeError);
    expect(await caught(() => socket.sendto(bytes("x"), "127.0.0.1", 1.5))).toBeInstanceOf(RangeError);
  }));
});

describe.each(backendsUnderTest())("getaddrinfo on %s", (backend) => {
  const inRun = (fn: () => Promise<void>) => () => run(fn, { backend });

  it("resolves localhost, returns IP literals as they are, filters by family", inRun(async () => {
    expect(await getaddrinfo("localhost", 80)).toContainEqual({ family: 4, address: "127.0.0.1", port: 80 });
    expect(await getaddrinfo("::1")).toEqual([{ family: 6, address: "::1", port: 0 }]);
    expect(await getaddrinfo("127.0.0.1", 443, { family: 4 })).toEqual([{ family: 4, address: "127.0.0.1", port: 443 }]);
    const v4 = await getaddrinfo("localhost", 0, { family: 4 });
    expect(v4.every((entry) => entry.family === 4)).toBe(true);
  }));

  it("rejects an unknown name with the resolver's error, and bad arguments", inRun(async () => {
    expect(await caught(() => getaddrinfo("anyts-test.invalid"))).toBeInstanceOf(Error);
    expect(await caught(() => getaddrinfo(""))).toBeInstanceOf(RangeError);
    expect(await caught(() => getaddrinfo("localhost", 65536))).toBeInstanceOf(RangeError);
    expect(await caught(() => getaddrinfo("localhost", 0, { family: 5 as 4 }))).toBeInstanceOf(RangeError);
  }));
});
