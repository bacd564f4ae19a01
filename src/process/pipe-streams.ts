/**
 * A child's pipes as streams: its standard input as a {@linkcode ByteSendStream}, its
 * standard output and error as {@linkcode ByteReceiveStream}s, over the backend's raw pipe
 * ends, the same on every backend.
 *
 * @module
 */
import type { RawPipeReader, RawPipeWriter } from "../backend/process.ts";
import { type CancelScope, currentScope } from "../core/cancel-scope.ts";
import {
  BrokenResourceError,
  BusyResourceError,
  Cancelled,
  cancelledWithoutStack,
  ClosedResourceError,
  EndOfStream,
} from "../core/errors.ts";
import type { TaskIdentity } from "../core/context.ts";
import { _addWaiter, _removeWaiter, waitCancellable } from "../core/wait.ts";
import { ByteReceiveStreamBase, ByteSendStreamBase, validateMaxBytes } from "../streams/types.ts";

const resolved: Promise<void> = Promise.resolve();

/** How much a raw read may bring at once; a smaller receive takes from what is left. */
const READ_SIZE = 256 * 1024;

function noop(): void {}

function broken(what: string, cause: unknown): BrokenResourceError {
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  return new BrokenResourceError(`the child's ${what} pipe is broken${detail}`, { cause });
}

/**
 * The parent's end of a child's standard output or standard error (`process.stdout`,
 * `process.stderr`), a {@linkcode ByteReceiveStream}.
 *
 * - `receive(maxBytes = 65536)` returns 1 to `maxBytes` bytes (a fresh
 *   `Uint8Array<ArrayBuffer>`), never an empty chunk; {@linkcode EndOfStream} once the child
 *   closed its end (usually: it exited) and everything was read; {@linkcode
 *   ClosedResourceError} after `aclose()`; {@linkcode BusyResourceError} while another task
 *   receives.
 * - Nothing is read from the pipe before a receive asks, so a child writing faster than
 *   the parent reads waits on the full pipe: the parent never buffers without bound.
 * - A cancelled receive loses nothing: the bytes it was waiting for go to the next receive.
 * - `aclose()` closes the parent's end at once (a child still writing gets EPIPE or
 *   SIGPIPE); it never raises.
 *
 * @example
 * ```ts
 * import { openProcess } from "@anyts/anyts";
 * await using child = await openProcess(["printf", "hello"]);
 * const decoder = new TextDecoder();
 * let text = "";
 * for await (const chunk of child.stdout!) text += decoder.decode(chunk, { stream: true });
 * console.log(text); // "hello"
 * ```
 */
export class ProcessReceiveStream extends ByteReceiveStreamBase {
  #raw: RawPipeReader;
  #what: string;
  /** A raw read is in flight (perhaps for a receive that was cancelled). */
  #reading = false;
  /** Bytes read from the pipe and not yet returned by a receive. */
  #leftover: Uint8Array<ArrayBuffer> | null = null;
  #eof = false;
  #error: unknown = undefined;
  #closed = false;
  #resolve: ((chunk: Uint8Array<ArrayBuffer>) => void) | undefined = undefined;
  #reject: ((error: unknown) => void) | undefined = undefined;
  #max = 0;
  /** The scope and task of the waiting receive (the blocked-task bookkeeping of wait.ts). */
  #scope: CancelScope | undefined = undefined;
  #task: TaskIdentity | undefined = undefined;
  #onFinished: () => void;

  /**
   * @internal Made by `openProcess`.
   *
   * @param raw the backend's pipe end
   * @param what `"stdout"` or `"stderr"`, for messages
   * @param onFinished called when the stream is closed or has reached its end
   */
  constructor(raw: RawPipeReader, what: string, onFinished: () => void = noop) {
    super();
    this.#raw = raw;
    this.#what = what;
    this.#onFinished = onFinished;
  }

  /** @internal Whether the parent is done with the pipe: closed, or read to its end. */
  get _finished(): boolean {
    return this.#closed || this.#eof;
  }

  /**
   * Receives 1 to `maxBytes` bytes (a positive integer, default 65536).
   *
   * @example
   * ```ts
   * import { openProcess } from "@anyts/anyts";
   * await using child = await openProcess(["echo", "hi"]);
   * console.log(new TextDecoder().decode(await child.stdout!.receive())); // "hi\n"
   * ```
   */
  receive(maxBytes: number = 65536): Promise<Uint8Array<ArrayBuffer>> {
    if (maxBytes !== 65536) {
      try {
        validateMaxBytes(maxBytes);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (this.#resolve !== undefined) return Promise.reject(new BusyResourceError("receiving"));
    if (this.#closed) return Promise.reject(new ClosedResourceError("ProcessReceiveStream"));
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
    if (this.#leftover !== null) return Promise.resolve(this.#take(maxBytes));
    if (this.#error !== undefined) return Promise.reject(broken(this.#what, this.#error));
    if (this.#eof) return Promise.reject(new EndOfStream());
    this.#max = maxBytes;
    this.#task = _addWaiter(scope, this.#onCancelled, `ProcessReceiveStream.receive (${this.#what})`);
    this.#scope = scope;
    const receiving = new Promise<Uint8Array<ArrayBuffer>>(this.#executor);
    if (!this.#reading) this.#read();
    return receiving;
  }

  /**
   * Closes the parent's end of the pipe at once. A receive waiting in another task fails
   * with {@linkcode ClosedResourceError}. Idempotent; never raises.
   *
   * @example
   * ```ts
   * import { openProcess } from "@anyts/anyts";
   * await using child = await openProcess(["yes"]);
   * await child.stdout!.aclose(); // `yes` fails on its next write
   * ```
   */
  aclose(): Promise<void> {
    if (this.#closed) return resolved;
    this.#closed = true;
    this.#leftover = null;
    const reject = this.#reject;
    this.#clearReceiver();
    this.#raw.close();
    reject?.(new ClosedResourceError("ProcessReceiveStream"));
    if (!this.#eof) this.#onFinished();
    return resolved;
  }

  #executor = (resolve: (chunk: Uint8Array<ArrayBuffer>) => void, reject: (error: unknown) => void): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };

  #clearReceiver(): void {
    this.#resolve = this.#reject = undefined;
    const scope = this.#scope;
    if (scope !== undefined) {
      this.#scope = undefined;
      _removeWaiter(scope, this.#onCancelled, this.#task!);
      this.#task = undefined;
    }
  }

  /** A cancelled receive: the raw read stays in flight; its bytes become leftover. */
  #onCancelled = (source: CancelScope): void => {
    const reject = this.#reject;
    if (reject === undefined) return;
    this.#clearReceiver();
    reject(cancelledWithoutStack(source._cancelReason));
  };

  #read(): void {
    this.#reading = true;
    let reading: Promise<Uint8Array<ArrayBuffer> | null>;
    try {
      // Whatever the runtime has (up to READ_SIZE): a smaller receive takes from the leftover.
      reading = this.#raw.read(Math.max(this.#max, READ_SIZE));
    } catch (error) {
      reading = Promise.reject(error);
    }
    reading.then(this.#onChunk, this.#onError);
  }

  #onChunk = (chunk: Uint8Array<ArrayBuffer> | null): void => {
    this.#reading = false;
    if (this.#closed) return;
    const resolve = this.#resolve;
    if (chunk === null) {
      this.#eof = true;
      const reject = this.#reject;
      if (reject !== undefined) {
        this.#clearReceiver();
        reject(new EndOfStream());
      }
      this.#onFinished();
      return;
    }
    this.#leftover = chunk; // never empty (the RawPipeReader contract)
    if (resolve !== undefined) {
      const max = this.#max;
      this.#clearReceiver();
      resolve(this.#take(max));
    }
  };

  #onError = (error: unknown): void => {
    this.#reading = false;
    if (this.#closed) return;
    this.#error = error;
    const reject = this.#reject;
    if (reject !== undefined) {
      this.#clearReceiver();
      reject(broken(this.#what, error));
    }
  };

  #take(maxBytes: number): Uint8Array<ArrayBuffer> {
    const leftover = this.#leftover!;
    if (leftover.length <= maxBytes) {
      this.#leftover = null;
      return leftover;
    }
    this.#leftover = leftover.subarray(maxBytes);
    return leftover.subarray(0, maxBytes);
  }
}

/**
 * The parent's end of a child's standard input (`process.stdin`), a
 * {@linkcode ByteSendStream}.
 *
 * - `send(data)` resolves once the runtime has taken every byte, so a child that reads
 *   slowly makes the sender wait; it throws {@linkcode BrokenResourceError} once the child
 *   has closed its end (it exited, or closed its stdin early) — no EPIPE ever escapes as
 *   an unhandled error — and {@linkcode BusyResourceError} while another task sends. A send
 *   cancelled before its bytes reached the runtime sends nothing.
 * - `sendEof()` closes the pipe after what was sent: the child reads end of file.
 * - `aclose()` closes it at once (the child reads end of file too); it never raises.
 *
 * @example
 * ```ts
 * import { openProcess } from "@anyts/anyts";
 * await using child = await openProcess(["cat"]);
 * await child.stdin!.send(new TextEncoder().encode("echo"));
 * await child.stdin!.sendEof();
 * console.log(new TextDecoder().decode(await child.stdout!.receive())); // "echo"
 * ```
 */
export class ProcessSendStream extends ByteSendStreamBase {
  #raw: RawPipeWriter;
  /** A raw write is in flight (perhaps of a send that was cancelled). */
  #writing = false;
  /** The data of a send waiting for an earlier, cancelled send's write to finish. */
  #queued: Uint8Array | null = null;
  /** What to do once the write in flight has finished (sendEof's end of the pipe). */
  #afterWrite: (() => void) | undefined = undefined;
  #error: unknown = undefined;
  #closed = false;
  #eofSent = false;
  /** `sendEof()` has closed the pipe. */
  #ended = false;
  #resolve: (() => void) | undefined = undefined;
  #reject: ((error: unknown) => void) | undefined = undefined;
  /** The scope and task of the waiting send (the blocked-task bookkeeping of wait.ts). */
  #scope: CancelScope | undefined = undefined;
  #task: TaskIdentity | undefined = undefined;
  #onFinished: () => void;

  /**
   * @internal Made by `openProcess`.
   *
   * @param raw the backend's pipe end
   * @param onFinished called when the pipe is closed (by `aclose()` or `sendEof()`)
   */
  constructor(raw: RawPipeWriter, onFinished: () => void = noop) {
    super();
    this.#raw = raw;
    this.#onFinished = onFinished;
  }

  /** @internal Whether the parent is done with the pipe: closed, or ended by `sendEof()`. */
  get _finished(): boolean {
    return this.#closed || this.#ended;
  }

  /**
   * Sends all of `data`; resolves when the runtime has taken it. Do not modify `data`
   * before the promise settles.
   *
   * @example
   * ```ts
   * import { openProcess } from "@anyts/anyts";
   * await using child = await openProcess(["cat"], { stdout: "inherit" });
   * await child.stdin!.send(new TextEncoder().encode("printed by cat\n"));
   * ```
   */
  send(data: Uint8Array): Promise<void> {
    if (!(data instanceof Uint8Array)) {
      return Promise.reject(new TypeError(`data must be a Uint8Array, got ${data === null ? "null" : typeof data}`));
    }
    if (this.#resolve !== undefined) return Promise.reject(new BusyResourceError("sending"));
    if (this.#closed) return Promise.reject(new ClosedResourceError("ProcessSendStream"));
    if (this.#eofSent) return Promise.reject(new ClosedResourceError("ProcessSendStream", "cannot send after sendEof()"));
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
    if (this.#error !== undefined) return Promise.reject(broken("stdin", this.#error));
    if (data.length === 0) return resolved;
    if (this.#writing) this.#queued = data; // after the write of a cancelled send
    else {
      this.#write(data);
      // Taken at once (the runtime's write completed synchronously): done.
      if (!this.#writing) return this.#error === undefined ? resolved : Promise.reject(broken("stdin", this.#error));
    }
    this.#task = _addWaiter(scope, this.#onCancelled, "ProcessSendStream.send");
    this.#scope = scope;
    return new Promise<void>(this.#executor);
  }

  /**
   * Closes the pipe once what was sent has been written: the child reads end of file.
   * Idempotent.
   *
   * @example
   * ```ts
   * import { openProcess } from "@anyts/anyts";
   * await using child = await openProcess(["wc", "-c"]);
   * await child.stdin!.send(new Uint8Array(3));
   * await child.stdin!.sendEof();
   * console.log(new TextDecoder().decode(await child.stdout!.receive()).trim()); // "3"
   * ```
   */
  sendEof(): Promise<void> {
    if (this.#closed) return Promise.reject(new ClosedResourceError("ProcessSendStream"));
    if (this.#resolve !== undefined) return Promise.reject(new BusyResourceError("sending"));
    const scope = currentScope();
    const source = scope._cancelledBy();
    if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
    if (this.#eofSent) return resolved;
    this.#eofSent = true;
    return waitCancellable<void>((resolve) => {
      const end = () => {
        if (this.#closed) return resolve();
        let ending: Promise<void>;
        try {
          ending = this.#raw.end();
        } catch {
          ending = resolved;
        }
        const ended = () => {
          const finished = this._finished;
          this.#ended = true;
          if (!finished) this.#onFinished();
          resolve();
        };
        ending.then(ended, ended);
      };
      if (this.#writing) this.#afterWrite = end;
      else end();
    }, scope, "ProcessSendStream.sendEof");
  }

  /**
   * Closes the pipe at once: the child reads end of file. A send waiting in another task
   * fails with {@linkcode ClosedResourceError}. Idempotent; never raises.
   *
   * @example
   * ```ts
   * import { openProcess } from "@anyts/anyts";
   * await using child = await openProcess(["cat"]);
   * await child.stdin!.aclose();
   * console.log(await child.wait()); // 0: cat read end of file
   * ```
   */
  aclose(): Promise<void> {
    if (this.#closed) return resolved;
    this.#closed = true;
    this.#queued = null;
    const reject = this.#reject;
    this.#clearSender();
    this.#raw.close();
    reject?.(new ClosedResourceError("ProcessSendStream"));
    const afterWrite = this.#afterWrite;
    this.#afterWrite = undefined;
    afterWrite?.();
    if (!this.#ended) this.#onFinished();
    return resolved;
  }

  #executor = (resolve: () => void, reject: (error: unknown) => void): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };

  #clearSender(): void {
    this.#resolve = this.#reject = undefined;
    const scope = this.#scope;
    if (scope !== undefined) {
      this.#scope = undefined;
      _removeWaiter(scope, this.#onCancelled, this.#task!);
      this.#task = undefined;
    }
  }

  /** A cancelled send: data not yet handed to the runtime is not sent. */
  #onCancelled = (source: CancelScope): void => {
    const reject = this.#reject;
    if (reject === undefined) return;
    this.#queued = null;
    this.#clearSender();
    reject(cancelledWithoutStack(source._cancelReason));
  };

  #write(data: Uint8Array): void {
    this.#writing = true;
    let writing: Promise<void> | undefined;
    try {
      writing = this.#raw.write(data);
    } catch (error) {
      this.#onWriteError(error);
      return;
    }
    if (writing === undefined) this.#writing = false;
    else writing.then(this.#onWritten, this.#onWriteError);
  }

  #onWritten = (): void => {
    this.#writing = false;
    const queued = this.#queued;
    if (queued !== null) {
      this.#queued = null;
      if (!this.#closed) {
        this.#write(queued);
        if (this.#writing) return;
      }
    }
    const afterWrite = this.#afterWrite;
    if (afterWrite !== undefined) {
      this.#afterWrite = undefined;
      afterWrite();
    }
    const resolve = this.#resolve;
    if (resolve === undefined) return;
    if (this.#error !== undefined) {
      this.#onWriteError(this.#error);
      return;
    }
    this.#clearSender();
    resolve();
  };

  #onWriteError = (error: unknown): void => {
    this.#writing = false;
    this.#queued = null;
    if (this.#closed) return;
    this.#error ??= error;
    const afterWrite = this.#afterWrite;
    this.#afterWrite = undefined;
    afterWrite?.();
    const reject = this.#reject;
    if (reject !== undefined) {
      this.#clearSender();
      reject(broken("stdin", this.#error));
    }
  };
}
