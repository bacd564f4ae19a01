/**
 * The raw Deno HTTP server of the benchmark: `Deno.listen` (`Deno.listenTls` with `tls`), an
 * accept loop, and per connection a read loop on `conn.read()` into one reused 16 KiB buffer
 * (the size of the deno backend's small reads: an idle connection holds one pending read)
 * that hands each chunk to the connection logic of http-raw-core.ts, then writes the
 * responses it produced (concatenated when several pipelined requests came in one chunk)
 * with `conn.write()` until every byte went, before reading again. TCP_NODELAY as anyts.
 *
 * @module
 */
import { decodeHead } from "../../examples/http/protocol.ts";
import { LINGER_MS, RawHttpConnection, type RawServer, type RawServerOptions, type RawTransport, type RuntimeOps } from "./http-raw-core.ts";

/** The part of `Deno.Conn` / `Deno.TlsConn` the server uses. */
interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
}
interface DenoListener {
  readonly addr: { port: number };
  accept(): Promise<DenoConn>;
  close(): void;
}
interface DenoNamespace {
  listen(options: { hostname: string; port: number }): DenoListener;
  listenTls(options: { hostname: string; port: number; cert: string; key: string }): DenoListener;
}

/** Typed-array methods (Deno has no Buffer of its own) and web timers. */
const denoOps: RuntimeOps<Uint8Array, number> = {
  findHeadEnd(bytes, from) {
    for (let i = bytes.indexOf(13, from); i >= 0 && i + 3 < bytes.length; i = bytes.indexOf(13, i + 1)) {
      if (bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
    }
    return -1;
  },
  decode: (bytes, start, end) => decodeHead(bytes.subarray(start, end)),
  concat(a, b) {
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  },
  copy: (bytes) => bytes.slice(),
  startTimer: (fn, ms) => setTimeout(fn, ms) as unknown as number,
  restartTimer(timer, fn, ms) {
    clearTimeout(timer);
    return setTimeout(fn, ms) as unknown as number;
  },
  stopTimer: (timer) => clearTimeout(timer),
};

/** Queues the responses of one chunk and writes them out; closes as the core asks. */
class DenoWriter implements RawTransport {
  readonly #conn: DenoConn;
  readonly #queue: Uint8Array[] = [];
  #writing = false;
  #closedWrite = false;
  #linger: number | undefined;
  /** Inside the read loop's onData: the loop flushes; outside (a timer) write() and end() do. */
  inData = false;
  ending = false;
  destroyed = false;

  constructor(conn: DenoConn) {
    this.#conn = conn;
  }

  write(bytes: Uint8Array): void {
    this.#queue.push(bytes);
    if (!this.inData) void this.flush();
  }

  end(): void {
    this.ending = true;
    this.#linger = setTimeout(() => this.destroy(), LINGER_MS) as unknown as number;
    if (!this.inData) void this.flush();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearTimeout(this.#linger);
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  get pending(): boolean {
    return this.#queue.length > 0 || (this.ending && !this.#closedWrite);
  }

  /** Writes everything queued (then half-closes if ending). Never rejects: a failure destroys. */
  async flush(): Promise<void> {
    if (this.#writing || this.destroyed) return;
    this.#writing = true;
    try {
      const queue = this.#queue;
      while (queue.length > 0) {
        let bytes = queue[0]!;
        if (queue.length > 1) {
          let size = 0;
          for (const part of queue) size += part.length;
          bytes = new Uint8Array(size);
          let at = 0;
          for (const part of queue) {
            bytes.set(part, at);
            at += part.length;
          }
        }
        queue.length = 0;
        for (let sent = 0; sent < bytes.length;) sent += await this.#conn.write(sent === 0 ? bytes : bytes.subarray(sent));
      }
      if (this.ending && !this.#closedWrite) {
        this.#closedWrite = true;
        await this.#conn.closeWrite();
      }
    } catch {
      this.destroy();
    } finally {
      this.#writing = false;
    }
  }
}

async function serveConnection(conn: DenoConn, options: RawServerOptions): Promise<void> {
  try {
    conn.setNoDelay?.(true);
  } catch {
    // a TLS connection before its handshake
  }
  const writer = new DenoWriter(conn);
  const connection = new RawHttpConnection(writer, options, denoOps);
  const buffer = new Uint8Array(16 * 1024);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      writer.inData = true;
      connection.onData(buffer.subarray(0, n));
      writer.inData = false;
      if (writer.pending) await writer.flush();
      if (writer.destroyed) break;
    }
  } catch {
    // a reset, a TLS failure, or closed by the timeout
  } finally {
    connection.onClose();
    writer.destroy();
  }
}

/** Listens with Deno.listen (Deno.listenTls with `options.tls`). */
export function startDenoRawServer(options: RawServerOptions): RawServer {
  const Deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
  const address = { hostname: options.host, port: options.port };
  const listener = options.tls === undefined ? Deno.listen(address) : Deno.listenTls({ ...address, ...options.tls });
  let closed = false;
  (async () => {
    while (!closed) {
      let conn: DenoConn;
      try {
        conn = await listener.accept();
      } catch {
        if (closed) return;
        await new Promise((resolve) => setTimeout(resolve, 100)); // EMFILE: wait, as Trio does
        continue;
      }
      void serveConnection(conn, options);
    }
  })();
  return {
    port: listener.addr.port,
    close() {
      closed = true;
      listener.close();
    },
  };
}
