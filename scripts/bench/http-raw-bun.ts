/**
 * The raw Bun HTTP server of the benchmark: `Bun.listen` (with `tls`), one handler object
 * whose state lives in `socket.data`, the connection logic of http-raw-core.ts on each
 * `data` callback, `socket.write()` with the unwritten rest kept for `drain` (reading
 * paused meanwhile). TCP_NODELAY as anyts.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { LINGER_MS, RawHttpConnection, type RawServer, type RawServerOptions, type RawTransport } from "./http-raw-core.ts";
import { nodeBufferOps } from "./http-raw-node.ts";

/** The part of Bun's TCPSocket / TLSSocket the server uses. */
interface BunSocket {
  data: BunTransport;
  write(bytes: Uint8Array): number;
  end(): void;
  terminate(): void;
  pause?(): void;
  resume?(): void;
  setNoDelay?(noDelay: boolean): void;
}
interface BunNamespace {
  listen(options: {
    hostname: string;
    port: number;
    tls?: { cert: string; key: string };
    socket: {
      open(socket: BunSocket): void;
      data(socket: BunSocket, chunk: Buffer): void;
      drain(socket: BunSocket): void;
      close(socket: BunSocket): void;
      error(socket: BunSocket, error: Error): void;
    };
  }): { port: number; stop(closeActive?: boolean): void };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

class BunTransport implements RawTransport {
  readonly socket: BunSocket;
  connection!: RawHttpConnection<Buffer, ReturnType<typeof setTimeout>>;
  #unwritten: Uint8Array | null = null;
  #ending = false;

  constructor(socket: BunSocket) {
    this.socket = socket;
  }

  write(bytes: Uint8Array): void {
    if (this.#unwritten !== null) {
      this.#unwritten = concat(this.#unwritten, bytes);
      return;
    }
    const written = this.socket.write(bytes);
    if (written < bytes.length) {
      this.#unwritten = bytes.subarray(Math.max(written, 0));
      this.socket.pause?.(); // no more requests until the client reads
    }
  }

  onDrain(): void {
    const rest = this.#unwritten;
    if (rest === null) return;
    const written = this.socket.write(rest);
    if (written < rest.length) {
      this.#unwritten = rest.subarray(Math.max(written, 0));
      return;
    }
    this.#unwritten = null;
    if (this.#ending) this.socket.end();
    else this.socket.resume?.();
  }

  end(): void {
    this.#ending = true;
    if (this.#unwritten === null) this.socket.end();
    setTimeout(() => this.socket.terminate(), LINGER_MS);
  }

  destroy(): void {
    this.socket.terminate();
  }
}

/** Listens with Bun.listen (with `tls` when `options.tls`). */
export function startBunRawServer(options: RawServerOptions): RawServer {
  const Bun = (globalThis as unknown as { Bun: BunNamespace }).Bun;
  const server = Bun.listen({
    hostname: options.host,
    port: options.port,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    socket: {
      open(socket) {
        socket.setNoDelay?.(true);
        const transport = new BunTransport(socket);
        transport.connection = new RawHttpConnection(transport, options, nodeBufferOps);
        socket.data = transport;
      },
      data: (socket, chunk) => socket.data.connection.onData(chunk),
      drain: (socket) => socket.data.onDrain(),
      close: (socket) => socket.data?.connection.onClose(),
      error() {}, // a reset or a TLS failure: close follows
    },
  });
  return { port: server.port, close: () => server.stop(true) };
}
