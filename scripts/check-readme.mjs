#!/usr/bin/env node
// Type-checks every ```ts block of README.md against the library, under tsc --strict.
//
//   node scripts/check-readme.mjs [--keep]
//
// Each block becomes a module of its own in .tmp/readme/ ("@anyts/anyts" and "anyts"
// resolve to mod.ts, ".../testing" to testing.ts). A block may be preceded by an HTML
// comment (invisible on npm and JSR) that declares what the snippet takes for granted:
//
//   <!-- prelude
//   declare function loadConfig(): Promise<string>;
//   -->
//   ```ts
//   ...
//
// The matrix runs it as the step "readme" (group typecheck). Exit code 1 on any error.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, TMP, TSC } from "./lib/runtimes.mjs";
import { runCommand } from "./lib/proc.mjs";

/** The ```ts blocks of `markdown` with their line numbers and preludes. */
export function extractBlocks(markdown) {
  const lines = markdown.split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    let prelude = "";
    let j = i - 1;
    while (j >= 0 && lines[j].trim() === "") j--;
    if (j >= 0 && lines[j].trim() === "-->") {
      let k = j - 1;
      while (k >= 0 && !lines[k].startsWith("<!-- prelude")) k--;
      if (k >= 0) prelude = lines.slice(k + 1, j).join("\n");
    }
    blocks.push({ line: start, code: lines.slice(start, end).join("\n"), prelude });
    i = end;
  }
  return blocks;
}

export async function checkReadme({ quiet = false, keep = false } = {}) {
  const started = Date.now();
  const dir = join(TMP, "readme");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const blocks = extractBlocks(readFileSync(join(ROOT, "README.md"), "utf8"));
  // The runtimes' own test modules and globals that README examples use, declared as a
  // consumer on that runtime would have them (vitest is a real dependency).
  writeFileSync(
    join(dir, "readme-env.d.ts"),
    `declare module "bun:test" {
  export function test(name: string, fn: () => unknown, timeout?: number): void;
  export function expect(value: unknown): { toBe(expected: unknown): void; toEqual(expected: unknown): void };
}
declare const Deno: { test(name: string, fn: () => unknown): void };
`,
  );
  const files = ["readme-env.d.ts"];
  for (const block of blocks) {
    const file = `readme-line-${String(block.line).padStart(4, "0")}.ts`;
    const prelude = block.prelude === "" ? "" : `${block.prelude}\n`;
    // The prelude goes first; the block's own lines keep their README line numbers in errors
    // through the comment header.
    writeFileSync(join(dir, file), `// README.md line ${block.line}\n${prelude}${block.code}\nexport {};\n`);
    files.push(file);
  }
  const rel = (p) => relative(dir, join(ROOT, p)).split("\\").join("/");
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2023", "ES2024.ArrayBuffer", "ES2024.SharedMemory", "ESNext.Disposable", "DOM"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          moduleDetection: "force",
          allowImportingTsExtensions: true,
          noEmit: true,
          strict: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules", "@types")],
          paths: {
            "@anyts/anyts": [rel("mod.ts")],
            "anyts": [rel("mod.ts")],
            "@anyts/anyts/testing": [rel("testing.ts")],
            "anyts/testing": [rel("testing.ts")],
          },
        },
        files,
      },
      null,
      2,
    ),
  );
  const r = await runCommand(process.execPath, [TSC, "-p", join(dir, "tsconfig.json")], { cwd: dir, quiet, timeoutMs: 5 * 60_000 });
  if (!keep) rmSync(dir, { recursive: true, force: true });
  return { ok: r.code === 0, blocks: blocks.length, ms: Date.now() - started, output: r.output };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const r = await checkReadme({ keep: process.argv.includes("--keep") });
  console.log(`readme: ${r.blocks} ts blocks ${r.ok ? "type-check" : "FAIL to type-check"} (${r.ms} ms)`);
  process.exit(r.ok ? 0 : 1);
}
