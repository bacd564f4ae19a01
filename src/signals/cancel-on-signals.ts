/**
 * `run(fn, { cancelOnSignals })`: what `asyncio.run` and Trio do with Ctrl-C, for the
 * signals listed. The first one cancels the run's root scope; a second ends the process.
 *
 * @module
 */
import type { Backend } from "../backend/index.ts";
import { describeType } from "../core/options.ts";
import type { SignalName } from "./names.ts";
import { validateCatchableSignal } from "./receiver.ts";

/** @internal What `run` holds while it listens for its `cancelOnSignals`. */
export interface RunSignalWatch extends Disposable {
  /** Aborts at the first signal (or when the run's own `signal` aborts), with an Error naming it. */
  readonly signal: AbortSignal;
}

/**
 * @internal Listens for `signals` on `backend` for the duration of a run: the first one
 * aborts the returned `signal` with an Error naming it (the run's root scope is bound to
 * it, so every `finally` and `aclose` runs); a second one ends the process at once with
 * exit code 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). `userSignal`, the
 * run's own AbortSignal, aborts it too. Dispose it when the run ends: the default actions
 * are back.
 */
export function watchSignalsForRun(
  signals: readonly SignalName[],
  backend: Backend,
  userSignal: AbortSignal | undefined,
): RunSignalWatch {
  if (!Array.isArray(signals)) {
    throw new TypeError(`run: cancelOnSignals must be an array of signal names, got ${describeType(signals)}`);
  }
  const names = [...new Set(signals.map((signal, i) => validateCatchableSignal(signal, `run: cancelOnSignals[${i}]`)))];
  const controller = new AbortController();
  let received = false;
  const removers: Array<() => void> = [];
  const onSignal = (name: SignalName): void => {
    if (received) {
      backend.signals.exit(128 + (backend.signals.signalNumber(name) ?? 0));
      return;
    }
    received = true;
    controller.abort(new Error(`${name} received: the run was cancelled`));
  };
  try {
    for (const name of names) removers.push(backend.signals.listen(name, () => onSignal(name)));
  } catch (error) {
    for (const remove of removers) remove();
    throw error;
  }
  return {
    signal: userSignal === undefined ? controller.signal : AbortSignal.any([userSignal, controller.signal]),
    [Symbol.dispose]() {
      for (const remove of removers) remove();
      removers.length = 0;
    },
  };
}
