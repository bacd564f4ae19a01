/**
 * {@linkcode TLSListener}: the server side of a TLS handshake on every connection another
 * listener accepts, as AnyIO's `TLSListener`.
 *
 * @module
 */
import { Cancelled } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import type { TaskGroup } from "../core/task-group.ts";
import { TLSAttribute } from "./attributes.ts";
import { TLSStream } from "./tls.ts";
import { checkTLSOptions, describe, LISTENER_HANDSHAKE_TIMEOUT, TLS_OPTION_NAMES, type TLSOptions } from "./tls-options.ts";
import { attributeMap, type TypedAttributeMap } from "./typed-attribute.ts";
import { serveArguments } from "./serve.ts";
import { type AnyByteStream, type Listener, ListenerBase, type ServeOptions } from "./types.ts";

/**
 * Options of {@linkcode TLSListener}: the {@linkcode TLSOptions} of the server side
 * (`serverSide` is implied), and what to do with a failed handshake.
 *
 * @example
 * ```ts
 * import type { TLSListenerOptions } from "@anyts/anyts";
 * const options: TLSListenerOptions = {
 *   cert: "-----BEGIN CERTIFICATE-----...",
 *   key: "-----BEGIN PRIVATE KEY-----...",
 *   handshakeTimeout: 10_000,
 *   onHandshakeError: (error) => console.warn("TLS handshake failed:", error),
 * };
 * ```
 */
export interface TLSListenerOptions extends TLSOptions {
  /**
   * Called with the error of every failed or timed-out handshake (the connection is
   * closed already). Default: the failure is dropped silently. Must not throw.
   */
  onHandshakeError?: (error: unknown) => void;
}

const LISTENER_OPTION_NAMES: readonly (keyof TLSListenerOptions)[] = [...TLS_OPTION_NAMES, "onHandshakeError"];

/**
 * A listener that does the server side of a TLS handshake on every connection another
 * listener accepts, and hands the handler a {@linkcode TLSStream} (AnyIO's
 * `TLSListener`).
 *
 * Each handshake runs in the connection's own task and is limited by `handshakeTimeout`
 * (default 30 000 ms, as AnyIO), so a client that connects and stays silent holds its
 * connection only that long. A handshake that fails or times out, or a client that
 * vanishes during it, closes that connection and reports the error to
 * `onHandshakeError` (default: dropped); it never stops the listener. The TLS stream is
 * closed (close_notify, then the socket) when the handler returns.
 *
 * @example
 * ```ts
 * import { createTcpListener, TLSListener } from "@anyts/anyts";
 * const cert = "-----BEGIN CERTIFICATE-----...", key = "-----BEGIN PRIVATE KEY-----...";
 * await using listener = new TLSListener(await createTcpListener({ localPort: 8443 }), { cert, key });
 * await listener.serve(async (stream) => {
 *   for await (const chunk of stream) await stream.send(chunk); // an echo server
 * });
 * ```
 */
export class TLSListener extends ListenerBase<TLSStream> {
  /** The wrapped listener of plain connections. */
  readonly listener: Listener<AnyByteStream>;
  /** The handshake time limit in milliseconds. */
  readonly handshakeTimeout: number;
  /** Whether the TLS streams send and require close_notify. */
  readonly standardCompatible: boolean;
  /** @ignore */
  _options: TLSOptions;
  /** @ignore */
  _onHandshakeError: ((error: unknown) => void) | undefined;

  /**
   * Wraps `listener`; checks the options at once (see {@linkcode TLSOptions}).
   *
   * @param listener accepts the plain connections
   * @param options the server side's certificate, key and other settings
   */
  constructor(listener: Listener<AnyByteStream>, options: TLSListenerOptions) {
    super();
    if (listener === null || typeof listener !== "object" || typeof listener.serve !== "function") {
      throw new TypeError(`TLSListener: listener must be a Listener, got ${describe(listener)}`);
    }
    if (options === null || typeof options !== "object") {
      throw new TypeError(`TLSListener: options must be an object, got ${describe(options)}`);
    }
    checkOptions(options, [...LISTENER_OPTION_NAMES], "TLSListener");
    const { onHandshakeError, ...tlsOptions } = options;
    if (onHandshakeError !== undefined && typeof onHandshakeError !== "function") {
      throw new TypeError(`TLSListener: onHandshakeError must be a function, got ${describe(onHandshakeError)}`);
    }
    if (tlsOptions.serverSide === false) {
      throw new TypeError("TLSListener: serverSide: false conflicts with a listener (it does the server side)");
    }
    const merged: TLSOptions = {
      ...tlsOptions,
      serverSide: true,
      handshakeTimeout: tlsOptions.handshakeTimeout ?? LISTENER_HANDSHAKE_TIMEOUT,
    };
    const checked = checkTLSOptions(merged, "TLSListener");
    this.listener = listener;
    this.handshakeTimeout = checked.handshakeTimeout!;
    this.standardCompatible = checked.standardCompatible;
    this._options = merged;
    this._onHandshakeError = onHandshakeError;
  }

  /**
   * Accepts connections until cancelled; runs `handler(tlsStream)` for each after a
   * successful handshake, in `taskGroup` (the wrapped listener's own when omitted).
   * `options.onHandlerError` keeps the server going when a handler fails (see
   * {@linkcode ServeOptions}). The wrapped listener's accept loop does the accepting: out
   * of file descriptors it waits and accepts again, as its `serve` does.
   *
   * @example
   * ```ts
   * import type { TLSListener } from "@anyts/anyts";
   * async function greet(listener: TLSListener) {
   *   await listener.serve(async (stream) => {
   *     await stream.send(new TextEncoder().encode("hello over TLS\n"));
   *   });
   * }
   * ```
   */
  serve(handler: (stream: TLSStream) => unknown, taskGroup?: TaskGroup | ServeOptions, options?: ServeOptions): Promise<void> {
    if (typeof handler !== "function") {
      return Promise.reject(new TypeError(`handler must be a function, got ${describe(handler)}`));
    }
    let served: { group: TaskGroup | undefined; options: ServeOptions | undefined };
    try {
      served = serveArguments(taskGroup, options);
    } catch (error) {
      return Promise.reject(error);
    }
    const wrapped = async (connection: AnyByteStream) => {
      let stream: TLSStream;
      try {
        stream = await TLSStream._wrap(connection, this._options, "TLSListener", true);
      } catch (error) {
        // wrap() has closed the connection. A cancellation belongs to the caller.
        if (error instanceof Cancelled) throw error;
        this._reportHandshakeError(error);
        return;
      }
      try {
        await handler(stream);
      } finally {
        await stream.aclose();
      }
    };
    if (served.options === undefined) return this.listener.serve(wrapped, served.group);
    return this.listener.serve(wrapped, served.group, served.options);
  }

  /** @ignore */
  _reportHandshakeError(error: unknown): void {
    const report = this._onHandshakeError;
    if (report === undefined) return;
    try {
      report(error);
    } catch {
      // A reporter must not take the listener down.
    }
  }

  /**
   * Closes the wrapped listener.
   *
   * @example
   * ```ts
   * import type { TLSListener } from "@anyts/anyts";
   * async function stop(listener: TLSListener) {
   *   await listener.aclose();
   * }
   * ```
   */
  aclose(): Promise<void> {
    return this.listener.aclose();
  }

  /** The wrapped listener's attributes and {@linkcode TLSAttribute.standardCompatible}. */
  override get extraAttributes(): TypedAttributeMap {
    return attributeMap([[TLSAttribute.standardCompatible, () => this.standardCompatible]], this.listener.extraAttributes);
  }
}
