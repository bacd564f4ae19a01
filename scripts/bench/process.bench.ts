/**
 * Process benchmarks of issue 10: anyts (on the runtime's native backend) against the
 * runtime's own process API in the same process.
 *
 * - spawn and reap `/bin/true` 500 times, one after the other and 20 at a time (stdio
 *   ignored on every side). Candidates: `anyts`; `native` (child_process.spawn on Node,
 *   Deno.Command(...).spawn() on Deno, Bun.spawn on Bun); on Deno and Bun also
 *   `node:child_process` (their compatibility layer), which the native backend should
 *   beat. Target ≤ 1.1× native.
 * - 256 MiB through `cat` (stdin → stdout) in 64 KiB chunks, written and read
 *   concurrently with backpressure on both sides. Target ≤ 1.1× native.
 * - `runProcess(["echo", "hi"])` 100 times against execa's `execa("echo", ["hi"])` (Node and
 *   Bun): anyts should be faster (target ≤ 1×).
 *
 * Run with `npm run bench -- --only <runtime> process`, or one runtime with e.g.
 * `node --expose-gc scripts/bench/process.bench.ts` (Node ≥ 22.18), `deno run -A ...`,
 * `bun scripts/bench/process.bench.ts`.
 *
 * @module
 */
import * as childProcess from "node:child_process";
import {
  detectRuntime,
  EndOfStream,
  getAvailableBackends,
  openProcess,
  type ProcessReceiveStream,
  run,
  runProcess,
  taskGroup,
} from "../../mod.ts";
import { compare } from "./harness.ts";

const SPAWNS = 500;
const CONCURRENCY = 20;
const CAT_SIZE = 256 * 1024 * 1024;
const CHUNK = 64 * 1024;
const ECHOES = 100;

const runtime = detectRuntime();
const nativeBackend = getAvailableBackends()[0]!;
const quiet = { stdin: "ignore", stdout: "ignore", stderr: "ignore" } as const;

/** Runs `spawnOnce` SPAWNS times, `concurrency` at a time, with plain promises. */
async function rawPool(concurrency: number, spawnOnce: () => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < SPAWNS) {
      next++;
      await spawnOnce();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

// ---------------------------------------------------------------- anyts

async function anytsTrueOnce(): Promise<void> {
  // No `await using` in the benchmarks: Node 22 strips types but cannot parse it.
  const child = await openProcess(["/bin/true"], quiet);
  const returncode = await child.wait();
  if (returncode !== 0) throw new Error(`/bin/true exited with ${returncode}`);
}

function anytsSpawns(concurrency: number): Promise<void> {
  return run(async () => {
    let next = 0;
    await taskGroup(async (tg) => {
      for (let i = 0; i < concurrency; i++) {
        tg.startSoon(async () => {
          while (next < SPAWNS) {
            next++;
            await anytsTrueOnce();
          }
        });
      }
    });
  }, { backend: nativeBackend });
}

async function countAll(stream: ProcessReceiveStream): Promise<number> {
  let total = 0;
  try {
    for (;;) total += (await stream.receive(CHUNK)).length;
  } catch (error) {
    if (!(error instanceof EndOfStream)) throw error;
  }
  return total;
}

function anytsCat(): Promise<void> {
  return run(async () => {
    const cat = await openProcess(["cat"], { stderr: "ignore" });
    const chunk = new Uint8Array(CHUNK);
    let received = 0;
    try {
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          for (let sent = 0; sent < CAT_SIZE; sent += CHUNK) await cat.stdin!.send(chunk);
          await cat.stdin!.sendEof();
        });
        received = await countAll(cat.stdout!);
      });
    } finally {
      await cat.aclose();
    }
    if (received !== CAT_SIZE) throw new Error(`anyts: received ${received} of ${CAT_SIZE} bytes`);
  }, { backend: nativeBackend });
}

function anytsEchoes(): Promise<void> {
  return run(async () => {
    for (let i = 0; i < ECHOES; i++) await runProcess(["echo", "hi"]);
  }, { backend: nativeBackend });
}

// ---------------------------------------------------------------- node:child_process

function nodeTrueOnce(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = childProcess.spawn("/bin/true", [], { stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", () => resolve());
  });
}

function nodeCat(): Promise<void> {
  return new Promise((resolve, reject) => {
    const cat = childProcess.spawn("cat", [], { stdio: ["pipe", "pipe", "ignore"] });
    const chunk = new Uint8Array(CHUNK);
    let received = 0;
    let sent = 0;
    cat.once("error", reject);
    cat.stdout!.on("data", (data: Uint8Array) => (received += data.length));
    cat.once("close", () => {
      if (received !== CAT_SIZE) reject(new Error(`node:child_process: received ${received} of ${CAT_SIZE} bytes`));
      else resolve();
    });
    const write = () => {
      while (sent < CAT_SIZE) {
        sent += CHUNK;
        if (!cat.stdin!.write(chunk)) {
          cat.stdin!.once("drain", write);
          return;
        }
      }
      cat.stdin!.end();
    };
    write();
  });
}

// ---------------------------------------------------------------- Deno.Command

interface DenoChild {
  stdin: WritableStream<Uint8Array>;
  stdout: ReadableStream<Uint8Array>;
  status: Promise<{ code: number }>;
}
interface DenoCommandApi {
  Command: new (command: string, options: Record<string, unknown>) => { spawn(): DenoChild };
}
const Deno = (globalThis as { Deno?: DenoCommandApi }).Deno;

async function denoTrueOnce(): Promise<void> {
  const child = new Deno!.Command("/bin/true", { stdin: "null", stdout: "null", stderr: "null" }).spawn();
  await child.status;
}

async function denoCat(): Promise<void> {
  const cat = new Deno!.Command("cat", { stdin: "piped", stdout: "piped", stderr: "null" }).spawn();
  const chunk = new Uint8Array(CHUNK);
  const writing = (async () => {
    const writer = cat.stdin.getWriter();
    for (let sent = 0; sent < CAT_SIZE; sent += CHUNK) await writer.write(chunk);
    await writer.close();
  })();
  let received = 0;
  for await (const data of cat.stdout) received += data.length;
  await writing;
  await cat.status;
  if (received !== CAT_SIZE) throw new Error(`Deno.Command: received ${received} of ${CAT_SIZE} bytes`);
}

// ---------------------------------------------------------------- Bun.spawn

interface BunChild {
  stdin: { write(data: Uint8Array): number | Promise<number>; end(): number | Promise<number> };
  stdout: ReadableStream<Uint8Array>;
  exited: Promise<number>;
}
interface BunSpawnApi {
  spawn(argv: string[], options: Record<string, unknown>): BunChild;
}
const Bun = (globalThis as { Bun?: BunSpawnApi }).Bun;

async function bunTrueOnce(): Promise<void> {
  await Bun!.spawn(["/bin/true"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" }).exited;
}

async function bunCat(): Promise<void> {
  const cat = Bun!.spawn(["cat"], { stdin: "pipe", stdout: "pipe", stderr: "ignore" });
  const chunk = new Uint8Array(CHUNK);
  const writing = (async () => {
    for (let sent = 0; sent < CAT_SIZE; sent += CHUNK) {
      const written = cat.stdin.write(chunk);
      if (typeof written !== "number") await written;
    }
    await cat.stdin.end();
  })();
  let received = 0;
  for await (const data of cat.stdout) received += data.length;
  await writing;
  await cat.exited;
  if (received !== CAT_SIZE) throw new Error(`Bun.spawn: received ${received} of ${CAT_SIZE} bytes`);
}

// ---------------------------------------------------------------- the cases

const nativeTrueOnce = runtime === "deno" ? denoTrueOnce : runtime === "bun" ? bunTrueOnce : nodeTrueOnce;
const nativeCat = runtime === "deno" ? denoCat : runtime === "bun" ? bunCat : nodeCat;
const nativeLabel = runtime === "deno" ? "Deno.Command" : runtime === "bun" ? "Bun.spawn" : "child_process";
const compatibility = runtime === "deno" || runtime === "bun";

for (const concurrency of [1, CONCURRENCY]) {
  const candidates: Record<string, () => Promise<void>> = {
    anyts: () => anytsSpawns(concurrency),
    [nativeLabel]: () => rawPool(concurrency, nativeTrueOnce),
  };
  if (compatibility) candidates["node:child_process"] = () => rawPool(concurrency, nodeTrueOnce);
  await compare(
    `process a: spawn+reap /bin/true ×${SPAWNS}${concurrency === 1 ? " sequentially" : `, ${concurrency} at a time`}`,
    candidates,
    { runs: 3, warmup: 1, target: 1.1 },
  );
}

{
  const candidates: Record<string, () => Promise<void>> = { anyts: anytsCat, [nativeLabel]: nativeCat };
  if (compatibility) candidates["node:child_process"] = nodeCat;
  await compare("process b: 256 MiB through cat, 64 KiB chunks", candidates, { runs: 3, warmup: 1, target: 1.1 });
}

if (runtime === "node" || runtime === "bun") {
  const { execa } = await import("execa");
  await compare(
    `process c: runProcess(["echo","hi"]) ×${ECHOES}`,
    {
      anyts: anytsEchoes,
      execa: async () => {
        for (let i = 0; i < ECHOES; i++) await execa("echo", ["hi"]);
      },
    },
    { runs: 3, warmup: 1, target: 1 },
  );
}
