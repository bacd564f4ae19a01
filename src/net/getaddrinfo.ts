/**
 * {@linkcode getaddrinfo}: host name resolution through the current backend.
 *
 * @module
 */
import { currentScope } from "../core/cancel-scope.ts";
import { checkOptions } from "../core/options.ts";
import { checkpoint } from "../core/time.ts";
import { openCancellable } from "./open.ts";
import { asciiHost, ipLiteral, validateFamily, validateHost, validatePort } from "./address.ts";

/**
 * One address that {@linkcode getaddrinfo} found.
 *
 * @example
 * ```ts
 * import type { AddressInfo } from "@anyts/anyts";
 * const info: AddressInfo = { family: 4, address: "127.0.0.1", port: 80 };
 * ```
 */
export interface AddressInfo {
  /** 4 for IPv4, 6 for IPv6. */
  readonly family: 4 | 6;
  /** The IP address, without brackets (an IPv6 zone stays, as in `fe80::1%eth0`). */
  readonly address: string;
  /** The port that was asked for (0 when none was). */
  readonly port: number;
}

/**
 * Options of {@linkcode getaddrinfo}.
 *
 * @example
 * ```ts
 * import type { GetaddrinfoOptions } from "@anyts/anyts";
 * const options: GetaddrinfoOptions = { family: 6 };
 * ```
 */
export interface GetaddrinfoOptions {
  /** 4 or 6 for that family only; 0 (default) for both. */
  family?: 0 | 4 | 6;
}

/**
 * Resolves `host` to its IP addresses through the current backend's resolver (the
 * system's getaddrinfo on every runtime), in the resolver's order, each address once.
 *
 * The shape is AnyIO's `getaddrinfo` adapted to TypeScript: one `{ family, address, port }`
 * object per address instead of `(family, type, proto, canonname, sockaddr)` tuples, as
 * socket types, protocols and canonical names have no use on these runtimes. An IP literal
 * is returned as is, without asking the resolver; international names are converted to
 * punycode first (UTS #46, as AnyIO's IDNA 2008). A checkpoint. Rejects with the
 * resolver's own error when the name does not resolve.
 *
 * @example
 * ```ts
 * import { getaddrinfo, run } from "@anyts/anyts";
 * await run(async () => {
 *   const addresses = await getaddrinfo("localhost", 80);
 *   console.log(addresses[0]); // { family: 4, address: "127.0.0.1", port: 80 }
 * });
 * ```
 */
export async function getaddrinfo(host: string, port = 0, options?: GetaddrinfoOptions): Promise<AddressInfo[]> {
  validateHost(host);
  validatePort(port);
  checkOptions(options, ["family"], "getaddrinfo");
  const family = validateFamily(options?.family ?? 0, "family");
  const resolved = await resolveHost(host, family);
  return resolved.map(({ address, family }) => ({ family, address, port }));
}

/**
 * @ignore Resolves a validated host through the current backend: IP literals directly,
 * names through `getaddrinfo` (deduplicated, resolver's order kept). A checkpoint.
 */
export async function resolveHost(host: string, family: 0 | 4 | 6): Promise<Array<{ address: string; family: 4 | 6 }>> {
  const scope = currentScope();
  const literal = ipLiteral(host);
  if (literal !== undefined) {
    await checkpoint();
    if (family !== 0 && literal.family !== family) {
      throw new RangeError(`${host} is an IPv${literal.family} address, but family ${family} was asked for`);
    }
    return [literal];
  }
  const name = asciiHost(host);
  const backend = scope._backend;
  const found = await openCancellable(() => backend.getaddrinfo(name, family), () => {}, scope, "getaddrinfo");
  const seen = new Set<string>();
  const unique: Array<{ address: string; family: 4 | 6 }> = [];
  for (const entry of found) {
    if (seen.has(entry.address)) continue;
    seen.add(entry.address);
    unique.push({ address: entry.address, family: entry.family });
  }
  if (unique.length === 0) throw new Error(`getaddrinfo found no address for ${host}`);
  return unique;
}
