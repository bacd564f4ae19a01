/**
 * {@linkcode FileReadStream} and {@linkcode FileWriteStream}: a binary file as a byte
 * stream (AnyIO's file streams), so that files compose with the stream layer (buffered
 * and text streams, web streams) and with processes.
 *
 * @module
 */
import { EndOfStream } from "../core/errors.ts";
import { checkOptions, describeType } from "../core/options.ts";
import { type TypedAttribute, typedAttribute } from "../streams/typed-attribute.ts";
import { type AttributeEntry, attributeMap, type TypedAttributeMap } from "../streams/typed-attribute.ts";
import { ByteReceiveStreamBase, ByteSendStreamBase, validateMaxBytes } from "../streams/types.ts";
import { AsyncFile } from "./async-file.ts";
import { openFile } from "./open-file.ts";
import type { Path } from "./path.ts";
import type { PathLike } from "./pure-path.ts";

/**
 * The attribute keys of {@linkcode FileStreamAttribute}.
 *
 * @example
 * ```ts
 * import { FileStreamAttribute, type FileStreamAttributeSet } from "@anyts/anyts";
 * const attributes: FileStreamAttributeSet = FileStreamAttribute;
 * ```
 */
export interface FileStreamAttributeSet {
  /** The open file the stream reads or writes. */
  readonly file: TypedAttribute<AsyncFile<Uint8Array<ArrayBuffer>>>;
  /** The path the file was opened with. */
  readonly path: TypedAttribute<Path>;
  /** The OS file descriptor, where the runtime exposes one (not on Deno). */
  readonly fileno: TypedAttribute<number>;
}

/**
 * Attributes of file streams (as AnyIO's `FileStreamAttribute`), forwarded by the
 * streams that wrap them.
 *
 * @example
 * ```ts
 * import { FileReadStream, FileStreamAttribute, run } from "@anyts/anyts";
 * await run(async () => {
 *   await using stream = await FileReadStream.fromPath("/etc/hostname");
 *   console.log(stream.extra(FileStreamAttribute.path).toString()); // /etc/hostname
 * });
 * ```
 */
export const FileStreamAttribute: FileStreamAttributeSet = Object.freeze({
  file: typedAttribute<AsyncFile<Uint8Array<ArrayBuffer>>>("FileStreamAttribute.file"),
  path: typedAttribute<Path>("FileStreamAttribute.path"),
  fileno: typedAttribute<number>("FileStreamAttribute.fileno"),
});

function checkBinaryFile(file: unknown, access: "r" | "w"): AsyncFile<Uint8Array<ArrayBuffer>> {
  if (!(file instanceof AsyncFile)) throw new TypeError(`file must be an AsyncFile, got ${describeType(file)}`);
  const mode = file.mode;
  if (!mode.includes("b")) throw new TypeError(`file must be open in binary mode, got mode ${JSON.stringify(mode)}`);
  if (access === "r" ? !file.readable() : !file.writable()) {
    throw new TypeError(`file must be open for ${access === "r" ? "reading" : "writing"}, got mode ${JSON.stringify(mode)}`);
  }
  return file as AsyncFile<Uint8Array<ArrayBuffer>>;
}

function fileAttributes(file: AsyncFile<Uint8Array<ArrayBuffer>>): TypedAttributeMap {
  // deno-lint-ignore no-explicit-any
  const entries: AttributeEntry<any>[] = [
    [FileStreamAttribute.file, () => file],
    [FileStreamAttribute.path, () => file.path],
  ];
  const fd = file._rawFile.fd;
  if (fd !== undefined) entries.push([FileStreamAttribute.fileno, () => fd]);
  return attributeMap(entries);
}

/**
 * A binary file read as a {@linkcode ByteReceiveStream}: `receive(maxBytes)` returns the
 * next 1 to `maxBytes` bytes and throws {@linkcode EndOfStream} at the end of the file.
 * Cancellation is the file's: a cancelled receive loses nothing. `aclose()` closes the file.
 *
 * @example
 * ```ts
 * import { BufferedByteReceiveStream, FileReadStream, run } from "@anyts/anyts";
 * await run(async () => {
 *   await using stream = await FileReadStream.fromPath("/etc/passwd");
 *   const buffered = new BufferedByteReceiveStream(stream);
 *   const firstLine = await buffered.receiveUntil(new TextEncoder().encode("\n"), 4096);
 *   console.log(new TextDecoder().decode(firstLine));
 * });
 * ```
 */
export class FileReadStream extends ByteReceiveStreamBase {
  readonly #file: AsyncFile<Uint8Array<ArrayBuffer>>;
  #attributes: TypedAttributeMap | undefined = undefined;

  /** Reads `file`, an `AsyncFile` open for reading in binary mode; the stream owns it. */
  constructor(file: AsyncFile<Uint8Array>) {
    super();
    this.#file = checkBinaryFile(file, "r");
  }

  /** Opens `path` (`"rb"`) as a stream. */
  static async fromPath(path: PathLike): Promise<FileReadStream> {
    return new FileReadStream(await openFile(path, "rb"));
  }

  /** The stream's attributes; see {@linkcode FileStreamAttribute}. */
  override get extraAttributes(): TypedAttributeMap {
    return (this.#attributes ??= fileAttributes(this.#file));
  }

  /** The next 1 to `maxBytes` bytes; {@linkcode EndOfStream} at the end of the file. */
  async receive(maxBytes: number = 65536): Promise<Uint8Array<ArrayBuffer>> {
    if (maxBytes !== 65536) validateMaxBytes(maxBytes);
    const chunk = await this.#file.read(maxBytes);
    if (chunk.length === 0) throw new EndOfStream();
    return chunk;
  }

  /** Moves in the file (see `AsyncFile.seek`); resolves to the new position. */
  seek(position: number, whence: 0 | 1 | 2 = 0): Promise<number> {
    return this.#file.seek(position, whence);
  }

  /** The position in the file. */
  tell(): Promise<number> {
    return this.#file.tell();
  }

  /** Closes the file. Never raises. */
  aclose(): Promise<void> {
    return this.#file.aclose();
  }
}

/**
 * A binary file written as a {@linkcode ByteSendStream}: `send(data)` writes through the
 * file's buffer; `aclose()` writes the buffer out and closes the file.
 *
 * @example
 * ```ts
 * import { FileWriteStream, run, TextSendStream } from "@anyts/anyts";
 * await run(async () => {
 *   await using stream = await FileWriteStream.fromPath("/tmp/anyts-example.log", { append: true });
 *   await new TextSendStream(stream).send("one more line\n");
 * });
 * ```
 */
export class FileWriteStream extends ByteSendStreamBase {
  readonly #file: AsyncFile<Uint8Array<ArrayBuffer>>;
  #attributes: TypedAttributeMap | undefined = undefined;

  /** Writes `file`, an `AsyncFile` open for writing in binary mode; the stream owns it. */
  constructor(file: AsyncFile<Uint8Array>) {
    super();
    this.#file = checkBinaryFile(file, "w");
  }

  /** Opens `path` for writing (`"wb"`: truncated; with `append`, `"ab"`) as a stream. */
  static async fromPath(path: PathLike, options?: { append?: boolean }): Promise<FileWriteStream> {
    const { append = false } = checkOptions(options, ["append"], "FileWriteStream.fromPath");
    if (typeof append !== "boolean") throw new TypeError(`append must be a boolean, got ${describeType(append)}`);
    return new FileWriteStream(await openFile(path, append ? "ab" : "wb"));
  }

  /** The stream's attributes; see {@linkcode FileStreamAttribute}. */
  override get extraAttributes(): TypedAttributeMap {
    return (this.#attributes ??= fileAttributes(this.#file));
  }

  /** Writes `data` (do not change it until this settles). */
  async send(data: Uint8Array): Promise<void> {
    await this.#file.write(data);
  }

  /** Writes the buffer out and closes the file. Never raises. */
  aclose(): Promise<void> {
    return this.#file.aclose();
  }
}
