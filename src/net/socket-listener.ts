/**
 * {@linkcode SocketListener}: a listening TCP or Unix socket, written once for every
 * backend over the backend's {@linkcode RawListener}.
 *
 * @module
 */
import type { RawListener, RawSocket } from "../backend/index.ts";
import { currentScope } from "../core/cancel-scope.ts";
import { BusyResourceError, Cancelled, ClosedResourceError } from "../core/errors.ts";
import { type TaskGroup, taskGroup as openTaskGroup } from "../core/task-group.ts";
import { sleep } from "../core/time.ts";
import { waitCancellable } from "../core/wait.ts";
import type { TypedAttributeMap } from "../streams/typed-attribute.ts";
import { handleConnection, serveArguments } from "../streams/serve.ts";
import { ListenerBase, type ServeOptions } from "../streams/types.ts";
import { validateFunction } from "./address.ts";
import { SocketStream, socketAttributes } from "./socket-stream.ts";

const resolved: Promise<void> = Promise.resolve();
const noop = (): void => {};

/** Closes a raw socket or listener; never throws or rejects. */
function closeQuietly(raw: { close(): void | Promise<void> }): void | Promise<void> {
  try {
    return raw.close()?.then(noop, noop);
  } catch {
    return undefined;
  }
}

/**
 * @internal How long `serve` waits before accepting again after the process (or the
 * system) ran out of file descriptors or buffers: 100 ms, as Trio's `serve_listeners`.
 */
export const ACCEPT_RETRY_DELAY = 100;

/**
 * @internal Whether an accept failed for want of resources that come back once
 * connections close: descriptors of the process (EMFILE) or of the system (ENFILE),
 * socket buffers (ENOBUFS) or memory (ENOMEM). The connection stays in the kernel's
 * listen queue (or was dropped by the runtime); accepting again later succeeds.
 */
export function isAcceptCapacityError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "EMFILE" || code === "ENFILE" || code === "ENOBUFS" || code === "ENOMEM";
}

/**
 * @internal Whether an accept failed only because that one connection died before or
 * while it was accepted (reset, aborted, or a network error the kernel reports on the
 * new socket, which accept(2) on Linux says to treat like EAGAIN): the next one is
 * accepted instead.
 */
export function isAbortedAccept(error: unknown): boolean {
  switch ((error as { code?: unknown } | null)?.code) {
    case "ECONNABORTED":
    case "ECONNRESET":
    case "ENOTCONN":
    case "EPROTO":
    case "ENETDOWN":
    case "ENETUNREACH":
    case "EHOSTDOWN":
    case "EHOSTUNREACH":
    case "ENONET":
    case "ENOPROTOOPT":
    case "EOPNOTSUPP":
    case "ETIMEDOUT":
      return true;
    default:
      return false;
  }
}

/**
 * @internal The accept loop of `serve`: accepts until cancelled (or until accepting fails),
 * starting `handler` for each connection in `group`. Out of descriptors or buffers
 * ({@linkcode isAcceptCapacityError}), it sleeps {@linkcode ACCEPT_RETRY_DELAY} ms (the
 * core's `sleep`: a cancellation point, driven by a virtual clock) and accepts again; a
 * connection that died on the way in ({@linkcode isAbortedAccept}) is skipped. Any other
 * error ends the loop.
 */
export async function acceptLoop<T extends { aclose(): Promise<void> }>(
  listener: { accept(): Promise<T> },
  handler: (connection: T) => unknown,
  group: TaskGroup,
  options?: ServeOptions,
): Promise<never> {
  const onHandlerError = options?.onHandlerError;
  for (;;) {
    let connection: T;
    try {
      connection = await listener.accept();
    } catch (error) {
      if (isAcceptCapacityError(error)) {
        // Connections that close meanwhile give their descriptors back.
        await sleep(ACCEPT_RETRY_DELAY);
        continue;
      }
      if (isAbortedAccept(error)) continue;
      throw error;
    }
    group.startSoon(handleConnection<T>, handler, connection, onHandlerError);
  }
}

/**
 * A listening TCP or Unix socket: {@linkcode SocketListener.accept} returns one
 * {@linkcode SocketStream} per incoming connection, and {@linkcode SocketListener.serve}
 * runs a handler for each, as a task, closing the connection when the handler ends.
 * {@linkcode createTcpListener} returns these inside a {@linkcode MultiListener};
 * {@linkcode createUnixListener} returns one directly.
 *
 * `extra()` answers {@linkcode SocketAttribute} `family`, `localAddress`, `localPort`
 * (the bound port; not for Unix sockets) and `rawSocket` (the runtime's listener object).
 *
 * @example
 * ```ts
 * import { createUnixListener, run } from "@anyts/anyts";
 *
 * await run(async () => {
 *   await using listener = await createUnixListener("/tmp/anyts-example.sock");
 *   // await listener.serve(async (client) => { ... });
 * });
 * ```
 */
export class SocketListener extends ListenerBase<SocketStream> {
  /** @ignore */
  readonly _raw: RawListener;
  /** @ignore */
  _attributes: TypedAttributeMap | undefined = undefined;
  /** @ignore */
  _closed = false;
  /** @ignore */
  _accepting = false;
  /** @ignore A raw accept is in flight (perhaps for an accept that was cancelled). */
  _inFlight = false;
  /** @ignore A connection accepted for an accept that was cancelled, for the next one. */
  _ready: RawSocket | null = null;
  /** @ignore */
  _resolve: ((socket: RawSocket) => void) | undefined = undefined;
  /** @ignore */
  _reject: ((error: unknown) => void) | undefined = undefined;

  /**
   * Wraps a listener that a backend opened. The listener owns it from now on.
   *
   * @param raw the backend's listener
   */
  constructor(raw: RawListener) {
    super();
    this._raw = raw;
  }

  /** The listener's attributes; see {@linkcode SocketAttribute}. */
  override get extraAttributes(): TypedAttributeMap {
    return (this._attributes ??= socketAttributes(this._raw.info, this._raw.raw));
  }

  /**
   * Waits for the next connection. A checkpoint; a cancelled accept loses no connection
   * (the next accept gets it). A connection reset or aborted before it was accepted is
   * skipped. Throws {@linkcode BusyResourceError} if another task is accepting,
   * {@linkcode ClosedResourceError} once the listener is closed, and the OS error
   * (`code` `"EMFILE"`, `"ENFILE"`…) when the process is out of file descriptors (then a
   * later accept can succeed; `serve` waits 100 ms and accepts again).
   *
   * @example
   * ```ts
   * import type { SocketListener } from "@anyts/anyts";
   * async function acceptOne(listener: SocketListener) {
   *   await using client = await listener.accept();
   *   await client.send(new TextEncoder().encode("bye\n"));
   * }
   * ```
   */
  async accept(): Promise<SocketStream> {
    if (this._accepting) throw new BusyResourceError("accepting");
    if (this._closed) throw new ClosedResourceError("SocketListener");
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) throw new Cancelled(source._cancelReason);
    const ready = this._ready;
    if (ready !== null) {
      this._ready = null;
      return new SocketStream(ready);
    }
    this._accepting = true;
    const raw = await waitCancellable<RawSocket>((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
      if (!this._inFlight) this._acceptRaw();
      return this._disarm;
    }, scope, "SocketListener.accept");
    return new SocketStream(raw);
  }

  /**
   * Accepts connections until cancelled, running `handler(connection)` for each as a task
   * of `taskGroup` (a task group of its own when omitted). A connection is closed when its
   * handler returns or fails; a failing handler's error surfaces in the task group, or
   * goes to `options.onHandlerError` (see {@linkcode ServeOptions}). Out of file
   * descriptors (EMFILE, ENFILE) or buffers (ENOBUFS, ENOMEM), it waits 100 ms and
   * accepts again, as Trio's `serve_listeners`; any other accept error ends it.
   *
   * @example
   * ```ts
   * import type { SocketListener } from "@anyts/anyts";
   * async function echo(listener: SocketListener) {
   *   await listener.serve(async (client) => {
   *     for await (const chunk of client) await client.send(chunk);
   *   });
   * }
   * ```
   */
  async serve(
    handler: (connection: SocketStream) => unknown,
    taskGroup?: TaskGroup | ServeOptions,
    options?: ServeOptions,
  ): Promise<void> {
    validateFunction(handler, "handler");
    const served = serveArguments(taskGroup, options);
    const target = served.group;
    if (target !== undefined) await acceptLoop(this, handler, target, served.options);
    else await openTaskGroup((group) => acceptLoop(this, handler, group, served.options));
  }

  /**
   * Stops listening. A waiting accept fails with {@linkcode ClosedResourceError}; open
   * connections are not affected. Idempotent; never raises.
   *
   * @example
   * ```ts
   * import type { SocketListener } from "@anyts/anyts";
   * async function stop(listener: SocketListener) {
   *   await listener.aclose();
   * }
   * ```
   */
  aclose(): Promise<void> {
    if (this._closed) return this._closing ?? resolved;
    this._closed = true;
    const reject = this._reject;
    if (reject !== undefined) {
      this._clear();
      reject(new ClosedResourceError("SocketListener"));
    }
    const closing: Array<void | Promise<void>> = [];
    if (this._ready !== null) {
      closing.push(closeQuietly(this._ready));
      this._ready = null;
    }
    // Resolves once the runtime released the address (it can be bound again at once).
    closing.push(closeQuietly(this._raw));
    const pending = closing.filter((entry) => entry !== undefined) as Promise<void>[];
    if (pending.length === 0) return resolved;
    return (this._closing = Promise.all(pending).then(noop));
  }

  /** @internal The close in progress (later calls wait for it too). */
  _closing: Promise<void> | undefined = undefined;

  /** @ignore */
  _clear(): void {
    this._resolve = undefined;
    this._reject = undefined;
    this._accepting = false;
  }

  /** @ignore */
  _disarm = (): void => {
    this._clear();
  };

  /** @ignore */
  _acceptRaw(): void {
    this._inFlight = true;
    let accepting: Promise<RawSocket>;
    try {
      accepting = this._raw.accept();
    } catch (error) {
      accepting = Promise.reject(error);
    }
    accepting.then(this._onAccepted, this._onAcceptError);
  }

  /** @ignore */
  _onAccepted = (socket: RawSocket): void => {
    this._inFlight = false;
    if (this._closed) {
      void closeQuietly(socket);
      return;
    }
    const resolve = this._resolve;
    if (resolve === undefined) {
      this._ready = socket;
      return;
    }
    this._clear();
    resolve(socket);
  };

  /** @ignore */
  _onAcceptError = (error: unknown): void => {
    this._inFlight = false;
    // A connection that died on the way in is dropped; the next one is accepted.
    if (!this._closed && isAbortedAccept(error)) {
      if (this._reject !== undefined) this._acceptRaw();
      return;
    }
    const reject = this._reject;
    if (reject === undefined) return;
    this._clear();
    reject(this._closed ? new ClosedResourceError("SocketListener") : error);
  };
}
