/**
 * An HTTP/1.1 keep-alive server on anyts, written the way a server should be:
 *
 *   node examples/http-server.ts               a self-check: starts, makes a few requests to
 *                                              itself (keep-alive, a 400, a slowloris client,
 *                                              a graceful shutdown), prints them and exits
 *   node examples/http-server.ts --port 8080   serves http://127.0.0.1:8080/ until Ctrl-C
 *     [--host H] [--request-timeout MS]        (the per-request timeout; default 10 000)
 *   deno run -A examples/http-server.ts …      bun examples/http-server.ts …
 *
 * - `createTcpListener` + `serve`: one task per connection, in a task group the server owns.
 * - Each connection is read through a `BufferedByteReceiveStream`; the request head is read
 *   with `receiveUntil("\r\n\r\n", maxHeadBytes)`, so a client cannot make the server buffer
 *   more than that (431); a Content-Length body is read with `receiveExactly` (413 above
 *   `maxBodyBytes`; Transfer-Encoding is not implemented: 501).
 * - Keep-alive: HTTP/1.1 connections stay open unless a side says `Connection: close`;
 *   HTTP/1.0 ones only with `Connection: keep-alive`. Pipelined requests are answered in order.
 * - `requestTimeout`: one `moveOnAfter` per request, from the wait for its first byte to the
 *   last byte of its response. A slowloris client (one that trickles its head a byte at a
 *   time) is cut off at that deadline however often it sends, with 408 if it had started a
 *   request; an idle keep-alive connection is closed at it.
 * - A malformed request gets 400 and its connection is closed; a client that resets, breaks
 *   TLS or disappears mid-request costs only its own connection. Nothing a client does ends
 *   the server.
 * - Graceful shutdown, `server.shutdown()`: the listener closes, idle connections are closed,
 *   requests in progress finish (their response says `Connection: close`) for up to
 *   `gracePeriod` ms; then the connections' cancel scope is cancelled and the rest are
 *   closed. Cancelling the scope around the server instead closes everything at once.
 *
 * The protocol itself (parsing a head, encoding a response) is in ./http/protocol.ts, plain
 * functions without I/O, which the benchmark's raw-API servers share.
 */
import process from "node:process";
import { pathToFileURL } from "node:url";
import {
  type AnyByteStream,
  BufferedByteReceiveStream,
  Cancelled,
  ClosedResourceError,
  connectTcp,
  createTcpListener,
  currentBackend,
  currentTime,
  DelimiterNotFound,
  detectRuntime,
  EndOfStream,
  Event,
  IncompleteRead,
  type Listener,
  moveOnAfter,
  run,
  sleep,
  SocketAttribute,
  type TaskGroup,
  taskGroup,
  type TaskStatus,
  TLSListener,
} from "../mod.ts";
import {
  CONTINUE,
  decodeHead,
  EMPTY,
  encodeResponse,
  HEAD_END,
  type HttpHandler,
  HttpError,
  helloRoutes,
  parseRequestHead,
  type RequestHead,
} from "./http/protocol.ts";

export type { HttpHandler, HttpRequest, HttpResponse } from "./http/protocol.ts";

// ------------------------------------------------------------------ the server

/** Options of {@linkcode startHttpServer}. Durations are milliseconds. */
export interface HttpServerOptions {
  /** Address to listen on; default "127.0.0.1". */
  host?: string;
  /** Port; default 0 (any free port: read `server.port`). */
  port?: number;
  /** Default: {@linkcode helloRoutes}. */
  handler?: HttpHandler;
  /** Bound of each request, from the wait for its first byte to its response sent; default 10 000; null: none. */
  requestTimeout?: number | null;
  /** Longest request head; default 8 KiB. */
  maxHeadBytes?: number;
  /** Longest request body; default 1 MiB. */
  maxBodyBytes?: number;
  /** How long `shutdown()` lets requests in progress finish; default 5 000. */
  gracePeriod?: number;
  /** Serve HTTPS: PEM certificate and key; `standardCompatible: false` takes the runtime's native TLS. */
  tls?: { cert: string; key: string; standardCompatible?: boolean };
  /** Called with every error a handler throws (the client got a 500); default: ignored. */
  onError?: (error: unknown) => void;
}

const OPTION_KEYS = ["host", "port", "handler", "requestTimeout", "maxHeadBytes", "maxBodyBytes", "gracePeriod", "tls", "onError"];

/** Counters of a running server. */
export interface HttpServerStats {
  /** Connections accepted. */
  connections: number;
  /** Responses sent for complete requests. */
  requests: number;
  /** Requests refused with 4xx/5xx before reaching the handler (malformed, too large, 408). */
  rejected: number;
  /** Requests or idle connections cut off by `requestTimeout`. */
  timedOut: number;
  /** Connections that broke (reset, bad TLS, gone mid-request). */
  dropped: number;
  /** Handler failures (answered with 500). */
  failures: number;
}

type Phase = "idle" | "head" | "body" | "handler" | "respond";
interface Connection {
  stream: AnyByteStream;
  reader: BufferedByteReceiveStream;
  phase: Phase;
}
const KEEP = true;
const CLOSE = false;
const LINGER_MS = 500;

/** A running server: its port, its counters, and `shutdown()`. */
export class HttpServer {
  readonly port: number;
  readonly stats: HttpServerStats = { connections: 0, requests: 0, rejected: 0, timedOut: 0, dropped: 0, failures: 0 };
  readonly #handler: HttpHandler;
  readonly #timeout: number | null;
  readonly #maxHead: number;
  readonly #maxBody: number;
  readonly #onError: (error: unknown) => void;
  readonly #open = new Set<Connection>();
  readonly #shutdown = new Event();
  #draining = false;

  constructor(port: number, options: HttpServerOptions) {
    this.port = port;
    this.#handler = options.handler ?? helloRoutes;
    this.#timeout = options.requestTimeout === undefined ? 10_000 : options.requestTimeout;
    this.#maxHead = options.maxHeadBytes ?? 8192;
    this.#maxBody = options.maxBodyBytes ?? 1024 * 1024;
    this.#onError = options.onError ?? (() => {});
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.#open.size;
  }

  /** Starts a graceful shutdown (see the module comment). Idempotent; callable from anywhere. */
  shutdown(): void {
    this.#shutdown.set();
  }

  /** @internal Waits for shutdown(). */
  _shutdownRequested(): Promise<void> {
    return this.#shutdown.wait();
  }

  /** @internal Stops keep-alive and closes the connections waiting for a request. */
  _drain(): void {
    this.#draining = true;
    for (const connection of this.#open) {
      if (connection.phase === "idle" && connection.reader.buffer.length === 0) void connection.stream.aclose();
    }
  }

  /** @internal The task of one connection; `serve` closes the stream after it. */
  async _serveConnection(stream: AnyByteStream): Promise<void> {
    const connection: Connection = { stream, reader: new BufferedByteReceiveStream(stream), phase: "idle" };
    this.stats.connections++;
    this.#open.add(connection);
    try {
      const timeout = this.#timeout;
      for (;;) {
        if (this.#draining) return;
        if (timeout === null) {
          if ((await this.#serveRequest(connection)) === CLOSE) return;
          continue;
        }
        const outcome = await moveOnAfter(timeout, () => this.#serveRequest(connection));
        if (outcome === CLOSE) return;
        if (outcome === undefined) return await this.#timedOut(connection);
      }
    } catch (error) {
      if (error instanceof Cancelled) throw error; // shutdown's deadline or the caller's cancel
      if (!(error instanceof ClosedResourceError && this.#draining)) this.stats.dropped++;
    } finally {
      this.#open.delete(connection);
    }
  }

  /** Reads one request and answers it. Resolves to whether the connection stays open. */
  async #serveRequest(connection: Connection): Promise<boolean> {
    const { stream, reader } = connection;
    connection.phase = "idle";
    let head: RequestHead;
    try {
      const bytes = await reader.receiveUntil(HEAD_END, this.#maxHead);
      if (bytes.length > this.#maxHead) throw new DelimiterNotFound(this.#maxHead);
      connection.phase = "head";
      head = parseRequestHead(decodeHead(bytes));
    } catch (error) {
      if (error instanceof HttpError) return await this.#refuse(connection, error.status, error.message);
      if (error instanceof DelimiterNotFound) return await this.#refuse(connection, 431, "request head too large");
      if (error instanceof IncompleteRead) return CLOSE; // the client closed, between requests or mid-head
      if (error instanceof ClosedResourceError && this.#draining) return CLOSE; // closed by _drain()
      throw error;
    }
    if (head.contentLength > this.#maxBody) return await this.#refuse(connection, 413, "request body too large");
    let body: Uint8Array = EMPTY;
    if (head.contentLength > 0) {
      connection.phase = "body";
      if (head.expectContinue) await stream.send(CONTINUE);
      try {
        body = await reader.receiveExactly(head.contentLength);
      } catch (error) {
        if (error instanceof IncompleteRead) return CLOSE;
        throw error;
      }
    }
    connection.phase = "handler";
    let keepAlive = head.keepAlive;
    let response: Uint8Array;
    try {
      let answer = this.#handler({ method: head.method, target: head.target, version: head.version, headers: head.headers, body });
      if (answer instanceof Promise) answer = await answer; // a synchronous handler costs no promise round
      keepAlive &&= !this.#draining;
      response = encodeResponse(answer, keepAlive, head);
    } catch (error) {
      if (error instanceof Cancelled) throw error;
      this.stats.failures++;
      this.#onError(error);
      keepAlive = false;
      response = encodeResponse({ status: 500, body: "internal server error\n" }, false, head);
    }
    connection.phase = "respond";
    await stream.send(response);
    this.stats.requests++;
    return keepAlive ? KEEP : CLOSE;
  }

  /**
   * Answers a request the server will not serve, then closes the connection: half-close, and
   * read what the client still sends for a moment, so that closing with unread bytes does not
   * reset the connection before the client has read the answer.
   */
  async #refuse(connection: Connection, status: number, message: string): Promise<boolean> {
    this.stats.rejected++;
    const { stream, reader } = connection;
    await stream.send(encodeResponse({ status, body: `${message}\n` }, false));
    try {
      await stream.sendEof();
      await moveOnAfter(LINGER_MS, async () => {
        for (let read = 0; read < 65536;) read += (await reader.receive()).length;
      });
    } catch (error) {
      if (!(error instanceof EndOfStream)) throw error; // cancellation; a broken client: dropped
    }
    return CLOSE;
  }

  /** `requestTimeout` struck: 408 if the client had begun a request, then close. */
  async #timedOut(connection: Connection): Promise<void> {
    this.stats.timedOut++;
    const started = connection.phase === "head" || connection.phase === "body" ||
      (connection.phase === "idle" && connection.reader.buffer.length > 0);
    if (started) await moveOnAfter(LINGER_MS, () => this.#refuse(connection, 408, "request timeout"));
  }
}

/**
 * Runs an HTTP server until cancelled or until `shutdown()` has drained it. Use it as a
 * task: `await taskGroup.start((status) => serveHttp(options, status))` resolves to the
 * {@linkcode HttpServer} once it listens ({@linkcode startHttpServer} does that).
 */
export async function serveHttp(options: HttpServerOptions = {}, status?: TaskStatus<HttpServer>): Promise<void> {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new TypeError(`serveHttp: unknown option ${key}`);
  }
  const listener = await createTcpListener({ localHost: options.host ?? "127.0.0.1", localPort: options.port ?? 0 });
  try {
    const server = new HttpServer(listener.extra(SocketAttribute.localPort), options);
    const tls = options.tls;
    const acceptor: Listener<AnyByteStream> = tls === undefined ? listener : new TLSListener(listener, {
      cert: tls.cert,
      key: tls.key,
      standardCompatible: tls.standardCompatible ?? true,
      handshakeTimeout: options.requestTimeout ?? 30_000, // a silent TLS client is a slowloris too
      onHandshakeError: () => server.stats.dropped++,
    });
    await taskGroup(async (connections) => {
      await taskGroup(async (accepting) => {
        accepting.startSoon(() => acceptor.serve((stream) => server._serveConnection(stream), connections));
        status?.started(server);
        await server._shutdownRequested();
        accepting.cancelScope.cancel();
      });
      await listener.aclose(); // refuse new clients from now on
      server._drain();
      connections.cancelScope.deadline = currentTime() + (options.gracePeriod ?? 5_000);
    });
  } finally {
    await listener.aclose();
  }
}

/**
 * Starts an HTTP server as a task of `taskGroup`; resolves once it listens. Stop it with
 * `server.shutdown()` (graceful) or by cancelling the task group (at once).
 */
export function startHttpServer(taskGroup: TaskGroup, options: HttpServerOptions = {}): Promise<HttpServer> {
  return taskGroup.start<HttpServer>((status) => serveHttp(options, status));
}

// ------------------------------------------------------------------ run directly

/** Whether this module is the program (not imported by the benchmark or a test). */
function isMain(): boolean {
  const main = (import.meta as ImportMeta & { main?: boolean }).main; // Deno, Bun, Node ≥ 24.2
  if (typeof main === "boolean") return main;
  const entry = process.argv[1];
  return entry !== undefined && import.meta.url === pathToFileURL(entry).href;
}

/**
 * `--port N [--host H] [--request-timeout MS]`: serve until SIGINT (the first one drains, a
 * second one exits at once).
 */
async function serveUntilInterrupted(port: number, host: string, requestTimeout?: number): Promise<void> {
  let interrupts = 0;
  let server: HttpServer | undefined;
  const onInterrupt = () => {
    if (++interrupts > 1) process.exit(130);
    console.log("SIGINT: shutting down (again to quit at once)");
    server?.shutdown();
  };
  process.on("SIGINT", onInterrupt);
  try {
    await run(() =>
      taskGroup(async (tg) => {
        server = await startHttpServer(tg, {
          host,
          port,
          ...(requestTimeout === undefined ? {} : { requestTimeout }),
          onError: (error) => console.error("handler failed:", error),
        });
        console.log(`serving on http://${host}:${server.port}/ (${detectRuntime()}); Ctrl-C stops`);
        if (interrupts > 0) server.shutdown();
      })
    );
    console.log("stopped:", server?.stats);
  } finally {
    process.off("SIGINT", onInterrupt);
  }
}

/** A response as a client sees it. */
interface SeenResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

async function readResponse(reader: BufferedByteReceiveStream): Promise<SeenResponse> {
  const lines = decodeHead(await reader.receiveUntil(HEAD_END, 8192)).split("\r\n");
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const length = Number(headers.get("content-length") ?? 0);
  const body = length > 0 ? new TextDecoder().decode(await reader.receiveExactly(length)) : "";
  return { status: Number(lines[0]!.split(" ")[1]), headers, body };
}

/** The stream ended (the server closed the connection)? */
async function closedByServer(reader: BufferedByteReceiveStream): Promise<boolean> {
  try {
    await reader.receive();
    return false;
  } catch (error) {
    if (error instanceof EndOfStream || error instanceof ClosedResourceError) return true;
    throw error;
  }
}

async function selfCheck(): Promise<void> {
  const t0 = currentTime();
  const log = (message: string) => console.log(`[${(currentTime() - t0).toFixed(0).padStart(4)} ms] ${message}`);
  const check = (condition: boolean, message: string) => {
    if (!condition) throw new Error(`http-server example: ${message}`);
  };
  const text = (s: string) => new TextEncoder().encode(s);
  const slowStarted = new Event();
  const handler: HttpHandler = async (request) => {
    if (request.target !== "/slow") return helloRoutes(request);
    slowStarted.set();
    await sleep(200);
    return { status: 200, body: "slow but done\n" };
  };

  await run(async () => {
    await taskGroup(async (tg) => {
      const server = await startHttpServer(tg, { handler, requestTimeout: 300, gracePeriod: 1_000 });
      const port = server.port;
      log(`listening on 127.0.0.1:${port} (${detectRuntime()}, backend ${currentBackend()})`);
      const open = async () => {
        const stream = await connectTcp("127.0.0.1", port);
        return { stream, reader: new BufferedByteReceiveStream(stream) };
      };

      // Keep-alive: several requests, two of them pipelined, on one connection.
      {
        const { stream, reader } = await open();
        await stream.send(text("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        const hello = await readResponse(reader);
        await stream.send(text("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\npingGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
        const echo = await readResponse(reader);
        const missing = await readResponse(reader);
        await stream.send(text("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        const last = await readResponse(reader);
        log(`keep-alive: ${hello.status} "${hello.body.trim()}", ${echo.status} "${echo.body}", ${missing.status}, ` +
          `${last.status} with Connection: ${last.headers.get("connection")}, on ${server.stats.connections} connection`);
        check(hello.status === 200 && echo.body === "ping" && missing.status === 404 && last.status === 200, "keep-alive responses");
        check(server.stats.connections === 1 && (await closedByServer(reader)), "Connection: close did not close");
        await stream.aclose();
      }

      // A malformed request: 400, and the server closes that connection.
      {
        const { stream, reader } = await open();
        await stream.send(text("GET / HTTP/1.1\r\nHost: x\r\nBad Header: obs\r\n\r\n"));
        const bad = await readResponse(reader);
        const closed = await closedByServer(reader);
        log(`malformed header: ${bad.status} "${bad.body.trim()}", connection closed: ${closed}`);
        check(bad.status === 400 && closed, "a malformed request was not refused");
        await stream.aclose();
      }

      // A slowloris client, one byte every 20 ms: cut off at requestTimeout with 408.
      {
        const { stream, reader } = await open();
        const started = currentTime();
        let response: SeenResponse | undefined;
        await taskGroup(async (client) => {
          client.startSoon(async () => {
            try {
              for (const byte of text(`GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ${"z".repeat(500)}`)) {
                await stream.send(new Uint8Array([byte]));
                await sleep(20);
              }
            } catch (error) {
              if (error instanceof Cancelled) throw error; // else the server hung up: expected
            }
          });
          response = await readResponse(reader);
          client.cancelScope.cancel();
        });
        const elapsed = currentTime() - started;
        log(`slowloris: ${response!.status} after ${elapsed.toFixed(0)} ms (requestTimeout 300 ms)`);
        check(response!.status === 408 && elapsed < 2_000 && (await closedByServer(reader)), "slowloris was not cut off");
        await stream.aclose();
      }

      // Graceful shutdown: a request in progress finishes, an idle connection is closed.
      {
        const idle = await open();
        await idle.stream.send(text("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        check((await readResponse(idle.reader)).status === 200, "the server stopped answering");
        const busy = await open();
        await busy.stream.send(text("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
        await slowStarted.wait();
        server.shutdown();
        const slow = await readResponse(busy.reader);
        const idleClosed = await closedByServer(idle.reader);
        log(`shutdown: the request in progress got ${slow.status} "${slow.body.trim()}" with Connection: ` +
          `${slow.headers.get("connection")}; the idle connection was closed: ${idleClosed}`);
        check(slow.status === 200 && slow.headers.get("connection") === "close" && idleClosed, "graceful shutdown");
        await idle.stream.aclose();
        await busy.stream.aclose();
      }
      log(`server stopped: ${JSON.stringify(server.stats)}`);
    });
  });
  log("done");
}

if (isMain()) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--port");
  if (at >= 0) {
    const port = Number(args[at + 1]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`--port must be 0–65535, got ${args[at + 1]}`);
    const hostAt = args.indexOf("--host");
    const timeoutAt = args.indexOf("--request-timeout");
    const timeout = timeoutAt >= 0 ? Number(args[timeoutAt + 1]) : undefined;
    if (timeout !== undefined && !(timeout > 0)) throw new RangeError(`--request-timeout must be a positive number of ms, got ${args[timeoutAt + 1]}`);
    await serveUntilInterrupted(port, hostAt >= 0 ? args[hostAt + 1]! : "127.0.0.1", timeout);
  } else {
    await selfCheck();
  }
}
