/**
 * The FIFO queue of blocked waiters shared by the synchronization primitives: a doubly
 * linked list, so that a cancelled waiter leaves from the middle in O(1) and the next
 * waiter is found in O(1). Internal to anyts.
 *
 * @module
 */
import type { CancelScope } from "../core/cancel-scope.ts";
import { waitCancellable } from "../core/wait.ts";

/** @ignore One blocked waiter: what it waits for (`data`) and how to wake it. Internal. */
export class Waiter<D> {
  /** @ignore */
  readonly data: D;
  /** @ignore Settles the waiter's wait (a no-op once the wait was cancelled). */
  readonly wake: () => void;
  /** @ignore */
  _prev: Waiter<D> | undefined = undefined;
  /** @ignore */
  _next: Waiter<D> | undefined = undefined;
  /** @ignore Whether the waiter is still linked into its queue. */
  _queued = true;

  constructor(data: D, wake: () => void) {
    this.data = data;
    this.wake = wake;
  }
}

/** @ignore A FIFO queue of waiters with O(1) push, shift and removal. Internal. */
export class WaiterQueue<D> {
  /** @ignore */
  _head: Waiter<D> | undefined = undefined;
  /** @ignore */
  _tail: Waiter<D> | undefined = undefined;
  /** The number of waiters in the queue. */
  size = 0;

  /** Appends a waiter. */
  push(data: D, wake: () => void): Waiter<D> {
    const waiter = new Waiter(data, wake);
    const tail = this._tail;
    if (tail === undefined) this._head = waiter;
    else {
      tail._next = waiter;
      waiter._prev = tail;
    }
    this._tail = waiter;
    this.size++;
    return waiter;
  }

  /** Removes and returns the oldest waiter, if any. */
  shift(): Waiter<D> | undefined {
    const head = this._head;
    if (head !== undefined) this.remove(head);
    return head;
  }

  /** Unlinks `waiter`; does nothing if it already left the queue. */
  remove(waiter: Waiter<D>): void {
    if (!waiter._queued) return;
    waiter._queued = false;
    const prev = waiter._prev;
    const next = waiter._next;
    if (prev === undefined) this._head = next;
    else prev._next = next;
    if (next === undefined) this._tail = prev;
    else next._prev = prev;
    waiter._prev = waiter._next = undefined;
    this.size--;
  }

  /**
   * Blocks in `scope` (a cancellable wait) until the waiter is shifted out of the queue
   * and woken (counted as blocked in `what`). If `scope` is cancelled first, the waiter leaves the queue and the promise
   * rejects with `Cancelled`; if it is already cancelled, nothing is queued.
   */
  wait(data: D, scope: CancelScope, what: string): Promise<void> {
    return waitCancellable<void>((resolve) => {
      const waiter = this.push(data, resolve as () => void);
      return () => this.remove(waiter);
    }, scope, what);
  }

  /** The data of every queued waiter, oldest first. */
  toArray(): D[] {
    const result: D[] = [];
    for (let w = this._head; w !== undefined; w = w._next) result.push(w.data);
    return result;
  }
}
