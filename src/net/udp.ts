/**
 * UDP: {@linkcode createUdpSocket} ({@linkcode UDPSocket}, datagrams to and from any
 * address) and {@linkcode createConnectedUdpSocket} ({@linkcode ConnectedUDPSocket}, one
 * peer).
 *
 * @module
 */
import type { RawUdpSocket } from "../backend/index.ts";
import { currentScope } from "../core/cancel-scope.ts";
import { checkOptions } from "../core/options.ts";
import { BrokenResourceError, BusyResourceError, Cancelled, ClosedResourceError } from "../core/errors.ts";
import { waitCancellable } from "../core/wait.ts";
import type { TypedAttributeMap } from "../streams/typed-attribute.ts";
import { ObjectReceiveStreamBase, type ObjectSendStream } from "../streams/types.ts";
import {
  ipLiteral,
  validateBoolean,
  validateBytes,
  validateFamily,
  validateHost,
  validatePort,
} from "./address.ts";
import { resolveHost } from "./getaddrinfo.ts";
import { openCancellable } from "./open.ts";
import { socketAttributes } from "./socket-stream.ts";

const noop = (): void => {};
const resolved: Promise<void> = Promise.resolve();

/**
 * A datagram with its peer's address: `[data, [host, port]]` (AnyIO's `UDPPacketType`).
 * Sending takes any `Uint8Array`; a received packet's data is the receiver's own
 * `Uint8Array<ArrayBuffer>` (`UDPPacket<Uint8Array<ArrayBuffer>>`).
 *
 * @example
 * ```ts
 * import type { UDPPacket } from "@anyts/anyts";
 * const packet: UDPPacket = [new Uint8Array([1, 2, 3]), ["127.0.0.1", 9999]];
 * ```
 */
export type UDPPacket<Data extends Uint8Array = Uint8Array> = [data: Data, address: [host: string, port: number]];

type Datagram = [data: Uint8Array<ArrayBuffer>, host: string, port: number];

/**
 * The shared machinery of both UDP socket kinds: receives that lose nothing when
 * cancelled, busy checks, error mapping, closing.
 */
class DatagramPort {
  readonly raw: RawUdpSocket;
  closed = false;
  receiving = false;
  sending = false;
  inFlight = false;
  ready: Datagram | null = null;
  readyError: unknown = undefined;
  resolve: ((datagram: Datagram) => void) | undefined = undefined;
  reject: ((error: unknown) => void) | undefined = undefined;
  attributes: TypedAttributeMap | undefined = undefined;

  constructor(raw: RawUdpSocket) {
    this.raw = raw;
  }

  receive(): Promise<Datagram> {
    if (this.receiving) return Promise.reject(new BusyResourceError("receiving"));
    if (this.closed) return Promise.reject(new ClosedResourceError("the UDP socket"));
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
    const ready = this.ready;
    if (ready !== null) {
      this.ready = null;
      return Promise.resolve(ready);
    }
    const error = this.readyError;
    if (error !== undefined) {
      this.readyError = undefined;
      return Promise.reject(broken(error));
    }
    this.receiving = true;
    return waitCancellable<Datagram>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      if (!this.inFlight) this.receiveRaw();
      return this.clear;
    }, scope, "UDPSocket.receive");
  }

  async send(data: Uint8Array, host?: string, port?: number): Promise<void> {
    if (this.sending) throw new BusyResourceError("sending");
    if (this.closed) throw new ClosedResourceError("the UDP socket");
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) throw new Cancelled(source._cancelReason);
    this.sending = true;
    try {
      let address = host;
      if (host !== undefined && ipLiteral(host) === undefined) {
        const family = this.raw.info.family === "IPv6" ? 6 : 4;
        address = (await resolveHost(host, family))[0]!.address;
        if (this.closed) throw new ClosedResourceError("the UDP socket");
      }
      await waitCancellable<void>((resolve, reject) => {
        let sending: Promise<void>;
        try {
          sending = address === undefined ? this.raw.send(data) : this.raw.send(data, address, port);
        } catch (error) {
          sending = Promise.reject(error);
        }
        sending.then(resolve, (error) => reject(this.closed ? new ClosedResourceError("the UDP socket") : error));
      }, scope, "UDPSocket.send");
    } finally {
      this.sending = false;
    }
  }

  /** The close in progress: later calls wait for it too. */
  closing: Promise<void> = resolved;

  aclose(): Promise<void> {
    if (this.closed) return this.closing;
    this.closed = true;
    const reject = this.reject;
    if (reject !== undefined) {
      this.clear();
      reject(new ClosedResourceError("the UDP socket"));
    }
    // Resolves once the runtime has released the port (it can be bound again at once).
    let closing: void | Promise<void>;
    try {
      closing = this.raw.close();
    } catch {
      closing = undefined;
    }
    if (closing !== undefined) this.closing = closing.then(noop, noop);
    return this.closing;
  }

  get extraAttributes(): TypedAttributeMap {
    return (this.attributes ??= socketAttributes(this.raw.info, this.raw.raw));
  }

  clear = (): void => {
    this.resolve = undefined;
    this.reject = undefined;
    this.receiving = false;
  };

  receiveRaw(): void {
    this.inFlight = true;
    let receiving: Promise<Datagram>;
    try {
      receiving = this.raw.receive();
    } catch (error) {
      receiving = Promise.reject(error);
    }
    receiving.then(this.onDatagram, this.onError);
  }

  onDatagram = (datagram: Datagram): void => {
    this.inFlight = false;
    if (this.closed) return;
    const resolve = this.resolve;
    if (resolve === undefined) {
      this.ready = datagram;
      return;
    }
    this.clear();
    resolve(datagram);
  };

  onError = (error: unknown): void => {
    this.inFlight = false;
    if (this.closed) return;
    const reject = this.reject;
    if (reject === undefined) {
      this.readyError = error;
      return;
    }
    this.clear();
    reject(broken(error));
  };
}

function broken(cause: unknown): BrokenResourceError {
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  return new BrokenResourceError(`the UDP socket failed${detail}`, { cause });
}

/**
 * A UDP socket that sends datagrams to, and receives them from, any address (AnyIO's
 * `UDPSocket`). Receiving yields `[data, [host, port]]`; async iteration yields packets
 * until the loop is left (UDP has no end of stream).
 *
 * `receive()` is a checkpoint, loses no datagram when cancelled, and throws
 * {@linkcode BusyResourceError} when another task is receiving and
 * {@linkcode ClosedResourceError} once closed. `sendto` resolves a host name through the
 * backend's resolver. `extra()` answers {@linkcode SocketAttribute} `family`,
 * `localAddress`, `localPort` and `rawSocket`.
 *
 * @example
 * ```ts
 * import { createUdpSocket, run, SocketAttribute } from "@anyts/anyts";
 * await run(async () => {
 *   await using server = await createUdpSocket({ localHost: "127.0.0.1" });
 *   await using client = await createUdpSocket({ family: 4 });
 *   await client.sendto(new TextEncoder().encode("ping"), "127.0.0.1", server.extra(SocketAttribute.localPort));
 *   const [data, [host, port]] = await server.receive();
 *   await server.sendto(data, host, port);
 * });
 * ```
 */
export class UDPSocket extends ObjectReceiveStreamBase<UDPPacket<Uint8Array<ArrayBuffer>>> implements ObjectSendStream<UDPPacket> {
  /** @ignore */
  readonly _port: DatagramPort;

  /**
   * Wraps a UDP socket that a backend opened; prefer {@linkcode createUdpSocket}.
   *
   * @param raw the backend's socket
   */
  constructor(raw: RawUdpSocket) {
    super();
    this._port = new DatagramPort(raw);
  }

  /** The socket's attributes; see {@linkcode SocketAttribute}. */
  override get extraAttributes(): TypedAttributeMap {
    return this._port.extraAttributes;
  }

  /**
   * Receives the next datagram and its sender's address.
   *
   * @example
   * ```ts
   * import type { UDPSocket } from "@anyts/anyts";
   * async function reflect(socket: UDPSocket) {
   *   const [data, [host, port]] = await socket.receive();
   *   await socket.sendto(data, host, port);
   * }
   * ```
   */
  async receive(): Promise<UDPPacket<Uint8Array<ArrayBuffer>>> {
    const [data, host, port] = await this._port.receive();
    return [data, [host, port]];
  }

  /**
   * Sends `packet` (`[data, [host, port]]`); the same as {@linkcode UDPSocket.sendto}.
   *
   * @example
   * ```ts
   * import type { UDPSocket } from "@anyts/anyts";
   * async function ping(socket: UDPSocket) {
   *   await socket.send([new Uint8Array([1]), ["127.0.0.1", 9999]]);
   * }
   * ```
   */
  send(packet: UDPPacket): Promise<void> {
    if (!Array.isArray(packet) || !Array.isArray(packet[1])) {
      return Promise.reject(new TypeError("packet must be [data, [host, port]]"));
    }
    return this.sendto(packet[0], packet[1][0], packet[1][1]);
  }

  /**
   * Sends one datagram to `host` (an IP address or a host name) and `port`.
   *
   * @example
   * ```ts
   * import type { UDPSocket } from "@anyts/anyts";
   * async function ping(socket: UDPSocket) {
   *   await socket.sendto(new Uint8Array([1]), "localhost", 9999);
   * }
   * ```
   */
  sendto(data: Uint8Array, host: string, port: number): Promise<void> {
    try {
      validateBytes(data);
      validateHost(host);
      validatePort(port);
    } catch (error) {
      return Promise.reject(error);
    }
    return this._port.send(data, host, port);
  }

  /**
   * Closes the socket; a waiting receive fails with {@linkcode ClosedResourceError}.
   * Idempotent; never raises.
   *
   * @example
   * ```ts
   * import type { UDPSocket } from "@anyts/anyts";
   * async function stop(socket: UDPSocket) {
   *   await socket.aclose();
   * }
   * ```
   */
  aclose(): Promise<void> {
    return this._port.aclose();
  }
}

/**
 * A UDP socket connected to one peer (AnyIO's `ConnectedUDPSocket`): `send(data)` goes to
 * that peer, `receive()` returns the data of its datagrams (the system drops datagrams from
 * anyone else). `extra()` also answers `remoteAddress` and `remotePort`.
 *
 * @example
 * ```ts
 * import { createConnectedUdpSocket, createUdpSocket, run, SocketAttribute } from "@anyts/anyts";
 * await run(async () => {
 *   await using server = await createUdpSocket({ localHost: "127.0.0.1" });
 *   await using client = await createConnectedUdpSocket("127.0.0.1", server.extra(SocketAttribute.localPort));
 *   await client.send(new TextEncoder().encode("ping"));
 *   console.log((await server.receive())[0].length); // 4
 * });
 * ```
 */
export class ConnectedUDPSocket extends ObjectReceiveStreamBase<Uint8Array<ArrayBuffer>> implements ObjectSendStream<Uint8Array> {
  /** @ignore */
  readonly _port: DatagramPort;

  /**
   * Wraps a connected UDP socket that a backend opened; prefer
   * {@linkcode createConnectedUdpSocket}.
   *
   * @param raw the backend's socket
   */
  constructor(raw: RawUdpSocket) {
    super();
    this._port = new DatagramPort(raw);
  }

  /** The socket's attributes; see {@linkcode SocketAttribute}. */
  override get extraAttributes(): TypedAttributeMap {
    return this._port.extraAttributes;
  }

  /**
   * Receives the data of the next datagram from the peer.
   *
   * @example
   * ```ts
   * import type { ConnectedUDPSocket } from "@anyts/anyts";
   * async function next(socket: ConnectedUDPSocket): Promise<Uint8Array<ArrayBuffer>> {
   *   return await socket.receive();
   * }
   * ```
   */
  async receive(): Promise<Uint8Array<ArrayBuffer>> {
    return (await this._port.receive())[0];
  }

  /**
   * Sends one datagram to the peer.
   *
   * @example
   * ```ts
   * import type { ConnectedUDPSocket } from "@anyts/anyts";
   * async function ping(socket: ConnectedUDPSocket) {
   *   await socket.send(new Uint8Array([1]));
   * }
   * ```
   */
  send(data: Uint8Array): Promise<void> {
    try {
      validateBytes(data);
    } catch (error) {
      return Promise.reject(error);
    }
    return this._port.send(data);
  }

  /**
   * Closes the socket; a waiting receive fails with {@linkcode ClosedResourceError}.
   * Idempotent; never raises.
   *
   * @example
   * ```ts
   * import type { ConnectedUDPSocket } from "@anyts/anyts";
   * async function stop(socket: ConnectedUDPSocket) {
   *   await socket.aclose();
   * }
   * ```
   */
  aclose(): Promise<void> {
    return this._port.aclose();
  }
}

/**
 * Options of {@linkcode createUdpSocket}.
 *
 * @example
 * ```ts
 * import type { CreateUdpSocketOptions } from "@anyts/anyts";
 * const options: CreateUdpSocketOptions = { localHost: "127.0.0.1", localPort: 5353 };
 * ```
 */
export interface CreateUdpSocketOptions {
  /** 4 or 6; taken from `localHost` when omitted (one of the two must be given). */
  family?: 0 | 4 | 6;
  /** The local IP address or host name to bind to (default: every interface of `family`). */
  localHost?: string;
  /** The local port; 0 (default) picks a free one. */
  localPort?: number;
  /** Let other sockets bind the same address and port. Default `false`. */
  reuseAddress?: boolean;
}

async function openUdp(
  options: CreateUdpSocketOptions | undefined,
  remote?: { host: string; port: number },
): Promise<RawUdpSocket> {
  checkOptions(options, ["family", "localHost", "localPort", "reuseAddress"], remote === undefined ? "createUdpSocket" : "createConnectedUdpSocket");
  let family = validateFamily(options?.family ?? 0, "family");
  const localPort = validatePort(options?.localPort ?? 0, "localPort");
  const reuseAddress = validateBoolean(options?.reuseAddress ?? false, "reuseAddress");
  const localHost = options?.localHost;
  let localAddress: string | undefined;
  if (localHost !== undefined) {
    validateHost(localHost, "localHost");
    const local = (await resolveHost(localHost, family))[0]!;
    localAddress = local.address;
    family = local.family;
  }
  let remoteAddress: { host: string; port: number } | undefined;
  if (remote !== undefined) {
    const peer = (await resolveHost(remote.host, family))[0]!;
    family = peer.family;
    remoteAddress = { host: peer.address, port: remote.port };
  }
  if (family === 0) throw new TypeError("createUdpSocket: give family (4 or 6) or localHost");
  const scope = currentScope();
  const backend = scope._backend;
  const request = {
    family,
    localHost: localAddress ?? (family === 6 ? "::" : "0.0.0.0"),
    localPort,
    reuseAddress,
    ...(remoteAddress === undefined ? {} : { remote: remoteAddress }),
  };
  return await openCancellable(() => backend.createUdpSocket(request), (late) => late.close(), scope, "createUdpSocket");
}

/**
 * Opens a UDP socket bound to `localHost` (default: every interface) and `localPort`
 * (default: a free one). Give `family` or `localHost` (as AnyIO requires).
 *
 * @example
 * ```ts
 * import { createUdpSocket, run } from "@anyts/anyts";
 * await run(async () => {
 *   await using socket = await createUdpSocket({ family: 6, localPort: 0 });
 * });
 * ```
 */
export async function createUdpSocket(options?: CreateUdpSocketOptions): Promise<UDPSocket> {
  return new UDPSocket(await openUdp(options));
}

/**
 * Opens a UDP socket connected to `remoteHost` (an IP address or host name, resolved
 * with the backend's resolver; the first address is used) and `remotePort`. The family
 * follows `localHost`, else `family`, else the remote address.
 *
 * @example
 * ```ts
 * import { createConnectedUdpSocket, run } from "@anyts/anyts";
 * await run(async () => {
 *   await using socket = await createConnectedUdpSocket("127.0.0.1", 5353);
 *   await socket.send(new Uint8Array([0]));
 * });
 * ```
 */
export async function createConnectedUdpSocket(
  remoteHost: string,
  remotePort: number,
  options?: CreateUdpSocketOptions,
): Promise<ConnectedUDPSocket> {
  validateHost(remoteHost, "remoteHost");
  validatePort(remotePort, "remotePort");
  if (remotePort === 0) throw new RangeError("remotePort must be from 1 to 65535, got 0");
  return new ConnectedUDPSocket(await openUdp(options, { host: remoteHost, port: remotePort }));
}
