#!/usr/bin/env node
// `npm run bench [-- --only node22,bun] [-- name-filter]`: runs every
// scripts/bench/*.bench.ts on every runtime, one after the other (never in
// parallel, so they do not compete for the CPU), with the runtime's output
// shown as it comes, and ends with a summary table: case × runtime → ratio of
// anyts to raw JavaScript, with "✗" on every ratio above the case's target.
//
// Runtimes run .ts files as in the demo runner (scripts/lib/ts-exec.mjs):
// Node 22 and 24 strip types, Node 20 runs a tsc-compiled copy (.tmp/node20-bench/),
// Deno `deno run -A`, Bun `bun run`. The garbage collector is exposed to the
// harness (NODE_OPTIONS=--expose-gc, DENO_V8_FLAGS=--expose-gc; Bun has Bun.gc),
// which collects before every timed run.
//
// Each bench file gets the runtime name in ANYTS_BENCH_RUNTIME and a results
// file in ANYTS_BENCH_RESULTS, where scripts/bench/harness.ts appends one JSON
// line per case. Environment knobs of the harness: ANYTS_BENCH_RUNS=n (timed
// rounds of every case), ANYTS_BENCH_WARMUP=n, ANYTS_BENCH_ONLY=substring (cases).
//
// Exit status: 0 when every bench file ran, even if targets were missed (a
// benchmark is a measurement, not a test); 1 if a bench file crashed or timed out.

import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, RUNTIME_NAMES, TMP, describeRuntime, parseList } from "./lib/runtimes.mjs";
import { seconds } from "./lib/proc.mjs";
import { listFiles, runFilesOn } from "./lib/ts-files.mjs";

/** Environment that exposes the garbage collector to the harness on runtime `name`. */
function gcEnv(name) {
  if (name.startsWith("node")) {
    return { NODE_OPTIONS: [process.env.NODE_OPTIONS, "--expose-gc"].filter(Boolean).join(" ") };
  }
  if (name === "deno") return { DENO_V8_FLAGS: [process.env.DENO_V8_FLAGS, "--expose-gc"].filter(Boolean).join(",") };
  return {};
}

/** Reads the JSON lines the harness appended. */
function readResults(file) {
  if (!existsSync(file)) return [];
  const out = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line cut short by a crash
    }
  }
  return out;
}

/** `2.16× ✗` for the first candidate's ratio to the baseline. */
function cell(result) {
  if (!result) return "—";
  const first = result.candidates[0];
  const ratio = result.ratios[first];
  if (ratio === undefined) return "—";
  return `${ratio.toFixed(2)}×${result.targetMissed ? " ✗" : ""}`;
}

/** The summary table: one row per case, one column per runtime. */
export function summaryTable(byRuntime) {
  const runtimesRun = Object.keys(byRuntime);
  const cases = [];
  const targets = new Map();
  for (const name of runtimesRun) {
    for (const r of byRuntime[name]) {
      if (!cases.includes(r.caseName)) cases.push(r.caseName);
      if (r.target !== undefined) targets.set(r.caseName, r.target);
      if (!targets.has(r.caseName) && r.candidates?.length) targets.set(r.caseName, undefined);
    }
  }
  if (!cases.length) return "(no results)";
  const label = (c) => {
    const r = Object.values(byRuntime).flat().find((x) => x.caseName === c);
    const target = targets.get(c);
    const who = r ? `${r.candidates[0]} / ${r.baseline}` : "";
    const bound = r?.targetKind === "atLeast" ? "≥" : "≤"; // atLeast: a minimum, e.g. requests/s
    return `${c}  [${who}${target !== undefined ? `, target ${bound} ${target}×` : ""}]`;
  };
  const labels = cases.map(label);
  const w0 = Math.max(4, ...labels.map((l) => l.length));
  const widths = runtimesRun.map((n) => Math.max(n.length, 8));
  const rows = [
    ["case".padEnd(w0), ...runtimesRun.map((n, i) => n.padStart(widths[i]))].join("  "),
    ["-".repeat(w0), ...widths.map((w) => "-".repeat(w))].join("  "),
  ];
  cases.forEach((c, k) => {
    const cells = runtimesRun.map((n, i) => cell(byRuntime[n].find((r) => r.caseName === c)).padStart(widths[i]));
    rows.push([labels[k].padEnd(w0), ...cells].join("  "));
  });
  return rows.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const argv = process.argv.slice(2);
  let only = RUNTIME_NAMES;
  const filters = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--only") only = parseList(argv[++i]);
    else if (argv[i].startsWith("--only=")) only = parseList(argv[i].slice(7));
    else filters.push(argv[i]);
  }
  only = only.flatMap((n) => (n === "node" ? ["node20", "node22", "node24"] : [n]));
  let files = listFiles("scripts/bench", ".bench.ts");
  if (filters.length) files = files.filter((f) => filters.some((p) => relative(ROOT, f).includes(p)));
  if (!files.length) {
    console.log("bench: no scripts/bench/*.bench.ts files" + (filters.length ? ` matching ${filters.join(", ")}` : "") + ", nothing to run");
    process.exit(0);
  }
  const resultsDir = join(TMP, "bench");
  mkdirSync(resultsDir, { recursive: true });
  const lines = [];
  const byRuntime = {};
  let failed = 0;
  let missed = 0;
  const started = Date.now();
  for (const name of only) {
    if (!RUNTIME_NAMES.includes(name)) {
      console.error(`bench: unknown runtime ${name} (known: ${RUNTIME_NAMES.join(", ")})`);
      process.exit(2);
    }
    console.log(`\n=== bench on ${describeRuntime(name)} ===`);
    const resultsFile = join(resultsDir, `results-${name}.jsonl`);
    rmSync(resultsFile, { force: true });
    const { results } = await runFilesOn(name, files, {
      label: "bench",
      timeoutMs: 30 * 60_000,
      env: { ANYTS_BENCH_RUNTIME: name, ANYTS_BENCH_RESULTS: resultsFile, ...gcEnv(name) },
    });
    for (const r of results) {
      if (!r.ok) failed++;
      lines.push(`${r.ok ? "ok  " : "FAIL"}  ${name.padEnd(7)} ${relative(ROOT, r.file).padEnd(40)} ${seconds(r.ms)}${r.ok ? "" : "  " + r.problem}`);
    }
    byRuntime[name] = readResults(resultsFile).filter((r) => r.runs > 0);
    missed += byRuntime[name].filter((r) => r.targetMissed).length;
  }
  console.log("\n=== bench files ===\n" + lines.join("\n"));
  console.log(`\n=== bench summary: median of the first candidate / median of the baseline [as labelled] (✗ = target missed) ===\n${summaryTable(byRuntime)}`);
  console.log(
    `\nbench: ${files.length} file(s) on ${only.length} runtime(s) in ${seconds(Date.now() - started)}` +
      (missed ? `; ${missed} target(s) missed (✗)` : "; every target met") +
      (failed ? `; ${failed} bench run(s) FAILED` : ""),
  );
  process.exit(failed ? 1 : 0);
}
