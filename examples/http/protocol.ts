/**
 * The HTTP/1.1 subset that examples/http-server.ts speaks, as plain functions on strings and
 * bytes, with no I/O and no anyts: parsing a request head, encoding a response, the routes
 * of the example. The benchmark's raw-API servers (scripts/bench/http-raw-*.ts) use the same
 * functions, so that `npm run bench -- http` compares the I/O and nothing else.
 */
/** A parsed request. Header names are lower case; repeated headers are joined with ", ". */
export interface HttpRequest {
  method: string;
  target: string;
  version: "HTTP/1.0" | "HTTP/1.1";
  headers: Map<string, string>;
  body: Uint8Array;
}

/** What a handler answers. A string body is sent as UTF-8 text/plain unless headers say otherwise. */
export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** Answers one request (may be async). A handler that throws makes a 500 and closes the connection. */
export type HttpHandler = (request: HttpRequest) => HttpResponse | Promise<HttpResponse>;

/** A request head the server must refuse with `status`; its connection is closed after. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
  }
}

/** The head of a request, parsed: everything but its body. */
export interface RequestHead {
  method: string;
  target: string;
  version: "HTTP/1.0" | "HTTP/1.1";
  headers: Map<string, string>;
  contentLength: number;
  keepAlive: boolean;
  expectContinue: boolean;
}

/** The end of a request head. */
export const HEAD_END: Uint8Array = new TextEncoder().encode("\r\n\r\n");

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/(\d)\.(\d)$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const DIGITS = /^\d{1,15}$/;
const latin1 = new TextDecoder("latin1");

/** Decodes a request head (bytes up to, without, the blank line) for {@linkcode parseRequestHead}. */
export function decodeHead(bytes: Uint8Array): string {
  return latin1.decode(bytes);
}

/**
 * Parses a request head (RFC 9112, the subset this server speaks). Throws
 * {@linkcode HttpError} 400 for anything malformed (obs-fold, a space before a colon, a bad
 * or conflicting Content-Length, a missing or repeated Host on HTTP/1.1), 505 for a version
 * other than 1.x and 501 for Transfer-Encoding.
 */
export function parseRequestHead(head: string): RequestHead {
  let start = 0;
  while (head.startsWith("\r\n", start)) start += 2; // empty lines before a request are allowed
  const lines = head.slice(start).split("\r\n");
  const line = REQUEST_LINE.exec(lines[0]!);
  if (line === null) throw new HttpError(400, "malformed request line");
  if (line[3] !== "1") throw new HttpError(505, "HTTP version not supported");
  const version = line[4] === "0" ? "HTTP/1.0" : "HTTP/1.1";
  const headers = new Map<string, string>();
  let hosts = 0;
  for (let i = 1; i < lines.length; i++) {
    const field = lines[i]!;
    const colon = field.indexOf(":");
    if (colon <= 0) throw new HttpError(400, "malformed header field");
    const name = field.slice(0, colon).toLowerCase();
    if (!TOKEN.test(name)) throw new HttpError(400, "malformed header name"); // also obs-fold, "Name :"
    const value = field.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value)) throw new HttpError(400, "malformed header value");
    if (name === "host") hosts++;
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous}, ${value}`);
  }
  if (version === "HTTP/1.1" && hosts !== 1) throw new HttpError(400, "HTTP/1.1 needs exactly one Host");
  if (headers.has("transfer-encoding")) throw new HttpError(501, "Transfer-Encoding is not supported");
  let contentLength = 0;
  const length = headers.get("content-length");
  if (length !== undefined) {
    const values = length.split(",").map((v) => v.trim());
    if (!values.every((v) => v === values[0]) || !DIGITS.test(values[0]!)) {
      throw new HttpError(400, "malformed Content-Length");
    }
    contentLength = Number(values[0]);
  }
  const connection = headers.get("connection")?.toLowerCase();
  const tokens = connection === undefined ? [] : connection.split(",").map((v) => v.trim());
  const keepAlive = version === "HTTP/1.1" ? !tokens.includes("close") : tokens.includes("keep-alive");
  const expectContinue = headers.get("expect")?.toLowerCase() === "100-continue";
  return { method: line[1]!, target: line[2]!, version, headers, contentLength, keepAlive, expectContinue };
}

const REASONS: Record<number, string> = {
  100: "Continue", 200: "OK", 204: "No Content", 400: "Bad Request", 404: "Not Found",
  405: "Method Not Allowed", 408: "Request Timeout", 413: "Content Too Large",
  431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented",
  505: "HTTP Version Not Supported",
};
const encoder = new TextEncoder();
/** An empty body. */
export const EMPTY: Uint8Array<ArrayBuffer> = new Uint8Array(0);
let dateSecond = -1;
let dateValue = "";

/** The Date header's value, formatted once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

/** `HTTP/1.1 100 Continue`, for a client that sent `Expect: 100-continue`. */
export const CONTINUE: Uint8Array = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");

/**
 * A response as the bytes to send: status line, Date, Content-Length, Content-Type (for a
 * string body), `Connection: close` unless `keepAlive` (`keep-alive` for an HTTP/1.0
 * client), the handler's headers, the body (left out for HEAD). Throws TypeError for a
 * status or header that cannot be sent.
 */
export function encodeResponse(response: HttpResponse, keepAlive: boolean, request?: RequestHead): Uint8Array {
  const status = response.status;
  if (!Number.isInteger(status) || status < 200 || status > 599) throw new TypeError(`bad status ${status}`);
  const body = response.body === undefined ? EMPTY : typeof response.body === "string" ? encoder.encode(response.body) : response.body;
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? "Unknown"}\r\nDate: ${httpDate()}\r\nContent-Length: ${body.length}\r\n`;
  if (typeof response.body === "string" && response.headers?.["content-type"] === undefined) {
    head += "Content-Type: text/plain; charset=utf-8\r\n";
  }
  if (!keepAlive) head += "Connection: close\r\n";
  else if (request?.version === "HTTP/1.0") head += "Connection: keep-alive\r\n";
  if (response.headers !== undefined) {
    for (const name in response.headers) {
      const value = response.headers[name]!;
      if (!TOKEN.test(name) || !FIELD_VALUE.test(value) || /[^\x00-\x7f]/.test(value)) throw new TypeError(`bad header ${name}`);
      head += `${name}: ${value}\r\n`;
    }
  }
  head += "\r\n";
  const withBody = request?.method !== "HEAD" && body.length > 0;
  const out = new Uint8Array(head.length + (withBody ? body.length : 0)); // the head is ASCII
  encoder.encodeInto(head, out);
  if (withBody) out.set(body, head.length);
  return out;
}

/** The routes the benchmark serves: `GET /` → "Hello, World!", `POST /echo` → the body, else 404. */
export function helloRoutes(request: HttpRequest): HttpResponse {
  if (request.target === "/" && (request.method === "GET" || request.method === "HEAD")) {
    return { status: 200, body: "Hello, World!\n" };
  }
  if (request.target === "/echo") {
    if (request.method !== "POST") return { status: 405, headers: { allow: "POST" }, body: "POST only\n" };
    return { status: 200, headers: { "content-type": "application/octet-stream" }, body: request.body };
  }
  return { status: 404, body: "not found\n" };
}
