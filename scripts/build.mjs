#!/usr/bin/env node
// npm build: `npm run build`.
// Cleans dist/, compiles mod.ts and testing.ts (and what they import: src/,
// backends/) to ESM JavaScript + .d.ts with `tsc -p tsconfig.build.json`, then
// checks the result: every file that package.json "exports"/"types" names
// exists, and no emitted import still ends in `.ts`.
//
// tsc's rewriteRelativeImportExtensions rewrites the .js output only; the
// .d.ts files keep `from "./x.ts"`, so the relative specifiers of .d.ts files
// are rewritten here (`./x.ts` -> `./x.js`), which every TypeScript version
// and bundler resolves.

import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT, TSC } from "./lib/runtimes.mjs";
import { runCommand, seconds } from "./lib/proc.mjs";

const DIST = join(ROOT, "dist");

function exportTargets(pkg) {
  const out = new Set();
  const walk = (v) => {
    if (typeof v === "string") out.add(v);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  if (pkg.types) out.add(pkg.types);
  if (pkg.main) out.add(pkg.main);
  return [...out].filter((p) => p.startsWith("./dist/"));
}

const SPECIFIER = [
  /\b(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/g,
  /\bimport\s*["']([^"']+)["']/g,
  /\bimport\s*\(\s*["']([^"']+)["']\s*[,)]/g,
  /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  /\/\/\/\s*<reference\s+path\s*=\s*["']([^"']+)["']/g,
];

/** Rewrites relative `.ts` specifiers of the .d.ts files under `dir` to `.js`. */
export function rewriteDeclarationImports(dir) {
  let count = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.d\.m?ts$/.test(entry.name)) continue;
    const file = join(entry.parentPath ?? entry.path, entry.name);
    const text = readFileSync(file, "utf8");
    let next = text;
    for (const re of SPECIFIER) {
      next = next.replace(re, (whole, spec) => {
        if (!/^\.\.?\//.test(spec) || !/\.(ts|mts|cts|tsx)$/.test(spec) || /\.d\.[mc]?ts$/.test(spec)) return whole;
        const js = spec.replace(/\.ts$/, ".js").replace(/\.mts$/, ".mjs").replace(/\.cts$/, ".cjs").replace(/\.tsx$/, ".js");
        count++;
        return whole.replace(spec, js);
      });
    }
    if (next !== text) writeFileSync(file, next);
  }
  return count;
}

export function findTsImports(dir) {
  const problems = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(m?js|d\.m?ts)$/.test(entry.name)) continue;
    const file = join(entry.parentPath ?? entry.path, entry.name);
    const text = readFileSync(file, "utf8");
    for (const re of SPECIFIER) {
      for (const m of text.matchAll(re)) {
        if (/\.(ts|mts|cts|tsx)$/.test(m[1])) problems.push(`${relative(ROOT, file)}: imports "${m[1]}"`);
      }
    }
  }
  return problems;
}

export async function build({ quiet = false } = {}) {
  const started = Date.now();
  rmSync(DIST, { recursive: true, force: true });
  const r = await runCommand(process.execPath, [TSC, "-p", join(ROOT, "tsconfig.build.json")], {
    cwd: ROOT,
    timeoutMs: 10 * 60_000,
    quiet,
  });
  const problems = [];
  if (r.code !== 0) problems.push(`tsc -p tsconfig.build.json failed (exit ${r.code ?? r.signal})`);
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const required = new Set(["./dist/mod.js", "./dist/mod.d.ts", "./dist/testing.js", "./dist/testing.d.ts", ...exportTargets(pkg)]);
  for (const f of required) {
    if (!existsSync(join(ROOT, f))) problems.push(`missing ${f}`);
  }
  if (existsSync(DIST)) {
    rewriteDeclarationImports(DIST);
    problems.push(...findTsImports(DIST));
  }
  return { ok: problems.length === 0, problems, ms: Date.now() - started, output: r.output };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("build.mjs")) {
  const result = await build();
  if (result.ok) {
    console.log(`build: dist/ written and checked (${seconds(result.ms)})`);
  } else {
    for (const p of result.problems) console.error(`build: ${p}`);
    process.exit(1);
  }
}
