/**
 * {@linkcode AsyncFile}: an open file, buffered as Python's files are, in text mode
 * (`string`, incrementally decoded, universal newlines on reading) or binary mode
 * (`Uint8Array`), written once for every backend over its `RawFile`.
 *
 * @module
 */
import type { RawFile } from "../backend/fs.ts";
import { type CancelScope, currentScope } from "../core/cancel-scope.ts";
import { Cancelled, ClosedResourceError } from "../core/errors.ts";
import { describeType } from "../core/options.ts";
import { osError } from "../../backends/shared/os-error.ts";
import type { FileEngine } from "./file-engine.ts";
import type { ParsedMode } from "./open-mode.ts";
import type { Path } from "./path.ts";
import type { IncrementalDecoder } from "./text-codec.ts";

/**
 * What `write` takes: `string` for a text file, any `Uint8Array` for a binary one.
 *
 * @example
 * ```ts
 * import type { WriteData } from "@anyts/anyts";
 * const line: WriteData<string> = "hello\n";
 * ```
 */
export type WriteData<T extends string | Uint8Array> = T extends string ? string : Uint8Array;

/** Marks the internal constructor call. */
const INTERNAL: unique symbol = Symbol("AsyncFile");

/** Resolved promises of small counts, shared (a write that only buffers returns one). */
const counts: Promise<number>[] = [];
function resolvedCount(count: number): Promise<number> {
  if (count > 4096) return Promise.resolve(count);
  return (counts[count] ??= Promise.resolve(count));
}
const resolved: Promise<void> = Promise.resolve();

function cancelledIn(scope: CancelScope): Cancelled | undefined {
  const source = scope._cancelledBy();
  return source === undefined ? undefined : new Cancelled(source._cancelReason);
}

/**
 * An open file (from {@linkcode openFile} or `Path.open`): AnyIO's `AsyncFile`, buffered
 * as Python's files are. `T` is `string` in text mode and `Uint8Array` in binary mode.
 *
 * - Reads go through a read-ahead buffer and writes through a write buffer (`bufferSize`,
 *   default 64 KiB), so line-by-line work costs little; `flush()`, `seek()`, `truncate()`,
 *   `sync()` and `aclose()` write the buffer out, and so does a read.
 * - `read(size)` returns `size` bytes (characters in text mode) unless the file ends
 *   first; `read()` the rest of the file; `""` or an empty array at the end.
 * - Text mode decodes incrementally (a character is never split across reads), and
 *   `readline`, `readlines`, `read` and iteration translate `"\r\n"` and `"\r"` to `"\n"`
 *   (Python's universal newlines); writing writes the text as it is.
 * - `tell()` and `seek()` speak byte offsets in both modes. In text mode `seek` takes an
 *   offset from the start only (or `0` with whence 1 or 2), as Python's text files do.
 * - Every method is a checkpoint, and operations run one at a time (a second one waits).
 *   A cancelled read returns nothing and loses nothing: the bytes it was reading are kept
 *   for the next read, and the position is where it was. A write that was cancelled
 *   while its data was going out still finishes before the file is used again (its data
 *   is written); one cancelled before that wrote nothing. Do not change an array passed
 *   to `write` until the write settled (after a cancellation: until the next operation).
 * - `aclose()` writes the buffer out and closes the file; it never raises (not even
 *   `Cancelled`), so `await using` closes a file in a cancelled scope too. A failure of
 *   that last write is lost: call `flush()` first to see it.
 *
 * @example
 * ```ts
 * import { openFile, run } from "@anyts/anyts";
 * await run(async () => {
 *   {
 *     await using out = await openFile("/tmp/anyts-example.txt", "w");
 *     await out.write("first\r\nsecond\n");
 *   }
 *   await using file = await openFile("/tmp/anyts-example.txt");
 *   for await (const line of file) console.log(JSON.stringify(line)); // "first\n", "second\n"
 * });
 * ```
 */
export class AsyncFile<T extends string | Uint8Array = string> {
  readonly #engine: FileEngine;
  readonly #path: Path;
  readonly #mode: ParsedMode;
  readonly #binary: boolean;
  /** Text mode: the decoder, and the decoded text not yet returned (untranslated). */
  readonly #decoder: IncrementalDecoder | undefined;
  #text = "";
  #textPos = 0;
  /** Where the next "\r" of `#text` is, from `#crFrom` on (-1: none); -2: not searched. */
  #crAt = -2;
  #crFrom = 0;
  #closing: Promise<void> | undefined = undefined;

  /**
   * Not for users: files come from {@linkcode openFile}.
   *
   * @internal
   */
  constructor(token: symbol, engine: FileEngine, path: Path, mode: ParsedMode, decoder?: IncrementalDecoder) {
    if (token !== INTERNAL) throw new TypeError("AsyncFile cannot be constructed directly: use openFile()");
    this.#engine = engine;
    this.#path = path;
    this.#mode = mode;
    this.#binary = mode.binary;
    this.#decoder = decoder;
  }

  /** @internal */
  static _token: symbol = INTERNAL;

  /** The path the file was opened with. */
  get path(): Path {
    return this.#path;
  }

  /** The mode string the file was opened with. */
  get mode(): string {
    return this.#mode.mode;
  }

  /** Whether the file was opened for reading. */
  readable(): boolean {
    return this.#mode.readable;
  }

  /** Whether the file was opened for writing. */
  writable(): boolean {
    return this.#mode.writable;
  }

  /** Whether `aclose()` was called. */
  get closed(): boolean {
    return this.#engine.closed;
  }

  /** The runtime's own file: a Node `FileHandle`, a `Deno.FsFile`, or Bun's descriptor. */
  get raw(): unknown {
    return this.#engine.raw.raw;
  }

  /**
   * The backend's file, whose `fd` is the OS descriptor where the runtime exposes one.
   * Call `flush()` before handing the descriptor to another process.
   *
   * @internal
   */
  get _rawFile(): RawFile {
    return this.#engine.raw;
  }

  /**
   * Before a child process gets the file as a standard stream (`openProcess`): writes the
   * write buffer out and forgets the read-ahead (bytes and decoded text), keeping the
   * logical position. Resolves to that position, or `null` in append mode.
   *
   * @internal
   */
  _prepareForChild(): Promise<number | null> {
    const scope = currentScope();
    const refused = this.#refuse(undefined, scope);
    if (refused !== undefined) return Promise.reject(refused);
    const engine = this.#engine;
    return engine.exclusive(scope, async () => {
      this.#checkUsable();
      engine.takeError();
      if (engine.append) {
        await engine.flush(scope);
        this.#resetText();
        engine.dropReadAhead();
        return null;
      }
      const position = this.#binary ? await engine.resolvePosition(scope) : await this.#textPosition(scope);
      await engine.flush(scope);
      this.#resetText();
      engine.moveTo(position);
      return position;
    });
  }

  /**
   * A child process that shared the descriptor left the kernel's offset at `offset`: the
   * file's position follows it (in append mode writes go to the end anyway).
   *
   * @internal
   */
  _childMovedOffset(offset: number): void {
    const engine = this.#engine;
    if (engine.closed) return;
    if (!engine.append) engine.moveTo(offset);
    engine.raw._offsetMoved?.(offset);
  }

  /**
   * Writes bytes (in either mode) for the pump that carries a child's output into the
   * file, through to the file at once (as the child's own writes would be); not
   * cancellable, so that nothing the child wrote is lost.
   *
   * @internal
   */
  _writeForChild(data: Uint8Array): Promise<void> {
    const engine = this.#engine;
    return engine.exclusive(null, async () => {
      this.#checkUsable();
      engine.takeError();
      await engine.writeBytes(data, null);
      await engine.flush(null);
    });
  }

  /**
   * Writes the buffer out for the pump of a child's output; not cancellable.
   *
   * @internal
   */
  _flushForChild(): Promise<void> {
    const engine = this.#engine;
    if (engine.closed) return resolved;
    return engine.exclusive(null, () => engine.flush(null));
  }

  /**
   * Reads up to `maxBytes` bytes (in either mode) for the pump that feeds the file to a
   * child's input; `null` at the end of the file. Not cancellable.
   *
   * @internal
   */
  _readForChild(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
    const engine = this.#engine;
    return engine.exclusive(null, async () => {
      this.#checkUsable();
      engine.takeError();
      await engine.prepareRead(null);
      if (engine.buffered() === 0) await engine.fill(1, null);
      const count = Math.min(engine.buffered(), maxBytes);
      return count === 0 ? null : engine.take(count);
    });
  }

  /**
   * Reads `size` bytes (characters in text mode) unless the file ends first; with a
   * negative `size` (the default) the rest of the file. Empty at the end of the file.
   *
   * @example
   * ```ts
   * import { openFile } from "@anyts/anyts";
   * await using file = await openFile("/etc/hostname", "rb");
   * const head = await file.read(4); // a Uint8Array of up to 4 bytes
   * ```
   */
  read(size: number = -1): Promise<T> {
    if (typeof size !== "number" || !Number.isInteger(size)) {
      return Promise.reject(new TypeError(`size must be an integer, got ${typeof size === "number" ? size : describeType(size)}`));
    }
    const scope = currentScope();
    const refused = this.#refuse("read", scope);
    if (refused !== undefined) return Promise.reject(refused);
    const engine = this.#engine;
    if (this.#binary && size >= 0 && engine.gate === null && engine.error === undefined && !engine.hasPendingWrites()) {
      if (size === 0) return Promise.resolve(new Uint8Array(0) as T);
      const buffered = engine.buffered();
      if (buffered >= size) return Promise.resolve(engine.take(size) as T);
      if (buffered === 0 && size >= engine.bufferSize && engine.position() !== null) {
        return engine.readDirect(size, scope).then((chunk) => (chunk ?? this.read(size)) as T);
      }
    }
    return engine.exclusive(scope, async () => {
      this.#checkUsable();
      engine.takeError();
      await engine.prepareRead(scope);
      if (this.#binary) {
        if (size < 0) return (await engine.readAll(scope)) as T;
        await engine.fill(size, scope);
        return engine.take(Math.min(size, engine.buffered())) as T;
      }
      return (size < 0 ? await this.#readAllText(scope) : await this.#readText(size, scope)) as T;
    });
  }

  /**
   * Reads one line, with its `"\n"` (text mode: `"\r\n"` and `"\r"` come as `"\n"`); the
   * last line may lack it; empty at the end of the file.
   *
   * @example
   * ```ts
   * import { openFile } from "@anyts/anyts";
   * await using file = await openFile("/etc/passwd");
   * const first = await file.readline(); // "root:x:0:0:...\n"
   * ```
   */
  readline(): Promise<T> {
    const scope = currentScope();
    const refused = this.#refuse("read", scope);
    if (refused !== undefined) return Promise.reject(refused);
    const engine = this.#engine;
    if (engine.gate === null && engine.error === undefined && !engine.hasPendingWrites()) {
      if (this.#binary) {
        const end = engine.view().indexOf(10);
        if (end >= 0) return Promise.resolve(engine.take(end + 1) as T);
      } else {
        const line = this.#lineFromText(false);
        if (line !== undefined) return Promise.resolve(line as T);
      }
    }
    return engine.exclusive(scope, async () => {
      this.#checkUsable();
      engine.takeError();
      await engine.prepareRead(scope);
      return (await this.#readLine(scope)) as T;
    });
  }

  /** Reads every remaining line (see `readline`). */
  readlines(): Promise<T[]> {
    const scope = currentScope();
    const refused = this.#refuse("read", scope);
    if (refused !== undefined) return Promise.reject(refused);
    return this.#engine.exclusive(scope, async () => {
      this.#checkUsable();
      this.#engine.takeError();
      await this.#engine.prepareRead(scope);
      const lines: T[] = [];
      for (;;) {
        const line = await this.#readLine(scope);
        if (line.length === 0) return lines;
        lines.push(line as T);
      }
    });
  }

  /**
   * Writes `data` (a `string` in text mode, a `Uint8Array` in binary mode) into the write
   * buffer, writing the buffer out when it is full; resolves to `data.length`.
   *
   * @example
   * ```ts
   * import { openFile } from "@anyts/anyts";
   * await using log = await openFile("/tmp/anyts-example.log", "a");
   * await log.write("started\n");
   * ```
   */
  write(data: WriteData<T>): Promise<number> {
    if (this.#binary ? !(data instanceof Uint8Array) : typeof data !== "string") {
      return Promise.reject(
        new TypeError(
          `data must be a ${this.#binary ? "Uint8Array" : "string"} in ${this.#binary ? "binary" : "text"} mode (${
            JSON.stringify(this.#mode.mode)
          }), got ${data instanceof Uint8Array ? "a Uint8Array" : describeType(data)}`,
        ),
      );
    }
    const scope = currentScope();
    const refused = this.#refuse("write", scope);
    if (refused !== undefined) return Promise.reject(refused);
    const engine = this.#engine;
    const length = data.length;
    if (engine.gate === null && engine.error === undefined && !this.#hasReadAhead()) {
      if (this.#binary ? engine.bufferBytes(data as Uint8Array) : engine.bufferText(data as string)) {
        return resolvedCount(length);
      }
    }
    return engine.exclusive(scope, async () => {
      this.#checkUsable();
      engine.takeError();
      this.#prepareWrite();
      if (this.#binary) await engine.writeBytes(data as Uint8Array, scope);
      else await engine.writeText(data as string, scope);
      return length;
    });
  }

  /** Writes every item of `lines` (no newline is added). */
  async writelines(lines: Iterable<WriteData<T>>): Promise<void> {
    if (lines === null || typeof (lines as Iterable<unknown>)?.[Symbol.iterator] !== "function") {
      throw new TypeError(`lines must be an iterable, got ${describeType(lines)}`);
    }
    for (const line of lines) await this.write(line);
  }

  /**
   * Moves to `offset` bytes from the start (`whence` 0), from the current position (1) or
   * from the end (2), after writing the buffer out; resolves to the new position. A
   * position before the start is a RangeError. Text mode: whence 1 and 2 take only 0.
   *
   * @example
   * ```ts
   * import { openFile } from "@anyts/anyts";
   * await using file = await openFile("/etc/hostname", "rb");
   * const size = await file.seek(0, 2); // the end: the size of the file
   * await file.seek(0);
   * ```
   */
  seek(offset: number, whence: 0 | 1 | 2 = 0): Promise<number> {
    if (typeof offset !== "number" || !Number.isSafeInteger(offset)) {
      return Promise.reject(new TypeError(`offset must be an integer, got ${typeof offset === "number" ? offset : describeType(offset)}`));
    }
    if (whence !== 0 && whence !== 1 && whence !== 2) {
      return Promise.reject(new RangeError(`whence must be 0, 1 or 2, got ${String(whence)}`));
    }
    if (whence === 0 && offset < 0) return Promise.reject(new RangeError(`offset must not be negative from the start, got ${offset}`));
    if (!this.#binary && whence !== 0 && offset !== 0) {
      return Promise.reject(new RangeError(`offset must be 0 with whence ${whence} in text mode (as Python's text files), got ${offset}`));
    }
    const scope = currentScope();
    const refused = this.#refuse(undefined, scope);
    if (refused !== undefined) return Promise.reject(refused);
    const engine = this.#engine;
    return engine.exclusive(scope, async () => {
      this.#checkUsable();
      engine.takeError();
      let target = offset;
      if (whence === 1) target += this.#binary ? await engine.resolvePosition(scope) : await this.#textPosition(scope);
      else if (whence === 2) target += await engine.size(scope);
      if (target < 0) throw new RangeError(`offset ${offset} from ${whence === 1 ? "the position" : "the end"} is before the start of the file`);
      this.#resetText();
      await engine.seek(target, scope);
      return target;
    });
  }

  /** The current position, in bytes from the start of the file. */
  tell(): Promise<number> {
    const scope = currentScope();
    const refused = this.#refuse(undefined, scope);
    if (refused !== undefined) return Promise.reject(refused);
    const engine = this.#engine;
    if (this.#binary && engine.gate === null && engine.error === undefined) {
      const position = engine.position();
      if (position !== null) return Promise.resolve(position);
    }
    return engine.exclusive(scope, async () => {
      this.#checkUsable();
      engine.takeError();
      return this.#binary ? await engine.resolvePosition(scope) : await this.#textPosition(scope);
    });
  }

  /**
   * Truncates (or extends) the file to `size` bytes, by default the current position,
   * after writing the buffer out; the position does not move. Resolves to the new size.
   */
  truncate(size?: number): Promise<number> {
    if (size !== undefined && (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0)) {
      return Promise.reject(
        new (typeof size === "number" ? RangeError : TypeError)(
          `size must be a non-negative integer, got ${typeof size === "number" ? size : describeType(size)}`,
        ),
      );
    }
    const scope = currentScope();
    const refused = this.#refuse("write", scope);
    if (refused !== undefined) return Promise.reject(refused);
    const engine = this.#engine;
    return engine.exclusive(scope, async () => {
      this.#checkUsable();
      engine.takeError();
      const position = this.#binary ? await engine.resolvePosition(scope) : await this.#textPosition(scope);
      const newSize = size ?? position;
      this.#resetText();
      await engine.truncate(newSize, position, scope);
      return newSize;
    });
  }

  /** Writes the write buffer out to the file (not to the disk: see `sync`). */
  flush(): Promise<void> {
    const scope = currentScope();
    const refused = this.#refuse(undefined, scope);
    if (refused !== undefined) return Promise.reject(refused);
    const engine = this.#engine;
    if (engine.gate === null && engine.error === undefined && !engine.hasPendingWrites()) return resolved;
    return engine.exclusive(scope, async () => {
      this.#checkUsable();
      engine.takeError();
      await engine.flush(scope);
    });
  }

  /** Writes the buffer out and waits until the data is on the storage device (`fsync`). */
  sync(): Promise<void> {
    const scope = currentScope();
    const refused = this.#refuse(undefined, scope);
    if (refused !== undefined) return Promise.reject(refused);
    const engine = this.#engine;
    return engine.exclusive(scope, async () => {
      this.#checkUsable();
      engine.takeError();
      await engine.sync(scope);
    });
  }

  /**
   * Writes the buffer out and closes the file, after the operation that is running (its
   * raw I/O included). Idempotent; never raises.
   */
  aclose(): Promise<void> {
    return (this.#closing ??= this.#engine.close().catch(() => {}));
  }

  /** Closes the file: `await using file = ...` calls it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.aclose();
  }

  /** Iterates over the lines (see `readline`) until the end of the file; `break` does not close it. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    const iterator: AsyncIterableIterator<T> = {
      next: () =>
        this.readline().then((line): IteratorResult<T> =>
          line.length === 0 ? { done: true, value: undefined } : { done: false, value: line }
        ),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  // ------------------------------------------------------------- checks

  /** The error an operation fails with before doing anything, if any. */
  #refuse(access: "read" | "write" | undefined, scope: CancelScope): Error | undefined {
    if (this.#engine.closed) return new ClosedResourceError(`the file is closed (${this.#path})`);
    if (access === "read" && !this.#mode.readable) return this.#notOpenFor("read");
    if (access === "write" && !this.#mode.writable) return this.#notOpenFor("write");
    return cancelledIn(scope);
  }

  /** After waiting for another operation: the file may have been closed meanwhile. */
  #checkUsable(): void {
    if (this.#engine.closed) throw new ClosedResourceError(`the file is closed (${this.#path})`);
  }

  #notOpenFor(access: "read" | "write"): Error {
    return osError(
      "EBADF",
      access,
      { path: this.#path.toString() },
      undefined,
      `the file is not open for ${access === "read" ? "reading" : "writing"} (mode ${JSON.stringify(this.#mode.mode)})`,
    );
  }

  // ------------------------------------------------------------- text

  /** Whether there is read-ahead to drop before writing. */
  #hasReadAhead(): boolean {
    return this.#engine.buffered() !== 0 || this.#textPos < this.#text.length || (this.#decoder?.pendingBytes ?? 0) !== 0;
  }

  /** Before writing after reads: the write goes where the reader was. */
  #prepareWrite(): void {
    const engine = this.#engine;
    if (this.#binary) {
      if (engine.buffered() !== 0) engine.dropReadAhead();
      return;
    }
    if (!this.#hasReadAhead()) return;
    const position = engine.position();
    const text = this.#textPositionBefore(position);
    this.#resetText();
    if (text === null) engine.dropReadAhead();
    else engine.moveTo(text);
  }

  /** The byte position of the text reader (a `tell()` in text mode). */
  async #textPosition(scope: CancelScope): Promise<number> {
    const position = await this.#engine.resolvePosition(scope);
    return this.#textPositionBefore(position)!;
  }

  /** The byte position of the next unread character, given the engine's position. */
  #textPositionBefore(position: number | null): number | null {
    if (position === null) return null;
    const decoder = this.#decoder!;
    const unread = this.#text.slice(this.#textPos);
    const held = decoder.pendingBytes;
    const bytes = unread.length === 0 ? 0 : decoder.byteLength(unread);
    if (held === undefined || bytes === undefined) {
      throw new Error(
        `the position of a text file in ${decoder.encoding} is unknown (tell and seek from the position need UTF-8, UTF-16 or a single-byte encoding)`,
      );
    }
    return position - held - bytes;
  }

  /** Forgets decoded text (after a seek or a truncate). */
  #resetText(): void {
    if (this.#binary) return;
    this.#text = "";
    this.#textPos = 0;
    this.#crAt = -2;
    this.#decoder!.reset();
  }

  /** Decodes more text into `#text`; `false` at the end of the file. */
  async #decodeMore(scope: CancelScope): Promise<boolean> {
    const engine = this.#engine;
    if (engine.buffered() === 0) await engine.fill(1, scope);
    const decoder = this.#decoder!;
    let text: string;
    let consumed = 0;
    try {
      if (engine.buffered() === 0) {
        text = decoder.end();
        if (text.length === 0) return false;
      } else {
        const view = engine.view();
        text = decoder.decode(view);
        consumed = view.length;
      }
    } catch (error) {
      throw new TypeError(`${this.#path}: the file is not valid ${decoder.encoding}`, { cause: error });
    }
    engine.consume(consumed);
    this.#text = this.#textPos === this.#text.length ? text : this.#text.slice(this.#textPos) + text;
    this.#textPos = 0;
    this.#crAt = -2;
    return true;
  }

  /** The index of the next "\r" at or after `from` in `#text`, or -1 (searched once per text). */
  #nextCr(from: number): number {
    const at = this.#crAt;
    if (at !== -2 && from >= this.#crFrom && (at === -1 || at >= from)) return at;
    this.#crFrom = from;
    return (this.#crAt = this.#text.indexOf("\r", from));
  }

  /**
   * The next line of decoded text (universal newlines), or `undefined` if the decoded text
   * holds no complete line yet; at the end of the file (`atEnd`), the rest.
   */
  #lineFromText(atEnd: boolean): string | undefined {
    const text = this.#text;
    const start = this.#textPos;
    if (start >= text.length) return atEnd ? "" : undefined;
    const lf = text.indexOf("\n", start);
    const cr = this.#nextCr(start);
    if (cr === -1 || (lf !== -1 && lf < cr)) {
      if (lf === -1) {
        if (!atEnd) return undefined;
        this.#textPos = text.length;
        return text.slice(start);
      }
      this.#textPos = lf + 1;
      return text.slice(start, lf + 1);
    }
    // "\r" first: "\r\n" or a lone "\r", both a "\n". At the end of the decoded text,
    // what follows is not known yet.
    if (cr + 1 >= text.length && !atEnd) return undefined;
    this.#textPos = text.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
    return text.slice(start, cr) + "\n";
  }

  async #readLine(scope: CancelScope): Promise<T> {
    if (this.#binary) {
      const engine = this.#engine;
      let searched = 0;
      for (;;) {
        const view = engine.view();
        const end = view.indexOf(10, searched);
        if (end >= 0) return engine.take(end + 1) as T;
        searched = view.length;
        await engine.fill(view.length + 1, scope);
        if (engine.eof) return engine.take(engine.buffered()) as T;
      }
    }
    for (;;) {
      const line = this.#lineFromText(false);
      if (line !== undefined) return line as T;
      if (!(await this.#decodeMore(scope))) return this.#lineFromText(true) as T;
    }
  }

  /** `read(size)` in text mode: `size` characters after newline translation. */
  async #readText(size: number, scope: CancelScope): Promise<string> {
    let out = "";
    let need = size;
    while (need > 0) {
      const text = this.#text;
      const start = this.#textPos;
      if (start >= text.length) {
        if (!(await this.#decodeMore(scope))) break;
        continue;
      }
      const cr = this.#nextCr(start);
      const stop = Math.min(text.length, start + need);
      if (cr === -1 || cr >= stop) {
        out += text.slice(start, stop);
        need -= stop - start;
        this.#textPos = stop;
        continue;
      }
      out += text.slice(start, cr);
      need -= cr - start;
      this.#textPos = cr;
      if (cr + 1 >= text.length && (await this.#decodeMore(scope))) continue;
      // #text may have been rebuilt: the "\r" is at #textPos.
      this.#textPos += this.#text.charCodeAt(this.#textPos + 1) === 10 ? 2 : 1;
      out += "\n";
      need--;
    }
    // Never split a surrogate pair: give back a high surrogate whose pair did not fit.
    // (A read of one character takes the whole pair.)
    const last = out.charCodeAt(out.length - 1);
    if (need === 0 && last >= 0xd800 && last <= 0xdbff) {
      if (out.length > 1) {
        out = out.slice(0, -1);
        this.#textPos--;
      } else if (this.#textPos < this.#text.length) {
        out += this.#text[this.#textPos++];
      }
    }
    return out;
  }

  /** `read()` in text mode: the rest of the file. */
  async #readAllText(scope: CancelScope): Promise<string> {
    const bytes = await this.#engine.readAll(scope);
    const decoder = this.#decoder!;
    let rest: string;
    try {
      rest = this.#text.slice(this.#textPos) + decoder.decode(bytes) + decoder.end();
    } catch (error) {
      throw new TypeError(`${this.#path}: the file is not valid ${decoder.encoding}`, { cause: error });
    }
    this.#text = "";
    this.#textPos = 0;
    this.#crAt = -2;
    return rest.includes("\r") ? rest.replace(/\r\n?/g, "\n") : rest;
  }
}
