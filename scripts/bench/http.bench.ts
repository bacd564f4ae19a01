/**
 * HTTP server benchmarks of issue 13: examples/http-server.ts (anyts, native backend)
 * against the same server on the runtime's raw API (http-raw-node.ts: node:net/node:tls;
 * http-raw-deno.ts: Deno.listen/listenTls; http-raw-bun.ts: Bun.listen), under `wrk`.
 *
 * Each server runs in a child process of the runtime under test (http-serve.ts), so wrk,
 * the client and the server never share a process; the two candidates of a case run back
 * to back, and the order alternates from one pair to the next (anyts first, then raw
 * first, …). Every server is warmed up (`ANYTS_HTTP_WARMUP` s of wrk) before it is measured.
 *
 * Cases (variants × connection counts), each `wrk -t2 -cC -dDs` against `GET /`:
 * - `plain`: no per-request timeout on either side; on Node also `floor` (http-floor-node.ts:
 *   the raw server pulling a promise per chunk inside an async context per connection — the
 *   cost of a promise-based API itself, no anyts code) against the raw server;
 * - `tls` (anyts's default TLS, the engine) and `tls-fast` (`standardCompatible: false`,
 *   the runtime's native TLS where the backend has it) against the raw TLS server;
 * - `timeout`: a per-request `moveOnAfter` (anyts) against a per-connection timer re-armed
 *   per request (raw), plus anyts without the timeout: the cost of `moveOnAfter` itself.
 * Printed per case: requests/s, p99 latency and server CPU per request (user+sys from
 * /proc/<pid>/stat around the wrk run ÷ wrk's request count), each anyts ÷ raw; a run in
 * which wrk saw errors (a status ≥ 400 — wrk's own non-2xx count, the servers send no 1xx or
 * 3xx —, a socket error or a timeout) says so on its line and in the final list.
 * - `idle`: `ANYTS_HTTP_IDLE` (10,000) keep-alive connections opened by
 *   http-idle-client.mjs (a Node process; at most `ANYTS_HTTP_OPEN_WINDOW` unanswered at a
 *   time), each answered once, then idle: the time to open them all and the server's RSS
 *   (/proc/<pid>/status, after a GC) with them open, anyts ÷ raw.
 *
 * Without `wrk` on PATH the wrk cases are skipped with how to install it; without `openssl`
 * the TLS ones. Environment (for quick checks): ANYTS_HTTP_DURATION (s, 10),
 * ANYTS_HTTP_CONNECTIONS (100,1000), ANYTS_HTTP_THREADS (2), ANYTS_HTTP_WARMUP (s, 2),
 * ANYTS_HTTP_ROUNDS (1: pairs per case; medians over rounds), ANYTS_HTTP_VARIANTS
 * (plain,tls,tls-fast,timeout,idle), ANYTS_HTTP_TIMEOUT (ms of the timeout variant, 30000),
 * ANYTS_HTTP_IDLE (10000), ANYTS_HTTP_OPEN_WINDOW (200), ANYTS_HTTP_WRK (the wrk binary, `wrk`). With the defaults the whole file
 * takes about four minutes per runtime.
 *
 * Run with `npm run bench -- http` (`--only deno`), or e.g.
 * `ANYTS_HTTP_DURATION=2 ANYTS_HTTP_VARIANTS=plain deno run -A scripts/bench/http.bench.ts`.
 *
 * @module
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type CompareResult, runtimeLabel } from "./harness.ts";
import { HTTP_SERVE_SCRIPT } from "./http-serve.ts";

// ---------------------------------------------------------------- configuration

function envNumber(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return n;
}

function envList(name: string, fallback: string[]): string[] {
  const value = process.env[name];
  if (value === undefined || value === "") return fallback;
  return value.split(",").map((s) => s.trim()).filter(Boolean);
}

const DURATION = envNumber("ANYTS_HTTP_DURATION", 10);
const CONNECTIONS = envList("ANYTS_HTTP_CONNECTIONS", ["100", "1000"]).map(Number);
const THREADS = envNumber("ANYTS_HTTP_THREADS", 2);
const WARMUP = envNumber("ANYTS_HTTP_WARMUP", 2);
const ROUNDS = Math.max(1, envNumber("ANYTS_HTTP_ROUNDS", 1));
const VARIANTS = envList("ANYTS_HTTP_VARIANTS", ["plain", "tls", "tls-fast", "timeout", "idle"]);
const TIMEOUT = envNumber("ANYTS_HTTP_TIMEOUT", 30_000);
const IDLE = envNumber("ANYTS_HTTP_IDLE", 10_000);
const OPEN_WINDOW = envNumber("ANYTS_HTTP_OPEN_WINDOW", 200);
const WRK = process.env.ANYTS_HTTP_WRK || "wrk";
const ONLY = process.env.ANYTS_BENCH_ONLY ?? "";
const RESULTS = process.env.ANYTS_BENCH_RESULTS ?? "";
const runtime = runtimeLabel();
/** Node has the pull-model floor server (http-floor-node.ts); Deno's raw server pulls already. */
const onNode = !("Deno" in globalThis) && !("Bun" in globalThis);
const selected = (caseName: string) => ONLY === "" || caseName.includes(ONLY);

// ---------------------------------------------------------------- tools

/** Whether `command` runs (ENOENT: not installed). */
function hasCommand(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch (error) {
    return (error as { code?: string }).code !== "ENOENT";
  }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A process's user+sys CPU time in ms, from /proc/<pid>/stat (all its threads). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields[0] is field 3 (state)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** A process's resident set size in MiB, from /proc/<pid>/status. */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}

const work = mkdtempSync(join(tmpdir(), "anyts-http-bench-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

/** wrk's report, as one JSON line from its `done` hook (errors.status: responses ≥ 400). */
const WRK_SCRIPT = join(work, "report.lua");
writeFileSync(
  WRK_SCRIPT,
  `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests":%d,"durationUs":%d,"p99Us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
`,
);

function makeCertificates(): { cert: string; key: string } {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: work, stdio: ["ignore", "ignore", "pipe"] });
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key",
    "-out", "server.pem", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
  return { cert: join(work, "server.pem"), key: join(work, "server.key") };
}

// ---------------------------------------------------------------- child processes

/** The lines a child prints, awaited one by one. */
class LineReader {
  readonly #lines: string[] = [];
  #partial = "";
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      this.#partial += chunk;
      for (let nl = this.#partial.indexOf("\n"); nl >= 0; nl = this.#partial.indexOf("\n")) {
        this.#lines.push(this.#partial.slice(0, nl));
        this.#partial = this.#partial.slice(nl + 1);
      }
      this.#wake?.();
    });
    stream.on("end", () => {
      this.#ended = true;
      this.#wake?.();
    });
  }

  /** The next line that starts with `prefix` (others are skipped). */
  async waitFor(prefix: string, what: string, timeoutMs = 60_000): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const line = this.#lines.shift();
      if (line !== undefined) {
        if (line.startsWith(prefix)) return line.slice(prefix.length).trim();
        continue;
      }
      if (this.#ended) throw new Error(`${what}: ended before printing ${prefix}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${what}: no ${prefix} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
  }
}

/** The server script next to this file (`.js` when this runs compiled for Node 20). */
const SERVE_SCRIPT = fileURLToPath(new URL(`./${HTTP_SERVE_SCRIPT}${import.meta.url.endsWith(".js") ? ".js" : ".ts"}`, import.meta.url));

/** The command line that runs `script` on the runtime running this file. */
function runtimeCommand(script: string, args: string[]): [string, string[]] {
  if ((globalThis as { Deno?: unknown }).Deno !== undefined) return [process.execPath, ["run", "-A", script, ...args]];
  return [process.execPath, [script, ...args]];
}

interface Server {
  readonly label: string;
  readonly pid: number;
  readonly port: number;
  gc(): Promise<void>;
  stop(): Promise<void>;
}

async function startServer(label: string, args: string[]): Promise<Server> {
  const [command, commandArgs] = runtimeCommand(SERVE_SCRIPT, args);
  const child = spawn(command, commandArgs, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  child.on("error", () => {});
  const lines = new LineReader(child.stdout!);
  let port: number;
  try {
    port = Number(await lines.waitFor("READY", `server ${label}`));
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    label,
    pid: child.pid!,
    port,
    async gc() {
      child.stdin!.write("gc\n");
      await lines.waitFor("GC", `server ${label}`);
    },
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------- wrk

interface WrkRun {
  requests: number;
  rps: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  errors: string;
}

function wrk(port: number, connections: number, seconds: number, tls: boolean): Promise<Omit<WrkRun, "cpuUsPerRequest">> {
  const url = `${tls ? "https" : "http"}://127.0.0.1:${port}/`;
  const args = [`-t${THREADS}`, `-c${connections}`, `-d${seconds}s`, "--timeout", "5s", "-s", WRK_SCRIPT, url];
  return new Promise((resolve, reject) => {
    execFile(WRK, args, { encoding: "utf8", timeout: (seconds + 60) * 1000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const line = /^WRK (.*)$/m.exec(stdout ?? "");
      if (line === null) {
        reject(new Error(`wrk ${args.join(" ")} failed: ${error?.message ?? ""}\n${stdout}${stderr}`));
        return;
      }
      const r = JSON.parse(line[1]!) as Record<string, number>;
      const errors = [
        r.status ? `${r.status} non-2xx` : "",
        r.connect ? `${r.connect} connect` : "",
        r.read ? `${r.read} read` : "",
        r.write ? `${r.write} write` : "",
        r.timeout ? `${r.timeout} timeouts` : "",
      ].filter(Boolean).join(", ");
      resolve({ requests: r.requests!, rps: (r.requests! * 1e6) / r.durationUs!, p99Ms: r.p99Us! / 1000, errors });
    });
  });
}

async function measure(server: Server, connections: number, tls: boolean): Promise<WrkRun> {
  const before = cpuMs(server.pid);
  const run = await wrk(server.port, connections, DURATION, tls);
  const cpu = cpuMs(server.pid) - before;
  return { ...run, cpuUsPerRequest: run.requests > 0 ? (cpu * 1000) / run.requests : NaN };
}

// ---------------------------------------------------------------- results

const problems: string[] = [];
let flip = 0;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Appends one summary row for scripts/bench.mjs: `samples` per candidate, ratio of the
 * medians `candidate ÷ baseline`; `atLeast` targets are minimums (req/s), others maximums.
 */
function record(caseName: string, samples: Record<string, number[]>, candidate: string, baseline: string, target?: { value: number; atLeast?: boolean }): number {
  const medians: Record<string, number> = {};
  const mins: Record<string, number> = {};
  for (const [name, values] of Object.entries(samples)) {
    medians[name] = median(values);
    mins[name] = Math.min(...values);
  }
  const ratio = medians[candidate]! / medians[baseline]!;
  const missed = target === undefined ? false : target.atLeast ? !(ratio >= target.value) : !(ratio <= target.value);
  const result: CompareResult & { targetKind?: "atLeast" } = {
    caseName,
    runtime,
    baseline,
    candidates: [candidate, baseline],
    medians,
    mins,
    samples,
    ratios: { [candidate]: ratio },
    ...(target === undefined ? {} : { target: target.value }),
    ...(target?.atLeast ? { targetKind: "atLeast" as const } : {}),
    targetMissed: missed,
    runs: samples[candidate]!.length,
  };
  if (RESULTS !== "") appendFileSync(RESULTS, JSON.stringify(result) + "\n");
  return ratio;
}

const targetText = (ratio: number, target?: { value: number; atLeast?: boolean }) =>
  target === undefined ? "" : (target.atLeast ? ratio >= target.value : ratio <= target.value) ? " ✓" : ` ✗ (${target.atLeast ? "≥" : "≤"} ${target.value}×)`;

// ---------------------------------------------------------------- the wrk cases

interface Candidate {
  name: string;
  args: string[];
}

interface Variant {
  name: string;
  tls: boolean;
  candidates: Candidate[];
  /** [candidate, baseline, req/s target, CPU/req target, label] rows to record. */
  rows: { candidate: string; baseline: string; rps?: number; cpu?: number; label: string }[];
}

function variants(certs: { cert: string; key: string } | undefined): Variant[] {
  const tlsArgs = certs === undefined ? [] : ["--cert", certs.cert, "--key", certs.key];
  const all: Variant[] = [
    {
      name: "plain",
      tls: false,
      candidates: [
        { name: "anyts", args: ["--impl", "anyts"] },
        { name: "raw", args: ["--impl", "raw"] },
        ...(onNode ? [{ name: "floor", args: ["--impl", "floor"] }] : []),
      ],
      rows: [
        { candidate: "anyts", baseline: "raw", rps: 0.9, cpu: 1.15, label: "plain" },
        ...(onNode ? [{ candidate: "floor", baseline: "raw", label: "floor: raw node:net pulled (a promise per chunk, an async context per connection)" }] : []),
      ],
    },
    {
      name: "tls",
      tls: true,
      candidates: [{ name: "anyts", args: ["--impl", "anyts", ...tlsArgs] }, { name: "raw", args: ["--impl", "raw", ...tlsArgs] }],
      rows: [{ candidate: "anyts", baseline: "raw", rps: 0.7, label: "TLS default" }],
    },
    {
      name: "tls-fast",
      tls: true,
      candidates: [
        { name: "anyts", args: ["--impl", "anyts", ...tlsArgs, "--standard-compatible", "false"] },
        { name: "raw", args: ["--impl", "raw", ...tlsArgs] },
      ],
      rows: [{ candidate: "anyts", baseline: "raw", rps: 0.9, label: "TLS standardCompatible: false" }],
    },
    {
      name: "timeout",
      tls: false,
      candidates: [
        { name: "anyts", args: ["--impl", "anyts", "--timeout", String(TIMEOUT)] },
        { name: "raw", args: ["--impl", "raw", "--timeout", String(TIMEOUT)] },
        { name: "anyts-no-timeout", args: ["--impl", "anyts"] },
      ],
      rows: [
        { candidate: "anyts", baseline: "raw", label: "per-request timeout" },
        { candidate: "anyts", baseline: "anyts-no-timeout", rps: 0.95, label: "moveOnAfter cost (anyts ÷ anyts without)" },
      ],
    },
  ];
  return all.filter((v) => VARIANTS.includes(v.name) && (certs !== undefined || !v.tls));
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function runVariant(variant: Variant): Promise<void> {
  const servers: Server[] = [];
  try {
    for (const candidate of variant.candidates) {
      const server = await startServer(`${variant.name}/${candidate.name}`, candidate.args);
      servers.push(server);
      if (WARMUP > 0) {
        const warm = await wrk(server.port, Math.min(100, ...CONNECTIONS), WARMUP, variant.tls);
        if (warm.requests === 0 || warm.errors) problems.push(`${variant.name}/${candidate.name} warm-up: ${warm.requests} requests, errors: ${warm.errors || "none"}`);
      }
    }
    for (const connections of CONNECTIONS) {
      const results: Record<string, WrkRun[]> = {};
      for (const server of servers) results[server.label.split("/")[1]!] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const shift = flip++ % servers.length;
        const order = [...servers.slice(shift), ...servers.slice(0, shift)];
        for (const server of order) {
          const run = await measure(server, connections, variant.tls);
          results[server.label.split("/")[1]!]!.push(run);
          if (run.errors) problems.push(`${runtime} http ${variant.name} c${connections} ${server.label}: ${run.errors} (of ${fmt(run.requests)} requests)`);
        }
      }
      const describe = (name: string) => {
        const runs = results[name]!;
        const errors = runs.map((r) => r.errors).filter(Boolean).join("; ");
        return `${name} ${fmt(median(runs.map((r) => r.rps)))} req/s p99 ${fmt(median(runs.map((r) => r.p99Ms)), 1)} ms ` +
          `${fmt(median(runs.map((r) => r.cpuUsPerRequest)), 1)} µs CPU/req${errors ? ` ⚠ ERRORS: ${errors}` : ""}`;
      };
      console.log(`${runtime.padEnd(15)} http ${variant.name} c${connections}: ${Object.keys(results).map(describe).join(" | ")}`);
      for (const row of variant.rows) {
        const name = `http ${variant.name} c${connections}`;
        const samples = (pick: (r: WrkRun) => number) => ({
          [row.candidate]: results[row.candidate]!.map(pick),
          [row.baseline]: results[row.baseline]!.map(pick),
        });
        const rpsTarget = row.rps === undefined ? undefined : { value: row.rps, atLeast: true };
        const cpuTarget = row.cpu === undefined ? undefined : { value: row.cpu };
        const prefix = row.baseline !== "raw"
          ? `http moveOnAfter cost c${connections}`
          : row.candidate === "anyts" ? name : `http ${variant.name} ${row.candidate} c${connections}`;
        const rps = record(`${prefix} req/s`, samples((r) => r.rps), row.candidate, row.baseline, rpsTarget);
        const p99 = median(results[row.candidate]!.map((r) => r.p99Ms)) / median(results[row.baseline]!.map((r) => r.p99Ms));
        const cpu = row.baseline === "raw" ? record(`${prefix} CPU/req`, samples((r) => r.cpuUsPerRequest), row.candidate, row.baseline, cpuTarget) : NaN;
        console.log(
          `${"".padEnd(15)}   ${row.label}, ${row.candidate} ÷ ${row.baseline}: req/s ${rps.toFixed(2)}×${targetText(rps, rpsTarget)}` +
            `  p99 ${p99.toFixed(2)}×` + (row.baseline === "raw" ? `  CPU/req ${cpu.toFixed(2)}×${targetText(cpu, cpuTarget)}` : ""),
        );
      }
    }
  } finally {
    for (const server of servers) await server.stop();
  }
}

// ---------------------------------------------------------------- idle connections

interface IdleRun {
  openMs: number;
  rssMiB: number;
  baseMiB: number;
}

async function idleRun(server: Server): Promise<IdleRun> {
  await server.gc();
  const baseMiB = rssMiB(server.pid);
  const client = spawn("node", [join(process.cwd(), "scripts", "bench", "http-idle-client.mjs"), "--port", String(server.port),
    "--count", String(IDLE), "--window", String(OPEN_WINDOW)], { stdio: ["pipe", "pipe", "inherit"] });
  client.on("error", () => {});
  try {
    const lines = new LineReader(client.stdout!);
    const [ms, answered, failed] = (await lines.waitFor("OPEN", "http-idle-client", 120_000)).split(" ").map(Number);
    if (failed! > 0) problems.push(`${runtime} http idle ${server.label}: ${failed} of ${IDLE} connections failed (${answered} answered)`);
    await server.gc();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rss = rssMiB(server.pid);
    client.stdin!.end();
    const closed = Number(await lines.waitFor("CLOSED", "http-idle-client"));
    if (closed > 0) problems.push(`${runtime} http idle ${server.label}: the server closed ${closed} idle connections`);
    return { openMs: ms!, rssMiB: rss, baseMiB };
  } finally {
    await stopChild(client);
  }
}

async function runIdle(): Promise<void> {
  const runs: Record<string, IdleRun[]> = { anyts: [], raw: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = flip++ % 2 === 0 ? ["anyts", "raw"] : ["raw", "anyts"];
    for (const impl of order) {
      // A fresh server each time, so the RSS is that of these connections only.
      const server = await startServer(`idle/${impl}`, ["--impl", impl]);
      try {
        runs[impl]!.push(await idleRun(server));
      } finally {
        await server.stop();
      }
    }
  }
  const k = `${IDLE / 1000}k`;
  const describe = (impl: string) => {
    const r = runs[impl]!;
    return `${impl} open ${fmt(median(r.map((x) => x.openMs)))} ms, RSS ${fmt(median(r.map((x) => x.rssMiB)), 1)} MiB ` +
      `(${fmt(median(r.map((x) => x.baseMiB)), 1)} before)`;
  };
  console.log(`${runtime.padEnd(15)} http ${k} connections: ${describe("anyts")} | ${describe("raw")}`);
  const rssTarget = { value: 1.5 };
  const openTarget = { value: 1.3 };
  const rss = record(`http ${k} idle connections RSS`, { anyts: runs.anyts!.map((x) => x.rssMiB), raw: runs.raw!.map((x) => x.rssMiB) }, "anyts", "raw", rssTarget);
  const open = record(`http open ${k} connections time`, { anyts: runs.anyts!.map((x) => x.openMs), raw: runs.raw!.map((x) => x.openMs) }, "anyts", "raw", openTarget);
  const growth = (impl: string) => median(runs[impl]!.map((x) => x.rssMiB - x.baseMiB));
  console.log(
    `${"".padEnd(15)}   anyts ÷ raw: RSS ${rss.toFixed(2)}×${targetText(rss, rssTarget)}  time to open ${open.toFixed(2)}×${targetText(open, openTarget)}` +
      `  (RSS growth ${(growth("anyts") / growth("raw")).toFixed(2)}×: ${fmt((growth("anyts") * 1024 * 1024) / IDLE)} vs ` +
      `${fmt((growth("raw") * 1024 * 1024) / IDLE)} bytes a connection)`,
  );
}

// ---------------------------------------------------------------- main

const hasWrk = hasCommand(WRK, ["--version"]);
const hasOpenssl = hasCommand("openssl", ["version"]);
const certs = hasWrk && hasOpenssl && VARIANTS.some((v) => v.startsWith("tls")) ? makeCertificates() : undefined;
console.log(
  `http: wrk -t${THREADS} -c{${CONNECTIONS.join(",")}} -d${DURATION}s (warm-up ${WARMUP} s), ${ROUNDS} round(s); ` +
    `timeout variant ${TIMEOUT} ms; idle ${IDLE} connections (window ${OPEN_WINDOW}); server processes on ${runtime}`,
);
if (!hasWrk) {
  console.log(`http: ${WRK} is not installed, skipping the wrk cases (install it: "apt-get install wrk" on Debian/Ubuntu, "brew install wrk" on macOS)`);
} else if (!hasOpenssl) {
  console.log("http: openssl is not installed, skipping the TLS cases");
}
if (hasWrk) {
  for (const variant of variants(certs)) {
    if (!selected(`http ${variant.name}`)) continue;
    await runVariant(variant);
  }
}
if (VARIANTS.includes("idle") && IDLE > 0 && selected("http idle")) await runIdle();
if (problems.length > 0) console.log(`http: runs with errors:\n  ${problems.join("\n  ")}`);
process.exitCode = 0;
