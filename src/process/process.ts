/**
 * {@linkcode Process}: a running child, written once for every backend over the backend's
 * {@linkcode RawProcess}, with the cancellation contract of DESIGN.md (I/O → Processes).
 *
 * @module
 */
import type { RawProcess } from "../backend/process.ts";
import type { SignalsBackend } from "../backend/signals.ts";
import type { TimerHandle } from "../backend/index.ts";
import { CancelScope, currentScope, type Waker } from "../core/cancel-scope.ts";
import { Cancelled } from "../core/errors.ts";
import { _addFinalizer, _removeFinalizer } from "../core/finalizers.ts";
import { moveOnAt } from "../core/timeouts.ts";
import { checkpoint, currentTime } from "../core/time.ts";
import { waitCancellable } from "../core/wait.ts";
import { type SignalName, validateSignalName } from "../signals/names.ts";
import { ProcessReceiveStream, ProcessSendStream } from "./pipe-streams.ts";

/**
 * How often the kill sequence looks for what is left of a process group, in real time:
 * the poll watches other processes, not the run's clock (the grace period it runs in is a
 * deadline, and follows the clock, virtual or not).
 */
const GROUP_POLL_MS = 10;

/** @internal What `openProcess` passes to a new {@linkcode Process}. */
export interface ProcessInit {
  /** The command as given. */
  readonly args: string | readonly string[];
  /** The signal of cancellation. */
  readonly killSignal: SignalName;
  /** Milliseconds between `killSignal` and SIGKILL. */
  readonly forceKillAfter: number;
  /** Signals go to the child's process group. */
  readonly processGroup: boolean;
  /** The backend's signals, for the platform's signal numbers. */
  readonly signals: SignalsBackend;
}

/**
 * A child process started by {@linkcode openProcess}.
 *
 * - `stdin`, `stdout`, `stderr`: the parent's ends of the child's pipes (streams), or
 *   `null` for a stream that is not a pipe (`"inherit"`, `"ignore"`, stderr merged into
 *   stdout).
 * - `returncode`: `null` until the child has exited and been reaped; then its exit code,
 *   or minus the signal number if a signal killed it (`-9`, `-15`), on every backend.
 * - `wait()` resolves to the returncode; any number of tasks may wait at once.
 * - `sendSignal(name)`, `terminate()` (SIGTERM), `kill()` (SIGKILL): to the child, or to
 *   its whole process group with `processGroup: true`; a no-op once it has exited (as in
 *   Trio), a TypeError for an unknown name.
 * - Cancellation: a cancelled `wait()` or `aclose()` sends `killSignal`, waits up to
 *   `forceKillAfter` ms (shielded), then sends SIGKILL, reaps the child and raises
 *   {@linkcode Cancelled}. When the scope the process was opened in is cancelled while the
 *   child runs, the same sequence starts even if no task waits for it, so no child
 *   outlives a cancelled task group. (To shut a child down yourself, e.g. by writing
 *   "quit" to it, open it in a scope whose cancellation should not reach it, a shielded
 *   one, and shut it down before that scope exits.)
 * - No child outlives the scope it was opened in (the task group's scope for the body and
 *   its `startSoon` tasks, a `spawn`ed task's own scope, a `CancelScope`, the root of a
 *   `run`): when that scope exits normally while the child still runs and nobody waited
 *   for it or closed it, the child gets the same sequence (`killSignal`, SIGKILL after
 *   `forceKillAfter`), is reaped, and the pipes the parent left open are closed; the scope
 *   is left only then (a task group: after every task has finished). A process opened
 *   outside every `run` and scope belongs to nobody: wait for it or close it yourself.
 * - `aclose()` (and `await using`) closes the pipes (the child reads end of file on its
 *   stdin; one still writing gets SIGPIPE) and waits for the child to exit. When leaving an
 *   `await using` block, `[Symbol.asyncDispose]` does what `aclose()` does but does not
 *   raise {@linkcode Cancelled} (the cancellation that interrupted the block is already
 *   propagating, and the next checkpoint raises it again).
 *
 * @example
 * ```ts
 * import { openProcess } from "@anyts/anyts";
 * await using child = await openProcess(["sh", "-c", "echo working; exit 3"]);
 * console.log(new TextDecoder().decode(await child.stdout!.receive())); // "working\n"
 * console.log(await child.wait()); // 3
 * ```
 */
export class Process implements AsyncDisposable {
  /** The child's process id. */
  readonly pid: number;
  /** The command as it was given (a string runs through `/bin/sh -c`). */
  readonly args: string | readonly string[];
  /** The parent's end of the child's standard input, or `null` when it is not a pipe. */
  readonly stdin: ProcessSendStream | null;
  /** The parent's end of the child's standard output, or `null` when it is not a pipe. */
  readonly stdout: ProcessReceiveStream | null;
  /** The parent's end of the child's standard error, or `null` when it is not a pipe. */
  readonly stderr: ProcessReceiveStream | null;
  #raw: RawProcess;
  #init: ProcessInit;
  #returncode: number | null = null;
  #exited: Promise<number>;
  #killing: Promise<void> | undefined = undefined;
  /** The scope whose exit kills and closes what is left of the child, until it is all closed. */
  #owner: CancelScope | undefined;

  /**
   * @internal Made by `openProcess`, in the scope the process belongs to.
   *
   * @param raw the backend's child
   * @param init what `openProcess` validated
   */
  constructor(raw: RawProcess, init: ProcessInit) {
    this.#raw = raw;
    this.#init = init;
    this.pid = raw.pid;
    this.args = init.args;
    this.stdin = raw.stdin === null ? null : new ProcessSendStream(raw.stdin, this.#release);
    this.stdout = raw.stdout === null ? null : new ProcessReceiveStream(raw.stdout, "stdout", this.#release);
    this.stderr = raw.stderr === null ? null : new ProcessReceiveStream(raw.stderr, "stderr", this.#release);
    // The exit of the opening scope kills and closes what is left (finalizers.ts).
    this.#owner = _addFinalizer(currentScope(), this.#finalize);
    // The cancellation of that scope terminates the child at once, in the background. The
    // reaction is registered here, so the kill sequence runs in the opening frame (its
    // shielded scopes go under the opening scope, whoever cancelled it). It is a watcher,
    // not a wait: no task is blocked in it, so it is not counted (_addWaiter) as one.
    const scope = this.#owner ?? currentScope();
    let onCancelled!: () => void;
    new Promise<void>((resolve) => (onCancelled = resolve)).then(() => this._terminateAndReap());
    const guard: Waker = () => {
      scope._waiters?.delete(guard);
      onCancelled();
    };
    (scope._waiters ??= new Set()).add(guard);
    this.#exited = raw.exited.then((returncode) => {
      this.#returncode = returncode;
      scope._waiters?.delete(guard);
      this.#release();
      return returncode;
    });
  }

  /**
   * `null` while the child runs; once it has exited and been reaped, its exit code, or
   * minus the number of the signal that killed it.
   *
   * @example
   * ```ts
   * import { openProcess } from "@anyts/anyts";
   * await using child = await openProcess(["true"]);
   * console.log(child.returncode); // null
   * await child.wait();
   * console.log(child.returncode); // 0
   * ```
   */
  get returncode(): number | null {
    return this.#returncode;
  }

  /**
   * Waits for the child to exit and resolves to its returncode. Several tasks may wait at
   * once. If the wait is cancelled, the child is terminated (`killSignal`, then SIGKILL
   * after `forceKillAfter` ms) and reaped before {@linkcode Cancelled} is raised.
   *
   * @example
   * ```ts
   * import { moveOnAfter, openProcess } from "@anyts/anyts";
   * await using child = await openProcess(["sleep", "100"]);
   * await moveOnAfter(100, () => child.wait()); // cancelled: terminated and reaped
   * console.log(child.returncode); // -15
   * ```
   */
  wait(): Promise<number> {
    const returncode = this.#returncode;
    if (returncode !== null) return checkpoint().then(() => this.#stdioChecked(returncode));
    return waitCancellable<number>((resolve) => {
      this.#exited.then(resolve);
    }, undefined, "Process.wait").then(
      (returncode) => this.#stdioChecked(returncode),
      (error: unknown) => this.#terminateOnCancelled(error),
    );
  }

  /** `returncode`, unless moving the child's output to or from an `AsyncFile` failed. */
  #stdioChecked(returncode: number): number {
    const error = (this.#raw as { _stdioError?: unknown })._stdioError;
    if (error !== undefined) throw error;
    return returncode;
  }

  /**
   * Sends `signal` (a name such as `"SIGHUP"`) to the child, or to its process group with
   * `processGroup: true`. Does nothing once the child has exited; an unknown name, or one
   * this platform lacks, is a TypeError.
   *
   * @example
   * ```ts
   * import { openProcess } from "@anyts/anyts";
   * await using child = await openProcess(["sleep", "100"]);
   * child.sendSignal("SIGINT");
   * console.log(await child.wait()); // -2
   * ```
   */
  sendSignal(signal: SignalName): void {
    const name = validateSignalName(signal, "signal");
    if (this.#init.signals.signalNumber(name) === undefined) {
      throw new TypeError(`signal ${name} does not exist on this platform`);
    }
    if (this.#returncode !== null) return;
    this.#raw.kill(name, this.#init.processGroup);
  }

  /**
   * Sends SIGTERM (a no-op once the child has exited).
   *
   * @example
   * ```ts
   * import { openProcess } from "@anyts/anyts";
   * await using child = await openProcess(["sleep", "100"]);
   * child.terminate();
   * console.log(await child.wait()); // -15
   * ```
   */
  terminate(): void {
    this.sendSignal("SIGTERM");
  }

  /**
   * Sends SIGKILL (a no-op once the child has exited).
   *
   * @example
   * ```ts
   * import { openProcess } from "@anyts/anyts";
   * await using child = await openProcess(["sleep", "100"]);
   * child.kill();
   * console.log(await child.wait()); // -9
   * ```
   */
  kill(): void {
    this.sendSignal("SIGKILL");
  }

  /**
   * Closes the pipes (the child reads end of file; one still writing gets SIGPIPE) and
   * waits for the child to exit. If that wait is cancelled, the child is terminated and
   * reaped before {@linkcode Cancelled} is raised.
   *
   * @example
   * ```ts
   * import { openProcess } from "@anyts/anyts";
   * const child = await openProcess(["cat"]);
   * await child.aclose(); // cat reads end of file and exits
   * console.log(child.returncode); // 0
   * ```
   */
  async aclose(): Promise<void> {
    await this.stdin?.aclose();
    await this.stdout?.aclose();
    await this.stderr?.aclose();
    await this.wait();
  }

  /**
   * What `aclose()` does, except that it does not raise {@linkcode Cancelled} (`await
   * using` would wrap it with the cancellation that is already propagating).
   *
   * @example
   * ```ts
   * import { openProcess } from "@anyts/anyts";
   * {
   *   await using child = await openProcess(["true"]);
   * } // closed and reaped here
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.aclose();
    } catch (error) {
      if (!(error instanceof Cancelled)) throw error;
    }
  }

  /**
   * @internal Terminates the child and reaps it: `killSignal`, a shielded wait of up to
   * `forceKillAfter` ms, then SIGKILL and a shielded wait for the reap; with
   * `processGroup`, what is left of the group gets the rest of the grace period, then
   * SIGKILL. Once per process (later callers wait for the first sequence). Never rejects.
   */
  _terminateAndReap(): Promise<void> {
    // A child writing into an AsyncFile through a pump: its output stops with its exit
    // (file-stdio.ts), so that a grandchild holding the pipe cannot hold up the reap.
    (this.#raw as { _stopOutputAtExit?(): void })._stopOutputAtExit?.();
    return (this.#killing ??= this.#killSequence().catch(() => {}));
  }

  /** @internal The number of `signal` on the platform of the backend that spawned the child. */
  _signalNumber(signal: string): number | undefined {
    return this.#init.signals.signalNumber(signal);
  }

  /** What the opening scope's exit does with a child left open: kill, reap, close the pipes. */
  #finalize = async (): Promise<void> => {
    this.#owner = undefined;
    if (this.#returncode === null) await this._terminateAndReap();
    await this.stdin?.aclose();
    await this.stdout?.aclose();
    await this.stderr?.aclose();
  };

  /** Takes the finalizer back once the child is reaped and every pipe is closed or at its end. */
  #release = (): void => {
    const owner = this.#owner;
    if (owner === undefined || this.#returncode === null) return;
    if (this.stdin?._finished === false || this.stdout?._finished === false || this.stderr?._finished === false) return;
    this.#owner = undefined;
    _removeFinalizer(owner, this.#finalize);
  };

  async #terminateOnCancelled(error: unknown): Promise<never> {
    if (error instanceof Cancelled) await this._terminateAndReap();
    throw error;
  }

  async #killSequence(): Promise<void> {
    const { killSignal, forceKillAfter, processGroup } = this.#init;
    const deadline = currentTime() + forceKillAfter;
    if (this.#returncode === null) {
      this.#raw.kill(killSignal, processGroup);
      await moveOnAt(deadline, () => this.#waitExited(), { shield: true });
      if (this.#returncode === null) {
        this.#raw.kill("SIGKILL", processGroup);
        await new CancelScope({ shield: true }).run(() => this.#waitExited());
      }
    }
    if (processGroup && this.#raw.groupAlive()) {
      // The leader is gone; its descendants get what is left of the grace period.
      await moveOnAt(deadline, () => this.#waitGroupGone(), { shield: true });
      this.#raw.kill("SIGKILL", true);
    }
  }

  #waitExited(): Promise<number> {
    return waitCancellable<number>((resolve) => {
      this.#exited.then(resolve);
    }, undefined, "Process.wait (terminating)");
  }

  /** Waits until no process is left in the child's group, polling every GROUP_POLL_MS of real time. */
  #waitGroupGone(): Promise<void> {
    const backend = currentScope()._backend;
    return waitCancellable<void>((resolve) => {
      let timer: TimerHandle | undefined;
      const poll = (): void => {
        timer = undefined;
        if (this.#raw.groupAlive()) timer = backend.setTimer(GROUP_POLL_MS, poll);
        else resolve();
      };
      poll();
      return () => {
        if (timer !== undefined) backend.clearTimer(timer);
      };
    }, undefined, "Process.wait (process group)");
  }
}
