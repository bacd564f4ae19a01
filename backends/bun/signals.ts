/**
 * The signals half of the Bun adapter, on Bun's own `process.on` / `process.off` (the
 * default action is replaced while a listener is installed) and `process.exit`. Signal
 * numbers come from backends/shared/signal-numbers.ts.
 *
 * @module
 */
import process from "node:process";
import type { SignalsBackend } from "../../src/backend/signals.ts";
import { signalTable, uncatchable, UNCATCHABLE } from "../shared/signal-numbers.ts";

function noop(): void {}

/** The Bun adapter's signals. */
export const bunSignals: SignalsBackend = {
  signalNumber: (signal) => {
    const table = signalTable(process.platform);
    return Object.hasOwn(table, signal) ? table[signal] : undefined;
  },
  listen(signal, handler) {
    if (UNCATCHABLE.has(signal) || !Object.hasOwn(signalTable(process.platform), signal)) {
      throw uncatchable(signal, process.platform);
    }
    const listener = () => handler();
    process.on(signal as NodeJS.Signals, listener);
    return () => {
      process.off(signal as NodeJS.Signals, listener);
    };
  },
  keepAlive() {
    // A signal listener does not keep Bun's event loop alive; a referenced timer does.
    const timer = setInterval(noop, 1 << 30);
    return () => clearInterval(timer);
  },
  exit(code) {
    process.exit(code);
  },
};
