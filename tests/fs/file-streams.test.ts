import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BufferedByteReceiveStream,
  EndOfStream,
  FileReadStream,
  FileStreamAttribute,
  FileWriteStream,
  openFile,
  Path,
  TextReceiveStream,
  TextSendStream,
  toReadableStream,
  TypedAttributeLookupError,
} from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { caught, decoder, encoder, pseudoRandom, tempDir, withTempDir } from "./helpers.ts";

const test = backendTests(it);

describe("FileReadStream and FileWriteStream", () => {
  test("receive until EndOfStream, within maxBytes; seek and tell", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("data.bin");
      const data = pseudoRandom(200_000);
      fs.writeFileSync(path, data);
      await using stream = await FileReadStream.fromPath(path);
      const chunks: Uint8Array[] = [];
      for await (const chunk of stream) {
        expect(chunk.length).toBeGreaterThan(0);
        expect(chunk.length).toBeLessThanOrEqual(65536);
        chunks.push(chunk);
      }
      expect(Buffer.compare(Buffer.concat(chunks), data)).toBe(0);
      expect(await caught(() => stream.receive())).toBeInstanceOf(EndOfStream);
      expect(await stream.seek(1000)).toBe(1000);
      const chunk = await stream.receive(10);
      expect([...chunk]).toEqual([...data.subarray(1000, 1010)]);
      expect(await stream.tell()).toBe(1010);
      expect(await stream.seek(-5, 2)).toBe(data.length - 5);
      expect((await stream.receive()).length).toBe(5);
      expect(await caught(() => stream.receive(0))).toBeInstanceOf(RangeError);
    });
  });

  test("send writes through the file; append adds to the end; aclose writes the buffer out", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("out.txt");
      {
        await using stream = await FileWriteStream.fromPath(path);
        await stream.send(encoder.encode("one\n"));
      }
      {
        await using stream = await FileWriteStream.fromPath(new Path(path), { append: true });
        await new TextSendStream(stream).send("two\n");
      }
      expect(fs.readFileSync(path, "utf8")).toBe("one\ntwo\n");
      {
        await using stream = await FileWriteStream.fromPath(path);
        await stream.send(encoder.encode("replaced"));
      }
      expect(fs.readFileSync(path, "utf8")).toBe("replaced");
      expect(await caught(() => FileWriteStream.fromPath(path, { append: "yes" as never }))).toBeInstanceOf(TypeError);
      expect(await caught(() => FileWriteStream.fromPath(path, { appnd: true } as never))).toBeInstanceOf(TypeError);
    });
  });

  test("FileStreamAttribute: file, path and (where the runtime has one) fileno", async ({ backend }) => {
    await withTempDir(async (dir) => {
      const path = dir.join("f");
      fs.writeFileSync(path, "x");
      await using stream = await FileReadStream.fromPath(path);
      expect(stream.extra(FileStreamAttribute.path).toString()).toBe(path);
      const file = stream.extra(FileStreamAttribute.file);
      expect(file.mode).toBe("rb");
      if (backend === "deno") {
        expect(() => stream.extra(FileStreamAttribute.fileno)).toThrow(TypedAttributeLookupError);
      } else {
        const fd = stream.extra(FileStreamAttribute.fileno);
        expect(fs.fstatSync(fd).ino).toBe(fs.statSync(path).ino);
      }
      await using writer = await FileWriteStream.fromPath(dir.join("g"));
      expect(writer.extra(FileStreamAttribute.path).name).toBe("g");
    });
  });

  test("the constructors take only binary files open the right way", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("f");
      fs.writeFileSync(path, "x");
      await using text = await openFile(path, "r");
      expect(() => new FileReadStream(text as never)).toThrow(/binary mode/);
      await using readOnly = await openFile(path, "rb");
      expect(() => new FileWriteStream(readOnly)).toThrow(/open for writing/);
      await using writeOnly = await openFile(dir.join("g"), "wb");
      expect(() => new FileReadStream(writeOnly)).toThrow(/open for reading/);
      expect(() => new FileReadStream({} as never)).toThrow(TypeError);
      expect((await caught(() => FileReadStream.fromPath(dir.join("missing")))).code).toBe("ENOENT");
      // A+ binary files are both.
      await using both = await openFile(dir.join("h"), "a+b");
      await using reader = new FileReadStream(both);
      void reader;
    });
  });

  test("they compose with the stream layer: buffered, text and web streams", async () => {
    await withTempDir(async (dir) => {
      const path = dir.join("lines.txt");
      fs.writeFileSync(path, "header: é\r\nbody 1\nbody 2\n");
      {
        await using stream = await FileReadStream.fromPath(path);
        const buffered = new BufferedByteReceiveStream(stream);
        expect(decoder.decode(await buffered.receiveUntil(encoder.encode("\r\n"), 100))).toBe("header: é");
        expect(decoder.decode(await buffered.receiveExactly(7))).toBe("body 1\n");
      }
      {
        await using stream = await FileReadStream.fromPath(path);
        let text = "";
        for await (const piece of new TextReceiveStream(stream)) text += piece;
        expect(text).toBe("header: é\r\nbody 1\nbody 2\n");
      }
      const stream = await FileReadStream.fromPath(path);
      const readable = toReadableStream(stream);
      const chunks: Uint8Array[] = [];
      for await (const chunk of readable) chunks.push(chunk);
      expect(decoder.decode(Buffer.concat(chunks))).toBe("header: é\r\nbody 1\nbody 2\n");
    });
  });
});

describe("100 MiB through FileReadStream → FileWriteStream", () => {
  const SIZE = 100 * 1024 * 1024;
  let dir: ReturnType<typeof tempDir>;
  let sourceHash: string;

  beforeAll(() => {
    dir = tempDir();
    const hash = createHash("sha256");
    const descriptor = fs.openSync(dir.join("source.bin"), "w");
    try {
      for (let offset = 0, seed = 1; offset < SIZE; offset += 1 << 20, seed++) {
        const chunk = pseudoRandom(1 << 20, seed);
        hash.update(chunk);
        fs.writeSync(descriptor, chunk);
      }
    } finally {
      fs.closeSync(descriptor);
    }
    sourceHash = hash.digest("hex");
  }, 60_000);

  afterAll(() => dir?.remove());

  test("the copy has the same checksum", async ({ backend }) => {
    const target = dir.join(`copy-${backend}.bin`);
    {
      await using input = await FileReadStream.fromPath(dir.join("source.bin"));
      await using output = await FileWriteStream.fromPath(target);
      for await (const chunk of input) await output.send(chunk);
    }
    expect(fs.statSync(target).size).toBe(SIZE);
    const hash = createHash("sha256");
    const descriptor = fs.openSync(target, "r");
    try {
      const buffer = new Uint8Array(1 << 20);
      for (let count = fs.readSync(descriptor, buffer); count > 0; count = fs.readSync(descriptor, buffer)) {
        hash.update(buffer.subarray(0, count));
      }
    } finally {
      fs.closeSync(descriptor);
    }
    expect(hash.digest("hex")).toBe(sourceHash);
    fs.rmSync(target);
  }, 60_000);
});
