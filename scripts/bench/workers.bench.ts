/**
 * The workers benchmarks of issue 11, each in one process:
 *
 * (a) 10,000 trivial `toWorker.run` calls (an echo of a small object), 1 and 8 at a time,
 *     against piscina 5 and tinypool 2 (Node and Bun) and against the floor: a hand-written
 *     postMessage round trip on one raw node:worker_threads worker (ids matched by hand,
 *     the same object). anyts uses its default limiter (availableParallelism() tokens);
 *     piscina and tinypool their default thread counts. Targets: ≤ 1.5× the floor, faster
 *     than both pools.
 * (b) 1,000 `BlockingPortal.call` round trips against synckit's `createSyncFn` (Node and
 *     Bun; both block the caller with Atomics.wait and read the answer with
 *     receiveMessageOnPort). Target: at least as fast (≤ 1×).
 * (c) 1,000 `toProcess.run` echo calls, one at a time, against a raw child process of the
 *     same runtime with the same framing (its IPC channel with v8 serialization: Bun.spawn
 *     on Bun, node:child_process elsewhere). Target: ≤ 1.3×.
 *
 * Run with `npm run bench -- workers` (all runtimes) or `--only node24 workers`.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { detectRuntime, startBlockingPortal, toProcess, toWorker } from "../../mod.ts";
import { compare } from "./harness.ts";

// The fixtures are plain .mjs files next to this one (the Node 20 run executes a compiled
// copy elsewhere, so they are found from the repository root, the runner's cwd).
const fixtures = join(process.cwd(), "scripts", "bench", "workers-fixtures");
const echoModule = pathToFileURL(join(fixtures, "echo.mjs"));
const runtime = detectRuntime();
const poolsRunHere = runtime === "node" || runtime === "bun";
const message = { id: 1, name: "echo", values: [1, 2, 3] };

async function inFlight(total: number, concurrency: number, call: () => Promise<unknown>): Promise<void> {
  let started = 0;
  const lane = async () => {
    while (started < total) {
      started++;
      await call();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

// ---------------------------------------------------------------- (a) toWorker.run

/** One raw worker answering `[id, value]` with `[id, value]`: the floor. */
function rawWorker(): { call(value: unknown): Promise<unknown>; close(): Promise<number> } {
  const worker = new Worker(`require("node:worker_threads").parentPort.on("message", (m) => require("node:worker_threads").parentPort.postMessage(m));`, {
    eval: true,
  });
  const pending = new Map<number, (value: unknown) => void>();
  let lastId = 0;
  worker.on("message", (reply: [number, unknown]) => {
    const resolve = pending.get(reply[0])!;
    pending.delete(reply[0]);
    resolve(reply[1]);
  });
  return {
    call(value) {
      const id = ++lastId;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        worker.postMessage([id, value]);
      });
    },
    close: () => worker.terminate(),
  };
}

const CALLS = 10_000;
const raw = rawWorker();
const pools: { piscina?: { run(value: unknown): Promise<unknown>; destroy(): Promise<void> }; tinypool?: { run(value: unknown): Promise<unknown>; destroy(): Promise<void> } } = {};
if (poolsRunHere) {
  const { Piscina } = await import("piscina");
  const { Tinypool } = await import("tinypool");
  pools.piscina = new Piscina({ filename: echoModule.href }) as never;
  pools.tinypool = new Tinypool({ filename: echoModule.href }) as never;
}

for (const concurrency of [1, 8]) {
  const candidates: Record<string, () => Promise<void>> = {
    anyts: () => inFlight(CALLS, concurrency, () => toWorker.run(echoModule, "echo", [message])),
    raw: () => inFlight(CALLS, concurrency, () => raw.call(message)),
  };
  if (pools.piscina) candidates.piscina = () => inFlight(CALLS, concurrency, () => pools.piscina!.run(message));
  if (pools.tinypool) candidates.tinypool = () => inFlight(CALLS, concurrency, () => pools.tinypool!.run(message));
  await compare(`workers a: 10k toWorker.run, ${concurrency} at a time`, candidates, { baseline: "raw", runs: 5, warmup: 1, target: 1.5 });
}
await raw.close();
await pools.piscina?.destroy();
await pools.tinypool?.destroy();

// ---------------------------------------------------------------- (b) BlockingPortal.call

const PORTAL_CALLS = 1_000;
if (poolsRunHere) {
  const { createSyncFn } = await import("synckit");
  const syncEcho = createSyncFn(join(fixtures, "echo-synckit.mjs")) as (value: unknown) => unknown;
  syncEcho(message); // starts synckit's worker
  const portal = startBlockingPortal();
  await compare(
    "workers b: 1k BlockingPortal.call",
    {
      anyts: async () => {
        for (let i = 0; i < PORTAL_CALLS; i++) portal.call(echoModule, "echo", message);
      },
      synckit: async () => {
        for (let i = 0; i < PORTAL_CALLS; i++) syncEcho(message);
      },
    },
    { runs: 7, target: 1 },
  );
  portal.close();
} else {
  console.log(`workers b: synckit runs on Node and Bun only; skipped on ${runtime}`);
}

// ---------------------------------------------------------------- (c) toProcess.run

/** A raw child of this runtime echoing over the same IPC channel (v8 serialization). */
function rawChild(): { call(value: unknown): Promise<unknown>; close(): void } {
  const code = `process.on("message", (m) => process.send(m)); process.on("disconnect", () => process.exit(0));`;
  let resolveNext: ((value: unknown) => void) | undefined;
  const onReply = (reply: unknown) => {
    const resolve = resolveNext!;
    resolveNext = undefined;
    resolve((reply as [number, unknown])[1]);
  };
  let send: (value: unknown) => void;
  let close: () => void;
  if (runtime === "bun") {
    const bun = (globalThis as unknown as {
      Bun: { spawn(options: unknown): { send(m: unknown): void; kill(): void } };
    }).Bun;
    const child = bun.spawn({ cmd: [process.execPath, "-e", code], stdio: ["ignore", "inherit", "inherit"], serialization: "advanced", ipc: onReply });
    send = (value) => child.send(value);
    close = () => child.kill();
  } else {
    const args = runtime === "deno" ? ["eval", code] : ["-e", code];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" });
    child.on("message", onReply);
    send = (value) => child.send(value as never);
    close = () => child.kill();
  }
  let lastId = 0;
  return {
    call: (value) =>
      new Promise((resolve) => {
        resolveNext = resolve;
        send([++lastId, value]);
      }),
    close,
  };
}

const PROCESS_CALLS = 1_000;
const child = rawChild();
await child.call(message);
await toProcess.run(echoModule, "echo", [message]);
await compare(
  "workers c: 1k toProcess.run echo",
  {
    anyts: async () => {
      for (let i = 0; i < PROCESS_CALLS; i++) await toProcess.run(echoModule, "echo", [message]);
    },
    raw: async () => {
      for (let i = 0; i < PROCESS_CALLS; i++) await child.call(message);
    },
  },
  { runs: 5, warmup: 1, target: 1.3 },
);
child.close();
