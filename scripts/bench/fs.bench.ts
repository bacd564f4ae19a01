/**
 * File benchmarks of issue 9: anyts (on the runtime's native backend) against the
 * runtime's own file API in the same process, on files in a temporary directory.
 *
 * - chunked read: a 256 MiB file in 64 KiB chunks (`AsyncFile.read(65536)`) against Node's
 *   `FileHandle.read`, Deno's `FsFile.read`, and on Bun node:fs `fs.read` and
 *   `Bun.file().stream()` (whose chunks are 512 KiB). Target ≤ 1.1×. On Deno and Bun also
 *   anyts on the node adapter, which the native backend must beat.
 * - line writes: 1,000,000 `write()`s of 20-byte lines against `fs.createWriteStream` (Node),
 *   `FsFile.writable` (Deno), `Bun.file().writer()` (Bun). Target ≤ 1.2×. And 50,000 lines
 *   against an unbuffered `FileHandle.write` / `FsFile.write` per line: target ≤ 0.1×.
 * - readline: a 100 MiB text file line by line, against node:readline over
 *   `createReadStream` and, on Deno, a `TextLineStream` (the algorithm of Deno's
 *   `@std/streams`, written here: the standard library is not a dependency). Target ≤ 1.2×.
 * - 10,000 `stat` calls and one `iterdir` over 10,000 entries, against the runtime's own
 *   calls (the streamed `opendir` on Node, `Deno.readDir`; on Bun `readdir`, which is what
 *   anyts uses there, Bun having no streamed listing). Target ≤ 1.2×.
 *
 * Run with `npm run bench -- --only node22 fs`, or one runtime with e.g.
 * `node --expose-gc scripts/bench/fs.bench.ts` (Node ≥ 22.18), `deno run -A ...`,
 * `bun scripts/bench/fs.bench.ts`.
 *
 * @module
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as readline from "node:readline";
import { type BackendName, detectRuntime, getAvailableBackends, openFile, Path, run } from "../../mod.ts";
import { compare } from "./harness.ts";

const runtime = detectRuntime();
const nativeBackend = getAvailableBackends()[0]!;
const CHUNK = 64 * 1024;
const BIG = 256 * 1024 * 1024;
const TEXT = 100 * 1024 * 1024;
const LINES = 1_000_000;
const UNBUFFERED_LINES = 50_000;
const ENTRIES = 10_000;
const LINE = "0123456789abcdefghi\n"; // 20 bytes

interface DenoFile {
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  close(): void;
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}
interface DenoNamespace {
  open(path: string, options?: { read?: boolean; write?: boolean; create?: boolean; truncate?: boolean }): Promise<DenoFile>;
  stat(path: string): Promise<unknown>;
  readDir(path: string): AsyncIterable<{ name: string }>;
}
interface BunNamespace {
  file(path: string): { stream(): ReadableStream<Uint8Array>; writer(): { write(data: string): number; end(): Promise<number> | number } };
}
const Deno = (globalThis as { Deno?: DenoNamespace }).Deno;
const Bun = (globalThis as { Bun?: BunNamespace }).Bun;

// ---------------------------------------------------------------- fixtures

const dir = fs.mkdtempSync(join(tmpdir(), "anyts-fs-bench-"));
const bigFile = join(dir, "big.bin");
const textFile = join(dir, "text.txt");
const entriesDir = join(dir, "entries");
const outFile = join(dir, "out.txt");

function makeFixtures(): void {
  const chunk = new Uint8Array(1 << 20);
  let x = 12345;
  for (let i = 0; i < chunk.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    chunk[i] = x >>> 24;
  }
  const big = fs.openSync(bigFile, "w");
  for (let written = 0; written < BIG; written += chunk.length) fs.writeSync(big, chunk);
  fs.closeSync(big);
  // Text: lines of 10 to 120 characters, some with a multibyte character.
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const length = 10 + ((i * 7919) % 110);
    lines.push(`${i % 13 === 0 ? "é" : ""}${"x".repeat(length)} ${i}\n`);
  }
  const block = lines.join("");
  const text = fs.openSync(textFile, "w");
  for (let written = 0; written < TEXT; written += Buffer.byteLength(block)) fs.writeSync(text, block);
  fs.closeSync(text);
  fs.mkdirSync(entriesDir);
  for (let i = 0; i < ENTRIES; i++) fs.writeFileSync(join(entriesDir, `entry-${i}`), "");
  // Write the fixtures back to the disk now, not while the cases are timed.
  for (const file of [bigFile, textFile]) {
    const descriptor = fs.openSync(file, "r");
    fs.fsyncSync(descriptor);
    fs.closeSync(descriptor);
  }
}

// ---------------------------------------------------------------- chunked read

function anytsRead(backend: BackendName): () => Promise<void> {
  return () =>
    run(async () => {
      const file = await openFile(bigFile, "rb");
      let total = 0;
      for (let chunk = await file.read(CHUNK); chunk.length > 0; chunk = await file.read(CHUNK)) total += chunk.length;
      await file.aclose();
      if (total !== BIG) throw new Error(`anyts read ${total} bytes`);
    }, { backend });
}

async function fileHandleRead(): Promise<void> {
  const handle = await fsp.open(bigFile, "r");
  let total = 0;
  for (;;) {
    const { bytesRead } = await handle.read(new Uint8Array(CHUNK), 0, CHUNK, null);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  await handle.close();
  if (total !== BIG) throw new Error(`FileHandle read ${total} bytes`);
}

async function callbackRead(): Promise<void> {
  const fd = await new Promise<number>((resolve, reject) => fs.open(bigFile, "r", (e, fd) => (e ? reject(e) : resolve(fd))));
  let total = 0;
  for (;;) {
    const count = await new Promise<number>((resolve, reject) =>
      fs.read(fd, new Uint8Array(CHUNK), 0, CHUNK, null, (e, n) => (e ? reject(e) : resolve(n)))
    );
    if (count === 0) break;
    total += count;
  }
  fs.closeSync(fd);
  if (total !== BIG) throw new Error(`fs.read read ${total} bytes`);
}

async function denoRead(): Promise<void> {
  const file = await Deno!.open(bigFile);
  let total = 0;
  for (;;) {
    const count = await file.read(new Uint8Array(CHUNK));
    if (count === null) break;
    total += count;
  }
  file.close();
  if (total !== BIG) throw new Error(`FsFile read ${total} bytes`);
}

async function bunStreamRead(): Promise<void> {
  let total = 0;
  for await (const chunk of Bun!.file(bigFile).stream()) total += chunk.length;
  if (total !== BIG) throw new Error(`Bun.file().stream() read ${total} bytes`);
}

// ---------------------------------------------------------------- line writes

function anytsWrite(lines: number): () => Promise<void> {
  return () =>
    run(async () => {
      const file = await openFile(outFile, "w");
      for (let i = 0; i < lines; i++) await file.write(LINE);
      await file.aclose();
    }, { backend: nativeBackend });
}

async function writeStream(): Promise<void> {
  const stream = fs.createWriteStream(outFile);
  for (let i = 0; i < LINES; i++) if (!stream.write(LINE)) await once(stream, "drain");
  stream.end();
  await once(stream, "finish");
}

async function denoWritable(): Promise<void> {
  const file = await Deno!.open(outFile, { write: true, create: true, truncate: true });
  const writer = file.writable.getWriter();
  const encoder = new TextEncoder();
  for (let i = 0; i < LINES; i++) {
    await writer.ready;
    void writer.write(encoder.encode(LINE));
  }
  await writer.close();
}

async function bunWriter(): Promise<void> {
  const writer = Bun!.file(outFile).writer();
  for (let i = 0; i < LINES; i++) writer.write(LINE);
  await writer.end();
}

async function unbufferedWrites(): Promise<void> {
  const bytes = new TextEncoder().encode(LINE);
  if (runtime === "deno") {
    const file = await Deno!.open(outFile, { write: true, create: true, truncate: true });
    for (let i = 0; i < UNBUFFERED_LINES; i++) await file.write(bytes);
    file.close();
    return;
  }
  const handle = await fsp.open(outFile, "w");
  for (let i = 0; i < UNBUFFERED_LINES; i++) await handle.write(bytes);
  await handle.close();
}

// ---------------------------------------------------------------- readline

async function anytsReadline(): Promise<void> {
  await run(async () => {
    // (Node 22 has no `await using`: aclose by hand.)
    const file = await openFile(textFile);
    let count = 0;
    for await (const line of file) count += line.length > 0 ? 1 : 0;
    await file.aclose();
    if (count === 0) throw new Error("no lines");
  }, { backend: nativeBackend });
}

async function nodeReadline(): Promise<void> {
  const lines = readline.createInterface({ input: fs.createReadStream(textFile), crlfDelay: Infinity });
  let count = 0;
  for await (const line of lines) count += line.length >= 0 ? 1 : 0;
  if (count === 0) throw new Error("no lines");
}

/** Deno's `@std/streams` `TextLineStream`, in essence: split at "\n" (and "\r\n"). */
class TextLineStream extends TransformStream<string, string> {
  constructor() {
    let rest = "";
    super({
      transform(chunk, controller) {
        const text = rest + chunk;
        let start = 0;
        for (;;) {
          const end = text.indexOf("\n", start);
          if (end === -1) break;
          controller.enqueue(text.slice(start, end > start && text[end - 1] === "\r" ? end - 1 : end));
          start = end + 1;
        }
        rest = text.slice(start);
      },
      flush(controller) {
        if (rest !== "") controller.enqueue(rest);
      },
    });
  }
}

async function denoTextLineStream(): Promise<void> {
  const file = await Deno!.open(textFile);
  let count = 0;
  for await (const line of file.readable.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream())) {
    count += line.length >= 0 ? 1 : 0;
  }
  if (count === 0) throw new Error("no lines");
}

// ---------------------------------------------------------------- stat and iterdir

const entryNames = Array.from({ length: ENTRIES }, (_, i) => join(entriesDir, `entry-${i}`));
const entryPaths = entryNames.map((name) => new Path(name));

async function anytsStats(): Promise<void> {
  await run(async () => {
    for (const path of entryPaths) await path.stat();
  }, { backend: nativeBackend });
}

async function nativeStats(): Promise<void> {
  if (runtime === "deno") for (const name of entryNames) await Deno!.stat(name);
  else for (const name of entryNames) await fsp.stat(name);
}

async function anytsIterdir(): Promise<void> {
  await run(async () => {
    let count = 0;
    for await (const entry of new Path(entriesDir).iterdir()) count += entry.name.length > 0 ? 1 : 0;
    if (count !== ENTRIES) throw new Error(`iterdir: ${count} entries`);
  }, { backend: nativeBackend });
}

async function nativeListing(): Promise<void> {
  let count = 0;
  if (runtime === "deno") for await (const entry of Deno!.readDir(entriesDir)) count += entry.name.length > 0 ? 1 : 0;
  else if (runtime === "bun") count = (await fsp.readdir(entriesDir, { withFileTypes: true })).length;
  else for await (const entry of await fsp.opendir(entriesDir, { bufferSize: 256 })) count += entry.name.length > 0 ? 1 : 0;
  if (count !== ENTRIES) throw new Error(`listing: ${count} entries`);
}

async function readdirWhole(): Promise<void> {
  const count = (await fsp.readdir(entriesDir, { withFileTypes: true })).length;
  if (count !== ENTRIES) throw new Error(`readdir: ${count} entries`);
}

// ---------------------------------------------------------------- the cases

try {
  makeFixtures();

  const read: Record<string, () => Promise<void>> = { anyts: anytsRead(nativeBackend) };
  if (runtime === "deno") Object.assign(read, { "FsFile.read": denoRead });
  else if (runtime === "bun") Object.assign(read, { "node:fs fs.read": callbackRead, "Bun.file().stream()": bunStreamRead });
  else Object.assign(read, { "FileHandle.read": fileHandleRead });
  if (runtime !== "node") Object.assign(read, { "anyts on node": anytsRead("node") });
  await compare("fs read 256 MiB in 64 KiB chunks", read, { target: 1.1, runs: 5 });

  const baselineWrite = runtime === "deno" ? denoWritable : runtime === "bun" ? bunWriter : writeStream;
  const writeName = runtime === "deno" ? "FsFile.writable" : runtime === "bun" ? "Bun.file().writer()" : "createWriteStream";
  await compare("fs write 1M lines of 20 bytes", { anyts: anytsWrite(LINES), [writeName]: baselineWrite }, { target: 1.2, runs: 5 });
  await compare(
    "fs write 50k lines, against unbuffered writes",
    { anyts: anytsWrite(UNBUFFERED_LINES), [runtime === "deno" ? "FsFile.write per line" : "FileHandle.write per line"]: unbufferedWrites },
    { target: 0.1, runs: 3, warmup: 1 },
  );

  const lines: Record<string, () => Promise<void>> = { anyts: anytsReadline };
  if (runtime === "deno") Object.assign(lines, { TextLineStream: denoTextLineStream });
  Object.assign(lines, { "node:readline": nodeReadline });
  await compare("fs readline over 100 MiB of text", lines, { target: 1.2, runs: 5 });

  await compare("fs 10,000 stat calls", { anyts: anytsStats, [runtime === "deno" ? "Deno.stat" : "fs.promises.stat"]: nativeStats }, {
    target: 1.2,
  });
  const listing: Record<string, () => Promise<void>> = {
    anyts: anytsIterdir,
    [runtime === "deno" ? "Deno.readDir" : runtime === "bun" ? "readdir" : "opendir"]: nativeListing,
  };
  if (runtime === "node") Object.assign(listing, { "readdir (whole)": readdirWhole });
  await compare("fs iterdir over 10,000 entries", listing, { target: 1.2 });
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
