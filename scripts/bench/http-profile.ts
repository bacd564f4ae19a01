/**
 * Where the anyts HTTP server (examples/http-server.ts) spends its time per request: runs
 * it in this process on the native backend and drives it with wrk (a child process), after
 * a warm-up, then prints what happened per request.
 *
 *   node --cpu-prof --cpu-prof-dir=.tmp/prof scripts/bench/http-profile.ts [--timeout ms]
 *   deno run -A --v8-flags=--prof scripts/bench/http-profile.ts [--count]
 *   options: --timeout ms (the per-request moveOnAfter; none by default), -c 100, -d 10,
 *            --tls default|fast (HTTPS; fast: `standardCompatible: false`), --count,
 *            --raw (the runtime's raw server of http-raw-*.ts instead, for comparison) (count calls, see below: costs time, so profile without it)
 *
 * Always printed: requests, requests/s, the server's CPU per request (process.cpuUsage) and,
 * where the runtime tells, heap bytes allocated per request (Deno: V8's
 * `total_allocated_bytes`; Node: the sum of the growth between collections seen by
 * `v8.GCProfiler`). With `--count`, also per request: `AsyncLocalStorage.run` calls
 * (context switches), `CancelScope.run` (scope entries), `SocketStream` / `TLSStream`
 * receive and send calls, `BufferedByteReceiveStream` calls, timers set and cleared,
 * `queueMicrotask`, and on Node every async resource created, by type (`PROMISE` is every
 * promise, from async_hooks).
 * Summarise a Node .cpuprofile with `node scripts/bench/cpuprofile-summary.mjs FILE`.
 *
 * @module
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import * as v8 from "node:v8";

function argument(name: string, fallback?: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const timeout = argument("--timeout") === undefined ? null : Number(argument("--timeout"));
const connections = Number(argument("-c", "100"));
const duration = Number(argument("-d", "10"));
const counting = process.argv.includes("--count");
const tlsMode = argument("--tls");

/** A self-signed P-256 certificate for 127.0.0.1 (wrk does not verify). */
function certificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "anyts-http-profile-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "key.pem",
      "-out", "cert.pem", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"], { cwd: dir, stdio: "ignore" });
    return { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const tls = tlsMode === undefined ? undefined : { ...certificate(), standardCompatible: tlsMode !== "fast" };
const isNode = (globalThis as { Deno?: unknown }).Deno === undefined && (globalThis as { Bun?: unknown }).Bun === undefined;

// ---------------------------------------------------------------- counters

const counts = new Map<string, number>();
function count(name: string): void {
  counts.set(name, (counts.get(name) ?? 0) + 1);
}

/** Replaces `target[method]` with a counting wrapper. */
function countCalls(target: object, method: string, name: string): void {
  const holder = target as Record<string, unknown>;
  const original = holder[method] as (...args: unknown[]) => unknown;
  if (typeof original !== "function") return;
  holder[method] = function (this: unknown, ...args: unknown[]) {
    count(name);
    return original.apply(this, args);
  };
}

if (counting) {
  // Before anyts loads, so that a backend binding the timers binds the counting ones.
  countCalls(globalThis, "setTimeout", "setTimeout");
  countCalls(globalThis, "clearTimeout", "clearTimeout");
  countCalls(globalThis, "setImmediate", "setImmediate");
  countCalls(globalThis, "queueMicrotask", "queueMicrotask");
  const hooks = await import("node:async_hooks");
  countCalls(hooks.AsyncLocalStorage.prototype, "run", "AsyncLocalStorage.run");
  countCalls(hooks.AsyncLocalStorage.prototype, "enterWith", "AsyncLocalStorage.enterWith");
  if (isNode) hooks.createHook({ init: (_id: number, type: string) => count(`async resource ${type}`) }).enable();
  if (isNode) {
    const net = await import("node:net");
    countCalls(net.Socket.prototype, "write", "net.Socket#write");
  }
}

const anyts = await import("../../mod.ts");
const { startHttpServer } = await import("../../examples/http-server.ts");
if (counting) {
  countCalls(anyts.CancelScope.prototype, "run", "CancelScope.run");
  countCalls(anyts.SocketStream.prototype, "receive", "SocketStream#receive");
  countCalls(anyts.SocketStream.prototype, "send", "SocketStream#send");
  countCalls(anyts.TLSStream.prototype, "receive", "TLSStream#receive");
  countCalls(anyts.TLSStream.prototype, "send", "TLSStream#send");
  countCalls(anyts.BufferedByteReceiveStream.prototype, "receiveUntil", "BufferedByteReceiveStream#receiveUntil");
  countCalls(anyts.BufferedByteReceiveStream.prototype, "receiveExactly", "BufferedByteReceiveStream#receiveExactly");
}

// ---------------------------------------------------------------- allocation

interface GcStatistics {
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}
type GcProfiler = { start(): void; stop(): { statistics: GcStatistics[] } | undefined };

/** Measures heap bytes allocated between start() and stop(), where the runtime can tell. */
function allocationMeter(): { start(): void; stop(): number | undefined } {
  const total = () => (v8.getHeapStatistics() as { total_allocated_bytes?: number }).total_allocated_bytes;
  if (total() !== undefined) {
    let begin = 0;
    return { start: () => void (begin = total()!), stop: () => total()! - begin };
  }
  const Profiler = (v8 as unknown as { GCProfiler?: new () => GcProfiler }).GCProfiler;
  if (Profiler === undefined) return { start() {}, stop: () => undefined };
  let profiler: GcProfiler;
  let used = 0;
  return {
    start() {
      profiler = new Profiler();
      used = v8.getHeapStatistics().used_heap_size;
      profiler.start();
    },
    stop() {
      const end = v8.getHeapStatistics().used_heap_size;
      const data = profiler.stop();
      let allocated = 0;
      let after = used;
      for (const gc of data?.statistics ?? []) {
        allocated += gc.beforeGC.heapStatistics.usedHeapSize - after;
        after = gc.afterGC.heapStatistics.usedHeapSize;
      }
      return allocated + end - after;
    },
  };
}

// ---------------------------------------------------------------- the run

function wrk(port: number, seconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", ["-t2", `-c${connections}`, `-d${seconds}s`, `${tls ? "https" : "http"}://127.0.0.1:${port}/`], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => (out += chunk));
    child.on("error", reject);
    child.on("exit", () => resolve(out));
  });
}

const meter = allocationMeter();
const wrkRequests = (report: string) => Number(/(\d+) requests in/.exec(report)?.[1] ?? NaN);

/** Warm-up, then the measured wrk run against `port`; prints the numbers. */
async function measure(port: number, label: string): Promise<void> {
  const warmup = wrkRequests(await wrk(port, 2));
  const before = new Map(counts);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  meter.start();
  const report = await wrk(port, duration);
  const allocated = meter.stop();
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  const requests = wrkRequests(report);
  console.log(`${label}, requestTimeout ${timeout ?? "none"}, TLS ${tlsMode ?? "none"}, wrk -c${connections} -d${duration}s`);
  console.log(`requests ${requests}, ${(requests / seconds).toFixed(0)} req/s, CPU ${(((cpu.user + cpu.system) / requests)).toFixed(1)} µs/request` +
    (allocated === undefined ? "" : `, heap allocated ${(allocated / requests).toFixed(0)} bytes/request`));
  console.log(`requests including the warm-up (for cpuprofile-summary.mjs --requests): ${warmup + requests}`);
  if (/Non-2xx|Socket errors/.test(report)) console.log(`wrk reported errors:\n${report}`);
  if (counting) {
    console.log("per request:");
    const rows = [...counts].map(([name, n]) => [name, (n - (before.get(name) ?? 0)) / requests] as const).filter(([, n]) => n >= 0.01);
    for (const [name, n] of rows.sort((a, b) => b[1] - a[1])) console.log(`  ${n.toFixed(2).padStart(7)}  ${name}`);
  }
}

if (process.argv.includes("--raw")) {
  // The raw server of the runtime, for comparison (the anyts counters stay at zero).
  const options = { host: "127.0.0.1", port: 0, requestTimeout: timeout, tls };
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  const server = g.Deno !== undefined
    ? (await import("./http-raw-deno.ts")).startDenoRawServer(options)
    : g.Bun !== undefined
    ? (await import("./http-raw-bun.ts")).startBunRawServer(options)
    : await (await import("./http-raw-node.ts")).startNodeRawServer(options);
  await measure(server.port, `${anyts.detectRuntime()} raw server`);
} else {
  await anyts.run(() =>
    anyts.taskGroup(async (tg) => {
      const server = await startHttpServer(tg, { requestTimeout: timeout, ...(tls === undefined ? {} : { tls }) });
      await measure(server.port, `${anyts.detectRuntime()} anyts, ${anyts.currentBackend()} backend`);
      tg.cancelScope.cancel();
    })
  );
}
process.exit(0); // --cpu-prof writes its profile now
