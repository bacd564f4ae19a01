/**
 * The benchmark harness: times candidates of one case against each other, in the same
 * process, and prints one aligned line per case.
 *
 * ```ts
 * import { compare } from "./harness.ts";
 * await compare("checkpoint ×1M", { anyts: loopWithCheckpoint, raw: loopWithAwaitNull }, { target: 3 });
 * // node v22.23.3  checkpoint ×1M   anyts 21.3 ms  raw 7.9 ms   anyts 2.70× raw
 * ```
 *
 * Method: `warmup` rounds of every candidate (JIT, lazy module loading, backend loading),
 * then `runs` timed rounds. The candidates alternate inside each round and the order flips
 * from one round to the next (A B, B A, A B, ...), so that drift on a busy machine (another
 * process, CPU frequency, a GC debt) falls on every candidate alike. Before each timed call
 * the heap is collected when the runtime lets us (`--expose-gc` on Node and Deno,
 * `Bun.gc` on Bun; the runner passes the flags), so that no candidate pays for the garbage
 * of the one before it. The reported time is the median of the timed runs; the ratio is
 * `median(candidate) / median(baseline)`.
 *
 * `target`, if given, applies to the first candidate (by convention `anyts`): a ratio above
 * it prints `✗ target missed (≤ N×)`. A miss is a measurement, not a failure: nothing throws.
 *
 * Environment: `ANYTS_BENCH_RESULTS=file` appends every result to `file` as one JSON line
 * (the runner `scripts/bench.mjs` reads them for its summary); `ANYTS_BENCH_RUNS=n`
 * overrides `runs` of every case (`n` ≥ 1) and `ANYTS_BENCH_WARMUP=n` the warm-up rounds;
 * `ANYTS_BENCH_ONLY=substring` skips the cases whose name lacks it.
 *
 * @module
 */
import { appendFileSync } from "node:fs";
import process from "node:process";
import { detectRuntime } from "../../mod.ts";

/** Options of {@linkcode compare}. */
export interface CompareOptions {
  /** The candidate the others are divided by; default: the second key of `candidates`. */
  baseline?: string;
  /** Timed rounds (each calls every candidate once); default 9. Use fewer for heavy cases. */
  runs?: number;
  /** Untimed rounds before the timed ones; default 2. */
  warmup?: number;
  /** The highest acceptable ratio of the first candidate to the baseline (e.g. 2 for "≤ 2×"). */
  target?: number;
}

/** What {@linkcode compare} measured. Times are milliseconds. */
export interface CompareResult {
  /** The case's name as passed to `compare`. */
  caseName: string;
  /** `detectRuntime()` and its version, e.g. `node v22.23.3`, `deno 2.9.6`, `bun 1.4.5`. */
  runtime: string;
  /** The baseline candidate's name. */
  baseline: string;
  /** The candidates in the order given. */
  candidates: string[];
  /** Median time of each candidate. */
  medians: Record<string, number>;
  /** Fastest run of each candidate. */
  mins: Record<string, number>;
  /** Every timed run of each candidate, in order. */
  samples: Record<string, number[]>;
  /** `median(candidate) / median(baseline)` for every candidate other than the baseline. */
  ratios: Record<string, number>;
  /** The target of the first candidate, if one was given. */
  target?: number;
  /** Whether the first candidate's ratio is above `target` (false without a target). */
  targetMissed: boolean;
  /** How many timed rounds ran. */
  runs: number;
}

type Gc = () => void;

function findGc(): Gc | undefined {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (typeof g.gc === "function") return () => g.gc!();
  if (g.Bun !== undefined && typeof g.Bun.gc === "function") return () => g.Bun!.gc(true);
  return undefined;
}

const collect = findGc();

/** `node v22.23.3`, `deno 2.9.6`, `bun 1.4.5`: the runtime executing the benchmark. */
export function runtimeLabel(): string {
  const runtime = detectRuntime();
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  switch (runtime) {
    case "node":
      return `node ${process.version}`;
    case "deno":
      return `deno ${g.Deno!.version.deno}`;
    case "bun":
      return `bun ${g.Bun!.version}`;
    default:
      return runtime;
  }
}

function envInt(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return n;
}

/** Formats milliseconds with three significant digits or so. */
export function formatMs(ms: number): string {
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** `1.42×` */
export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timeOnce(fn: () => Promise<void>): Promise<number> {
  collect?.();
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const skipped: CompareResult = Object.freeze({
  caseName: "",
  runtime: "",
  baseline: "",
  candidates: [],
  medians: {},
  mins: {},
  samples: {},
  ratios: {},
  targetMissed: false,
  runs: 0,
}) as CompareResult;

/**
 * Times `candidates` against each other and prints one line: the runtime, the case, each
 * candidate's median time and each ratio to the baseline. Resolves to the numbers.
 *
 * The first candidate is, by convention, `anyts`; the baseline defaults to the second key.
 */
export async function compare(
  caseName: string,
  candidates: Record<string, () => Promise<void>>,
  options?: CompareOptions,
): Promise<CompareResult> {
  const names = Object.keys(candidates);
  if (names.length < 2) throw new TypeError(`compare(${caseName}): give at least two candidates`);
  const baseline = options?.baseline ?? names[1]!;
  if (!names.includes(baseline)) throw new TypeError(`compare(${caseName}): no candidate named ${baseline}`);
  const only = process.env.ANYTS_BENCH_ONLY;
  if (only !== undefined && only !== "" && !caseName.includes(only)) return { ...skipped, caseName };
  const runs = Math.max(1, envInt("ANYTS_BENCH_RUNS") ?? options?.runs ?? 9);
  const warmup = envInt("ANYTS_BENCH_WARMUP") ?? options?.warmup ?? 2;
  const target = options?.target;

  for (let round = 0; round < warmup; round++) {
    for (const name of names) await candidates[name]!();
  }
  const samples: Record<string, number[]> = {};
  for (const name of names) samples[name] = [];
  const reversed = [...names].reverse();
  for (let round = 0; round < runs; round++) {
    for (const name of round % 2 === 0 ? names : reversed) {
      samples[name]!.push(await timeOnce(candidates[name]!));
    }
  }

  const medians: Record<string, number> = {};
  const mins: Record<string, number> = {};
  for (const name of names) {
    medians[name] = median(samples[name]!);
    mins[name] = Math.min(...samples[name]!);
  }
  const ratios: Record<string, number> = {};
  for (const name of names) if (name !== baseline) ratios[name] = medians[name]! / medians[baseline]!;
  const first = names[0]!;
  const targetMissed = target !== undefined && first !== baseline && ratios[first]! > target;
  const result: CompareResult = {
    caseName,
    runtime: runtimeLabel(),
    baseline,
    candidates: names,
    medians,
    mins,
    samples,
    ratios,
    ...(target !== undefined ? { target } : {}),
    targetMissed,
    runs,
  };
  console.log(formatLine(result));
  const out = process.env.ANYTS_BENCH_RESULTS;
  if (out !== undefined && out !== "") appendFileSync(out, JSON.stringify(result) + "\n");
  return result;
}

/** The printed line of a result. */
export function formatLine(result: CompareResult): string {
  const times = result.candidates.map((name) => `${name} ${formatMs(result.medians[name]!)}`.padEnd(22)).join(" ");
  const ratios = result.candidates
    .filter((name) => name !== result.baseline)
    .map((name) => `${name} ${formatRatio(result.ratios[name]!)} ${result.baseline}`)
    .join("  ");
  let line = `${result.runtime.padEnd(15)} ${result.caseName.padEnd(44)} ${times}  ${ratios}`;
  if (result.target !== undefined) {
    line += result.targetMissed
      ? `  ✗ target missed (≤ ${result.target}×)`
      : `  ✓ target ≤ ${result.target}×`;
  }
  return line;
}
