/**
 * The small part of Deno's API that the Deno adapter uses, declared here so that `tsc`
 * (which has Node's types, not Deno's) checks the adapter, and read from `globalThis`
 * only when called (so this module loads anywhere).
 *
 * @module
 */

/** An IP address of a Deno conn or listener. */
export interface DenoNetAddr {
  /** "tcp" or "udp". */
  readonly transport: "tcp" | "udp";
  /** The IP address, without brackets. */
  readonly hostname: string;
  /** The port. */
  readonly port: number;
}

/** A Unix socket address of a Deno conn or listener. */
export interface DenoUnixAddr {
  /** "unix" or "unixpacket". */
  readonly transport: "unix" | "unixpacket";
  /** The socket's path; `null` for an unnamed socket (a client's end). */
  readonly path: string | null;
}

/** `Deno.Conn` (TCP or Unix). */
export interface DenoConn {
  /** Reads into `buffer`: the byte count (maybe 0), or `null` at end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `data`: resolves to the count taken (maybe fewer than all). */
  write(data: Uint8Array): Promise<number>;
  /** shutdown(SHUT_WR). */
  closeWrite(): Promise<void>;
  /** Closes; throws BadResource if already closed. */
  close(): void;
  /** The local address. */
  readonly localAddr: DenoNetAddr | DenoUnixAddr;
  /** The peer's address. */
  readonly remoteAddr: DenoNetAddr | DenoUnixAddr;
  /** TCP_NODELAY (TCP conns only). */
  setNoDelay?(noDelay?: boolean): void;
}

/** `Deno.Listener` (TCP or Unix). */
export interface DenoListener {
  /** The next connection; rejects once closed. */
  accept(): Promise<DenoConn>;
  /** Closes; throws BadResource if already closed. */
  close(): void;
  /** Where it listens. */
  readonly addr: DenoNetAddr | DenoUnixAddr;
}

/** An error class of `Deno.errors`. */
export type DenoErrorClass = new (message?: string) => Error;

/** The subset of the `Deno` namespace the adapter uses. */
export interface DenoNamespace {
  /** Connects over TCP or to a Unix socket. */
  connect(
    options:
      | {
        hostname: string;
        port: number;
        transport: "tcp";
        signal?: AbortSignal;
        autoSelectFamily?: boolean;
      }
      | { transport: "unix"; path: string },
  ): Promise<DenoConn>;
  /** Listens over TCP or on a Unix socket (synchronous: throws on failure). */
  listen(
    options:
      | { hostname: string; port: number; transport: "tcp"; tcpBacklog?: number; reusePort?: boolean }
      | { transport: "unix"; path: string },
  ): DenoListener;
  /** Stat without following a symbolic link. */
  lstat(path: string): Promise<{ readonly isSocket: boolean | null }>;
  /** Removes a file. */
  remove(path: string): Promise<void>;
  /** The runtime's error classes. */
  readonly errors: {
    readonly AddrInUse: DenoErrorClass;
    readonly BadResource: DenoErrorClass;
    readonly ConnectionRefused: DenoErrorClass;
    readonly Interrupted: DenoErrorClass;
    readonly NotFound: DenoErrorClass;
  };
}

/** The `Deno` namespace (only call this on Deno). */
export function denoApi(): DenoNamespace {
  return (globalThis as unknown as { Deno: DenoNamespace }).Deno;
}

/** What an aborted signal rejects with: its reason, or an AbortError. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted", "AbortError");
}
