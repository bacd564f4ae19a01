/**
 * The signals contract of a backend: handlers for OS signals, the platform's signal
 * numbers, keeping the process alive and ending it. `src/signals/` builds
 * `openSignalReceiver` and `run(fn, { cancelOnSignals })` on it.
 *
 * @module
 */
import type { Backend } from "./index.ts";

/**
 * The signal capability of a backend (`backend.signals`).
 *
 * @example
 * ```ts
 * import { loadBackend } from "@anyts/anyts";
 * const backend = await loadBackend("node");
 * console.log(backend.signals.signalNumber("SIGINT")); // 2
 * ```
 */
export interface SignalsBackend {
  /** The number of a signal on this platform, or `undefined` when the platform lacks it. */
  signalNumber(signal: string): number | undefined;
  /**
   * Calls `handler` on every delivery of `signal` to this process; while at least one
   * handler is installed, the signal's default action (ending the process) is replaced.
   * Returns the function that removes this handler (when the last one is removed, the
   * default action is back). Throws a TypeError for a signal that cannot be caught.
   */
  listen(signal: string, handler: () => void): () => void;
  /**
   * Keeps the process alive (a referenced handle) until the returned function is called:
   * what a task waiting for a signal holds, as a pending timer or socket would.
   */
  keepAlive(): () => void;
  /** Ends the process at once with `code`, running no `finally` block. */
  exit(code: number): never;
}

/**
 * @internal A {@linkcode SignalsBackend} that delegates to the native backend once it has
 * loaded (for the provisional backend). Before that, handlers are installed when it
 * loads, and `signalNumber` knows no signal.
 */
export function lazySignalsBackend(load: () => Promise<Backend>): SignalsBackend {
  let loaded: SignalsBackend | undefined;
  let loadingPromise: Promise<SignalsBackend | undefined> | undefined;
  const loading = (): Promise<SignalsBackend | undefined> =>
    (loadingPromise ??= load().then((backend) => (loaded = backend.signals), () => undefined));
  return {
    signalNumber: (signal) => loaded !== undefined ? loaded.signalNumber(signal) : undefined,
    listen(signal, handler) {
      if (loaded !== undefined) return loaded.listen(signal, handler);
      let remove: (() => void) | undefined;
      let removed = false;
      void loading().then((signals) => {
        if (removed || signals === undefined) return;
        try {
          remove = signals.listen(signal, handler);
        } catch {
          // Validated by the caller already; a runtime that still refuses it never calls back.
        }
      });
      return () => {
        removed = true;
        remove?.();
      };
    },
    keepAlive() {
      if (loaded !== undefined) return loaded.keepAlive();
      let release: (() => void) | undefined;
      let released = false;
      void loading().then((signals) => {
        if (!released && signals !== undefined) release = signals.keepAlive();
      });
      return () => {
        released = true;
        release?.();
      };
    },
    exit(code) {
      if (loaded !== undefined) return loaded.exit(code);
      throw new Error("exit: the backend has not loaded yet");
    },
  };
}
