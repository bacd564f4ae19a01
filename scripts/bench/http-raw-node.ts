/**
 * The raw node:net / node:tls HTTP server of the benchmark (Node; also runs on Deno's and
 * Bun's node: compatibility, though the bench uses their own APIs there): `net.createServer`
 * with `noDelay` (anyts sets TCP_NODELAY on every socket too), the connection logic of
 * http-raw-core.ts on each socket's 'data' events, `write()` with 'drain' for backpressure.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import * as net from "node:net";
import * as tls from "node:tls";
import { LINGER_MS, RawHttpConnection, type RawServer, type RawServerOptions, type RuntimeOps } from "./http-raw-core.ts";

const HEAD_END = Buffer.from("\r\n\r\n");

/** Node's Buffer methods (Bun has the same) and Node's re-armable timers. */
export const nodeBufferOps: RuntimeOps<Buffer, ReturnType<typeof setTimeout>> = {
  findHeadEnd: (bytes, from) => bytes.indexOf(HEAD_END, from),
  decode: (bytes, start, end) => bytes.toString("latin1", start, end),
  concat: (a, b) => Buffer.concat([a, b]),
  copy: (bytes) => Buffer.from(bytes),
  startTimer: (fn, ms) => setTimeout(fn, ms),
  restartTimer: (timer) => timer.refresh(),
  stopTimer: (timer) => clearTimeout(timer),
};

/** Listens with node:net (node:tls with `options.tls`); resolves once listening. */
export function startNodeRawServer(options: RawServerOptions): Promise<RawServer> {
  const onConnection = (socket: net.Socket): void => {
    socket.setNoDelay(true);
    const connection = new RawHttpConnection({
      write(bytes) {
        if (!socket.write(bytes)) socket.pause(); // read no more requests until the client reads
      },
      end() {
        socket.end();
        setTimeout(() => socket.destroy(), LINGER_MS).unref();
      },
      destroy() {
        socket.destroy();
      },
    }, options, nodeBufferOps);
    socket.on("data", (chunk: Buffer) => connection.onData(chunk));
    socket.on("drain", () => socket.resume());
    socket.on("error", () => {}); // a reset: 'close' follows
    socket.on("close", () => connection.onClose());
  };
  const server = options.tls === undefined
    ? net.createServer({ noDelay: true }, onConnection)
    : tls.createServer({ cert: options.tls.cert, key: options.tls.key }, onConnection);
  server.on("tlsClientError", () => {}); // a failed handshake costs only that socket
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.host, port: options.port, backlog: 65535 }, () => {
      server.off("error", reject);
      server.on("error", () => {}); // an accept error (EMFILE): the server keeps listening
      const address = server.address() as net.AddressInfo;
      resolve({ port: address.port, close: () => server.close() });
    });
  });
}
