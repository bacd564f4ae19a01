/**
 * Reading a directory through the backend's streamed listing, as checkpoints, without
 * leaking it: the listing is opened on first use, read a batch at a time, and closed at
 * the end, on an error, on cancellation, or when the reader is closed; a close waits for
 * the batch the runtime is still reading.
 *
 * @module
 */
import type { RawDir, RawDirEntry } from "../backend/fs.ts";
import type { CancelScope } from "../core/cancel-scope.ts";
import { waitCancellable } from "../core/wait.ts";
import { fsOpen } from "./fs-call.ts";

/** @internal A directory listing being read; see the module comment. */
export class DirReader {
  readonly #path: string;
  #dir: RawDir | null = null;
  /** The batch the runtime is reading (perhaps for a caller that was cancelled). */
  #pending: Promise<void> | null = null;
  #batch: RawDirEntry[] | null = null;
  #failure: unknown = undefined;
  #done = false;
  #closing: Promise<void> | null = null;

  /** @param path the directory (already checked) */
  constructor(path: string) {
    this.#path = path;
  }

  /**
   * The next batch of entries, or `null` at the end (the listing is then closed). On any
   * error, cancellation included, the listing is closed and the error thrown.
   */
  async next(scope: CancelScope): Promise<RawDirEntry[] | null> {
    if (this.#done) return null;
    try {
      if (this.#dir === null) {
        const opened = await fsOpen((fs) => fs.openDir(this.#path), (late) => void late.close(), scope);
        this.#dir = opened;
        if (this.#done) {
          // Closed while it was being opened.
          void opened.close();
          return null;
        }
      }
      const dir = this.#dir;
      this.#pending ??= dir.next().then(
        (batch) => {
          this.#pending = null;
          this.#batch = batch;
        },
        (error) => {
          this.#pending = null;
          this.#failure = error;
        },
      );
      const pending = this.#pending;
      await waitCancellable<void>((resolve) => void pending.then(resolve), scope);
      if (this.#failure !== undefined) throw this.#failure;
      const batch = this.#batch;
      this.#batch = null;
      if (batch === null) void this.close();
      return batch;
    } catch (error) {
      void this.close();
      throw error;
    }
  }

  /** Ends the listing (after the batch being read, if any). Idempotent; never rejects. */
  close(): Promise<void> {
    this.#done = true;
    const dir = this.#dir;
    if (dir === null) return Promise.resolve();
    const pending = this.#pending ?? Promise.resolve();
    return (this.#closing ??= pending.then(() => dir.close()).catch(() => {}));
  }
}
