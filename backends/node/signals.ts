/**
 * The signals half of the Node adapter, on `process.on` / `process.off` (which replace a
 * signal's default action while a listener is installed) and `os.constants.signals`. It
 * runs on Node and on Deno's and Bun's node: compatibility layers.
 *
 * @module
 */
import { constants as osConstants } from "node:os";
import process from "node:process";
import type { SignalsBackend } from "../../src/backend/signals.ts";

const signalNumbers = osConstants.signals as Readonly<Record<string, number>>;

function noop(): void {}

/** The Node adapter's signals. */
export const nodeSignals: SignalsBackend = {
  signalNumber: (signal) => Object.hasOwn(signalNumbers, signal) ? signalNumbers[signal] : undefined,
  listen(signal, handler) {
    if (!Object.hasOwn(signalNumbers, signal) || signal === "SIGKILL" || signal === "SIGSTOP") {
      throw new TypeError(`${signal} cannot be caught on ${process.platform}`);
    }
    const listener = () => handler();
    process.on(signal as NodeJS.Signals, listener);
    return () => {
      process.off(signal as NodeJS.Signals, listener);
    };
  },
  keepAlive() {
    // Signal handlers do not keep Node's event loop alive; a referenced timer does.
    const timer = setInterval(noop, 1 << 30);
    return () => clearInterval(timer);
  },
  exit(code) {
    process.exit(code);
  },
};
