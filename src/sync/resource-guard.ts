/**
 * ResourceGuard: detects two tasks using a resource at once.
 *
 * @module
 */
import { BusyResourceError } from "../core/errors.ts";

/**
 * What {@linkcode ResourceGuard.statistics} reports.
 *
 * @example
 * ```ts
 * import { ResourceGuard, type ResourceGuardStatistics } from "@anyts/anyts";
 * const stats: ResourceGuardStatistics = new ResourceGuard().statistics();
 * console.log(stats.guarded); // false
 * ```
 */
export interface ResourceGuardStatistics {
  /** Whether the guard is entered (the resource is in use). */
  readonly guarded: boolean;
}

/**
 * Makes sure that a resource is used by one task at a time (AnyIO's `ResourceGuard`):
 * entering it while it is already entered throws {@linkcode BusyResourceError} instead of
 * waiting. Streams use it so that two concurrent `receive()` calls fail loudly.
 *
 * `enter()` returns a Disposable that leaves the guard once (disposing it again does
 * nothing, even if the guard was entered anew meanwhile).
 *
 * @example
 * ```ts
 * import { BusyResourceError, ResourceGuard } from "@anyts/anyts";
 *
 * const guard = new ResourceGuard("receiving");
 * async function receive(): Promise<void> {
 *   using _ = guard.enter();
 *   await Promise.resolve(); // the actual receive
 * }
 * const first = receive();
 * try {
 *   await receive();
 * } catch (error) {
 *   console.log(error instanceof BusyResourceError); // true
 * }
 * await first;
 * ```
 */
export class ResourceGuard {
  /** What the guarded operation is called in the error message, such as `"receiving"`. */
  readonly action: string;
  /** @ignore */
  _entry: GuardEntry | undefined = undefined;

  /**
   * Creates a guard that is not entered.
   *
   * @param action what the guarded operation is called in the error (default `"using"`)
   */
  constructor(action = "using") {
    if (typeof action !== "string") throw new TypeError(`action must be a string, got ${typeof action}`);
    this.action = action;
  }

  /**
   * Enters the guard, or throws {@linkcode BusyResourceError} if it is already entered.
   * Not a checkpoint (it never waits).
   *
   * @example
   * ```ts
   * import { ResourceGuard } from "@anyts/anyts";
   * const guard = new ResourceGuard("sending");
   * {
   *   using _ = guard.enter();
   * }
   * guard.enter()[Symbol.dispose]();
   * ```
   */
  enter(): Disposable {
    if (this._entry !== undefined) throw new BusyResourceError(this.action);
    return (this._entry = new GuardEntry(this));
  }

  /**
   * A snapshot of the guard's state.
   *
   * @example
   * ```ts
   * import { ResourceGuard } from "@anyts/anyts";
   * const guard = new ResourceGuard();
   * using _ = guard.enter();
   * console.log(guard.statistics().guarded); // true
   * ```
   */
  statistics(): ResourceGuardStatistics {
    return { guarded: this._entry !== undefined };
  }
}

/** The Disposable of one entry: leaves the guard once. */
class GuardEntry implements Disposable {
  /** @ignore */
  readonly _guard: ResourceGuard;

  constructor(guard: ResourceGuard) {
    this._guard = guard;
  }

  [Symbol.dispose](): void {
    if (this._guard._entry === this) this._guard._entry = undefined;
  }
}
