/**
 * The byte engine under every `AsyncFile`: a read buffer and a write buffer over a
 * backend's `RawFile`, the file position, one operation at a time, and cancellation that
 * loses nothing.
 *
 * - Reads fill the read buffer; a raw read whose caller was cancelled still lands in it,
 *   so the next read returns those bytes and the position stays where the caller left it.
 * - Writes gather in the write buffer and go out together (`flush`); a raw write whose
 *   caller was cancelled still finishes before the file is used or closed again.
 * - At any time at most one of the two buffers holds data: a write discards the read-ahead
 *   (the position is where the reader was), a read first writes the write buffer out.
 * - An operation runs under the *gate*: a second operation waits (cancellably) until the
 *   first one, and the raw I/O it started, is done.
 *
 * @module
 */
import type { RawFile } from "../backend/fs.ts";
import type { CancelScope } from "../core/cancel-scope.ts";
import { Cancelled } from "../core/errors.ts";
import { waitCancellable } from "../core/wait.ts";

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** @internal See the module comment. */
export class FileEngine {
  readonly raw: RawFile;
  readonly append: boolean;
  readonly bufferSize: number;

  /**
   * The file position of `#buffer[0]`: with read-ahead, the logical position is
   * `#base + #start`; with pending writes, they go to `#base`. `null` in append mode when
   * unknown (at first, and after writes): the end of the file, asked of `fstat` when needed.
   */
  #base: number | null;
  /** The read buffer: bytes `[#start, #end)` are read ahead and not yet consumed. */
  #buffer: Uint8Array<ArrayBuffer> | null = null;
  #start = 0;
  #end = 0;
  /** The last raw read returned nothing: the end of the file (until the next seek or write). */
  eof = false;

  /** Pending writes (text already encoded as UTF-8): `#pendingBytes[0, #pendingLength)`. */
  #pendingBytes: Uint8Array<ArrayBuffer> | null = null;
  #pendingLength = 0;

  /** An operation is running (or its raw I/O still is): resolves when both are done. */
  gate: Promise<void> | null = null;
  /** The raw I/O of the running operation, if any. */
  #inflight: Promise<void> | null = null;
  /** The error of raw I/O whose caller had been cancelled, for the next operation. */
  error: unknown = undefined;
  closed = false;

  constructor(raw: RawFile, append: boolean, bufferSize: number) {
    this.raw = raw;
    this.append = append;
    this.bufferSize = bufferSize;
    this.#base = append ? null : 0;
  }

  // ------------------------------------------------------------- the gate

  /**
   * Runs `body` as the only operation on the file. Waits (cancellably: then `body` does not
   * run) for the running one. The gate opens again when `body` is done and the raw I/O it
   * started has finished, even when `body` left early because it was cancelled.
   */
  async exclusive<T>(scope: CancelScope | null, body: () => Promise<T>): Promise<T> {
    while (this.gate !== null) {
      const gate = this.gate;
      if (scope === null) await gate;
      else await waitCancellable<void>((resolve) => void gate.then(resolve), scope);
    }
    let open!: () => void;
    this.gate = new Promise<void>((resolve) => (open = resolve));
    try {
      return await body();
    } finally {
      const inflight = this.#inflight;
      const release = () => {
        this.#inflight = null;
        this.gate = null;
        open();
      };
      if (inflight === null) release();
      else void inflight.then(release);
    }
  }

  /** Throws (once) the error of raw I/O that finished after its caller was cancelled. */
  takeError(): void {
    const error = this.error;
    if (error !== undefined) {
      this.error = undefined;
      throw error;
    }
  }

  /**
   * Waits for raw I/O `operation` (which updates the engine's state itself, whether or not
   * anyone still waits). Cancellable when `scope` is given: the caller leaves with
   * `Cancelled`, the operation goes on, and its failure is kept for the next operation.
   */
  #io<T>(scope: CancelScope | null, start: () => Promise<T>): Promise<T> {
    // A caller cancelled before the I/O starts does no I/O at all.
    const source = scope?._cancelledBy();
    if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
    const operation = start();
    let abandoned = false;
    this.#inflight = operation.then(
      () => {},
      (error) => {
        if (abandoned) this.error ??= error;
      },
    );
    if (scope === null) return operation;
    return waitCancellable<T>((resolve, reject) => {
      operation.then(resolve, reject);
      return () => {
        abandoned = true;
      };
    }, scope);
  }

  // ------------------------------------------------------------- position

  /** The logical position, if known without I/O (see `#base`). */
  position(): number | null {
    const base = this.#base;
    if (base === null) return null;
    if (!this.hasPendingWrites()) return base + this.#start;
    // Appended writes go to the end of the file, wherever that is by then.
    return this.append ? null : base + this.#pendingLength;
  }

  /** The logical position, asking `fstat` for the end of the file in append mode. */
  async resolvePosition(scope: CancelScope | null): Promise<number> {
    const known = this.position();
    if (known !== null) return known;
    await this.flush(scope);
    const info = await this.#io(scope, () => this.raw.stat());
    // Nothing moved meanwhile: the gate is held.
    this.#base = info.size;
    this.#buffer = null;
    this.#start = this.#end = 0;
    return info.size;
  }

  /** The size of the file (pending writes flushed first). */
  async size(scope: CancelScope | null): Promise<number> {
    await this.flush(scope);
    return (await this.#io(scope, () => this.raw.stat())).size;
  }

  /**
   * Moves to `position` (after a flush): keeps the read-ahead if `position` is inside it.
   * The caller has checked that `position` is a non-negative integer.
   */
  async seek(position: number, scope: CancelScope | null): Promise<void> {
    await this.flush(scope);
    const base = this.#base;
    if (base !== null && this.#buffer !== null && position >= base && position <= base + this.#end) {
      this.#start = position - base;
    } else {
      this.#base = position;
      this.#start = this.#end = 0;
    }
    this.eof = false;
  }

  /** Forgets the read-ahead (the position stays where the reader was). */
  dropReadAhead(): void {
    if (this.#base !== null) this.#base += this.#start;
    this.#start = this.#end = 0;
  }

  /** Forgets the read-ahead and moves to `position` (the caller knows the text position). */
  moveTo(position: number): void {
    this.#base = position;
    this.#start = this.#end = 0;
    this.eof = false;
  }

  // ------------------------------------------------------------- reading

  /** How many read-ahead bytes there are. */
  buffered(): number {
    return this.#end - this.#start;
  }

  /** A view of the read-ahead (valid until the engine's next operation). */
  view(): Uint8Array<ArrayBuffer> {
    return this.#buffer === null ? EMPTY : this.#buffer.subarray(this.#start, this.#end);
  }

  /** Consumes `count` read-ahead bytes (already looked at through `view()`). */
  consume(count: number): void {
    this.#start += count;
    if (this.#start === this.#end) {
      // Emptied: the buffer is kept for the next fill (nothing outside holds it).
      this.#base! += this.#end;
      this.#start = this.#end = 0;
    }
  }

  /**
   * Takes `count` read-ahead bytes as a fresh array: the whole buffer itself when it holds
   * exactly those bytes (a large read), otherwise a copy.
   */
  take(count: number): Uint8Array<ArrayBuffer> {
    const buffer = this.#buffer;
    if (buffer === null || count === 0) return new Uint8Array(0);
    if (this.#start === 0 && count === this.#end && count === buffer.length) {
      this.#buffer = null;
      this.#base! += count;
      this.#start = this.#end = 0;
      return buffer;
    }
    const bytes = buffer.slice(this.#start, this.#start + count);
    this.consume(count);
    return bytes;
  }

  /** Before reading: writes pending data out and learns the position in append mode. */
  async prepareRead(scope: CancelScope | null): Promise<void> {
    if (this.hasPendingWrites()) await this.flush(scope);
    if (this.#base === null) await this.resolvePosition(scope);
  }

  /**
   * Reads until at least `want` bytes are read ahead, or the end of the file (`eof`).
   * Every raw read lands in the buffer whether or not the caller is still waiting.
   */
  async fill(want: number, scope: CancelScope | null): Promise<void> {
    this.eof = false;
    while (this.#end - this.#start < want) {
      const count = await this.#io(scope, () => this.#readOnce(want));
      if (count === 0) {
        this.eof = true;
        return;
      }
    }
  }

  /** One raw read appended to the read-ahead, in a buffer with room for `want` bytes. */
  #readOnce(want: number): Promise<number> {
    const buffered = this.#end - this.#start;
    let buffer = this.#buffer;
    const room = buffer === null ? 0 : buffer.length - this.#end;
    if (buffer !== null && (room < want - buffered || room < this.bufferSize / 2) && this.#start > 0 &&
      buffer.length - buffered >= Math.max(want - buffered, this.bufferSize / 2)) {
      // Enough room once the consumed bytes are gone: move the read-ahead to the front
      // (no view of this buffer is held outside the engine).
      buffer.copyWithin(0, this.#start, this.#end);
      this.#base! += this.#start;
      this.#start = 0;
      this.#end = buffered;
    } else if (buffer === null || room < want - buffered || room < this.bufferSize / 2) {
      // A new buffer: room for `want`, and at least one more buffer's worth (doubling for
      // long lines, so that growing costs linear time).
      const capacity = Math.max(want, buffered + Math.max(this.bufferSize, buffered));
      const fresh = new Uint8Array(capacity);
      if (buffered > 0) fresh.set(buffer!.subarray(this.#start, this.#end));
      this.#base! += this.#start;
      this.#buffer = buffer = fresh;
      this.#start = 0;
      this.#end = buffered;
    }
    const position = this.#base! + this.#end;
    const target = buffer.subarray(this.#end);
    return this.raw.read(target, position).then((count) => {
      // The gate is held until this ran: the buffer is still the one read into.
      this.#end += count;
      return count;
    });
  }

  /**
   * The fast path of a large read with nothing read ahead and nothing running: one raw
   * read of `size` bytes into a fresh array, handed out without a copy. Resolves to
   * `null` when the runtime returned fewer bytes without reaching the end of the file
   * (they stay read ahead: the caller reads on the usual way). Cancelled, the caller
   * leaves at once and the bytes stay read ahead, as with `fill`.
   */
  readDirect(size: number, scope: CancelScope): Promise<Uint8Array<ArrayBuffer> | null> {
    const source = scope._cancelledBy();
    if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
    const buffer = new Uint8Array(size);
    const position = this.#base!;
    this.#buffer = buffer;
    this.#start = this.#end = 0;
    this.eof = false;
    let abandoned = false;
    const operation = this.raw.read(buffer, position).then((count): Uint8Array<ArrayBuffer> | null => {
      this.#end = count;
      if (count === 0) {
        this.eof = true;
        return new Uint8Array(0);
      }
      if (abandoned || count !== size) return null;
      return this.take(count);
    });
    this.gate = operation.then(
      () => {
        this.gate = null;
      },
      (error) => {
        this.gate = null;
        if (abandoned) this.error ??= error;
      },
    );
    return waitCancellable<Uint8Array<ArrayBuffer> | null>((resolve, reject) => {
      operation.then(resolve, reject);
      return () => {
        abandoned = true;
      };
    }, scope);
  }

  /**
   * Reads to the end of the file, then takes everything read ahead. The first read asks
   * for what `fstat` says is left, so a file usually comes in one raw read.
   */
  async readAll(scope: CancelScope | null): Promise<Uint8Array<ArrayBuffer>> {
    const size = await this.#io(scope, () => this.raw.stat()).then((info) => info.size);
    let want = Math.max(size - this.position()! + 1, this.buffered() + 1);
    for (;;) {
      await this.fill(want, scope);
      if (this.eof) break;
      want = this.buffered() * 2;
    }
    return this.take(this.buffered());
  }

  // ------------------------------------------------------------- writing

  /** Whether writes are waiting in the write buffer. */
  hasPendingWrites(): boolean {
    return this.#pendingLength !== 0;
  }

  /**
   * Buffers `data` (binary mode); returns `false` when it did not fit and `writeBytes`
   * must be called inside the gate instead.
   */
  bufferBytes(data: Uint8Array): boolean {
    const length = data.length;
    if (this.#pendingLength + length > this.bufferSize) return false;
    const pending = (this.#pendingBytes ??= new Uint8Array(this.bufferSize));
    pending.set(data, this.#pendingLength);
    this.#pendingLength += length;
    this.eof = false;
    return true;
  }

  /**
   * Writes `data` (binary mode) through the buffer: what fits is buffered; otherwise the
   * buffer goes out, then `data` is buffered or, if large, written from the caller's array
   * (which must not change until this settles).
   */
  async writeBytes(data: Uint8Array, scope: CancelScope | null): Promise<void> {
    if (this.bufferBytes(data)) return;
    await this.flush(scope);
    if (data.length < this.bufferSize) {
      this.bufferBytes(data);
      return;
    }
    await this.#write(data, scope);
  }

  /**
   * Buffers `text` (text mode) UTF-8 encoded; returns `false`, buffering nothing, when it
   * does not fit (then `writeText` must be called inside the gate instead). ASCII is copied
   * by hand: for short strings that beats `TextEncoder.encodeInto` on a subarray.
   */
  bufferText(text: string): boolean {
    const length = text.length;
    let position = this.#pendingLength;
    if (position + length > this.bufferSize) return false;
    const pending = (this.#pendingBytes ??= new Uint8Array(this.bufferSize));
    let i = 0;
    for (; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) break;
      pending[position++] = code;
    }
    if (i < length) {
      const rest = i === 0 ? text : text.slice(i);
      const { read, written } = encoder.encodeInto(rest, pending.subarray(position));
      if (read < rest.length) return false; // did not fit: what was copied is dropped
      position += written;
    }
    this.#pendingLength = position;
    this.eof = false;
    return true;
  }

  /** Writes `text` through the buffer (as `writeBytes`), encoded as UTF-8. */
  async writeText(text: string, scope: CancelScope | null): Promise<void> {
    if (this.bufferText(text)) return;
    await this.flush(scope);
    if (this.bufferText(text)) return;
    await this.#write(encoder.encode(text), scope);
  }

  /** Writes the write buffer out. */
  flush(scope: CancelScope | null): Promise<void> {
    if (!this.hasPendingWrites()) return Promise.resolve();
    // Cancelled before anything goes out: the buffer stays as it is, for a later flush.
    const source = scope?._cancelledBy();
    if (source !== undefined) return Promise.reject(new Cancelled(source._cancelReason));
    // The caller's write may be cancelled while the raw write goes on: hand the raw file
    // this buffer and start a new one, instead of reusing it under the running write.
    const data = this.#pendingBytes!.subarray(0, this.#pendingLength);
    this.#pendingBytes = null;
    this.#pendingLength = 0;
    return this.#write(data, scope);
  }

  #write(data: Uint8Array, scope: CancelScope | null): Promise<void> {
    const position = this.#base ?? 0;
    return this.#io(scope, () =>
      this.raw.write(data, position).then(() => {
        this.#base = this.append ? null : position + data.length;
      }));
  }

  // ------------------------------------------------------------- the rest

  /** Truncates to `size` (after a flush); the position does not move. */
  async truncate(size: number, position: number, scope: CancelScope | null): Promise<void> {
    await this.flush(scope);
    this.moveTo(position);
    await this.#io(scope, () => this.raw.truncate(size));
  }

  /** `fsync` (after a flush). */
  async sync(scope: CancelScope | null): Promise<void> {
    await this.flush(scope);
    await this.#io(scope, () => this.raw.sync());
  }

  /**
   * Closes: waits for the running operation, writes the buffer out, closes the raw file.
   * Never cancellable, never rejects (a failure to write the buffer out is dropped: call
   * `flush()` first to see it).
   */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.exclusive(null, () => this.flush(null));
    } catch {
      // Dropped: aclose() never raises.
    }
    this.#buffer = this.#pendingBytes = null;
    await this.raw.close();
  }
}
