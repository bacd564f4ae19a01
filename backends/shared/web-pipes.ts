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

  async read(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
    let chunk = this.#leftover;
    this.#leftover = null;
    while (chunk === null) {
      if (this.#closed) return null;
      const result = await this.#reader.read();
      if (result.done) return null;
      if (result.value.length !== 0) chunk = result.value as Uint8Array<ArrayBuffer>;
    }
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
