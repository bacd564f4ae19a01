/**
 * A child's pipes as node: streams (`child.stdout`, `child.stdin`) as the raw pipe ends of
 * the process contract. They work on Node and on Deno's and Bun's node: compatibility
 * layers (where the streams are plain Readables and Writables, not net.Sockets).
 *
 * @module
 */
import type { Readable, Writable } from "node:stream";
import type { RawPipeReader, RawPipeWriter } from "../../src/backend/process.ts";

/** Whether this is Node itself (not Deno's or Bun's node: compatibility layer). */
const writtenAtOnce = (globalThis as { Deno?: unknown }).Deno === undefined &&
  (globalThis as { Bun?: unknown }).Bun === undefined;

/**
 * A child's output as pull-based reads. The stream flows ('data' events, no extra copy)
 * into a small queue; once the queue holds 256 KiB it is paused until half of it was read,
 * so at most that (and Node's own buffer) waits in memory while the pipe holds the child
 * back.
 */
export class NodePipeReader implements RawPipeReader {
  #stream: Readable;
  #chunks: Uint8Array<ArrayBuffer>[] = [];
  #queued = 0;
  #limit: number;
  #paused = true;
  #resolve: ((chunk: Uint8Array<ArrayBuffer> | null) => void) | undefined = undefined;
  #reject: ((error: unknown) => void) | undefined = undefined;
  #max = 0;
  #ended = false;
  #error: unknown = undefined;

  constructor(stream: Readable) {
    this.#stream = stream;
    this.#limit = 4 * Math.max(stream.readableHighWaterMark || 0, 65536);
    stream.pause();
    stream.on("data", this.#onData);
    stream.on("end", this.#onEnd);
    stream.on("close", this.#onEnd);
    stream.on("error", this.#onError);
  }

  read(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
    if (this.#queued > 0) return Promise.resolve(this.#take(maxBytes));
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    if (this.#paused) {
      this.#paused = false;
      this.#stream.resume();
    }
    this.#max = maxBytes;
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  close(): void {
    this.#ended = true;
    this.#chunks = [];
    this.#queued = 0;
    this.#stream.destroy();
    this.#settle(null);
  }

  #take(maxBytes: number): Uint8Array<ArrayBuffer> {
    let chunk = this.#chunks[0]!;
    if (chunk.length > maxBytes) {
      this.#chunks[0] = chunk.subarray(maxBytes);
      chunk = chunk.subarray(0, maxBytes);
    } else this.#chunks.shift();
    this.#queued -= chunk.length;
    if (this.#paused && !this.#ended && this.#queued <= this.#limit >>> 1) {
      this.#paused = false;
      this.#stream.resume();
    }
    return chunk;
  }

  #settle(chunk: Uint8Array<ArrayBuffer> | null): void {
    const resolve = this.#resolve;
    this.#resolve = this.#reject = undefined;
    resolve?.(chunk);
  }

  #onData = (buffer: Uint8Array): void => {
    if (buffer.length === 0) return;
    let chunk = new Uint8Array(buffer.buffer as ArrayBuffer, buffer.byteOffset, buffer.byteLength);
    if (this.#resolve !== undefined) {
      // A read waits only while the queue is empty: hand the chunk over directly.
      if (chunk.length > this.#max) {
        this.#chunks.push(chunk.subarray(this.#max));
        this.#queued += chunk.length - this.#max;
        chunk = chunk.subarray(0, this.#max);
      }
      this.#settle(chunk);
      return;
    }
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued >= this.#limit && !this.#paused) {
      this.#paused = true;
      this.#stream.pause();
    }
  };

  #onEnd = (): void => {
    this.#ended = true;
    if (this.#queued === 0) this.#settle(null);
  };

  #onError = (error: unknown): void => {
    this.#error ??= error;
    const reject = this.#reject;
    this.#resolve = this.#reject = undefined;
    reject?.(error);
  };
}

/**
 * A child's input: `write` resolves on the stream's write callback (the bytes reached the
 * kernel); the core writes one chunk at a time, so nothing piles up in Node's buffer.
 * Errors (EPIPE once the child closed its end) reject the pending write and every later
 * one; the stream's 'error' event is always handled.
 */
export class NodePipeWriter implements RawPipeWriter {
  #stream: Writable;
  #error: unknown = undefined;
  #reject: ((error: unknown) => void) | undefined = undefined;

  constructor(stream: Writable) {
    this.#stream = stream;
    stream.on("error", this.#onError);
    stream.on("close", this.#onClose);
  }

  write(data: Uint8Array): Promise<void> | undefined {
    if (this.#error !== undefined) throw this.#error;
    const stream = this.#stream;
    if (stream.destroyed || stream.writableEnded) throw new Error("the pipe is closed");
    let settle: ((error: Error | null | undefined) => void) | undefined;
    let calledBack = false;
    let earlyError: Error | null | undefined;
    stream.write(data, (error) => {
      if (settle !== undefined) settle(error);
      else {
        calledBack = true; // synchronously (compatibility layers may)
        earlyError = error;
      }
    });
    if (calledBack) {
      if (earlyError) throw (this.#error ??= earlyError);
      return undefined;
    }
    // On Node, a write that libuv completed at once has left Node's buffer before write()
    // returns: done, without waiting a tick for the callback. Only on Node itself:
    // compatibility layers may report an empty buffer while still holding the data.
    if (writtenAtOnce && stream.writableLength === 0) {
      settle = (error) => {
        if (error) this.#error ??= error;
      };
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      this.#reject = reject;
      settle = (error) => {
        this.#reject = undefined;
        if (error) reject(this.#error ?? error);
        else resolve();
      };
    });
  }

  end(): Promise<void> {
    const stream = this.#stream;
    if (stream.destroyed || stream.writableEnded || this.#error !== undefined) {
      stream.destroy();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      stream.once("close", () => resolve());
      stream.end(() => resolve());
    });
  }

  close(): void {
    this.#stream.destroy();
  }

  #onError = (error: unknown): void => {
    this.#error ??= error;
    const reject = this.#reject;
    this.#reject = undefined;
    reject?.(error);
  };

  #onClose = (): void => {
    const reject = this.#reject;
    this.#reject = undefined;
    reject?.(this.#error ?? new Error("the pipe was closed"));
  };
}
