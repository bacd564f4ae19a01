/**
 * Opening a resource (a connection, a listener, a UDP socket) from a backend as a
 * cancellable wait that cannot leak what it opens.
 *
 * @module
 */
import { type CancelScope, currentScope } from "../core/cancel-scope.ts";
import { waitCancellable } from "../core/wait.ts";

/**
 * @ignore Waits for `start(signal)` as a checkpoint. If the wait is cancelled, `signal`
 * aborts (the backend abandons the attempt) and a resource that still arrives is passed to
 * `dispose`, so nothing opened outlives the cancelled caller. `start` is not called at
 * all when the scope is already cancelled. `what` is what formatTaskTree shows the waiting
 * task blocked in.
 */
export function openCancellable<T>(
  start: (signal: AbortSignal) => Promise<T>,
  dispose: (resource: T) => void,
  scope: CancelScope = currentScope(),
  what: string = "opening",
): Promise<T> {
  return waitCancellable<T>((resolve, reject) => {
    const controller = new AbortController();
    let abandoned = false;
    let opening: Promise<T>;
    try {
      opening = start(controller.signal);
    } catch (error) {
      opening = Promise.reject(error);
    }
    opening.then(
      (resource) => {
        if (abandoned) dispose(resource);
        else resolve(resource);
      },
      (error) => {
        if (!abandoned) reject(error);
      },
    );
    return () => {
      abandoned = true;
      controller.abort();
    };
  }, scope, what);
}
