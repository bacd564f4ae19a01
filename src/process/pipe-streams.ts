/**
 * A child's pipes as streams: its standard input as a {@linkcode ByteSendStream}, its
 * standard output and error as {@linkcode ByteReceiveStream}s, over the backend's raw pipe
 * ends, the same on every backend.
 *
 * @module
 */
import type { RawPipeReader, RawPipeWriter } from "../backend/process.ts";
import { currentScope } from "../core/cancel-scope.ts";
import { BrokenResourceError, BusyResourceError, Cancelled, ClosedResourceError, EndOfStream } from "../core/errors.ts";
import { waitCancellable } from "../core/wait.ts";
import { ByteReceiveStreamBase, ByteSendStreamBase, validateMaxBytes } from "../streams/types.ts";

const resolved: Promise<void> = Promise.resolve();

function noop(): void {}

function checkCancelled(): void {
  const source = currentScope()._cancelledBy();
  if (source !== undefined) throw new Cancelled(source._cancelReason);
}

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
  /** A raw read in flight (perhaps for a receive that was cancelled). */
  #reading: Promise<void> | undefined = undefined;
  #leftover: Uint8Array<ArrayBuffer> | null = null;
  #eof = false;
  #error: unknown = undefined;
  #closed = false;
  #receiving = false;
  #wakeOnClose: ((error: unknown) => void) | undefined = undefined;

  /**
   * @internal Made by `openProcess`.
   *
   * @param raw the backend's pipe end
   * @param what `"stdout"` or `"stderr"`, for messages
   */
  constructor(raw: RawPipeReader, what: string) {
    super();
    this.#raw = raw;
    this.#what = what;
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
    try {
      if (maxBytes !== 65536) validateMaxBytes(maxBytes);
      if (this.#receiving) throw new BusyResourceError("receiving");
      if (this.#closed) throw new ClosedResourceError();
      checkCancelled();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#leftover !== null) return Promise.resolve(this.#take(maxBytes));
    if (this.#error !== undefined) return Promise.reject(broken(this.#what, this.#error));
    if (this.#eof) return Promise.reject(new EndOfStream());
    const reading = this.#reading ?? this.#read(maxBytes);
    this.#receiving = true;
    return waitCancellable<void>((resolve, reject) => {
      reading.then(resolve);
      this.#wakeOnClose = reject;
    }).then(
      () => {
        this.#endReceive();
        if (this.#leftover !== null) return this.#take(maxBytes);
        if (this.#error !== undefined) throw broken(this.#what, this.#error);
        throw new EndOfStream();
      },
      (error) => {
        this.#endReceive();
        throw error;
      },
    );
  }

  /**
   * Closes the parent's end of the pipe at once. A receive waiting in another task fails
   * with {@linkcode ClosedResourceError}. Idempotent; never raises.
   *
   * @example
   * ```ts
   * import { openProcess } from "@anyts/anyts";
   * await using child = await openProcess(["yes"]);
   * await child.stdout!.aclose(); // `yes` gets SIGPIPE on its next write
   * ```
   */
  aclose(): Promise<void> {
    if (this.#closed) return resolved;
    this.#closed = true;
    this.#leftover = null;
    const wake = this.#wakeOnClose;
    this.#endReceive();
    this.#raw.close();
    wake?.(new ClosedResourceError());
    return resolved;
  }

  #endReceive(): void {
    this.#receiving = false;
    this.#wakeOnClose = undefined;
  }

  #read(maxBytes: number): Promise<void> {
    let reading: Promise<Uint8Array<ArrayBuffer> | null>;
    try {
      reading = this.#raw.read(maxBytes);
    } catch (error) {
      reading = Promise.reject(error);
    }
    const done = reading.then(
      (chunk) => {
        this.#reading = undefined;
        if (this.#closed) return;
        if (chunk === null) this.#eof = true;
        else this.#leftover = chunk; // never empty (the RawPipeReader contract)
      },
      (error) => {
        this.#reading = undefined;
        if (!this.#closed) this.#error = error;
      },
    );
    this.#reading = done;
    return done;
  }

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
  /** The raw write in flight (perhaps of a send that was cancelled); it never rejects. */
  #writing: Promise<void> | undefined = undefined;
  #error: unknown = undefined;
  #closed = false;
  #eofSent = false;
  #sending = false;
  #wakeOnClose: ((error: unknown) => void) | undefined = undefined;

  /**
   * @internal Made by `openProcess`.
   *
   * @param raw the backend's pipe end
   */
  constructor(raw: RawPipeWriter) {
    super();
    this.#raw = raw;
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
    try {
      if (!(data instanceof Uint8Array)) {
        throw new TypeError(`data must be a Uint8Array, got ${data === null ? "null" : typeof data}`);
      }
      if (this.#sending) throw new BusyResourceError("sending");
      if (this.#closed) throw new ClosedResourceError();
      if (this.#eofSent) throw new ClosedResourceError("cannot send after sendEof()");
      checkCancelled();
      if (this.#error !== undefined) throw broken("stdin", this.#error);
    } catch (error) {
      return Promise.reject(error);
    }
    if (data.length === 0) return resolved;
    this.#sending = true;
    const previous = this.#writing;
    let abandoned = false;
    return waitCancellable<void>((resolve, reject) => {
      this.#wakeOnClose = reject;
      const write = (): void => {
        if (abandoned || this.#closed) return;
        if (this.#error !== undefined) return reject(broken("stdin", this.#error));
        const writing = this.#write(data);
        writing.then(() => (this.#error === undefined ? resolve() : reject(broken("stdin", this.#error))));
      };
      if (previous === undefined) write();
      else previous.then(write);
      // Cancelled while an earlier send's write was still in flight: this data is not sent.
      return () => (abandoned = true);
    }).then(
      () => this.#endSend(),
      (error) => {
        this.#endSend();
        throw error;
      },
    );
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
    try {
      if (this.#closed) throw new ClosedResourceError();
      if (this.#sending) throw new BusyResourceError("sending");
      checkCancelled();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#eofSent) return resolved;
    this.#eofSent = true;
    const ending = (this.#writing ?? resolved).then(() => (this.#closed ? undefined : this.#raw.end())).then(noop, noop);
    return waitCancellable<void>((resolve) => {
      ending.then(resolve);
    });
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
    const wake = this.#wakeOnClose;
    this.#endSend();
    this.#raw.close();
    wake?.(new ClosedResourceError());
    return resolved;
  }

  #endSend(): void {
    this.#sending = false;
    this.#wakeOnClose = undefined;
  }

  #write(data: Uint8Array): Promise<void> {
    let writing: Promise<void>;
    try {
      writing = this.#raw.write(data);
    } catch (error) {
      writing = Promise.reject(error);
    }
    const done = writing.then(noop, (error) => {
      if (!this.#closed) this.#error ??= error;
    }).then(() => {
      if (this.#writing === done) this.#writing = undefined;
    });
    this.#writing = done;
    return done;
  }
}
