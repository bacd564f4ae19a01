/**
 * {@linkcode MultiListener}: several listeners served as one (as AnyIO's `MultiListener`),
 * such as the IPv6 and IPv4 sockets of a dual-stack TCP listener.
 *
 * @module
 */
import { type TaskGroup, taskGroup as openTaskGroup } from "../core/task-group.ts";
import { attributeMap, type TypedAttributeMap } from "../streams/typed-attribute.ts";
import { type Listener, ListenerBase, type ServeOptions } from "../streams/types.ts";
import { serveArguments } from "../streams/serve.ts";
import { validateFunction } from "./address.ts";

/**
 * Combines listeners into one: `serve` runs the accept loop of every listener at once,
 * handing all connections to the same handler; `aclose` closes them all. A MultiListener
 * given among the listeners is flattened. `extra()` answers with the attributes of the
 * first listener (for a TCP listener from {@linkcode createTcpListener}, all share the
 * port).
 *
 * @example
 * ```ts
 * import { createTcpListener, MultiListener, run, SocketAttribute } from "@anyts/anyts";
 *
 * await run(async () => {
 *   const a = await createTcpListener({ localHost: "127.0.0.1" });
 *   const b = await createTcpListener({ localHost: "::1" });
 *   await using both = new MultiListener([a, b]);
 *   console.log(both.listeners.length); // 2
 *   console.log(both.extra(SocketAttribute.localPort) > 0); // true
 * });
 * ```
 */
export class MultiListener<T> extends ListenerBase<T> {
  /** The listeners, flattened. */
  readonly listeners: readonly Listener<T>[];

  /**
   * Combines `listeners` (MultiListeners among them are flattened).
   *
   * @param listeners the listeners to serve as one
   */
  constructor(listeners: Iterable<Listener<T>>) {
    super();
    const flat: Listener<T>[] = [];
    for (const listener of listeners) {
      if (listener instanceof MultiListener) flat.push(...(listener as MultiListener<T>).listeners);
      else flat.push(listener);
    }
    this.listeners = Object.freeze(flat);
  }

  /** The attributes of the first listener (then of the others, for what it lacks). */
  override get extraAttributes(): TypedAttributeMap {
    return attributeMap([], ...this.listeners.map((listener) => listener.extraAttributes).reverse());
  }

  /**
   * Accepts connections on every listener until cancelled, running `handler(connection)`
   * for each as a task of `taskGroup` (one task group of its own when omitted). Each
   * connection is closed when its handler ends; a failing handler's error surfaces in the
   * task group, or goes to `options.onHandlerError` (see {@linkcode ServeOptions}). Each
   * listener's own `serve` accepts: out of file descriptors it waits 100 ms and accepts
   * again.
   *
   * @example
   * ```ts
   * import type { MultiListener, SocketStream } from "@anyts/anyts";
   * async function echo(listener: MultiListener<SocketStream>) {
   *   await listener.serve(async (client) => {
   *     for await (const chunk of client) await client.send(chunk);
   *   });
   * }
   * ```
   */
  async serve(handler: (connection: T) => unknown, taskGroup?: TaskGroup | ServeOptions, options?: ServeOptions): Promise<void> {
    validateFunction(handler, "handler");
    const served = serveArguments(taskGroup, options);
    await openTaskGroup((group) => {
      const target = served.group ?? group;
      for (const listener of this.listeners) group.startSoon(serveOne<T>, listener, handler, target, served.options);
    });
  }

  /**
   * Closes every listener, even when closing one of them fails (that error is thrown
   * afterwards). Idempotent.
   *
   * @example
   * ```ts
   * import type { MultiListener, SocketStream } from "@anyts/anyts";
   * async function stop(listener: MultiListener<SocketStream>) {
   *   await listener.aclose();
   * }
   * ```
   */
  async aclose(): Promise<void> {
    const errors: unknown[] = [];
    for (const listener of this.listeners) {
      try {
        await listener.aclose();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, "closing several listeners failed");
  }
}

function serveOne<T>(
  listener: Listener<T>,
  handler: (connection: T) => unknown,
  group: TaskGroup,
  options: ServeOptions | undefined,
): Promise<void> {
  return options === undefined ? listener.serve(handler, group) : listener.serve(handler, group, options);
}
