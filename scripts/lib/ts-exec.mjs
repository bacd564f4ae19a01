// Run a TypeScript file (an example or a benchmark) on any runtime of the matrix.
//
// node22, node24: native type stripping (`node file.ts`; on by default since
//                 22.18), so the sources must use erasable syntax only
//                 (tsconfig.json has erasableSyntaxOnly).
// node20:         cannot strip types, so the files and what they import are
//                 first compiled with tsc (no type check, `.ts` imports
//                 rewritten to `.js`) into .tmp/node20-<label>/, and the .js runs.
// deno:           `deno run -A file.ts`.  bun: `bun run file.ts`.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT, TMP, TSC, runtimes } from "./runtimes.mjs";
import { runCommand } from "./proc.mjs";

/**
 * Compiles `files` (absolute paths of .ts files in the repo) for Node 20.
 * @returns {Promise<{ ok: boolean, outDir: string, output: string }>}
 */
export async function compileForNode20(files, label) {
  const outDir = join(TMP, `node20-${label}`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const tsconfig = {
    extends: relative(outDir, join(ROOT, "tsconfig.json")),
    compilerOptions: {
      noEmit: false,
      noCheck: true,
      rootDir: relative(outDir, ROOT),
      outDir: ".",
      rewriteRelativeImportExtensions: true,
      declaration: false,
      sourceMap: true,
    },
    include: [],
    files: files.map((f) => relative(outDir, f)),
  };
  writeFileSync(join(outDir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  const node = runtimes().node20.bin ?? process.execPath;
  const r = await runCommand(node, [TSC, "-p", join(outDir, "tsconfig.json")], { cwd: ROOT, timeoutMs: 5 * 60_000 });
  return { ok: r.code === 0, outDir, output: r.output };
}

/** Where compileForNode20 put the JavaScript of `file`. */
export function compiledPath(outDir, file) {
  return join(outDir, relative(ROOT, file)).replace(/\.ts$/, ".js");
}

/**
 * The command line that runs `file` on runtime `name`.
 * @param {string} name  runtime name (node20, node22, node24, deno, bun)
 * @param {string} file  absolute path of the .ts file
 * @param {string} [node20OutDir] output of compileForNode20, for node20
 * @param {string[]} [args] arguments for the script
 * @param {{ exposeGc?: boolean }} [options] exposeGc: make `globalThis.gc` available
 *        (`--expose-gc` on Node, `--v8-flags=--expose-gc` on Deno; Bun has Bun.gc)
 */
export function tsCommand(name, file, node20OutDir, args = [], options = {}) {
  const rt = runtimes()[name];
  const nodeGc = options.exposeGc ? ["--expose-gc"] : [];
  switch (name) {
    case "node20":
      return [rt.bin, [...nodeGc, "--enable-source-maps", compiledPath(node20OutDir, file), ...args]];
    case "node22":
    case "node24":
      return [rt.bin, [...nodeGc, file, ...args]];
    case "deno":
      return [rt.bin, ["run", "-A", ...(options.exposeGc ? ["--v8-flags=--expose-gc"] : []), file, ...args]];
    case "bun":
      return [rt.bin, ["run", file, ...args]];
    default:
      throw new Error(`unknown runtime ${name}`);
  }
}
