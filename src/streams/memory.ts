/**
 * Memory object streams (AnyIO's `create_memory_object_stream`, Trio's memory channels):
 * a queue of items between tasks, with a bounded buffer, clones, and no item ever lost or
 * duplicated by cancellation.
 *
 * @module
 */
import { currentScope } from "../core/cancel-scope.ts";
import { BrokenResourceError, Cancelled, ClosedResourceError, EndOfStream, WouldBlock } from "../core/errors.ts";
import { waitCancellable } from "../core/wait.ts";
import { Fifo } from "./fifo.ts";
import { ObjectReceiveStreamBase, ObjectSendStreamBase } from "./types.ts";

const resolved: Promise<void> = Promise.resolve();

/**
 * A snapshot of the state of a memory object stream, as returned by `statistics()`.
 *
 * @example
 * ```ts
 * import { createMemoryObjectStream } from "@anyts/anyts";
 * const [send] = createMemoryObjectStream<number>(10);
 * send.sendNowait(1);
 * console.log(send.statistics().currentBufferUsed); // 1
 * ```
 */
export interface MemoryObjectStreamStatistics {
  /** Items stored in the buffer. */
  readonly currentBufferUsed: number;
  /** The buffer's capacity (`Infinity` for unbounded). */
  readonly maxBufferSize: number;
  /** Send streams (clones included) not yet closed. */
  readonly openSendStreams: number;
  /** Receive streams (clones included) not yet closed. */
  readonly openReceiveStreams: number;
  /** Tasks blocked in `send()`. */
  readonly tasksWaitingSend: number;
  /** Tasks blocked in `receive()`. */
  readonly tasksWaitingReceive: number;
}

/** A task blocked in `send()`. `active` turns false once it is served or cancelled. */
interface SendWaiter<T> {
  item: T | undefined;
  active: boolean;
  resolve: (value: void) => void;
  reject: (error: unknown) => void;
}

/** A task blocked in `receive()`. */
interface ReceiveWaiter<T> {
  active: boolean;
  resolve: (item: T) => void;
  reject: (error: unknown) => void;
}

/** Sentinel: nothing could be taken without waiting. */
const NOTHING: unique symbol = Symbol("nothing");

/**
 * The state shared by all clones of both ends. Waiter queues may hold cancelled waiters
 * (inactive) until they reach the front; the counters count only the active ones, and a
 * queue whose counter drops to zero is emptied.
 */
class MemoryObjectStreamState<T> {
  readonly maxBufferSize: number;
  readonly buffer: Fifo<T> = new Fifo<T>();
  readonly senders: Fifo<SendWaiter<T>> = new Fifo<SendWaiter<T>>();
  readonly receivers: Fifo<ReceiveWaiter<T>> = new Fifo<ReceiveWaiter<T>>();
  waitingSenders = 0;
  waitingReceivers = 0;
  openSendStreams = 0;
  openReceiveStreams = 0;

  constructor(maxBufferSize: number) {
    this.maxBufferSize = maxBufferSize;
  }

  /** Hands `item` to a waiting receiver or buffers it; false if it would block. */
  offer(item: T): boolean {
    while (this.waitingReceivers > 0) {
      const receiver = this.receivers.shift();
      if (!receiver.active) continue;
      receiver.active = false;
      if (--this.waitingReceivers === 0) this.receivers.clear();
      receiver.resolve(item);
      return true;
    }
    if (this.buffer.length < this.maxBufferSize) {
      this.buffer.push(item);
      return true;
    }
    return false;
  }

  /** Takes the next item (from the buffer, else from a blocked sender), or NOTHING. */
  take(): T | typeof NOTHING {
    if (this.buffer.length > 0) {
      const item = this.buffer.shift();
      if (this.waitingSenders > 0) {
        // Room was made: the first blocked sender's item moves into the buffer.
        const sender = this.nextSender();
        this.buffer.push(sender.item as T);
        sender.item = undefined;
        sender.resolve();
      }
      return item;
    }
    if (this.waitingSenders > 0) {
      const sender = this.nextSender();
      const item = sender.item as T;
      sender.item = undefined;
      sender.resolve();
      return item;
    }
    return NOTHING;
  }

  /** Removes and returns the first active sender; `waitingSenders` must be > 0. */
  nextSender(): SendWaiter<T> {
    for (;;) {
      const sender = this.senders.shift();
      if (!sender.active) continue;
      sender.active = false;
      if (--this.waitingSenders === 0) this.senders.clear();
      return sender;
    }
  }

  waitToSend(item: T, scope: ReturnType<typeof currentScope>): Promise<void> {
    return waitCancellable<void>((resolve, reject) => {
      const waiter: SendWaiter<T> = { item, active: true, resolve, reject };
      this.senders.push(waiter);
      this.waitingSenders++;
      return () => {
        // Cancelled: the item was not taken (or this would not run), so nothing was sent.
        if (!waiter.active) return;
        waiter.active = false;
        waiter.item = undefined;
        if (--this.waitingSenders === 0) this.senders.clear();
        else if (this.senders.length > 64 && this.senders.length > 2 * this.waitingSenders) {
          this.senders.retain(isActive);
        }
      };
    }, scope, "MemoryObjectSendStream.send");
  }

  waitToReceive(scope: ReturnType<typeof currentScope>): Promise<T> {
    return waitCancellable<T>((resolve, reject) => {
      const waiter: ReceiveWaiter<T> = { active: true, resolve, reject };
      this.receivers.push(waiter);
      this.waitingReceivers++;
      return () => {
        if (!waiter.active) return;
        waiter.active = false;
        if (--this.waitingReceivers === 0) this.receivers.clear();
        else if (this.receivers.length > 64 && this.receivers.length > 2 * this.waitingReceivers) {
          this.receivers.retain(isActive);
        }
      };
    }, scope, "MemoryObjectReceiveStream.receive");
  }

  statistics(): MemoryObjectStreamStatistics {
    return {
      currentBufferUsed: this.buffer.length,
      maxBufferSize: this.maxBufferSize,
      openSendStreams: this.openSendStreams,
      openReceiveStreams: this.openReceiveStreams,
      tasksWaitingSend: this.waitingSenders,
      tasksWaitingReceive: this.waitingReceivers,
    };
  }
}

function isActive(waiter: { active: boolean }): boolean {
  return waiter.active;
}

/**
 * Creates a memory object stream: a send end and a receive end sharing a buffer of
 * `maxBufferSize` items (a non-negative integer or `Infinity`; default 0).
 *
 * Semantics are AnyIO's: with a buffer of 0, `send()` waits until a receiver takes the
 * item (a rendezvous); items are received in the order sent; each end can be cloned, and an
 * end is closed once every clone of it is closed. When the last send stream closes,
 * receivers get the buffered items and then {@linkcode EndOfStream}; when the last receive
 * stream closes, senders (blocked ones too) get {@linkcode BrokenResourceError}. A send or
 * receive interrupted by cancellation transfers nothing.
 *
 * @example
 * ```ts
 * import { createMemoryObjectStream, taskGroup } from "@anyts/anyts";
 *
 * const [send, receive] = createMemoryObjectStream<string>();
 * await taskGroup(async (tg) => {
 *   tg.startSoon(async () => {
 *     using _ = send;
 *     for (const word of ["a", "b", "c"]) await send.send(word);
 *   });
 *   for await (const word of receive) console.log(word); // a, b, c
 * });
 * ```
 */
export function createMemoryObjectStream<T>(
  maxBufferSize = 0,
): [MemoryObjectSendStream<T>, MemoryObjectReceiveStream<T>] {
  if (typeof maxBufferSize !== "number") {
    throw new TypeError(`maxBufferSize must be a number, got ${typeof maxBufferSize}`);
  }
  if (!(maxBufferSize >= 0) || (!Number.isInteger(maxBufferSize) && maxBufferSize !== Infinity)) {
    throw new RangeError(`maxBufferSize must be a non-negative integer or Infinity, got ${maxBufferSize}`);
  }
  const state = new MemoryObjectStreamState<T>(maxBufferSize);
  return [new MemoryObjectSendStream<T>(state), new MemoryObjectReceiveStream<T>(state)];
}

/**
 * The receiving end of a memory object stream, made by {@linkcode createMemoryObjectStream}.
 *
 * @example
 * ```ts
 * import { createMemoryObjectStream } from "@anyts/anyts";
 * const [send, receive] = createMemoryObjectStream<number>(1);
 * await send.send(1);
 * send.close();
 * console.log(await receive.receive()); // 1
 * ```
 */
export class MemoryObjectReceiveStream<T> extends ObjectReceiveStreamBase<T> implements Disposable {
  /** @ignore */
  _state: MemoryObjectStreamState<T>;
  /** @ignore */
  _closed = false;

  /** @ignore Use {@linkcode createMemoryObjectStream} or `clone()`. */
  constructor(state: unknown) {
    super();
    if (!(state instanceof MemoryObjectStreamState)) {
      throw new TypeError("use createMemoryObjectStream() to create memory object streams");
    }
    this._state = state as MemoryObjectStreamState<T>;
    this._state.openReceiveStreams++;
  }

  /**
   * Receives the next item, waiting for one if needed. A checkpoint. Throws
   * {@linkcode EndOfStream} once every send stream is closed and the buffer is empty,
   * {@linkcode ClosedResourceError} if this stream was closed.
   *
   * @example
   * ```ts
   * import { createMemoryObjectStream, moveOnAfter } from "@anyts/anyts";
   * const [, receive] = createMemoryObjectStream<number>();
   * await moveOnAfter(10, () => receive.receive()); // nothing sent: times out
   * ```
   */
  receive(): Promise<T> {
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
    if (this._closed) return Promise.reject(new ClosedResourceError("MemoryObjectReceiveStream"));
    const state = this._state;
    const item = state.take();
    if (item !== NOTHING) return Promise.resolve(item);
    if (state.openSendStreams === 0) return Promise.reject(new EndOfStream());
    return state.waitToReceive(scope);
  }

  /**
   * Receives the next item if that needs no waiting: from the buffer, or from a blocked
   * sender. Throws {@linkcode WouldBlock} otherwise, {@linkcode EndOfStream} if every send
   * stream is closed and the buffer is empty.
   *
   * @example
   * ```ts
   * import { createMemoryObjectStream, WouldBlock } from "@anyts/anyts";
   * const [send, receive] = createMemoryObjectStream<number>(5);
   * send.sendNowait(7);
   * console.log(receive.receiveNowait()); // 7
   * try { receive.receiveNowait(); } catch (e) { console.log(e instanceof WouldBlock); } // true
   * ```
   */
  receiveNowait(): T {
    if (this._closed) throw new ClosedResourceError("MemoryObjectReceiveStream");
    const state = this._state;
    const item = state.take();
    if (item !== NOTHING) return item;
    if (state.openSendStreams === 0) throw new EndOfStream();
    throw new WouldBlock("no item is available");
  }

  /**
   * Returns another receive stream on the same buffer. The receiving end stays open until
   * every clone is closed.
   *
   * @example
   * ```ts
   * import { createMemoryObjectStream } from "@anyts/anyts";
   * const [, receive] = createMemoryObjectStream<number>();
   * const second = receive.clone();
   * receive.close();
   * console.log(second.statistics().openReceiveStreams); // 1
   * ```
   */
  clone(): MemoryObjectReceiveStream<T> {
    if (this._closed) throw new ClosedResourceError("MemoryObjectReceiveStream");
    return new MemoryObjectReceiveStream<T>(this._state);
  }

  /**
   * Closes this stream (synchronously; idempotent). When it was the last open receive
   * stream, every blocked sender is woken with {@linkcode BrokenResourceError}.
   *
   * @example
   * ```ts
   * import { BrokenResourceError, createMemoryObjectStream } from "@anyts/anyts";
   * const [send, receive] = createMemoryObjectStream<number>(1);
   * receive.close();
   * try { await send.send(1); } catch (e) { console.log(e instanceof BrokenResourceError); } // true
   * ```
   */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    const state = this._state;
    if (--state.openReceiveStreams === 0 && state.waitingSenders > 0) {
      const senders = state.senders.drain();
      state.waitingSenders = 0;
      for (const sender of senders) {
        if (!sender.active) continue;
        sender.active = false;
        sender.item = undefined;
        sender.reject(new BrokenResourceError("every receive stream was closed"));
      }
    }
  }

  /**
   * Closes this stream, as {@linkcode MemoryObjectReceiveStream.close}.
   *
   * @example
   * ```ts
   * import { createMemoryObjectStream } from "@anyts/anyts";
   * const [, receive] = createMemoryObjectStream<number>();
   * await receive.aclose();
   * ```
   */
  aclose(): Promise<void> {
    this.close();
    return resolved;
  }

  /** Closes this stream: `using receive = ...` calls it. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * The state of the stream (shared by both ends and all clones).
   *
   * @example
   * ```ts
   * import { createMemoryObjectStream } from "@anyts/anyts";
   * const [, receive] = createMemoryObjectStream<number>(3);
   * console.log(receive.statistics().maxBufferSize); // 3
   * ```
   */
  statistics(): MemoryObjectStreamStatistics {
    return this._state.statistics();
  }
}

/**
 * The sending end of a memory object stream, made by {@linkcode createMemoryObjectStream}.
 *
 * @example
 * ```ts
 * import { createMemoryObjectStream } from "@anyts/anyts";
 * const [send, receive] = createMemoryObjectStream<number>(1);
 * await send.send(42);
 * console.log(receive.receiveNowait()); // 42
 * ```
 */
export class MemoryObjectSendStream<T> extends ObjectSendStreamBase<T> implements Disposable {
  /** @ignore */
  _state: MemoryObjectStreamState<T>;
  /** @ignore */
  _closed = false;

  /** @ignore Use {@linkcode createMemoryObjectStream} or `clone()`. */
  constructor(state: unknown) {
    super();
    if (!(state instanceof MemoryObjectStreamState)) {
      throw new TypeError("use createMemoryObjectStream() to create memory object streams");
    }
    this._state = state as MemoryObjectStreamState<T>;
    this._state.openSendStreams++;
  }

  /**
   * Sends `item`: hands it to a waiting receiver, or buffers it, or waits until one of
   * those is possible. A checkpoint. Throws {@linkcode BrokenResourceError} if every receive
   * stream is closed (also while waiting), {@linkcode ClosedResourceError} if this stream
   * was closed. If cancelled while waiting, the item was not sent.
   *
   * @example
   * ```ts
   * import { createMemoryObjectStream, moveOnAfter } from "@anyts/anyts";
   * const [send, receive] = createMemoryObjectStream<number>(0);
   * await moveOnAfter(10, () => send.send(1)); // nobody receives: times out
   * console.log(receive.statistics().tasksWaitingSend); // 0: the item was withdrawn
   * ```
   */
  send(item: T): Promise<void> {
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
    if (this._closed) return Promise.reject(new ClosedResourceError("MemoryObjectSendStream"));
    const state = this._state;
    if (state.openReceiveStreams === 0) return Promise.reject(new BrokenResourceError("every receive stream was closed"));
    if (state.offer(item)) return resolved;
    return state.waitToSend(item, scope);
  }

  /**
   * Sends `item` if that needs no waiting: straight to a waiting receiver, or into the
   * buffer. Throws {@linkcode WouldBlock} otherwise.
   *
   * @example
   * ```ts
   * import { createMemoryObjectStream, WouldBlock } from "@anyts/anyts";
   * const [send] = createMemoryObjectStream<number>(1);
   * send.sendNowait(1);
   * try { send.sendNowait(2); } catch (e) { console.log(e instanceof WouldBlock); } // true: full
   * ```
   */
  sendNowait(item: T): void {
    if (this._closed) throw new ClosedResourceError("MemoryObjectSendStream");
    const state = this._state;
    if (state.openReceiveStreams === 0) throw new BrokenResourceError("every receive stream was closed");
    if (!state.offer(item)) throw new WouldBlock("the buffer is full and no receiver is waiting");
  }

  /**
   * Returns another send stream on the same buffer. The sending end stays open until every
   * clone is closed.
   *
   * @example
   * ```ts
   * import { createMemoryObjectStream, taskGroup } from "@anyts/anyts";
   * const [send, receive] = createMemoryObjectStream<number>(10);
   * await taskGroup(async (tg) => {
   *   for (let i = 0; i < 3; i++) {
   *     const clone = send.clone();
   *     tg.startSoon(async () => { using _ = clone; await clone.send(i); });
   *   }
   *   send.close();
   * });
   * console.log(receive.statistics().currentBufferUsed); // 3
   * ```
   */
  clone(): MemoryObjectSendStream<T> {
    if (this._closed) throw new ClosedResourceError("MemoryObjectSendStream");
    return new MemoryObjectSendStream<T>(this._state);
  }

  /**
   * Closes this stream (synchronously; idempotent). When it was the last open send
   * stream, receivers get the buffered items and then {@linkcode EndOfStream}; blocked
   * receivers are woken with it at once.
   *
   * @example
   * ```ts
   * import { createMemoryObjectStream } from "@anyts/anyts";
   * const [send, receive] = createMemoryObjectStream<number>(1);
   * send.sendNowait(1);
   * send.close();
   * for await (const n of receive) console.log(n); // 1, then the loop ends
   * ```
   */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    const state = this._state;
    if (--state.openSendStreams === 0 && state.waitingReceivers > 0) {
      const receivers = state.receivers.drain();
      state.waitingReceivers = 0;
      for (const receiver of receivers) {
        if (!receiver.active) continue;
        receiver.active = false;
        receiver.reject(new EndOfStream());
      }
    }
  }

  /**
   * Closes this stream, as {@linkcode MemoryObjectSendStream.close}.
   *
   * @example
   * ```ts
   * import { createMemoryObjectStream } from "@anyts/anyts";
   * const [send] = createMemoryObjectStream<number>();
   * await send.aclose();
   * ```
   */
  aclose(): Promise<void> {
    this.close();
    return resolved;
  }

  /** Closes this stream: `using send = ...` calls it. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * The state of the stream (shared by both ends and all clones).
   *
   * @example
   * ```ts
   * import { createMemoryObjectStream } from "@anyts/anyts";
   * const [send] = createMemoryObjectStream<number>(3);
   * console.log(send.statistics().openSendStreams); // 1
   * ```
   */
  statistics(): MemoryObjectStreamStatistics {
    return this._state.statistics();
  }
}
