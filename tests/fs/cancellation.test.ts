import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { CancelScope, Cancelled, checkpoint, detectRuntime, openFile, Path, taskGroup } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { settle } from "../helpers.ts";
import { caught, decoder, eventually, hasProcFd, makeFifo, openDescriptors, pseudoRandom, withTempDir } from "./helpers.ts";

const test = backendTests(it);

/** A FIFO with a read-write descriptor held by the test: opening it never blocks, and
 * what the test writes to it is what a reader of the FIFO gets next. */
function fifoWithWriter(path: string): number {
  makeFifo(path);
  return fs.openSync(path, "r+");
}

describe("cancellation of file I/O", () => {
  test("a cancelled read loses nothing: the next read returns the bytes it was waiting for", async () => {
    await withTempDir(async (dir) => {
      const fifo = dir.join("pipe");
      const writer = fifoWithWriter(fifo);
      try {
        await using file = await openFile(fifo, "rb");
        const scope = new CancelScope();
        let outcome: unknown = "not cancelled";
        await taskGroup(async (tg) => {
          tg.startSoon(() =>
            scope.run(async () => {
              try {
                await file.read(5);
              } catch (error) {
                outcome = error;
                throw error;
              }
            })
          );
          // The raw read is blocked in the runtime (the FIFO is empty) and cannot be
          // interrupted: the task gets Cancelled at once anyway.
          await settle();
          scope.cancel();
        });
        expect(outcome).toBeInstanceOf(Cancelled);
        expect(scope.cancelledCaught).toBe(true);
        fs.writeSync(writer, "hello world");
        expect(decoder.decode(await file.read(5))).toBe("hello");
        expect(decoder.decode(await file.read(6))).toBe(" world");
        expect(await file.tell()).toBe(11);
      } finally {
        fs.closeSync(writer);
      }
    });
  });

  test("a cancelled readline in text mode keeps its bytes for the next readline", async () => {
    await withTempDir(async (dir) => {
      const fifo = dir.join("pipe");
      const writer = fifoWithWriter(fifo);
      try {
        await using file = await openFile(fifo, "r");
        const result = await new CancelScope().run(async (scope) => {
          const reading = file.readline();
          await settle();
          scope.cancel();
          return await reading;
        });
        expect(result).toBeUndefined();
        fs.writeSync(writer, "first line\r\nsecond line\n");
        expect(await file.readline()).toBe("first line\n");
        expect(await file.readline()).toBe("second line\n");
      } finally {
        fs.closeSync(writer);
      }
    });
  });

  test("in an already cancelled scope nothing is read or written, and the position stays", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("f.bin");
      fs.writeFileSync(path, "0123456789");
      await using file = await openFile(path, "r+b");
      expect(decoder.decode(await file.read(2))).toBe("01");
      await new CancelScope().run(async (scope) => {
        scope.cancel();
        expect(await caught(() => file.read(3))).toBeInstanceOf(Cancelled);
        expect(await caught(() => file.write(new Uint8Array([65])))).toBeInstanceOf(Cancelled);
        expect(await caught(() => file.seek(0))).toBeInstanceOf(Cancelled);
        expect(await caught(() => file.tell())).toBeInstanceOf(Cancelled);
        expect(await caught(() => file.flush())).toBeInstanceOf(Cancelled);
      });
      expect(await file.tell()).toBe(2);
      expect(decoder.decode(await file.read())).toBe("23456789");
      expect(fs.readFileSync(path, "utf8")).toBe("0123456789");
    });
  });

  /** Starts `write(data)`, cancels it while its raw I/O is in the runtime, returns what it threw. */
  async function cancelledWrite(write: () => Promise<unknown>): Promise<unknown> {
    const scope = new CancelScope();
    let outcome: unknown = "not cancelled";
    await scope.run(async () => {
      const writing = write();
      // The raw write is in the runtime now: no I/O callback can run in microtask turns.
      await settle();
      scope.cancel();
      try {
        await writing;
      } catch (error) {
        outcome = error;
      }
    });
    return outcome;
  }

  /** Reads exactly `size` bytes from descriptor `fd` (callback reads: the event loop runs meanwhile). */
  async function drain(fd: number, size: number): Promise<Uint8Array> {
    const out = new Uint8Array(size);
    let got = 0;
    while (got < size) {
      got += await new Promise<number>((resolve, reject) =>
        fs.read(fd, out, got, size - got, null, (error, count) => (error ? reject(error) : resolve(count)))
      );
    }
    return out;
  }

  // A FIFO makes writes block (its buffer holds 64 KiB) on every runtime, whereas some
  // write a regular file at once (Bun's FileSink, Deno's small writes).

  /** Deno's node:fs (2.9) writes a FIFO synchronously: a full one blocks the event loop. */
  function blocksOnFullFifo(backend: string, file: string): boolean {
    if (backend !== "node" || detectRuntime() !== "deno") return false;
    console.log(`${file}: skipped on the node adapter under Deno: Deno's node:fs blocks the event loop writing a full FIFO`);
    return true;
  }

  test("a write cancelled while its data goes out finishes before the file is used again", async ({ backend }) => {
    if (blocksOnFullFifo(backend, "cancellation.test.ts")) return;
    await withTempDir(async (dir) => {
      const fifo = dir.join("pipe");
      const reader = fifoWithWriter(fifo);
      try {
        await using file = await openFile(fifo, "wb");
        const data = pseudoRandom(1024 * 1024);
        // The raw write blocks once the FIFO is full.
        expect(await cancelledWrite(() => file.write(data))).toBeInstanceOf(Cancelled);
        const received = drain(reader, data.length);
        // The next operation waits for the write, which finishes as the test reads.
        expect(await file.tell()).toBe(data.length);
        expect(Buffer.compare(await received, data)).toBe(0);
      } finally {
        fs.closeSync(reader);
      }
    });
  });

  test("a write cancelled while earlier buffered data goes out writes only that data", async ({ backend }) => {
    if (blocksOnFullFifo(backend, "cancellation.test.ts")) return;
    await withTempDir(async (dir) => {
      const fifo = dir.join("pipe");
      const reader = fifoWithWriter(fifo);
      try {
        // Fill the FIFO's buffer (64 KiB on Linux), so that the next write blocks.
        const filler = new Uint8Array(65536).fill(7);
        fs.writeSync(reader, filler);
        await using file = await openFile(fifo, "wb");
        await file.write(new Uint8Array([1, 2, 3])); // buffered
        // Too big for the buffer: the buffer goes out first (and blocks), the cancellation
        // comes then, and the new data is not written at all.
        expect(await cancelledWrite(() => file.write(pseudoRandom(1024 * 1024)))).toBeInstanceOf(Cancelled);
        const received = drain(reader, filler.length + 3);
        expect(await file.tell()).toBe(3);
        expect([...(await received).subarray(filler.length)]).toEqual([1, 2, 3]);
        // Nothing of the cancelled write follows: the next bytes are the test's own.
        fs.writeSync(reader, "END");
        expect(decoder.decode(await drain(reader, 3))).toBe("END");
      } finally {
        fs.closeSync(reader);
      }
    });
  });

  test("buffered text survives a flush cancelled before it started; aclose writes it out", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("t.txt");
      const file = await openFile(path, "w");
      await file.write("kept\n");
      await new CancelScope().run(async (scope) => {
        scope.cancel();
        expect(await caught(() => file.flush())).toBeInstanceOf(Cancelled);
        // aclose in a cancelled scope still writes the buffer out and never raises.
        await file.aclose();
      });
      expect(fs.readFileSync(path, "utf8")).toBe("kept\n");
    });
  });

  test("an open cancelled while the runtime is opening closes the file once it arrives", async () => {
    if (!hasProcFd) return console.log("cancellation.test.ts: skipped the descriptor check: no /proc/self/fd here");
    await withTempDir(async (dir) => {
      const fifo = dir.join("pipe");
      makeFifo(fifo);
      const before = openDescriptors(dir.path);
      // Opening a FIFO for reading blocks (in the runtime's thread pool) until a writer opens it.
      const outcome = await new CancelScope().run(async (scope) => {
        const opening = openFile(fifo, "rb");
        await settle();
        scope.cancel();
        return await opening;
      });
      expect(outcome).toBeUndefined();
      // Now a writer: the pending open completes, and its file is closed at once.
      const writer = fs.openSync(fifo, "w");
      try {
        const expected = new Set([...before, String(writer)]);
        await descriptorsBecome(dir.path, expected, "the late file is closed");
      } finally {
        fs.closeSync(writer);
      }
    });
  });

  test("no file descriptor outlives a cancelled task group that opened, read and listed files", async () => {
    if (!hasProcFd) return console.log("cancellation.test.ts: skipped the descriptor check: no /proc/self/fd here");
    await withTempDir(async (dir) => {
      for (let i = 0; i < 300; i++) fs.writeFileSync(dir.join(`file-${i}.txt`), `line ${i}\n`.repeat(50));
      const before = openDescriptors(dir.path);
      let steps = 0;
      await taskGroup(async (tg) => {
        for (let i = 0; i < 8; i++) {
          // Files held open with await using, read and written in a loop.
          tg.startSoon(async () => {
            await using file = await openFile(dir.join(`file-${i}.txt`), "r+");
            for (;;) {
              await file.readline();
              await file.write("x");
              await file.seek(0);
              steps++;
            }
          });
          // Files opened and closed over and over: some are being opened when the group is cancelled.
          tg.startSoon(async () => {
            for (let n = 0;; n++) {
              await using file = await openFile(dir.join(`file-${(n * 8 + i) % 300}.txt`), "rb", { bufferSize: 16 });
              await file.read(100);
              steps++;
            }
          });
        }
        // Directory listings, left in the middle.
        tg.startSoon(async () => {
          for (;;) {
            for await (const entry of new Path(dir.path).iterdir()) {
              void entry;
              await checkpoint();
              steps++;
            }
          }
        });
        await eventually(() => steps > 2_000, "the tasks have done some work");
        tg.cancelScope.cancel();
      });
      await descriptorsBecome(dir.path, before, "every descriptor is closed");
    });
  });
});

/**
 * Whether nothing is open now that was not open before (the runtime may close some of
 * its own descriptors meanwhile: a leak is an extra one, not a missing one).
 */
function noNewDescriptors(now: Set<string>, before: Set<string>): boolean {
  return [...now].every((fd) => before.has(fd));
}

/** Waits until no descriptor on `directory` is open but `expected`; the error names the others. */
async function descriptorsBecome(directory: string, expected: Set<string>, what: string): Promise<void> {
  await eventually(() => noNewDescriptors(openDescriptors(directory), expected), what).catch((error) => {
    const now = openDescriptors(directory);
    const target = (fd: string) => {
      try {
        return `${fd} ${fs.readlinkSync(`/proc/self/fd/${fd}`)}`;
      } catch {
        return `${fd} ?`;
      }
    };
    const opened = [...now].filter((fd) => !expected.has(fd)).map(target);
    throw new Error(`${error.message}; still open: ${opened.join(", ")}`);
  });
}
