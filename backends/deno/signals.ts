/**
 * The signals half of the Deno adapter, on `Deno.addSignalListener` /
 * `Deno.removeSignalListener` (the default action is replaced while a listener is
 * installed) and `Deno.exit`. Signal numbers come from backends/shared/signal-numbers.ts
 * (Deno has no table of them).
 *
 * @module
 */
import type { SignalsBackend } from "../../src/backend/signals.ts";
import { signalTable, uncatchable, UNCATCHABLE } from "../shared/signal-numbers.ts";

interface DenoSignalsApi {
  addSignalListener(signal: string, handler: () => void): void;
  removeSignalListener(signal: string, handler: () => void): void;
  exit(code: number): never;
  build: { os: string };
}

function deno(): DenoSignalsApi {
  return (globalThis as unknown as { Deno: DenoSignalsApi }).Deno;
}

function noop(): void {}

/** The Deno adapter's signals. */
export const denoSignals: SignalsBackend = {
  signalNumber: (signal) => {
    const table = signalTable(deno().build.os);
    return Object.hasOwn(table, signal) ? table[signal] : undefined;
  },
  listen(signal, handler) {
    const os = deno().build.os;
    if (UNCATCHABLE.has(signal) || !Object.hasOwn(signalTable(os), signal)) throw uncatchable(signal, os);
    const listener = () => handler();
    deno().addSignalListener(signal, listener);
    return () => {
      try {
        deno().removeSignalListener(signal, listener);
      } catch {
        // Already removed.
      }
    };
  },
  keepAlive() {
    // A signal listener does not keep Deno's event loop alive; a referenced timer does.
    const timer = setInterval(noop, 1 << 30);
    return () => clearInterval(timer);
  },
  exit(code) {
    return deno().exit(code);
  },
};
