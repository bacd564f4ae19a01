/**
 * {@linkcode openSignalReceiver}: OS signals as an async iterable, for graceful shutdown
 * and reloads.
 *
 * @module
 */
import type { SignalsBackend } from "../backend/signals.ts";
import { currentScope } from "../core/cancel-scope.ts";
import { Cancelled, ClosedResourceError } from "../core/errors.ts";
import { waitCancellable } from "../core/wait.ts";
import { type SignalName, validateSignalName } from "./names.ts";

/** @internal Validates a signal that a handler is installed for (it must be catchable). */
export function validateCatchableSignal(value: unknown, what: string): SignalName {
  const name = validateSignalName(value, what);
  if (name === "SIGKILL" || name === "SIGSTOP") {
    throw new TypeError(`${what}: ${name} cannot be caught, blocked or ignored`);
  }
  return name;
}

interface Waiter {
  resolve(signal: SignalName): void;
  reject(error: unknown): void;
}

/**
 * The signals of {@linkcode openSignalReceiver} as they arrive: an async iterable of
 * signal names, and a `Disposable`.
 *
 * - Every delivery is queued (two SIGHUPs before anyone reads give two items), in order.
 * - `receive()` is a cancellable checkpoint; a cancelled receive takes nothing. Several
 *   tasks may wait; each signal goes to one of them, first come, first served.
 * - A task waiting for a signal keeps the process alive, as a pending timer would.
 * - While the receiver is open, the default action of its signals (for most: ending the
 *   process) is replaced; `close()` (or leaving a `using` block) restores it once no other
 *   receiver listens for them. After `close()`, iteration ends and `receive()` throws
 *   {@linkcode ClosedResourceError}.
 *
 * @example
 * ```ts
 * import { openSignalReceiver, run, sleepForever, taskGroup } from "@anyts/anyts";
 * await run(async () => {
 *   await taskGroup(async (tg) => {
 *     tg.startSoon(async () => {
 *       using signals = openSignalReceiver("SIGTERM", "SIGINT");
 *       for await (const signal of signals) {
 *         console.log(`${signal}: shutting down`);
 *         tg.cancelScope.cancel();
 *       }
 *     });
 *     tg.startSoon(sleepForever); // the server
 *   });
 * });
 * ```
 */
export class SignalReceiver implements AsyncIterable<SignalName>, Disposable {
  /** The signals this receiver listens for. */
  readonly signals: readonly SignalName[];
  #backend: SignalsBackend;
  #queue: SignalName[] = [];
  #waiters: Waiter[] = [];
  #removers: Array<() => void> = [];
  #releaseKeepAlive: (() => void) | undefined = undefined;
  #closed = false;

  /**
   * @internal Made by `openSignalReceiver`.
   *
   * @param signals the validated signal names
   * @param backend the signals of the current backend
   */
  constructor(signals: readonly SignalName[], backend: SignalsBackend) {
    this.signals = signals;
    this.#backend = backend;
    try {
      for (const signal of signals) this.#removers.push(backend.listen(signal, () => this.#deliver(signal)));
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /**
   * Waits for the next signal (or takes a queued one) and returns its name.
   *
   * @example
   * ```ts
   * import { openSignalReceiver } from "@anyts/anyts";
   * using signals = openSignalReceiver("SIGHUP");
   * const signal = await signals.receive(); // "SIGHUP", once someone sends it
   * ```
   */
  receive(): Promise<SignalName> {
    if (this.#closed) return Promise.reject(new ClosedResourceError("the signal receiver"));
    const source = currentScope()._cancelledBy();
    if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
    if (this.#queue.length !== 0) return Promise.resolve(this.#queue.shift()!);
    return waitCancellable<SignalName>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      this.#waiters.push(waiter);
      this.#releaseKeepAlive ??= this.#backend.keepAlive();
      return () => {
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) this.#waiters.splice(index, 1);
        this.#updateKeepAlive();
      };
    }, undefined, "SignalReceiver.receive");
  }

  /**
   * Iterates over the signals as they arrive, until the receiver is closed.
   *
   * @example
   * ```ts
   * import { openSignalReceiver } from "@anyts/anyts";
   * using signals = openSignalReceiver("SIGUSR1");
   * for await (const signal of signals) console.log(signal); // "SIGUSR1" per delivery
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<SignalName> {
    return {
      next: () =>
        this.receive().then(
          (value): IteratorResult<SignalName> => ({ done: false, value }),
          (error): IteratorResult<SignalName> => {
            if (error instanceof ClosedResourceError && this.#closed) return { done: true, value: undefined };
            throw error;
          },
        ),
    };
  }

  /**
   * Stops listening: the default actions are back (unless another receiver listens),
   * queued signals are dropped, waiting and later receives end. Idempotent.
   *
   * @example
   * ```ts
   * import { openSignalReceiver } from "@anyts/anyts";
   * const signals = openSignalReceiver("SIGINT");
   * signals.close(); // Ctrl-C ends the process again
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const remove of this.#removers) remove();
    this.#removers = [];
    this.#queue = [];
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#updateKeepAlive();
    for (const waiter of waiters) waiter.reject(new ClosedResourceError("the signal receiver"));
  }

  /**
   * Closes the receiver (see {@linkcode SignalReceiver.close}), for `using`.
   *
   * @example
   * ```ts
   * import { openSignalReceiver } from "@anyts/anyts";
   * {
   *   using _signals = openSignalReceiver("SIGTERM");
   * } // SIGTERM ends the process again
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  #deliver(signal: SignalName): void {
    if (this.#closed) return;
    const waiter = this.#waiters.shift();
    if (waiter === undefined) {
      this.#queue.push(signal);
      return;
    }
    this.#updateKeepAlive();
    waiter.resolve(signal);
  }

  #updateKeepAlive(): void {
    if (this.#waiters.length === 0 && this.#releaseKeepAlive !== undefined) {
      this.#releaseKeepAlive();
      this.#releaseKeepAlive = undefined;
    }
  }
}

/**
 * Starts listening for OS signals (`"SIGINT"`, `"SIGTERM"`, `"SIGHUP"`, `"SIGUSR1"`, …)
 * and returns a {@linkcode SignalReceiver}: an async iterable of their names, queued, not
 * coalesced, and a `Disposable`. While it is open, the default action of those signals is
 * replaced. An unknown name, SIGKILL or SIGSTOP (which cannot be caught), or none at all is
 * a TypeError.
 *
 * The pattern for a graceful shutdown: a task reads the receiver and cancels the task
 * group. `run(fn, { cancelOnSignals: ["SIGINT", "SIGTERM"] })` does that for a whole run.
 *
 * @example
 * ```ts
 * import { openSignalReceiver } from "@anyts/anyts";
 * using signals = openSignalReceiver("SIGHUP", "SIGTERM");
 * for await (const signal of signals) {
 *   if (signal === "SIGHUP") console.log("reloading the configuration");
 *   else break; // SIGTERM: stop
 * }
 * ```
 */
export function openSignalReceiver(...signals: SignalName[]): SignalReceiver {
  if (signals.length === 0) throw new TypeError("openSignalReceiver: give at least one signal name, such as \"SIGTERM\"");
  const names = [...new Set(signals.map((signal, i) => validateCatchableSignal(signal, `openSignalReceiver: signals[${i}]`)))];
  return new SignalReceiver(names, currentScope()._backend.signals);
}
