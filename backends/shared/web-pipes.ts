/**
 * A child's output pipe given as a web `ReadableStream` (what `Deno.Command` and
 * `Bun.spawn` hand out) as a {@linkcode RawPipeReader}. Both streams are pull-based: the
 * runtime reads from the kernel only when the reader asks, so the child's writes wait on
 * a full pipe while nobody reads.
 *
 * @module
 */
import type { RawPipeReader } from "../../src/backend/process.ts";

function noop(): void {}

/** A `ReadableStream<Uint8Array>` read chunk by chunk; chunks bigger than asked are split. */
export class WebPipeReader implements RawPipeReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #leftover: Uint8Array<ArrayBuffer> | null = null;
  #closed = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
    this.#reader.closed.catch(noop);
  }

  read(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
    const leftover = this.#leftover;
    if (leftover !== null) {
      this.#leftover = null;
      return Promise.resolve(this.#split(leftover, maxBytes));
    }
    if (this.#closed) return Promise.resolve(null);
    return this.#reader.read().then((result): Promise<Uint8Array<ArrayBuffer> | null> | Uint8Array<ArrayBuffer> | null => {
      if (result.done) return null;
      if (result.value.length === 0) return this.read(maxBytes);
      return this.#split(result.value as Uint8Array<ArrayBuffer>, maxBytes);
    });
  }

  #split(chunk: Uint8Array<ArrayBuffer>, maxBytes: number): Uint8Array<ArrayBuffer> {
    if (chunk.length <= maxBytes) return chunk;
    this.#leftover = chunk.subarray(maxBytes);
    return chunk.subarray(0, maxBytes);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#leftover = null;
    this.#reader.cancel().catch(noop);
  }
}
