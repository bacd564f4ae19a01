// Shared by demo.mjs and bench.mjs: run a set of .ts files on each runtime.

import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT, runtimeEnv, runtimes } from "./runtimes.mjs";
import { runCommand, seconds } from "./proc.mjs";
import { compileForNode20, tsCommand } from "./ts-exec.mjs";

/** Files in `dir` (relative to the repo) whose names end in `suffix`, sorted. */
export function listFiles(dir, suffix) {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs)
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => join(abs, f));
}

/**
 * Runs every file of `files` on runtime `name`, one after the other.
 * @returns {Promise<{ name: string, results: { file: string, ok: boolean, problem?: string, ms: number, output: string }[] }>}
 */
export async function runFilesOn(name, files, { label, timeoutMs = 5 * 60_000, quiet = false, args = [], env = {}, exposeGc = false } = {}) {
  const rt = runtimes()[name];
  const results = [];
  if (rt.problem) {
    for (const file of files) results.push({ file, ok: false, problem: rt.problem, ms: 0, output: "" });
    return { name, results };
  }
  let outDir;
  if (name === "node20") {
    const c = await compileForNode20(files, label);
    if (!c.ok) {
      for (const file of files) results.push({ file, ok: false, problem: "tsc could not compile it for Node 20", ms: 0, output: c.output });
      return { name, results };
    }
    outDir = c.outDir;
  }
  for (const file of files) {
    const [cmd, cmdArgs] = tsCommand(name, file, outDir, args, { exposeGc });
    if (!quiet) console.log(`\n--- ${name}: ${relative(ROOT, file)} ---`);
    const r = await runCommand(cmd, cmdArgs, { cwd: ROOT, env: runtimeEnv(name, env), timeoutMs, quiet });
    const ok = r.code === 0;
    const problem = ok ? undefined : r.timedOut ? `timed out after ${seconds(r.ms)}` : `exit ${r.code ?? r.signal}`;
    results.push({ file, ok, problem, ms: r.ms, output: r.output });
  }
  return { name, results };
}
