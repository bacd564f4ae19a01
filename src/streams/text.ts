/**
 * Text streams (AnyIO's `TextReceiveStream`, `TextSendStream`, `TextStream`): strings on
 * top of byte streams, decoded incrementally so that a character split across chunks
 * arrives whole.
 *
 * @module
 */
import { checkOptions } from "../core/options.ts";
import { EndOfStream } from "../core/errors.ts";
import { checkpoint } from "../core/time.ts";
import type { TypedAttributeMap } from "./typed-attribute.ts";
import {
  type AnyByteReceiveStream,
  type AnyByteSendStream,
  type AnyByteStream,
  ObjectReceiveStreamBase,
  ObjectSendStreamBase,
  ObjectStreamBase,
} from "./types.ts";

/**
 * Options of {@linkcode TextReceiveStream} and {@linkcode TextStream}.
 *
 * @example
 * ```ts
 * import type { TextStreamOptions } from "@anyts/anyts";
 * const options: TextStreamOptions = { encoding: "utf-8", errors: "replace" };
 * ```
 */
export interface TextStreamOptions {
  /**
   * The character encoding, as a WHATWG Encoding label (default `"utf-8"`). Receiving
   * accepts every encoding the runtime's `TextDecoder` knows; sending only UTF-8, because
   * `TextEncoder` encodes nothing else.
   */
  encoding?: string;
  /**
   * What to do with bytes that are not valid in the encoding: `"strict"` (default, as
   * AnyIO) throws a TypeError; `"replace"` decodes them as U+FFFD.
   */
  errors?: "strict" | "replace";
}

/**
 * Options of {@linkcode TextSendStream}.
 *
 * @example
 * ```ts
 * import type { TextSendStreamOptions } from "@anyts/anyts";
 * const options: TextSendStreamOptions = { encoding: "utf-8" };
 * ```
 */
export interface TextSendStreamOptions {
  /** Must be UTF-8 (the default): `TextEncoder` encodes nothing else. */
  encoding?: string;
}

const utf8Labels = new Set(["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"]);

function validateSendEncoding(encoding: unknown): void {
  if (typeof encoding !== "string") throw new TypeError(`encoding must be a string, got ${typeof encoding}`);
  if (!utf8Labels.has(encoding.trim().toLowerCase())) {
    throw new RangeError(
      `encoding ${JSON.stringify(encoding)} is not supported for sending text: ` +
        `only utf-8 is (TextEncoder encodes nothing else)`,
    );
  }
}

function createDecoder(options: TextStreamOptions | undefined, where = "TextReceiveStream"): Decoder {
  checkOptions(options, ["encoding", "errors"], where);
  const encoding = options?.encoding ?? "utf-8";
  const errors = options?.errors ?? "strict";
  if (typeof encoding !== "string") throw new TypeError(`encoding must be a string, got ${typeof encoding}`);
  if (errors !== "strict" && errors !== "replace") {
    throw new RangeError(`errors must be "strict" or "replace", got ${JSON.stringify(errors)}`);
  }
  try {
    return new TextDecoder(encoding, { fatal: errors === "strict" });
  } catch {
    throw new RangeError(`encoding ${JSON.stringify(encoding)} is not supported by this runtime's TextDecoder`);
  }
}

const encoder = new TextEncoder();

type Decoder = InstanceType<typeof TextDecoder>;

/**
 * Receives strings decoded from a byte receive stream. Decoding is incremental: a
 * multibyte character split across chunks is held back until it is complete; no empty
 * string is ever returned. At the end of the stream, bytes of an incomplete character
 * raise a TypeError (`errors: "strict"`) or come out as U+FFFD (`"replace"`).
 *
 * @example
 * ```ts
 * import { createMemoryObjectStream, TextReceiveStream } from "@anyts/anyts";
 * const [send, receive] = createMemoryObjectStream<Uint8Array>(2);
 * await send.send(new Uint8Array([0x68, 0xc3])); // "h" and the first byte of "ö"
 * await send.send(new Uint8Array([0xb6]));
 * send.close();
 * const text = new TextReceiveStream(receive);
 * console.log(await text.receive(), await text.receive()); // "h" "ö"
 * ```
 */
export class TextReceiveStream extends ObjectReceiveStreamBase<string> {
  /** The wrapped byte stream. */
  readonly transportStream: AnyByteReceiveStream;
  /** The encoding in use, as `TextDecoder` names it (e.g. `"utf-8"`). */
  readonly encoding: string;
  /** @ignore */
  _decoder: Decoder;

  /**
   * Decodes `transportStream`.
   *
   * @param transportStream the byte stream to decode
   * @param options `encoding` (default `"utf-8"`) and `errors` (default `"strict"`)
   */
  constructor(transportStream: AnyByteReceiveStream, options?: TextStreamOptions) {
    super();
    this.transportStream = transportStream;
    this._decoder = createDecoder(options);
    this.encoding = this._decoder.encoding;
  }

  /** Receives the next decoded text (never empty); {@linkcode EndOfStream} at the end. */
  async receive(): Promise<string> {
    for (;;) {
      let chunk: Uint8Array;
      try {
        chunk = await this.transportStream.receive();
      } catch (error) {
        if (error instanceof EndOfStream) {
          const rest = this._decoder.decode(); // flushes (and resets) the decoder
          if (rest !== "") return rest;
        }
        throw error;
      }
      const text = this._decoder.decode(chunk, { stream: true });
      if (text !== "") return text;
    }
  }

  /** Closes the wrapped stream. */
  async aclose(): Promise<void> {
    this._decoder = new TextDecoder(this._decoder.encoding, { fatal: this._decoder.fatal });
    await this.transportStream.aclose();
  }

  /** The attributes of the wrapped stream. */
  override get extraAttributes(): TypedAttributeMap {
    return this.transportStream.extraAttributes;
  }
}

/**
 * Sends strings, encoded as UTF-8, to a byte send stream. Other encodings are rejected
 * with a RangeError: the web platform's `TextEncoder` encodes only UTF-8. An empty string
 * sends nothing (but is still a checkpoint).
 *
 * @example
 * ```ts
 * import { createMemoryObjectStream, TextSendStream } from "@anyts/anyts";
 * const [send, receive] = createMemoryObjectStream<Uint8Array>(1);
 * await new TextSendStream(send).send("ö");
 * console.log(receive.receiveNowait()); // Uint8Array [195, 182]
 * ```
 */
export class TextSendStream extends ObjectSendStreamBase<string> {
  /** The wrapped byte stream. */
  readonly transportStream: AnyByteSendStream;
  /** Always `"utf-8"`. */
  readonly encoding: string = "utf-8";

  /**
   * Encodes into `transportStream`.
   *
   * @param transportStream the byte stream to write to
   * @param options `encoding`: only UTF-8 is supported
   */
  constructor(transportStream: AnyByteSendStream, options?: TextSendStreamOptions) {
    super();
    checkOptions(options, ["encoding"], "TextSendStream");
    validateSendEncoding(options?.encoding ?? "utf-8");
    this.transportStream = transportStream;
  }

  /** Encodes `text` as UTF-8 and sends it. */
  async send(text: string): Promise<void> {
    if (typeof text !== "string") throw new TypeError(`text must be a string, got ${typeof text}`);
    if (text === "") return checkpoint();
    await this.transportStream.send(encoder.encode(text));
  }

  /** Closes the wrapped stream. */
  aclose(): Promise<void> {
    return this.transportStream.aclose();
  }

  /** The attributes of the wrapped stream. */
  override get extraAttributes(): TypedAttributeMap {
    return this.transportStream.extraAttributes;
  }
}

/**
 * A bidirectional text stream over a byte stream: {@linkcode TextReceiveStream} for
 * receiving, {@linkcode TextSendStream} (UTF-8 only) for sending.
 *
 * @example
 * ```ts
 * import { createMemoryObjectStream, StapledObjectStream, TextStream } from "@anyts/anyts";
 * const [send, receive] = createMemoryObjectStream<Uint8Array>(4);
 * const text = new TextStream(new StapledObjectStream(send, receive));
 * await text.send("grüße");
 * console.log(await text.receive()); // "grüße"
 * ```
 */
export class TextStream extends ObjectStreamBase<string> {
  /** The wrapped byte stream. */
  readonly transportStream: AnyByteStream;
  /** @ignore */
  _receiveStream: TextReceiveStream;
  /** @ignore */
  _sendStream: TextSendStream;

  /**
   * Wraps `transportStream`.
   *
   * @param transportStream the byte stream to wrap
   * @param options `encoding` (only UTF-8, since this stream also sends) and `errors`
   */
  constructor(transportStream: AnyByteStream, options?: TextStreamOptions) {
    super();
    checkOptions(options, ["encoding", "errors"], "TextStream");
    validateSendEncoding(options?.encoding ?? "utf-8");
    this.transportStream = transportStream;
    this._receiveStream = new TextReceiveStream(transportStream, options);
    this._sendStream = new TextSendStream(transportStream, options?.encoding === undefined ? undefined : { encoding: options.encoding });
  }

  /** Receives the next decoded text; see {@linkcode TextReceiveStream.receive}. */
  receive(): Promise<string> {
    return this._receiveStream.receive();
  }

  /** Encodes and sends `text`; see {@linkcode TextSendStream.send}. */
  send(text: string): Promise<void> {
    return this._sendStream.send(text);
  }

  /** Sends EOF through the wrapped stream. */
  sendEof(): Promise<void> {
    return this.transportStream.sendEof();
  }

  /** Closes the wrapped stream. */
  aclose(): Promise<void> {
    return this._receiveStream.aclose();
  }

  /** The attributes of the wrapped stream. */
  override get extraAttributes(): TypedAttributeMap {
    return this.transportStream.extraAttributes;
  }
}
