import { existsSync, linkSync } from "node:fs";
import * as net from "node:net";
import { describe, expect, it } from "vitest";
import {
  connectUnix,
  createUnixListener,
  EndOfStream,
  run,
  SocketAttribute,
  type SocketStream,
  taskGroup,
} from "../../mod.ts";
import { backendsUnderTest } from "../../testing.ts";
import { bytes, caught, concat, payload, removeFile, sameBytes, socketPath, text } from "./helpers.ts";

async function receiveAll(stream: SocketStream): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return concat(chunks);
}

/** Listens on `path` with node:net (a peer outside anyts). */
function nodeUnixServer(path: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.on("error", () => {});
      socket.end("from node");
    });
    server.once("error", reject);
    server.listen({ path }, () => resolve(server));
  });
}

/**
 * Leaves a stale socket file at `path`: a hard link to a listening socket's file outlives
 * the listener, and then nothing listens on it (connecting is refused).
 */
async function staleSocketFile(path: string): Promise<void> {
  const live = `${path}.live`;
  const server = await nodeUnixServer(live);
  linkSync(live, path);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  removeFile(live);
}

describe.each(backendsUnderTest())("Unix sockets on %s", (backend) => {
  const inRun = (fn: () => Promise<void>) => () => run(fn, { backend });

  it("echoes 1 MiB through a listener served with serve()", inRun(async () => {
    const path = socketPath();
    try {
      await using listener = await createUnixListener(path);
      const data = payload(1 << 20);
      await taskGroup(async (tg) => {
        tg.startSoon(() =>
          listener.serve(async (client) => {
            for await (const chunk of client) await client.send(chunk);
            await client.sendEof();
          })
        );
        await using stream = await connectUnix(path);
        let echoed: Uint8Array = new Uint8Array();
        await taskGroup(async (inner) => {
          inner.startSoon(async () => {
            echoed = await receiveAll(stream);
          });
          for (let at = 0; at < data.length; at += 65536) await stream.send(data.subarray(at, at + 65536));
          await stream.sendEof();
        });
        expect(sameBytes(echoed, data)).toBe(true);
        tg.cancelScope.cancel();
      });
    } finally {
      removeFile(path);
    }
  }));

  it("answers SocketAttribute: family unix, the path, no ports", inRun(async () => {
    const path = socketPath();
    try {
      await using listener = await createUnixListener(path);
      expect(listener.extra(SocketAttribute.family)).toBe("unix");
      expect(listener.extra(SocketAttribute.localAddress)).toBe(path);
      expect(listener.extra(SocketAttribute.localPort, "none")).toBe("none");
      expect(listener.extra(SocketAttribute.rawSocket)).toBeDefined();
      const [client, server] = await Promise.all([connectUnix(path), listener.accept()]);
      try {
        expect(client.extra(SocketAttribute.family)).toBe("unix");
        expect(client.extra(SocketAttribute.remoteAddress)).toBe(path);
        expect(client.extra(SocketAttribute.remotePort, "none")).toBe("none");
        expect(server.extra(SocketAttribute.family)).toBe("unix");
        expect(server.extra(SocketAttribute.localAddress)).toBe(path);
        expect(server.extra(SocketAttribute.localPort, "none")).toBe("none");
        await client.send(bytes("ping"));
        expect(text(await server.receive())).toBe("ping");
        await server.aclose();
        await expect(client.receive()).rejects.toBeInstanceOf(EndOfStream);
      } finally {
        await client.aclose();
        await server.aclose();
      }
    } finally {
      removeFile(path);
    }
  }));

  it("replaces a stale socket file (nobody listening)", inRun(async () => {
    const path = socketPath();
    try {
      await staleSocketFile(path);
      expect(existsSync(path)).toBe(true);
      await using listener = await createUnixListener(path);
      const [client, server] = await Promise.all([connectUnix(path), listener.accept()]);
      await client.send(bytes("fresh"));
      expect(text(await server.receive())).toBe("fresh");
      await client.aclose();
      await server.aclose();
    } finally {
      removeFile(path);
    }
  }));

  it("refuses to replace a live socket, which keeps working", inRun(async () => {
    const path = socketPath();
    const server = await nodeUnixServer(path);
    try {
      const error = await caught(() => createUnixListener(path));
      expect(error).toBeInstanceOf(Error);
      expect(String((error as { code?: string }).code ?? (error as Error).name ?? "")).toMatch(/ADDRINUSE|AddrInUse/);
      await using stream = await connectUnix(path);
      expect(text(await receiveAll(stream))).toBe("from node");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      removeFile(path);
    }
  }));

  it("connecting to a path where nothing listens fails with the runtime's error", inRun(async () => {
    const path = socketPath();
    const error = await caught(() => connectUnix(path));
    expect(error).toBeInstanceOf(Error);
  }));

  it("rejects an empty path and a bad backlog", inRun(async () => {
    const empty = await caught(() => connectUnix(""));
    expect(empty).toBeInstanceOf(RangeError);
    expect((empty as Error).message).toMatch(/path/);
    expect(await caught(() => createUnixListener(42 as unknown as string))).toBeInstanceOf(TypeError);
    expect(await caught(() => createUnixListener(socketPath(), { backlog: 1.5 }))).toBeInstanceOf(RangeError);
  }));
});
