/**
 * The buffering that Bun's sockets leave to their user, written once for the Bun adapter's
 * plain sockets (backends/bun/net.ts) and its native TLS sessions (backends/bun/tls.ts):
 *
 * - {@linkcode ChunkQueue}: Bun pushes every chunk it reads to a `data` handler, whether
 *   or not anybody reads; the queue keeps them for the reads, hands a chunk straight to a
 *   read that waits, and pauses the socket while too much is unread.
 * - {@linkcode writeRest}: Bun's `write` takes what the kernel takes and returns the
 *   count; the rest of a write waits for `drain`.
 *
 * @module
 */

/** Above this many unread bytes a socket stops reading from the kernel. */
export const READ_HIGH_WATER = 512 * 1024;
/** At or below this many unread bytes it reads again. */
export const READ_LOW_WATER = 128 * 1024;

/** The callbacks of a pending promise. */
export type Waiter<T> = { resolve(value: T): void; reject(error: unknown): void };

/** A read waiting for the next chunk of at most `maxBytes` bytes (`null`: the end). */
export type ChunkReader = Waiter<Uint8Array<ArrayBuffer> | null> & { maxBytes: number };

/**
 * The unread chunks of one socket, handed out as they came (split when a read asks for
 * fewer bytes, never copied), with at most one read waiting for the next.
 *
 * @example
 * ```ts
 * declare const queue: { arrive(chunk: Uint8Array): void; take(maxBytes: number): Uint8Array }; // a ChunkQueue
 * queue.arrive(new Uint8Array([1, 2, 3]));
 * queue.take(2); // Uint8Array [1, 2]
 * queue.take(2); // Uint8Array [3]
 * ```
 */
export class ChunkQueue {
  /** How many bytes are queued. */
  queued = 0;
  /** The read waiting for a chunk, or null. Its owner settles it at the end or on an error. */
  reader: ChunkReader | null = null;
  // chunks[head..] hold `queued` bytes.
  #chunks: Uint8Array<ArrayBuffer>[] = [];
  #head = 0;
  #paused = false;
  readonly #pause: () => void;
  readonly #resume: () => void;

  /**
   * @param pause stops the socket reading from the kernel (above {@linkcode READ_HIGH_WATER})
   * @param resume restarts it (at {@linkcode READ_LOW_WATER})
   */
  constructor(pause: () => void, resume: () => void) {
    this.#pause = pause;
    this.#resume = resume;
  }

  /** Whether too much is unread: the socket was paused and waits for the reads. */
  get paused(): boolean {
    return this.#paused;
  }

  /** A chunk arrived: to the waiting read when nothing is queued before it, else queued. */
  arrive(chunk: Uint8Array<ArrayBuffer>): void {
    const reader = this.reader;
    if (reader !== null && this.queued === 0) {
      this.reader = null;
      if (chunk.length > reader.maxBytes) {
        this.#push(chunk.subarray(reader.maxBytes));
        chunk = chunk.subarray(0, reader.maxBytes);
      }
      reader.resolve(chunk);
      return;
    }
    this.#push(chunk);
  }

  #push(chunk: Uint8Array<ArrayBuffer>): void {
    this.#chunks.push(chunk);
    this.queued += chunk.length;
    if (this.queued > READ_HIGH_WATER && !this.#paused) {
      this.#paused = true;
      this.#pause();
    }
  }

  /** Takes up to `maxBytes` from the queue, which must not be empty. */
  take(maxBytes: number): Uint8Array<ArrayBuffer> {
    const chunks = this.#chunks;
    let chunk = chunks[this.#head]!;
    if (chunk.length > maxBytes) {
      chunks[this.#head] = chunk.subarray(maxBytes);
      chunk = chunk.subarray(0, maxBytes);
    } else {
      chunks[this.#head] = undefined as unknown as Uint8Array<ArrayBuffer>;
      if (++this.#head === chunks.length) {
        chunks.length = 0;
        this.#head = 0;
      } else if (this.#head >= 1024) {
        chunks.splice(0, this.#head);
        this.#head = 0;
      }
    }
    this.queued -= chunk.length;
    if (this.#paused && this.queued <= READ_LOW_WATER) {
      this.#paused = false;
      this.#resume();
    }
    return chunk;
  }

  /** Drops every queued chunk (the socket was closed). */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.queued = 0;
  }
}

/** A chunk as Bun hands it out with `binaryType: "uint8array"`: a fresh one over its own `ArrayBuffer`. */
export type BunChunk = Uint8Array<ArrayBuffer>;

/** A write that Bun took only part of: `data` from `offset` on is still to go. */
export interface PendingWrite extends Waiter<void> {
  data: Uint8Array;
  offset: number;
}

/**
 * On `drain`: offers the rest of `pending` to Bun's `write(data, offset, length)`. Returns
 * `"done"` when every byte went, `"more"` when some are left for the next `drain`, and
 * `"failed"` when the socket is closed (`write` returned -1). Settles nothing itself.
 *
 * @example
 * ```ts
 * declare function writeRest(pending: object, socket: object): string; // this function
 * const pending = { data: new Uint8Array(10), offset: 4, resolve() {}, reject() {} };
 * writeRest(pending, { write: (_data, _offset, length) => length }); // "done"
 * ```
 */
export function writeRest(
  pending: PendingWrite,
  socket: { write(data: Uint8Array, byteOffset: number, byteLength: number): number },
): "done" | "more" | "failed" {
  const { data } = pending;
  const taken = socket.write(data, pending.offset, data.length - pending.offset);
  if (taken < 0) return "failed";
  pending.offset += taken;
  return pending.offset >= data.length ? "done" : "more";
}
