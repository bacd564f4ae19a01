/**
 * The connection logic of the raw-API HTTP servers of the benchmark (node:net/node:tls,
 * Deno.listen/listenTls, Bun.listen), fed one arriving chunk at a time (from 'data' events on
 * Node, the `data` callback on Bun, a `conn.read()` loop on Deno): the same protocol subset as
 * examples/http-server.ts (the same functions of examples/http/protocol.ts), written the way
 * a good callback server is: the head is parsed straight from the arriving chunk, only an
 * incomplete request is kept (copied), several pipelined requests of one chunk are answered
 * in one go, and the per-request timeout is one timer per connection re-armed with
 * `refresh()` after each response (no timer allocated per request; Deno's web timers
 * have no refresh, so there it is cleared and set again).
 *
 * The runtime adapters (http-raw-node.ts, http-raw-deno.ts, http-raw-bun.ts) give it a {@linkcode RawTransport}
 * and call `onData`, `onClose`.
 *
 * @module
 */
import {
  CONTINUE,
  EMPTY,
  encodeResponse,
  type HttpHandler,
  HttpError,
  helloRoutes,
  parseRequestHead,
  type RequestHead,
} from "../../examples/http/protocol.ts";

/** Options of every raw server; the same meaning as in examples/http-server.ts. */
export interface RawServerOptions {
  host: string;
  port: number;
  /** ms per request (from the wait for its first byte to its response written), or null. */
  requestTimeout: number | null;
  maxHeadBytes?: number;
  maxBodyBytes?: number;
  tls?: { cert: string; key: string } | undefined;
  /** Synchronous handlers only (the raw servers do not await). Default helloRoutes. */
  handler?: HttpHandler;
}

/** A raw server once it listens. */
export interface RawServer {
  readonly port: number;
  close(): void;
}

/** What the connection logic needs from a runtime's socket. */
export interface RawTransport {
  /** Queues bytes (the adapter handles backpressure). */
  write(bytes: Uint8Array): void;
  /** Sends what is queued, then half-closes; the adapter destroys the socket a moment later. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
}

/**
 * What differs between runtimes: their fastest way to find the end of a head, decode it,
 * copy bytes, and re-arm a timer. Node and Bun: `Buffer` methods and `timer.refresh()`;
 * Deno: typed-array methods and `setTimeout` again.
 */
export interface RuntimeOps<B extends Uint8Array, T> {
  /** Index of "\r\n\r\n" at or after `from`, or -1. */
  findHeadEnd(bytes: B, from: number): number;
  decode(bytes: B, start: number, end: number): string;
  concat(a: B, b: B): B;
  /** A copy (Node's and Bun's `Buffer#slice` does not copy). */
  copy(bytes: B): B;
  startTimer(fn: () => void, ms: number): T;
  /** Restarts the timer's full duration; returns it (or its replacement). */
  restartTimer(timer: T, fn: () => void, ms: number): T;
  stopTimer(timer: T): void;
}

/** The HTTP state of one connection. */
export class RawHttpConnection<B extends Uint8Array, T> {
  readonly #transport: RawTransport;
  readonly #handler: HttpHandler;
  readonly #maxHead: number;
  readonly #maxBody: number;
  readonly #ops: RuntimeOps<B, T>;
  readonly #timeout: number;
  #pending: B | null = null;
  #head: RequestHead | null = null;
  #closed = false;
  #timer: T | null = null;

  constructor(transport: RawTransport, options: RawServerOptions, ops: RuntimeOps<B, T>) {
    this.#transport = transport;
    this.#handler = options.handler ?? helloRoutes;
    this.#maxHead = options.maxHeadBytes ?? 8192;
    this.#maxBody = options.maxBodyBytes ?? 1024 * 1024;
    this.#ops = ops;
    this.#timeout = options.requestTimeout ?? -1;
    if (this.#timeout >= 0) this.#timer = ops.startTimer(this.#onTimeout, this.#timeout);
  }

  /** Bytes arrived. `chunk` may be reused by the runtime after this returns. */
  onData(chunk: B): void {
    if (this.#closed) return;
    let buffer = this.#pending === null ? chunk : this.#ops.concat(this.#pending, chunk);
    this.#pending = null;
    let offset = 0;
    for (;;) {
      let head = this.#head;
      if (head === null) {
        const end = this.#ops.findHeadEnd(buffer, offset);
        if (end < 0 || end - offset > this.#maxHead) {
          if (end >= 0 || buffer.length - offset >= this.#maxHead) return this.#refuse(431, "request head too large");
          break;
        }
        try {
          head = parseRequestHead(this.#ops.decode(buffer, offset, end));
        } catch (error) {
          if (error instanceof HttpError) return this.#refuse(error.status, error.message);
          throw error;
        }
        offset = end + 4;
        if (head.contentLength > this.#maxBody) return this.#refuse(413, "request body too large");
        this.#head = head;
        if (head.expectContinue && head.contentLength > buffer.length - offset) this.#transport.write(CONTINUE);
      }
      if (buffer.length - offset < head.contentLength) break;
      const body = head.contentLength === 0 ? EMPTY : this.#ops.copy(buffer.subarray(offset, offset + head.contentLength) as B);
      offset += head.contentLength;
      this.#head = null;
      if (!this.#respond(head, body)) return;
      if (offset === buffer.length) return;
    }
    if (offset < buffer.length) this.#pending = (offset === 0 && buffer !== chunk ? buffer : this.#ops.copy(buffer.subarray(offset) as B));
  }

  /** The socket closed (either side). */
  onClose(): void {
    this.#closed = true;
    if (this.#timer !== null) this.#ops.stopTimer(this.#timer);
    this.#timer = null;
  }

  /** Answers a complete request; false when the connection is closing. */
  #respond(head: RequestHead, body: Uint8Array): boolean {
    let keepAlive = head.keepAlive;
    let response: Uint8Array;
    try {
      const answer = this.#handler({ method: head.method, target: head.target, version: head.version, headers: head.headers, body });
      response = encodeResponse(answer as Awaited<typeof answer>, keepAlive, head);
    } catch {
      keepAlive = false;
      response = encodeResponse({ status: 500, body: "internal server error\n" }, false, head);
    }
    this.#transport.write(response);
    if (this.#timer !== null) this.#timer = this.#ops.restartTimer(this.#timer, this.#onTimeout, this.#timeout); // the next request's deadline
    if (!keepAlive) this.#finish();
    return keepAlive;
  }

  #refuse(status: number, message: string): void {
    this.#transport.write(encodeResponse({ status, body: `${message}\n` }, false));
    this.#finish();
  }

  #finish(): void {
    this.#closed = true;
    this.#pending = null;
    if (this.#timer !== null) this.#ops.stopTimer(this.#timer);
    this.#timer = null;
    this.#transport.end();
  }

  #onTimeout = (): void => {
    this.#timer = null;
    if (this.#closed) return;
    if (this.#head !== null || this.#pending !== null) this.#refuse(408, "request timeout");
    else {
      this.#closed = true;
      this.#transport.destroy();
    }
  };
}

/** How long a half-closed connection may linger before it is destroyed (as the example). */
export const LINGER_MS = 500;
