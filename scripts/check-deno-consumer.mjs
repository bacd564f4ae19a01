#!/usr/bin/env node
// A Deno consumer that imports mod.ts and testing.ts by path, type-checked with
// `deno check` under the strictest flags a consumer may set (strict,
// exactOptionalPropertyTypes, noUncheckedIndexedAccess): Deno checks an imported
// .ts file under the importer's compilerOptions, so the library's source must
// pass them all.
//
//   node scripts/check-deno-consumer.mjs [--keep]
//
// The project is written to a temporary directory outside the repo (so that the
// repo's deno.json is not the one that applies). The matrix runs it as the step
// "deno-by-path" (group typecheck). Exit code 1 on any error; the errors inside
// the library are counted per file.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, runtimeEnv, runtimes } from "./lib/runtimes.mjs";
import { runCommand, seconds } from "./lib/proc.mjs";

const CONFIG = {
  compilerOptions: {
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
  },
  lock: false,
};

function consumerSource() {
  const mod = pathToFileURL(join(ROOT, "mod.ts")).href;
  const testing = pathToFileURL(join(ROOT, "testing.ts")).href;
  return `// Written by anyts scripts/check-deno-consumer.mjs
import * as anyts from ${JSON.stringify(mod)};
import { backendsUnderTest, MockClock } from ${JSON.stringify(testing)};

export async function main(): Promise<string> {
  let moved = false;
  await anyts.run(async () => {
    await anyts.taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await anyts.moveOnAfter(20, () => anyts.sleep(10_000));
        moved = true;
      });
    });
  }, { clock: new MockClock() });
  const first: anyts.BackendName | undefined = backendsUnderTest()[0];
  return String(moved) + " " + String(first);
}
`;
}

/** Runs the check; returns `{ ok, problem, ms, output, libraryErrors }`. */
export async function checkDenoConsumer({ keep = false, quiet = false } = {}) {
  const deno = runtimes().deno;
  if (deno.problem) return { ok: false, problem: deno.problem, ms: 0, output: "", libraryErrors: new Map() };
  const dir = mkdtempSync(join(tmpdir(), "anyts-deno-consumer-"));
  try {
    writeFileSync(join(dir, "deno.json"), JSON.stringify(CONFIG, null, 2));
    writeFileSync(join(dir, "main.ts"), consumerSource());
    const r = await runCommand(deno.bin, ["check", "--config", join(dir, "deno.json"), "main.ts"], {
      cwd: dir,
      env: { ...runtimeEnv("deno"), NO_COLOR: "1" },
      quiet,
      timeoutMs: 10 * 60_000,
    });
    const libraryErrors = new Map();
    const root = pathToFileURL(ROOT).href + "/";
    for (const m of r.output.matchAll(/^\s*at (file:\/\/\S+?):\d+:\d+$/gm)) {
      if (!m[1].startsWith(root)) continue;
      const file = m[1].slice(root.length);
      libraryErrors.set(file, (libraryErrors.get(file) ?? 0) + 1);
    }
    const ok = r.code === 0;
    if (keep) console.log(`deno-by-path: kept ${dir}`);
    return { ok, problem: ok ? undefined : r.timedOut ? "timed out" : `deno check exit ${r.code ?? r.signal}`, ms: r.ms, output: r.output, libraryErrors };
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const r = await checkDenoConsumer({ keep: process.argv.includes("--keep") });
  if (r.ok) {
    console.log(`deno-by-path: a consumer importing mod.ts and testing.ts by path type-checks under strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess (${seconds(r.ms)})`);
  } else {
    for (const [file, count] of [...r.libraryErrors].sort((a, b) => b[1] - a[1])) console.error(`deno-by-path: ${count} error(s) in ${file}`);
    console.error(`deno-by-path: FAIL ${r.problem}`);
    process.exit(1);
  }
}
