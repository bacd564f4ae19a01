/**
 * Address helpers of the networking core, on web-standard APIs only: IP literal parsing,
 * argument validation, and recognising runtime errors by their code.
 *
 * @module
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * @ignore The family of an IP literal (`4` or `6`), or `0` for anything else (a host
 * name). An IPv6 literal may carry a zone (`fe80::1%eth0`) and square brackets.
 */
export function ipFamily(host: string): 0 | 4 | 6 {
  if (IPV4.test(host)) return 4;
  return normalizeIPv6(host) !== undefined ? 6 : 0;
}

/** @ignore The IPv6 literal without brackets (zone kept), or `undefined` if `host` is none. */
export function normalizeIPv6(host: string): string | undefined {
  let text = host;
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  if (!text.includes(":")) return undefined;
  const zoneAt = text.indexOf("%");
  const address = zoneAt === -1 ? text : text.slice(0, zoneAt);
  if (zoneAt !== -1 && zoneAt === text.length - 1) return undefined;
  if (!/^[0-9a-fA-F:.]+$/.test(address)) return undefined;
  try {
    // The WHATWG URL parser validates IPv6 literals on every runtime.
    new URL(`http://[${address}]/`);
  } catch {
    return undefined;
  }
  return text;
}

/** @ignore `host` as an IP literal without brackets, or `undefined` if it is a name. */
export function ipLiteral(host: string): { address: string; family: 4 | 6 } | undefined {
  if (IPV4.test(host)) return { address: host, family: 4 };
  const v6 = normalizeIPv6(host);
  return v6 === undefined ? undefined : { address: v6, family: 6 };
}

/**
 * @ignore A host name in the ASCII form resolvers take: international names become
 * punycode (UTS #46, as the WHATWG URL parser does it).
 */
export function asciiHost(host: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(host)) return host;
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    throw new RangeError(`host is not a valid host name: ${JSON.stringify(host)}`);
  }
}

/** @ignore Validates a port: an integer from 0 to 65535. Throws TypeError or RangeError naming `name`. */
export function validatePort(port: unknown, name = "port"): number {
  if (typeof port !== "number") throw new TypeError(`${name} must be a number, got ${typeof port}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${name} must be an integer from 0 to 65535, got ${port}`);
  }
  return port;
}

/** @ignore Validates a host: a non-empty string. Throws TypeError or RangeError naming `name`. */
export function validateHost(host: unknown, name = "host"): string {
  if (typeof host !== "string") throw new TypeError(`${name} must be a string, got ${host === null ? "null" : typeof host}`);
  if (host.length === 0) throw new RangeError(`${name} must not be empty`);
  return host;
}

/** @ignore Validates an address family option: 0 (any), 4 or 6. */
export function validateFamily(family: unknown, name = "family"): 0 | 4 | 6 {
  if (family !== 0 && family !== 4 && family !== 6) {
    throw new RangeError(`${name} must be 0, 4 or 6, got ${String(family)}`);
  }
  return family;
}

/** @ignore Validates a function argument. */
export function validateFunction(fn: unknown, name: string): void {
  if (typeof fn !== "function") throw new TypeError(`${name} must be a function, got ${fn === null ? "null" : typeof fn}`);
}

/** @ignore Validates a boolean option. */
export function validateBoolean(value: unknown, name: string): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${name} must be a boolean, got ${typeof value}`);
  return value;
}

/** @ignore Validates a backlog and clamps it to 1..65536 (AnyIO clamps at 65536). */
export function validateBacklog(backlog: unknown): number {
  if (typeof backlog !== "number") throw new TypeError(`backlog must be a number, got ${typeof backlog}`);
  if (!(backlog >= 0) || (!Number.isInteger(backlog) && backlog !== Infinity)) {
    throw new RangeError(`backlog must be a non-negative integer, got ${backlog}`);
  }
  return Math.max(1, Math.min(backlog, 65536));
}

/** @ignore Whether a runtime's error means "address already in use" (Node, Deno, Bun). */
export function isAddressInUse(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown } | null;
  return e?.code === "EADDRINUSE" || e?.name === "AddrInUse";
}

/** @ignore Whether a runtime's error means "this address family or address is not available here". */
export function isAddressUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown } | null;
  return e?.code === "EAFNOSUPPORT" || e?.code === "EADDRNOTAVAIL" || e?.name === "AddrNotAvailable";
}

/**
 * @ignore Whether an accept failed only because that one connection died before or while
 * it was accepted (reset or aborted by the client): the listener drops it and goes on, as
 * Trio's and AnyIO's do.
 */
export function isDroppedConnection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ECONNABORTED" || code === "ECONNRESET" || code === "ENOTCONN" || code === "EPROTO";
}

/** @ignore `Uint8Array` check with a TypeError naming `name`. */
export function validateBytes(data: unknown, name = "data"): Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`${name} must be a Uint8Array, got ${data === null ? "null" : typeof data}`);
  }
  return data;
}
