#!/usr/bin/env node
// `npm run demo [-- --only node20,deno] [-- name-filter]`: runs every
// examples/*.ts on every runtime and reports which ones failed.
//
// How each runtime runs a .ts file (scripts/lib/ts-exec.mjs):
//   node22, node24  `node examples/x.ts` (built-in type stripping)
//   node20          compiled first with tsc (no type check, .ts imports -> .js)
//                   into .tmp/node20-demo/, then `node .tmp/node20-demo/examples/x.js`
//   deno            `deno run -A examples/x.ts`
//   bun             `bun run examples/x.ts`

import { relative } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, RUNTIME_NAMES, describeRuntime, parseList } from "./lib/runtimes.mjs";
import { seconds } from "./lib/proc.mjs";
import { listFiles, runFilesOn } from "./lib/ts-files.mjs";

export function exampleFiles(filters = []) {
  const files = listFiles("examples", ".ts").filter((f) => !f.endsWith(".d.ts"));
  return filters.length ? files.filter((f) => filters.some((p) => relative(ROOT, f).includes(p))) : files;
}

/** Runs the examples on one runtime. Returns one result per example. */
export async function demoOn(name, files, opts = {}) {
  return (await runFilesOn(name, files, { label: "demo", timeoutMs: 2 * 60_000, ...opts })).results;
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
  const files = exampleFiles(filters);
  if (!files.length) {
    console.error("demo: no examples/*.ts" + (filters.length ? ` matching ${filters.join(", ")}` : ""));
    process.exit(1);
  }
  const lines = [];
  let failed = 0;
  for (const name of only) {
    if (!RUNTIME_NAMES.includes(name)) {
      console.error(`demo: unknown runtime ${name} (known: ${RUNTIME_NAMES.join(", ")})`);
      process.exit(2);
    }
    console.log(`\n=== demo on ${describeRuntime(name)} ===`);
    for (const r of await demoOn(name, files)) {
      if (!r.ok) failed++;
      lines.push(`${r.ok ? "PASS" : "FAIL"}  ${name.padEnd(7)} ${relative(ROOT, r.file).padEnd(32)} ${seconds(r.ms)}${r.ok ? "" : "  " + r.problem}`);
    }
  }
  console.log("\n=== demo summary ===\n" + lines.join("\n"));
  process.exit(failed ? 1 : 0);
}
