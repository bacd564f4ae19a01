import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { AsyncFile, ClosedResourceError, openFile, type OpenMode, Path, taskGroup } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { caught, decoder, encoder, pseudoRandom, withTempDir } from "./helpers.ts";

const test = backendTests(it);

describe("openFile: every mode", () => {
  test("r reads, r+ reads and writes in place; neither creates the file", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("f.txt");
      expect((await caught(() => openFile(path, "r"))).code).toBe("ENOENT");
      expect((await caught(() => openFile(path, "r+"))).code).toBe("ENOENT");
      fs.writeFileSync(path, "abc\n");
      {
        await using file = await openFile(path, "r");
        expect(await file.read()).toBe("abc\n");
        expect(file.readable()).toBe(true);
        expect(file.writable()).toBe(false);
      }
      {
        await using file = await openFile(path, "r+");
        expect(await file.read(2)).toBe("ab");
        expect(await file.write("Z")).toBe(1);
        expect(await file.tell()).toBe(3);
        expect(await file.read()).toBe("\n");
      }
      expect(fs.readFileSync(path, "utf8")).toBe("abZ\n");
    });
  });

  test("w truncates or creates, w+ also reads back", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("f.txt");
      fs.writeFileSync(path, "old contents\n");
      {
        await using file = await openFile(path, "w");
        expect(file.readable()).toBe(false);
        await file.write("new");
      }
      expect(fs.readFileSync(path, "utf8")).toBe("new");
      await using file = await openFile(dir.join("g.txt"), "w+");
      await file.write("héllo");
      expect(await file.seek(0)).toBe(0);
      expect(await file.read()).toBe("héllo");
      expect(await file.tell()).toBe(6);
    });
  });

  test("a appends, a+ starts at the end and reads after a seek", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("f.txt");
      fs.writeFileSync(path, "abc\n");
      {
        await using file = await openFile(path, "a");
        expect(await file.tell()).toBe(4);
        await file.write("more");
        expect(await file.tell()).toBe(8);
      }
      expect(fs.readFileSync(path, "utf8")).toBe("abc\nmore");
      await using file = await openFile(path, "a+");
      expect(await file.read()).toBe("");
      await file.seek(0);
      expect(await file.read(3)).toBe("abc");
      // Writes go to the end whatever the position.
      await file.write("!");
      expect(await file.tell()).toBe(9);
      await file.seek(0);
      expect(await file.read()).toBe("abc\nmore!");
      await using created = await openFile(dir.join("new.txt"), "a");
      await created.write("x");
      await created.flush();
      expect(fs.readFileSync(dir.join("new.txt"), "utf8")).toBe("x");
    });
  });

  test("x creates a new file and refuses an existing one; x+ reads back", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("f.bin");
      {
        await using file = await openFile(path, "xb");
        await file.write(new Uint8Array([1, 2, 3]));
      }
      expect([...fs.readFileSync(path)]).toEqual([1, 2, 3]);
      const error = await caught(() => openFile(path, "x"));
      expect(error.code).toBe("EEXIST");
      expect(error.message).toContain(path);
      await using file = await openFile(dir.join("g.bin"), "x+b");
      await file.write(new Uint8Array([9, 8]));
      await file.seek(0);
      expect([...await file.read()]).toEqual([9, 8]);
    });
  });

  test("binary modes read and write fresh Uint8Arrays; the letters may come in any order", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("f.bin");
      const data = pseudoRandom(200_000);
      for (const [writeMode, readMode] of [["wb", "rb"], ["bw", "br"], ["w+b", "r+b"], ["+wb", "+rb"]] as const) {
        {
          await using file = await openFile(path, writeMode);
          expect(await file.write(data)).toBe(data.length);
        }
        await using file = await openFile(path, readMode);
        const back = await file.read();
        expect(back).toBeInstanceOf(Uint8Array);
        expect(back.buffer).toBeInstanceOf(ArrayBuffer);
        expect(back.length).toBe(data.length);
        expect(Buffer.compare(back, data)).toBe(0);
        expect((await file.read()).length).toBe(0);
      }
      const textModes: OpenMode[] = ["rt", "tr", "r+t", "t+r"];
      for (const mode of textModes) {
        await using file = await openFile(path, mode, { errors: "replace" });
        expect(typeof (await file.read(1))).toBe("string");
      }
    });
  });
});

/** A byte model of a file: what seek/tell/read/write/truncate must do to it. */
class ByteModel {
  bytes = new Uint8Array(0);
  position = 0;
  write(data: Uint8Array): void {
    const end = this.position + data.length;
    if (end > this.bytes.length) {
      const grown = new Uint8Array(end);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(data, this.position);
    this.position = end;
  }
  read(size: number): Uint8Array {
    const out = this.bytes.slice(this.position, size < 0 ? undefined : this.position + size);
    this.position += out.length;
    return out;
  }
  truncate(size: number): void {
    const resized = new Uint8Array(size);
    resized.set(this.bytes.subarray(0, size));
    this.bytes = resized;
  }
}

describe("AsyncFile: seek and tell", () => {
  test("a random mix of reads, writes, seeks and truncates matches a byte model", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("model.bin");
      for (const bufferSize of [1, 7, 64, 65536]) {
        const model = new ByteModel();
        const random = pseudoRandom(3_000, 12345 + bufferSize);
        let r = 0;
        const next = (n: number) => random[r++ % random.length]! % n;
        await using file = await openFile(path, "w+b", { bufferSize });
        for (let step = 0; step < 300; step++) {
          switch (next(7)) {
            case 0:
            case 1: {
              const data = pseudoRandom(next(40), step + 1);
              expect(await file.write(data)).toBe(data.length);
              model.write(data);
              break;
            }
            case 2:
            case 3: {
              const size = next(5) === 0 ? -1 : next(50);
              expect([...await file.read(size)]).toEqual([...model.read(size)]);
              break;
            }
            case 4: {
              const whence = next(3) as 0 | 1 | 2;
              const base = whence === 0 ? 0 : whence === 1 ? model.position : model.bytes.length;
              const offset = next(60) - (whence === 0 ? 0 : Math.min(base, 30));
              expect(await file.seek(offset, whence)).toBe(base + offset);
              model.position = base + offset;
              break;
            }
            case 5:
              expect(await file.tell()).toBe(model.position);
              break;
            default: {
              const size = next(80);
              expect(await file.truncate(size)).toBe(size);
              model.truncate(size);
              expect(await file.tell()).toBe(model.position);
            }
          }
        }
        await file.flush();
        expect([...fs.readFileSync(path)]).toEqual([...model.bytes]);
      }
    });
  });

  test("truncate() without a size cuts at the position and keeps it", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("t.txt");
      fs.writeFileSync(path, "0123456789");
      await using file = await openFile(path, "r+");
      await file.read(4);
      expect(await file.truncate()).toBe(4);
      expect(await file.tell()).toBe(4);
      expect(fs.readFileSync(path, "utf8")).toBe("0123");
      expect(await file.seek(0, 2)).toBe(4);
    });
  });
});

/** What Python's universal newlines make of `text`: its lines, each ending in "\n" but the last. */
function universalLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\n" || text[i] === "\r") {
      const end = text[i] === "\r" && text[i + 1] === "\n" ? i + 2 : i + 1;
      lines.push(text.slice(start, i) + "\n");
      start = end;
      i = end - 1;
    }
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

const MIXED = "plain\nwindows\r\nold mac\rmulti: é 中文 😀\r\n\r\n\rx😀\r\r\nlast line without newline é";

describe("AsyncFile: text", () => {
  test("readline splits \\n, \\r\\n and \\r, and multibyte characters survive every buffer edge", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("mixed.txt");
      const bytes = encoder.encode(MIXED);
      fs.writeFileSync(path, bytes);
      const expected = universalLines(MIXED);
      // Byte offsets after each line, from the original bytes: tell() after readline.
      const offsets: number[] = [];
      let offset = 0;
      for (let i = 0, start = 0; i <= MIXED.length; i++) {
        if (i === MIXED.length || MIXED[i] === "\n" || MIXED[i] === "\r") {
          const end = i === MIXED.length ? i : MIXED[i] === "\r" && MIXED[i + 1] === "\n" ? i + 2 : i + 1;
          if (end > start) {
            offset += encoder.encode(MIXED.slice(start, end)).length;
            offsets.push(offset);
          }
          if (i === MIXED.length) break;
          start = end;
          i = end - 1;
        }
      }
      for (const bufferSize of [1, 2, 3, 4, 5, 7, 13, 65536]) {
        await using file = await openFile(path, "r", { bufferSize });
        const lines: string[] = [];
        const tells: number[] = [];
        for (;;) {
          const line = await file.readline();
          if (line === "") break;
          lines.push(line);
          tells.push(await file.tell());
        }
        expect(lines).toEqual(expected);
        expect(tells).toEqual(offsets);
        expect(await file.readline()).toBe("");
        await file.seek(0);
        const lines2: string[] = [];
        for await (const line of file) lines2.push(line);
        expect(lines2).toEqual(expected);
        await file.seek(0);
        expect(await file.readlines()).toEqual(expected);
        await file.seek(0);
        expect(await file.read()).toBe(expected.join(""));
      }
    });
  });

  test("read(size) counts characters after newline translation, never splitting a character", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("mixed.txt");
      fs.writeFileSync(path, MIXED);
      const whole = universalLines(MIXED).join("");
      for (const bufferSize of [1, 3, 65536]) {
        for (const size of [1, 2, 3, 5, 8]) {
          await using file = await openFile(path, "r", { bufferSize });
          const pieces: string[] = [];
          for (let piece = await file.read(size); piece !== ""; piece = await file.read(size)) {
            expect(piece.length).toBeLessThanOrEqual(Math.max(size, 2));
            const last = piece.charCodeAt(piece.length - 1);
            expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
            pieces.push(piece);
          }
          expect(pieces.join("")).toBe(whole);
        }
      }
    });
  });

  test("binary readline splits at \\n only and keeps \\r", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("mixed.bin");
      fs.writeFileSync(path, MIXED);
      for (const bufferSize of [1, 4, 65536]) {
        await using file = await openFile(path, "rb", { bufferSize });
        const lines: string[] = [];
        for await (const line of file) lines.push(decoder.decode(line));
        expect(lines.join("")).toBe(MIXED);
        expect(lines).toEqual(MIXED.split(/(?<=\n)/));
      }
    });
  });

  test("long lines grow the buffer; writelines and readlines round-trip", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("long.txt");
      const lines = ["x".repeat(300_000) + "\n", "short\n", "é".repeat(100_000) + "\n", "end"];
      {
        await using file = await openFile(path, "w", { bufferSize: 1024 });
        await file.writelines(lines);
      }
      await using file = await openFile(path, "r", { bufferSize: 1024 });
      expect(await file.readlines()).toEqual(lines);
    });
  });

  test("other encodings: latin1 and UTF-16 read with exact tell(); errors strict or replace", async () => {
    await withTempDir(async (dir) => {
      const latin = dir.join("latin1.txt");
      fs.writeFileSync(latin, Buffer.from("café\r\nnaïve\n", "latin1"));
      {
        await using file = await openFile(latin, "r", { encoding: "latin1", bufferSize: 3 });
        expect(await file.readline()).toBe("café\n");
        expect(await file.tell()).toBe(6);
        expect(await file.readline()).toBe("naïve\n");
      }
      const utf16 = dir.join("utf16.txt");
      fs.writeFileSync(utf16, Buffer.from("a😀\nb\n", "utf16le"));
      {
        await using file = await openFile(utf16, "r", { encoding: "utf-16le", bufferSize: 3 });
        expect(await file.readline()).toBe("a😀\n");
        expect(await file.tell()).toBe(8);
        expect(await file.read()).toBe("b\n");
      }
      const bad = dir.join("bad.txt");
      fs.writeFileSync(bad, new Uint8Array([0x61, 0xff, 0x62, 0x0a]));
      {
        await using file = await openFile(bad, "r");
        const error = await caught(() => file.readline());
        expect(error).toBeInstanceOf(TypeError);
        expect(error.message).toContain(bad);
      }
      await using file = await openFile(bad, "r", { errors: "replace" });
      expect(await file.readline()).toBe("a\ufffdb\n");
    });
  });

  test("a write after reads goes where the reader is; a read after writes sees them", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("rw.txt");
      fs.writeFileSync(path, "one\ntwo\nthree\n");
      await using file = await openFile(path, "r+", { bufferSize: 5 });
      expect(await file.readline()).toBe("one\n");
      await file.write("TWO");
      expect(await file.tell()).toBe(7);
      expect(await file.read()).toBe("\nthree\n");
      await file.seek(0);
      expect(await file.read()).toBe("one\nTWO\nthree\n");
    });
  });
});

describe("AsyncFile: the file object", () => {
  test("path, mode, raw, closed; await using closes; aclose is idempotent", async ({ backend }) => {
    await withTempDir(async (dir) => {
      const path = dir.join("f.txt");
      let outer: AsyncFile | undefined;
      {
        await using file = await openFile(new Path(path), "w");
        outer = file;
        expect(file.path).toBeInstanceOf(Path);
        expect(file.path.toString()).toBe(path);
        expect(file.mode).toBe("w");
        expect(file.raw).toBeDefined();
        const fd = file._rawFile.fd;
        if (backend === "deno") expect(fd).toBeUndefined();
        else expect(typeof fd).toBe("number");
        expect(file.closed).toBe(false);
        await file.write("buffered");
        // Not flushed yet: still in the write buffer.
        expect(fs.readFileSync(path, "utf8")).toBe("");
      }
      expect(outer.closed).toBe(true);
      expect(fs.readFileSync(path, "utf8")).toBe("buffered");
      await outer.aclose();
      const error = await caught(() => outer!.write("more"));
      expect(error).toBeInstanceOf(ClosedResourceError);
      expect(error.message).toContain(path);
    });
  });

  test("flush makes writes visible to other readers; sync flushes too", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("f.bin");
      await using file = await openFile(path, "wb");
      await file.write(encoder.encode("abc"));
      await file.flush();
      expect(fs.readFileSync(path, "utf8")).toBe("abc");
      await file.write(encoder.encode("def"));
      await file.sync();
      expect(fs.readFileSync(path, "utf8")).toBe("abcdef");
    });
  });

  test("tasks that share a file take turns: no write is torn or lost", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("shared.txt");
      await using file = await openFile(path, "w", { bufferSize: 64 });
      await taskGroup(async (tg) => {
        for (let writer = 0; writer < 4; writer++) {
          tg.startSoon(async () => {
            for (let i = 0; i < 100; i++) await file.write(`writer ${writer} line ${i} ${"=".repeat(i % 50)}\n`);
          });
        }
      });
      await file.flush();
      const lines = fs.readFileSync(path, "utf8").trimEnd().split("\n");
      expect(lines.length).toBe(400);
      for (let writer = 0; writer < 4; writer++) {
        const mine = lines.filter((line) => line.startsWith(`writer ${writer} `));
        expect(mine).toEqual(Array.from({ length: 100 }, (_, i) => `writer ${writer} line ${i} ${"=".repeat(i % 50)}`));
      }
    });
  });
});

describe("AsyncFile: bad input", () => {
  test("a missing file, a directory, x on an existing file: ENOENT, EISDIR, EEXIST naming the path", async () => {
    await withTempDir(async (dir) => {
      const missing = dir.join("missing", "file.txt");
      const error = await caught(() => openFile(missing));
      expect(error.code).toBe("ENOENT");
      expect(error.message).toContain(missing);
      for (const mode of ["r", "rb", "w", "a+"] as const) {
        const isDir = await caught(() => openFile(dir.path, mode));
        expect(isDir.code).toBe("EISDIR");
        expect(isDir.message).toContain(dir.path);
      }
      fs.writeFileSync(dir.join("exists"), "");
      const exists = await caught(() => openFile(dir.join("exists"), "x"));
      expect(exists.code).toBe("EEXIST");
      expect(exists.message).toContain(dir.join("exists"));
      const notDir = await caught(() => openFile(dir.join("exists", "below")));
      expect(notDir.code).toBe("ENOTDIR");
    });
  });

  test("bad mode strings and options are TypeError or RangeError naming them", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("f.txt");
      fs.writeFileSync(path, "x");
      for (const mode of ["", "rw", "rr", "q", "rbt", "r++", "wx", "R"]) {
        const error = await caught(() => openFile(path, mode as OpenMode));
        expect(error).toBeInstanceOf(RangeError);
        expect(error.message).toMatch(/^mode must be/);
      }
      expect(await caught(() => openFile(path, 1 as unknown as OpenMode))).toBeInstanceOf(TypeError);
      expect((await caught(() => openFile(path, "r", { encodng: "utf-8" } as never))).message).toMatch(/unknown option "encodng"/);
      expect((await caught(() => openFile(path, "rb", { encoding: "utf-8" } as never))).message).toMatch(/encoding is for text modes/);
      expect((await caught(() => openFile(path, "r", { encoding: "klingon" }))).message).toMatch(/encoding "klingon" is not supported/);
      expect((await caught(() => openFile(path, "w", { encoding: "latin1" }))).message).toMatch(/cannot be written/);
      expect(await caught(() => openFile(path, "r", { bufferSize: 0 }))).toBeInstanceOf(RangeError);
      expect(await caught(() => openFile(path, "r", { errors: "ignore" as never }))).toBeInstanceOf(RangeError);
      expect(await caught(() => openFile(42 as unknown as string))).toBeInstanceOf(TypeError);
      expect((await caught(() => openFile(""))).message).toMatch(/must not be empty/);
      expect((await caught(() => openFile("a\0b"))).message).toMatch(/NUL/);
    });
  });

  test("negative seeks, bad whence, text seeks from the position, bad sizes", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("f.txt");
      fs.writeFileSync(path, "0123456789");
      await using binary = await openFile(path, "rb");
      await binary.read(2);
      expect((await caught(() => binary.seek(-1))).message).toMatch(/offset must not be negative/);
      expect(await caught(() => binary.seek(-5, 1))).toBeInstanceOf(RangeError);
      expect(await caught(() => binary.seek(-11, 2))).toBeInstanceOf(RangeError);
      expect(await caught(() => binary.seek(0, 3 as 0))).toBeInstanceOf(RangeError);
      expect(await caught(() => binary.seek(1.5))).toBeInstanceOf(TypeError);
      expect(await caught(() => binary.read(0.5))).toBeInstanceOf(TypeError);
      // A failed seek moves nothing.
      expect(await binary.tell()).toBe(2);
      expect(await binary.seek(-3, 2)).toBe(7);
      await using text = await openFile(path, "r");
      expect((await caught(() => text.seek(2, 1))).message).toMatch(/text mode/);
      expect(await text.seek(0, 2)).toBe(10);
      const truncate = await caught(() => (text as unknown as AsyncFile).truncate(-1));
      expect(truncate).toBeInstanceOf(RangeError);
    });
  });

  test("the wrong type for the mode, and operations the mode does not allow", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("f.bin");
      fs.writeFileSync(path, "abc");
      await using binary = await openFile(path, "r+b");
      const text = await caught(() => binary.write("text" as unknown as Uint8Array));
      expect(text).toBeInstanceOf(TypeError);
      expect(text.message).toMatch(/data must be a Uint8Array in binary mode/);
      await using textFile = await openFile(path, "r+");
      expect((await caught(() => textFile.write(new Uint8Array(1) as unknown as string))).message).toMatch(
        /data must be a string in text mode/,
      );
      await using readOnly = await openFile(path, "r");
      const write = await caught(() => readOnly.write("x"));
      expect(write.code).toBe("EBADF");
      expect(write.message).toContain(path);
      expect(write.message).toMatch(/not open for writing/);
      await using writeOnly = await openFile(dir.join("w.txt"), "w");
      const read = await caught(() => writeOnly.readline());
      expect(read.code).toBe("EBADF");
      expect(read.message).toMatch(/not open for reading/);
      expect(() => new (AsyncFile as unknown as new (...args: unknown[]) => unknown)(Symbol(), {})).toThrow(TypeError);
    });
  });

  test("every operation on a closed file is a ClosedResourceError", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("f.txt");
      fs.writeFileSync(path, "abc\n");
      const file = await openFile(path, "r+");
      await file.aclose();
      for (const operation of [
        () => file.read(),
        () => file.readline(),
        () => file.readlines(),
        () => file.write("x"),
        () => file.seek(0),
        () => file.tell(),
        () => file.truncate(),
        () => file.flush(),
        () => file.sync(),
      ]) {
        expect(await caught(operation)).toBeInstanceOf(ClosedResourceError);
      }
    });
  });
});
