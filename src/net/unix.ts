/**
 * Unix domain sockets: {@linkcode connectUnix} and {@linkcode createUnixListener}.
 *
 * @module
 */
import { currentScope } from "../core/cancel-scope.ts";
import { checkOptions } from "../core/options.ts";
import { validateBacklog, validateHost } from "./address.ts";
import { openCancellable } from "./open.ts";
import { SocketListener } from "./socket-listener.ts";
import { SocketStream } from "./socket-stream.ts";

/**
 * Connects to the Unix domain socket at `path`. Rejects with the runtime's error when
 * nothing listens there (as AnyIO's `connect_unix` raises the `OSError`). A checkpoint.
 *
 * @example
 * ```ts
 * import { connectUnix, run } from "@anyts/anyts";
 * await run(async () => {
 *   await using stream = await connectUnix("/run/my-service.sock");
 *   await stream.send(new TextEncoder().encode("status\n"));
 * });
 * ```
 */
export async function connectUnix(path: string): Promise<SocketStream> {
  validateHost(path, "path");
  const scope = currentScope();
  const backend = scope._backend;
  const raw = await openCancellable((signal) => backend.connectUnix(path, { signal }), (late) => late.close(), scope, "connectUnix");
  return new SocketStream(raw);
}

/**
 * Options of {@linkcode createUnixListener}.
 *
 * @example
 * ```ts
 * import type { CreateUnixListenerOptions } from "@anyts/anyts";
 * const options: CreateUnixListenerOptions = { backlog: 128 };
 * ```
 */
export interface CreateUnixListenerOptions {
  /** The maximum number of connections waiting to be accepted (default and maximum 65536). */
  backlog?: number;
}

/**
 * Listens on a Unix domain socket at `path`. A socket file left there by a process that
 * is gone (nobody listens on it) is replaced, as AnyIO does; if something still listens
 * on it, or the file is not a socket, this rejects with the runtime's "address in use"
 * error.
 *
 * @example
 * ```ts
 * import { createUnixListener, run } from "@anyts/anyts";
 * await run(async () => {
 *   await using listener = await createUnixListener("/tmp/anyts-example.sock");
 *   // await listener.serve(async (client) => { ... });
 * });
 * ```
 */
export async function createUnixListener(path: string, options?: CreateUnixListenerOptions): Promise<SocketListener> {
  validateHost(path, "path");
  checkOptions(options, ["backlog"], "createUnixListener");
  const backlog = validateBacklog(options?.backlog ?? 65536);
  const scope = currentScope();
  const backend = scope._backend;
  const raw = await openCancellable(() => backend.listenUnix(path, { backlog }), (late) => late.close(), scope, "createUnixListener");
  return new SocketListener(raw);
}
