// Where the runtimes of the matrix live, and how to find them.
//
// node20: the system Node 20 (not node_modules/.bin/node, which is the pinned
//         node22 package and comes first on PATH inside `npm run`). Override
//         with NODE20=/path/to/node.
// node22, node24: the pinned npm packages node22 / node24.
// deno, bun: the pinned npm packages deno / bun.
// Every path can be overridden with an environment variable of the runtime's
// name in capitals (NODE20, NODE22, NODE24, DENO, BUN).

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync, rmSync } from "node:fs";
import { delimiter, dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const TMP = join(ROOT, ".tmp");
export const NODE_MODULES = join(ROOT, "node_modules");
export const VITEST = join(NODE_MODULES, "vitest", "vitest.mjs");
export const TSC = join(NODE_MODULES, "typescript", "bin", "tsc");

/** Names of the runtimes, in the order the matrix runs them. */
export const RUNTIME_NAMES = ["node20", "node22", "node24", "deno", "bun"];

function versionOf(bin) {
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8", timeout: 30_000 }).trim();
  } catch {
    return undefined;
  }
}

function findSystemNode(major) {
  const candidates = [];
  if (process.env.npm_node_execpath) candidates.push(process.env.npm_node_execpath);
  candidates.push(process.execPath);
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir || dir.split(sep).includes("node_modules")) continue;
    candidates.push(join(dir, process.platform === "win32" ? "node.exe" : "node"));
  }
  candidates.push("/usr/bin/node", "/usr/local/bin/node");
  for (const bin of candidates) {
    if (bin.split(sep).includes("node_modules") || !existsSync(bin)) continue;
    const v = versionOf(bin);
    if (v && v.startsWith(`v${major}.`)) return bin;
  }
  return undefined;
}

let cache;

/**
 * @returns {Record<string, { name: string, kind: "node" | "deno" | "bun", bin: string | undefined, problem?: string }>}
 */
export function runtimes() {
  if (cache) return cache;
  const exe = process.platform === "win32" ? ".exe" : "";
  const pinned = {
    node20: process.env.NODE20 ?? findSystemNode(20),
    node22: process.env.NODE22 ?? join(NODE_MODULES, "node22", "bin", "node" + exe),
    node24: process.env.NODE24 ?? join(NODE_MODULES, "node24", "bin", "node" + exe),
    deno: process.env.DENO ?? join(NODE_MODULES, "deno", "deno" + exe),
    bun: process.env.BUN ?? join(NODE_MODULES, "bun", "bin", "bun.exe"),
  };
  cache = {};
  for (const name of RUNTIME_NAMES) {
    const bin = pinned[name];
    const kind = name.startsWith("node") ? "node" : name;
    let problem;
    if (!bin) problem = `no Node ${name.slice(4)} found on PATH (set ${name.toUpperCase()}=/path/to/node)`;
    else if (!existsSync(bin)) problem = `${bin} does not exist (run npm ci)`;
    else if (!versionOf(bin)) problem = `${bin} does not run (did npm ci run its install scripts?)`;
    else if (kind === "node" && !versionOf(bin).startsWith(`v${name.slice(4)}.`)) {
      problem = `${bin} is ${versionOf(bin)}, expected Node ${name.slice(4)}`;
    }
    cache[name] = { name, kind, bin, problem };
  }
  return cache;
}

/** `node20` etc. for a version string like `v20.1.0`. */
export function describeRuntime(name) {
  const rt = runtimes()[name];
  if (rt.problem) return `${name}: ${rt.problem}`;
  return `${name}: ${rt.bin} (${versionOf(rt.bin).split("\n")[0]})`;
}

/**
 * Environment for a subprocess that runs on `name`: a directory with a `node`
 * link goes first on PATH, so that tests and examples which spawn `node` get
 * the Node under test (on deno and bun: Node 20, the oldest supported).
 */
export function runtimeEnv(name, extra = {}) {
  const rts = runtimes();
  const nodeName = rts[name].kind === "node" ? name : "node20";
  const nodeBin = rts[nodeName].bin;
  const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", ...extra };
  if (nodeBin && existsSync(nodeBin) && process.platform !== "win32") {
    const shim = join(TMP, "bin", nodeName);
    const link = join(shim, "node");
    try {
      mkdirSync(shim, { recursive: true });
      rmSync(link, { force: true });
      symlinkSync(nodeBin, link);
      env.PATH = shim + delimiter + (process.env.PATH ?? "");
    } catch {
      // keep PATH as it is
    }
  }
  return env;
}

/** Parse `--only a,b` style lists of names. */
export function parseList(value) {
  return String(value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
