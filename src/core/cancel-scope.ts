/**
 * Cancel scopes: Trio's level-triggered cancellation, carried by the async context.
 *
 * A scope is entered with {@linkcode CancelScope.run}. Cancelling it (by hand, by its
 * deadline, or through an outer scope) makes every checkpoint inside it raise
 * {@linkcode Cancelled} until the scope exits, where the scope catches the cancellation it
 * caused itself. Waits blocked inside the scope are woken at once.
 *
 * @module
 */
import { type Backend, getAvailableBackends, loadBackend, provisionalBackend } from "../backend/index.ts";
import { type Frame, frameStorage, type TaskIdentity, type TaskInfo } from "./context.ts";
import type { DeadlineEntry } from "./deadline-queue.ts";
import { Cancelled } from "./errors.ts";
import { type Finalizer, finalizerFailure, NO_ERROR, runFinalizers } from "./finalizers.ts";
import { checkOptions } from "./options.ts";
import { RootTask, RunState } from "./run-state.ts";

const CANCEL_SCOPE_OPTIONS: readonly (keyof CancelScopeOptions)[] = ["deadline", "shield", "signal"];

const IDLE = 0;
const ACTIVE = 1;
const EXITED = 2;

/** @internal Wakes one blocked wait with the scope whose cancellation reached it. */
export type Waker = (source: CancelScope) => void;

/**
 * @ignore A blocked wait linked into its scope's list of waits (`_linkWait` in wait.ts):
 * an object that exists anyway (a stream) is the link, so that waiting allocates nothing
 * (no closure, no Set entry). The scope unlinks it before calling `_cancelWait`. Internal.
 */
export interface WaitLink {
  /** @ignore The scope's cancellation reached the wait. */
  _cancelWait(source: CancelScope): void;
  /** @ignore The scope the wait is linked into, or undefined when not linked. */
  _waitScope: CancelScope | undefined;
  /** @ignore */
  _prevWait: WaitLink | undefined;
  /** @ignore */
  _nextWait: WaitLink | undefined;
}

/**
 * Options of {@linkcode CancelScope}.
 *
 * @example
 * ```ts
 * import { CancelScope, currentTime } from "@anyts/anyts";
 * const options = { deadline: currentTime() + 1_000, shield: false };
 * new CancelScope(options);
 * ```
 */
export interface CancelScopeOptions {
  /** Absolute deadline on the {@linkcode currentTime} clock; `Infinity` (default) for none. */
  deadline?: number;
  /** Whether outer cancellation is blocked from reaching inside. Default `false`. */
  shield?: boolean;
  /**
   * An external `AbortSignal` bound to the scope: when it aborts, the scope is cancelled
   * with the signal's reason. This is how any `AbortSignal` (a request's, a framework's)
   * drives anyts cancellation.
   */
  signal?: AbortSignal;
}

/**
 * A region of code that can be cancelled as a whole, by hand or at a deadline.
 *
 * Semantics (Trio's and AnyIO's):
 * - Cancellation is level-triggered: once the scope is cancelled, every checkpoint inside
 *   it raises {@linkcode Cancelled}, not only the first one.
 * - Cancelling a scope cancels every unshielded scope and task nested in it.
 * - A shielded scope blocks cancellation coming from outside, but not its own `cancel()`
 *   or deadline. Unshielding it delivers a pending outer cancellation at once.
 * - A scope catches only the cancellation it caused itself (it was cancelled and no outer
 *   cancellation is visible to it); it then sets `cancelledCaught` and `run` resolves to
 *   `undefined`.
 * - A deadline already in the past on entry cancels at the first checkpoint.
 * - A scope can be entered once.
 *
 * @example
 * ```ts
 * import { CancelScope, sleep } from "@anyts/anyts";
 *
 * const scope = new CancelScope();
 * setTimeout(() => scope.cancel("user pressed stop"), 10);
 * await scope.run(async () => {
 *   await sleep(60_000);
 * });
 * console.log(scope.cancelledCaught); // true
 * ```
 */
export class CancelScope implements DeadlineEntry {
  /** @ignore A scope is the frame of the code inside it. */
  readonly _scope: CancelScope = this;
  /** @ignore */
  _parent: CancelScope | undefined = undefined;
  /** @ignore Active child scopes, a linked list in entry order (cheaper than a Set). */
  _firstChild: CancelScope | undefined = undefined;
  /** @ignore */
  _lastChild: CancelScope | undefined = undefined;
  /** @ignore */
  _prevSibling: CancelScope | undefined = undefined;
  /** @ignore */
  _nextSibling: CancelScope | undefined = undefined;
  /** @ignore */
  _waiters: Set<Waker> | undefined = undefined;
  /** @ignore Cleanups of resources opened in the scope, run when it exits (finalizers.ts). */
  _finalizers: Set<Finalizer> | undefined = undefined;
  /** @ignore One waiter kept outside `_waiters` (most scopes have at most one at a time: no Set to allocate). */
  _waiter: Waker | undefined = undefined;
  /** @ignore The linked waits (see {@linkcode WaitLink}), in the order they began. */
  _firstWait: WaitLink | undefined = undefined;
  /** @ignore */
  _lastWait: WaitLink | undefined = undefined;
  /** @ignore */
  _state: number = IDLE;
  /** @ignore */
  _cancelCalled = false;
  /** @ignore */
  _cancelReason: string | undefined = undefined;
  /** @ignore */
  _deadlineExpired = false;
  /** @ignore */
  _cancelledCaught = false;
  /** @ignore */
  _shield: boolean;
  /** @ignore */
  _deadline: number;
  /** @ignore The deadline as queued in the run's deadline queue. */
  _when = 0;
  /** @ignore */
  _seq = 0;
  /** @ignore Where the scope is in the run's deadline queue; -1 when not queued. */
  _heapIndex = -1;
  /** @ignore The run the scope belongs to. */
  _run: RunState = implicitRun;
  /** @ignore Whether the deadline is known to lie ahead at entry (moveOnAfter with ms > 0). */
  _deadlineAhead = false;
  /** @ignore The task group whose scope this is, if any (for formatTaskTree). */
  _group: unknown = undefined;
  /** @ignore */
  _controller: AbortController | undefined = undefined;
  /** @ignore */
  _boundSignal: AbortSignal | undefined;
  /** @ignore */
  _onBoundAbort: (() => void) | undefined = undefined;
  /** @ignore */
  _backend: Backend = provisionalBackend;
  /** @ignore */
  _task: TaskIdentity = implicitRootTask;

  /**
   * Creates a scope; it takes effect when entered with {@linkcode CancelScope.run}.
   *
   * @param options `deadline` (absolute, on the {@linkcode currentTime} clock), `shield`,
   *   and `signal` (an external AbortSignal that cancels the scope when it aborts)
   */
  constructor(options?: CancelScopeOptions) {
    if (options !== undefined) checkOptions(options, CANCEL_SCOPE_OPTIONS, "CancelScope");
    this._deadline = validateDeadline(options?.deadline ?? Infinity, "deadline");
    const shield = options?.shield ?? false;
    if (typeof shield !== "boolean") throw new TypeError(`shield must be a boolean, got ${typeof shield}`);
    this._shield = shield;
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError("signal must be an AbortSignal");
    }
    this._boundSignal = signal;
  }

  /**
   * Runs `fn` inside this scope and resolves to its result, or to `undefined` if the scope
   * caught the cancellation it caused. Throws if the scope was entered before.
   * Resources opened directly in the scope and still open once `fn` has settled (a child
   * process nobody waited for) are cleaned up, shielded, before `run` settles: a process
   * is killed and reaped. If that cleanup fails, its error is raised.
   *
   * @example
   * ```ts
   * import { CancelScope, currentTime, sleep } from "@anyts/anyts";
   * const scope = new CancelScope({ deadline: currentTime() + 10 });
   * const result = await scope.run(async () => { await sleep(1_000); return "done"; });
   * console.log(result, scope.cancelledCaught); // undefined true
   * ```
   */
  run<T>(fn: (scope: CancelScope) => Promise<T> | T): Promise<T | undefined> {
    return this._runIn(currentFrame(), fn);
  }

  /** @ignore {@linkcode CancelScope.run} in a frame the caller looked up already. */
  _runIn<T>(frame: Frame, fn: (scope: CancelScope) => Promise<T> | T): Promise<T | undefined> {
    if (typeof fn !== "function") return Promise.reject(new TypeError(`fn must be a function, got ${typeof fn}`));
    try {
      this._enter(frame);
    } catch (error) {
      return Promise.reject(error);
    }
    let value: Promise<T> | T;
    try {
      value = frameStorage.run(this, fn, this);
    } catch (error) {
      return this._leaveWithError(error);
    }
    if (!isThenable(value)) {
      if (this._finalizers !== undefined) return this._finalizeAndLeave(value, NO_ERROR);
      this._exit();
      return Promise.resolve(value);
    }
    return Promise.resolve(value).then(
      (result) => {
        if (this._finalizers !== undefined) return this._finalizeAndLeave(result, NO_ERROR);
        this._exit();
        return result;
      },
      (error) => this._leaveWithError(error),
    );
  }

  /** @ignore Leaves the scope with `error`: resolves to undefined if the scope caught it. */
  _leaveWithError(error: unknown): Promise<undefined> {
    if (this._finalizers !== undefined) return this._finalizeAndLeave(undefined, error);
    const caught = this._catches(error);
    this._exit();
    return caught ? Promise.resolve(undefined) : Promise.reject(error);
  }

  /**
   * @ignore The exit of a scope that has finalizers (the slow path): runs them, then leaves
   * with `result`, or `error` if it is not `NO_ERROR`, unless a finalizer failed: then
   * with {@linkcode finalizerFailure}.
   */
  async _finalizeAndLeave<T>(result: T, error: unknown): Promise<T | undefined> {
    const errors = await this._finalize();
    if (errors.length !== 0) {
      this._exit();
      throw finalizerFailure(error, errors);
    }
    if (error !== NO_ERROR) return this._leaveWithError(error);
    this._exit();
    return result;
  }

  /** @ignore Runs the finalizers registered with this exiting scope; resolves to their errors. */
  _finalize(): Promise<unknown[]> {
    return runFinalizers(this, () => new CancelScope({ shield: true }));
  }

  /**
   * @ignore The scope that owns resources opened in this one: itself while it is active,
   * else the nearest enclosing scope still active; `undefined` for the implicit root (which
   * never exits).
   */
  _owner(): CancelScope | undefined {
    let scope: CancelScope | undefined = this;
    while (scope._state !== ACTIVE) {
      scope = scope._parent;
      if (scope === undefined) return undefined;
    }
    return scope._parent === undefined ? undefined : scope;
  }

  /**
   * Cancels the scope: every checkpoint inside it raises {@linkcode Cancelled} from now
   * on, and waits blocked inside it are woken. Idempotent; allowed before and after `run`.
   *
   * @example
   * ```ts
   * import { CancelScope, sleepForever } from "@anyts/anyts";
   * const scope = new CancelScope();
   * const running = scope.run(sleepForever);
   * scope.cancel("no longer needed");
   * await running;
   * ```
   */
  cancel(reason?: string): void {
    if (this._cancelCalled) return;
    this._cancelCalled = true;
    this._cancelReason = reason === undefined ? undefined : String(reason);
    if (this._heapIndex >= 0) this._run._removeDeadline(this);
    if (this._state === ACTIVE) this._deliver(this);
    else if (this._controller !== undefined && this._state === IDLE) this._abortSignal(this);
  }

  /**
   * The absolute deadline on the {@linkcode currentTime} clock; `Infinity` means none.
   * Setting it reschedules the timeout; a deadline in the past cancels at once.
   *
   * @example
   * ```ts
   * import { CancelScope, currentTime, sleep } from "@anyts/anyts";
   * await new CancelScope().run(async (scope) => {
   *   scope.deadline = currentTime() + 50;
   *   scope.deadline += 1_000; // moved later: no timeout at +50
   *   await sleep(60);
   * });
   * ```
   */
  get deadline(): number {
    return this._deadline;
  }
  set deadline(value: number) {
    this._deadline = validateDeadline(value, "deadline");
    if (this._state !== ACTIVE || this._cancelCalled) return;
    if (this._heapIndex >= 0) this._run._removeDeadline(this);
    if (value !== Infinity) this._armDeadline();
  }

  /**
   * Whether outer cancellation is blocked. Unshielding a scope inside a cancelled outer
   * scope delivers that cancellation at once.
   *
   * @example
   * ```ts
   * import { CancelScope, sleep } from "@anyts/anyts";
   * await new CancelScope({ shield: true }).run(async () => {
   *   await sleep(10); // not interrupted by outer cancellation
   * });
   * ```
   */
  get shield(): boolean {
    return this._shield;
  }
  set shield(value: boolean) {
    if (typeof value !== "boolean") throw new TypeError(`shield must be a boolean, got ${typeof value}`);
    if (value === this._shield) return;
    this._shield = value;
    if (!value && this._state === ACTIVE) {
      const source = this._parent?._cancelledBy();
      if (source !== undefined) this._deliver(source);
    }
  }

  /**
   * Whether `cancel()` was called or the deadline passed.
   *
   * @example
   * ```ts
   * import { CancelScope } from "@anyts/anyts";
   * const scope = new CancelScope();
   * scope.cancel();
   * console.log(scope.cancelCalled); // true
   * ```
   */
  get cancelCalled(): boolean {
    return this._cancelCalled;
  }

  /**
   * Whether this scope caught the {@linkcode Cancelled} that it caused.
   *
   * @example
   * ```ts
   * import { moveOnAfter, sleepForever } from "@anyts/anyts";
   * await moveOnAfter(5, async (scope) => {
   *   try { await sleepForever(); } finally { console.log(scope.cancelledCaught); } // false: not exited yet
   * });
   * ```
   */
  get cancelledCaught(): boolean {
    return this._cancelledCaught;
  }

  /**
   * An `AbortSignal` that aborts (with a {@linkcode Cancelled} as reason) when this scope
   * becomes effectively cancelled — by itself or by an outer scope it does not shield.
   * Pass it to `fetch` or any other AbortSignal-aware API.
   *
   * @example
   * ```ts
   * import { moveOnAfter } from "@anyts/anyts";
   * await moveOnAfter(1_000, async (scope) => {
   *   scope.signal.addEventListener("abort", () => console.log("aborted"));
   * });
   * ```
   */
  get signal(): AbortSignal {
    if (this._controller === undefined) {
      this._controller = new AbortController();
      const source = this._state === ACTIVE ? this._cancelledBy() : this._cancelCalled ? this : undefined;
      if (source !== undefined) this._abortSignal(source);
    }
    return this._controller.signal;
  }

  /** @ignore The scope whose cancellation reaches this one, if any. The checkpoint hot path. */
  _cancelledBy(): CancelScope | undefined {
    let scope: CancelScope | undefined = this;
    do {
      if (scope._cancelCalled) return scope;
      if (scope._shield) return undefined;
      scope = scope._parent;
    } while (scope !== undefined);
    return undefined;
  }

  /** @ignore Enters the scope as a child of the frame's scope, in the frame's task. */
  _enter(frame: Frame): void {
    if (this._state !== IDLE) {
      throw new Error("this CancelScope was already entered; a cancel scope can be entered only once");
    }
    this._state = ACTIVE;
    const parent = frame._scope;
    this._backend = parent._backend;
    this._run = parent._run;
    this._task = frame._task;
    this._link(parent);
    const signal = this._boundSignal;
    if (signal !== undefined) {
      if (signal.aborted) this.cancel(describeAbortReason(signal.reason));
      else {
        this._onBoundAbort = () => this.cancel(describeAbortReason(signal.reason));
        signal.addEventListener("abort", this._onBoundAbort, { once: true });
      }
    }
    if (!this._cancelCalled && this._deadline !== Infinity) this._armDeadline();
  }

  /** @ignore */
  _exit(): void {
    this._state = EXITED;
    this._unlink();
    if (this._heapIndex >= 0) this._run._removeDeadline(this);
    if (this._onBoundAbort !== undefined) {
      this._boundSignal!.removeEventListener("abort", this._onBoundAbort);
      this._onBoundAbort = undefined;
    }
  }

  /** @ignore Moves an active scope under another parent (used when a started task joins its group). */
  _reparent(parent: CancelScope): void {
    this._unlink();
    this._link(parent);
    if (!this._shield) {
      const source = parent._cancelledBy();
      if (source !== undefined) this._deliver(source);
    }
  }

  /** @ignore Whether the error leaving the scope is the cancellation this scope caused. */
  _catches(error: unknown): boolean {
    if (!(error instanceof Cancelled) || !this._cancelCalled) return false;
    if (!this._shield && this._parent?._cancelledBy() !== undefined) return false;
    this._cancelledCaught = true;
    return true;
  }

  /** @ignore */
  _armDeadline(): void {
    const run = this._run;
    if (this._deadlineAhead) this._deadlineAhead = false;
    else if (this._deadline <= run._now()) {
      this._expire();
      return;
    }
    run._addDeadline(this, this._deadline);
  }

  /** @ignore The deadline queue calls it when the deadline has come. */
  _fire(): void {
    if (this._state === ACTIVE) this._expire();
  }

  /** @ignore */
  _expire(): void {
    if (this._cancelCalled) return;
    this._deadlineExpired = true;
    this.cancel("deadline exceeded");
  }

  /** @ignore Delivers `source`'s cancellation to this scope and its unshielded descendants. */
  _deliver(source: CancelScope): void {
    if (this._controller !== undefined) this._abortSignal(source);
    for (let link = this._firstWait; link !== undefined; link = this._firstWait) {
      this._unlinkWait(link);
      link._cancelWait(source);
    }
    const waiter = this._waiter;
    if (waiter !== undefined) waiter(source);
    const waiters = this._waiters;
    if (waiters !== undefined && waiters.size !== 0) {
      for (const wake of waiters) wake(source);
    }
    let child = this._firstChild;
    while (child !== undefined) {
      const next = child._nextSibling;
      if (!child._shield) child._deliver(source);
      child = next;
    }
  }

  /** @ignore Appends a wait to the linked waits. */
  _linkWait(link: WaitLink): void {
    link._waitScope = this;
    const last = this._lastWait;
    link._prevWait = last;
    link._nextWait = undefined;
    if (last === undefined) this._firstWait = link;
    else last._nextWait = link;
    this._lastWait = link;
  }

  /** @ignore Removes a linked wait. */
  _unlinkWait(link: WaitLink): void {
    const prev = link._prevWait;
    const next = link._nextWait;
    if (prev === undefined) this._firstWait = next;
    else prev._nextWait = next;
    if (next === undefined) this._lastWait = prev;
    else next._prevWait = prev;
    link._prevWait = link._nextWait = link._waitScope = undefined;
  }

  /** @ignore Appends this scope to `parent`'s children. */
  _link(parent: CancelScope): void {
    this._parent = parent;
    const last = parent._lastChild;
    this._prevSibling = last;
    if (last === undefined) parent._firstChild = this;
    else last._nextSibling = this;
    parent._lastChild = this;
  }

  /** @ignore Removes this scope from its parent's children. */
  _unlink(): void {
    const parent = this._parent!;
    const prev = this._prevSibling;
    const next = this._nextSibling;
    if (prev === undefined) parent._firstChild = next;
    else prev._nextSibling = next;
    if (next === undefined) parent._lastChild = prev;
    else next._prevSibling = prev;
    this._prevSibling = this._nextSibling = undefined;
  }

  /** @ignore */
  _abortSignal(source: CancelScope): void {
    const controller = this._controller!;
    if (!controller.signal.aborted) controller.abort(new Cancelled(source._cancelReason));
  }
}

/** The state shared by code that runs outside any `run`: real time, never kept alive. */
const implicitRun = new RunState(provisionalBackend, undefined, false);
/** The task of code that runs outside any `run`. */
const implicitRootTask: TaskIdentity = new RootTask("implicit root", implicitRun, undefined);
implicitRun._live = 1;
implicitRun._rootTask = implicitRootTask;

/**
 * The implicit root that code outside any `run` belongs to: never cancelled, on the
 * default backend of this runtime.
 */
const implicitRoot = new CancelScope();
implicitRoot._state = ACTIVE;
implicitRun._rootScope = implicitRoot;
{
  const native = getAvailableBackends()[0];
  if (native !== undefined) {
    loadBackend(native).then((backend) => {
      implicitRoot._backend = backend;
      implicitRun._backend = backend;
    }, () => {});
  }
}

/** @internal The frame (innermost scope and task) of the running code. */
export function currentFrame(): Frame {
  return frameStorage.getStore() ?? implicitRoot;
}

/** @internal The innermost cancel scope of the running code. */
export function currentScope(): CancelScope {
  return (frameStorage.getStore() ?? implicitRoot)._scope;
}

/** @ignore Whether `value` is a promise or another thenable. */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<T>).then === "function";
}

/**
 * The effective deadline of the running code: the earliest deadline of the enclosing
 * scopes up to the nearest shield, `-Infinity` if it is already cancelled, `Infinity` if
 * there is none.
 *
 * @example
 * ```ts
 * import { currentEffectiveDeadline, moveOnAfter } from "@anyts/anyts";
 * await moveOnAfter(1_000, () => {
 *   console.log(currentEffectiveDeadline()); // about currentTime() + 1000
 * });
 * ```
 */
export function currentEffectiveDeadline(): number {
  let deadline = Infinity;
  let scope: CancelScope | undefined = currentScope();
  do {
    if (scope._cancelCalled) return -Infinity;
    if (scope._deadline < deadline) deadline = scope._deadline;
    if (scope._shield) break;
    scope = scope._parent;
  } while (scope !== undefined);
  return deadline;
}

/** @ignore Throws a RangeError for NaN and a TypeError for a non-number. */
export function validateDeadline(value: number, name: string): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (Number.isNaN(value)) throw new RangeError(`${name} must not be NaN`);
  return value;
}

function describeAbortReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message || reason.name;
  return reason === undefined ? "aborted" : String(reason);
}

/**
 * The task running the current code: an identity object with a `name`, stable for the
 * task's life (locks and capacity limiters record it as their owner). Outside any task
 * group it is the root task of the enclosing `run`, or the implicit root.
 *
 * @example
 * ```ts
 * import { getCurrentTask, taskGroup } from "@anyts/anyts";
 * await taskGroup(async (tg) => {
 *   tg.startSoon(async function worker() {
 *     console.log(getCurrentTask().name); // "worker"
 *   });
 * });
 * ```
 */
export function getCurrentTask(): TaskInfo {
  return (frameStorage.getStore() ?? implicitRoot)._task;
}

/** @ignore The task running the current code, with its internals. Internal. */
export function currentTask(): TaskIdentity {
  return (frameStorage.getStore() ?? implicitRoot)._task;
}
