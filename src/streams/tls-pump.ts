/**
 * The transport side of a TLS session run by the engine: the calls the engine makes on the
 * plain byte stream, each in the TLS stream's own scope, and counted so that closing can
 * wait until none is in flight.
 *
 * @module
 */
import type { TlsTransport } from "../backend/index.ts";
import type { CancelScope } from "../core/cancel-scope.ts";
import { frameStorage } from "../core/context.ts";
import { EndOfStream } from "../core/errors.ts";
import type { AnyByteStream } from "./types.ts";

/** Runs `fn` in `scope` (the scope's frame). */
export function inScope<T>(scope: CancelScope, fn: () => Promise<T>): Promise<T> {
  return frameStorage.run(scope, fn);
}

/**
 * The transport as the engine sees it: each call runs in the stream's own scope (shielded
 * from the caller's cancellation, since a cancelled receive must not cancel the pump;
 * cancelled when the stream closes), and the calls in flight are counted so that closing
 * can wait until none is left.
 */
export class PumpTransport implements TlsTransport {
  readonly transport: AnyByteStream;
  readonly scope: CancelScope;
  inFlight = 0;
  idleWaiters: Array<() => void> = [];

  constructor(transport: AnyByteStream, scope: CancelScope) {
    this.transport = transport;
    this.scope = scope;
  }

  read(maxBytes: number): Promise<Uint8Array | null> {
    return this.track(inScope(this.scope, () => this.transport.receive(maxBytes)).then(
      (chunk) => chunk,
      (error) => {
        if (error instanceof EndOfStream) return null;
        throw error;
      },
    ));
  }

  write(data: Uint8Array): Promise<void> {
    return this.track(inScope(this.scope, () => this.transport.send(data)));
  }

  track<T>(call: Promise<T>): Promise<T> {
    this.inFlight++;
    const done = () => {
      if (--this.inFlight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const waiter of waiters) waiter();
      }
    };
    call.then(done, done);
    return call;
  }

  /** Resolves when no transport call is in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
