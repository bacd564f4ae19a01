/**
 * The floor of a pull-style server on Node's raw API, for the HTTP benchmark's `plain`
 * case: node:net and the connection logic of http-raw-core.ts, as in http-raw-node.ts,
 * but each connection is served the way any promise-based, structured API must serve it —
 * one `AsyncLocalStorage.run` per connection (its task's context) and a loop that awaits
 * one promise per arriving chunk (`read()`), instead of handling chunks in 'data'
 * callbacks. No anyts code is loaded: what this costs against the callback server is the
 * price of the pull model itself on this runtime, below which anyts cannot go.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Buffer } from "node:buffer";
import * as net from "node:net";
import { nodeBufferOps } from "./http-raw-node.ts";
import { LINGER_MS, RawHttpConnection, type RawServer, type RawServerOptions } from "./http-raw-core.ts";

const taskContext = new AsyncLocalStorage<{ socket: net.Socket }>();

/** One chunk at a time from a paused socket: a promise per read, null at the end. */
class PullReader {
  readonly #socket: net.Socket;
  #chunk: Buffer | null = null;
  #ended = false;
  #waiter: ((chunk: Buffer | null) => void) | null = null;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      const waiter = this.#waiter;
      if (waiter !== null) {
        this.#waiter = null;
        waiter(chunk);
      } else {
        this.#chunk = chunk;
        socket.pause();
      }
    });
    const end = () => {
      this.#ended = true;
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter?.(null);
    };
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", () => {}); // a reset: 'close' follows
  }

  read(): Promise<Buffer | null> {
    const chunk = this.#chunk;
    if (chunk !== null) {
      this.#chunk = null;
      this.#socket.resume();
      return Promise.resolve(chunk);
    }
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.#waiter = resolve));
  }
}

async function serveConnection(socket: net.Socket, options: RawServerOptions): Promise<void> {
  socket.setNoDelay(true);
  const reader = new PullReader(socket);
  const connection = new RawHttpConnection({
    write(bytes) {
      socket.write(bytes);
    },
    end() {
      socket.end();
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    },
    destroy() {
      socket.destroy();
    },
  }, options, nodeBufferOps);
  for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
    connection.onData(chunk);
  }
  connection.onClose();
}

/** Listens with node:net (plain TCP only); resolves once listening. */
export function startNodeFloorServer(options: RawServerOptions): Promise<RawServer> {
  if (options.tls !== undefined) throw new TypeError("the floor server is plain TCP only");
  const server = net.createServer({ noDelay: true }, (socket) => {
    taskContext.run({ socket }, serveConnection, socket, options).catch(() => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.host, port: options.port, backlog: 65535 }, () => {
      server.off("error", reject);
      server.on("error", () => {});
      const address = server.address() as net.AddressInfo;
      resolve({ port: address.port, close: () => server.close() });
    });
  });
}
