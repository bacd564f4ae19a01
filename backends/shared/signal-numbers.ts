/**
 * Signal numbers of the platforms anyts runs on (Linux on x86 and ARM, macOS), for the
 * Deno and Bun adapters, whose native APIs name signals but give no table of numbers.
 * The Node adapter reads `os.constants.signals` instead.
 *
 * @module
 */

const linux: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

const darwin: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGEMT: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGBUS: 10,
  SIGSEGV: 11,
  SIGSYS: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGURG: 16,
  SIGSTOP: 17,
  SIGTSTP: 18,
  SIGCONT: 19,
  SIGCHLD: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGIO: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGINFO: 29,
  SIGUSR1: 30,
  SIGUSR2: 31,
};

/** The signal table of `os` (`"linux"`, `"darwin"`; others are treated as Linux). */
export function signalTable(os: string): Readonly<Record<string, number>> {
  return os === "darwin" ? darwin : linux;
}

/** Signals whose disposition cannot be changed. */
export const UNCATCHABLE: ReadonlySet<string> = new Set(["SIGKILL", "SIGSTOP"]);

/** A TypeError for a signal no handler can be installed for on this platform. */
export function uncatchable(signal: string, os: string): TypeError {
  return UNCATCHABLE.has(signal)
    ? new TypeError(`${signal} cannot be caught, blocked or ignored`)
    : new TypeError(`${signal} does not exist on ${os}`);
}
