/**
 * The names of OS signals that the API takes (`"SIGINT"`, `"SIGTERM"`, …), and their
 * validation. Numbers differ between platforms; backends know them.
 *
 * @module
 */
import { describeType } from "../core/options.ts";

/**
 * The name of an OS signal. Every POSIX signal of Linux and macOS is named here; one that
 * the running platform lacks (`SIGPWR` on macOS, `SIGINFO` on Linux) is a TypeError where
 * it is used.
 *
 * @example
 * ```ts
 * import type { SignalName } from "@anyts/anyts";
 * const shutdownSignals: SignalName[] = ["SIGINT", "SIGTERM"];
 * ```
 */
export type SignalName =
  | "SIGABRT"
  | "SIGALRM"
  | "SIGBUS"
  | "SIGCHLD"
  | "SIGCONT"
  | "SIGEMT"
  | "SIGFPE"
  | "SIGHUP"
  | "SIGILL"
  | "SIGINFO"
  | "SIGINT"
  | "SIGIO"
  | "SIGIOT"
  | "SIGKILL"
  | "SIGPIPE"
  | "SIGPOLL"
  | "SIGPROF"
  | "SIGPWR"
  | "SIGQUIT"
  | "SIGSEGV"
  | "SIGSTKFLT"
  | "SIGSTOP"
  | "SIGSYS"
  | "SIGTERM"
  | "SIGTRAP"
  | "SIGTSTP"
  | "SIGTTIN"
  | "SIGTTOU"
  | "SIGURG"
  | "SIGUSR1"
  | "SIGUSR2"
  | "SIGVTALRM"
  | "SIGWINCH"
  | "SIGXCPU"
  | "SIGXFSZ";

const names: ReadonlySet<string> = new Set<SignalName>([
  "SIGABRT",
  "SIGALRM",
  "SIGBUS",
  "SIGCHLD",
  "SIGCONT",
  "SIGEMT",
  "SIGFPE",
  "SIGHUP",
  "SIGILL",
  "SIGINFO",
  "SIGINT",
  "SIGIO",
  "SIGIOT",
  "SIGKILL",
  "SIGPIPE",
  "SIGPOLL",
  "SIGPROF",
  "SIGPWR",
  "SIGQUIT",
  "SIGSEGV",
  "SIGSTKFLT",
  "SIGSTOP",
  "SIGSYS",
  "SIGTERM",
  "SIGTRAP",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGURG",
  "SIGUSR1",
  "SIGUSR2",
  "SIGVTALRM",
  "SIGWINCH",
  "SIGXCPU",
  "SIGXFSZ",
]);

/**
 * @internal Returns `value` if it is a signal name; otherwise throws a TypeError naming
 * `what` (e.g. `"killSignal"`).
 */
export function validateSignalName(value: unknown, what: string): SignalName {
  if (typeof value === "string" && names.has(value)) return value as SignalName;
  const shown = typeof value === "string" ? JSON.stringify(value) : describeType(value);
  const hint = typeof value === "string" && names.has(`SIG${value.toUpperCase()}`)
    ? ` (did you mean "SIG${value.toUpperCase()}"?)`
    : typeof value === "string" && names.has(value.toUpperCase())
    ? ` (did you mean "${value.toUpperCase()}"?)`
    : "";
  throw new TypeError(`${what} must be a signal name such as "SIGTERM", got ${shown}${hint}`);
}

/**
 * @internal The name of signal number `signum` on the backend's platform, for messages
 * (`"signal 9"` when it is not known).
 */
export function describeSignalNumber(signum: number, signalNumber: (name: string) => number | undefined): string {
  for (const name of names) {
    if (name !== "SIGIOT" && name !== "SIGPOLL" && signalNumber(name) === signum) return `${name} (signal ${signum})`;
  }
  return `signal ${signum}`;
}
