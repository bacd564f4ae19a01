#!/usr/bin/env node
// Consumer smoke test: does the npm package work when installed?
//
//   node scripts/smoke.mjs [--only node20,deno,...] [--keep]
//
// Packs the built package (`npm pack`; run `npm run build` first, or it is
// built here when dist/ is missing), installs the tarball into a temporary
// project offline (it has no dependencies), and runs a script there that
// imports "anyts" and "anyts/testing" by their bare names and runs a task group
// with a timeout, on node20, node22, node24, deno (`deno run -A`, which
// resolves bare specifiers from the project's node_modules because a
// package.json is present) and bun. One more check type-checks a consumer .ts
// file against the shipped .d.ts with the repo's tsc, as the strictest consumer
// would: `types: []` (no @types/node; web globals from TypeScript's DOM lib),
// `skipLibCheck: false`, strict, exactOptionalPropertyTypes and
// noUncheckedIndexedAccess.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { NODE_MODULES, ROOT, RUNTIME_NAMES, TSC, parseList, runtimeEnv, runtimes } from "./lib/runtimes.mjs";
import { runCommand, seconds } from "./lib/proc.mjs";

const SMOKE_SCRIPT = `// Written by anyts scripts/smoke.mjs
import { run, taskGroup, moveOnAfter, sleep, currentBackend, detectRuntime } from "anyts";
import * as testing from "anyts/testing";

const resolved = import.meta.resolve("anyts");
if (!/node_modules[\\\\/]anyts[\\\\/]dist[\\\\/]mod\\.js$/.test(resolved)) {
  throw new Error("anyts resolved to " + resolved + ", not to the installed package");
}
const t0 = performance.now();
let backend;
let movedOn = false;
await run(async () => {
  backend = currentBackend();
  await taskGroup(async (tg) => {
    tg.startSoon(async () => {
      await moveOnAfter(20, () => sleep(10_000));
      movedOn = true;
    });
  });
});
const ms = performance.now() - t0;
if (!movedOn) throw new Error("the task group exited before its child finished");
if (ms > 5_000) throw new Error("moveOnAfter(20) took " + Math.round(ms) + " ms");
const runtime = detectRuntime();
const expected = process.env.SMOKE_EXPECT_RUNTIME;
if (expected && runtime !== expected) throw new Error("detectRuntime() = " + runtime + ", expected " + expected);
console.log("smoke ok: runtime=" + runtime + " backend=" + backend + " testing exports=" +
  Object.keys(testing).length + " time=" + Math.round(ms) + " ms resolved=" + resolved);
`;

const TYPES_SCRIPT = `// Written by anyts scripts/smoke.mjs: type-checked against the shipped .d.ts
import { run, taskGroup, moveOnAfter, sleep, currentBackend, detectRuntime, TLSStream } from "anyts";
import type { CancelScope, Lock, SocketStream } from "anyts";
import * as testing from "anyts/testing";

export async function main(): Promise<string> {
  await run(async () => {
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await moveOnAfter(20, () => sleep(10_000));
      });
    });
  });
  const runtime: "node" | "deno" | "bun" | "unknown" = detectRuntime();
  return runtime + " " + String(currentBackend()) + " " + Object.keys(testing).length;
}

// The internals are not in the published types (each line below must be an error).
export function internalsHidden(socket: SocketStream, tls: TLSStream, scope: CancelScope, lock: Lock): void {
  // @ts-expect-error SocketStream's internals
  void socket._raw;
  // @ts-expect-error TLSStream's internals
  void tls._receive;
  // @ts-expect-error CancelScope's internals
  void scope._parent;
  // @ts-expect-error Lock's internals
  void lock._waiters;
  // @ts-expect-error TLSStream.wrap makes one, its constructor is internal
  void new TLSStream();
}
`;

const BYTES_SCRIPT = `// Written by anyts scripts/smoke.mjs: the chunks the library hands out are
// Uint8Array<ArrayBuffer>, which Web APIs take as they are (issue 8, item 2).
import { connectTcp, toReadableStream, type SocketStream, type TLSStream } from "anyts";

export async function digestAndDecode(stream: SocketStream | TLSStream): Promise<[ArrayBuffer, string | undefined]> {
  const digest: ArrayBuffer = await crypto.subtle.digest("SHA-256", await stream.receive());
  const text: ReadableStream<string> = toReadableStream(stream).pipeThrough(new TextDecoderStream());
  const { value } = await text.getReader().read();
  return [digest, value];
}

export async function overTcp(): Promise<number> {
  await using socket = await connectTcp("127.0.0.1", 8080);
  const chunk: Uint8Array<ArrayBuffer> = await socket.receive();
  return (await crypto.subtle.digest("SHA-256", chunk)).byteLength;
}
`;

/**
 * The consumer's tsconfig files: the web-standard globals the types use
 * (AbortSignal, ReadableStream, TextDecoderStream, crypto) from TypeScript's own
 * DOM lib with no @types at all, or from @types/node with no DOM lib (a Node
 * project), both with the strictest flags.
 */
const TYPE_CHECK_CONFIGS = (strictest) => ({
  "tsconfig.json": { ...strictest, lib: ["ES2023", "ESNext.Disposable", "DOM", "DOM.Iterable", "DOM.AsyncIterable"] },
  "tsconfig.node.json": {
    ...strictest,
    lib: ["ES2023", "ESNext.Disposable"],
    typeRoots: [join(NODE_MODULES, "@types")],
    types: ["node"],
  },
});

/**
 * Packs and installs the package into a temporary project.
 * @returns {Promise<{ ok: boolean, dir?: string, problem?: string, ms: number }>}
 */
export async function prepareConsumer({ quiet = false } = {}) {
  const started = Date.now();
  const fail = (problem) => ({ ok: false, problem, ms: Date.now() - started });
  if (!existsSync(join(ROOT, "dist", "mod.js"))) {
    const { build } = await import("./build.mjs");
    const b = await build({ quiet });
    if (!b.ok) return fail(`build failed: ${b.problems.join("; ")}`);
  }
  const base = mkdtempSync(join(tmpdir(), "anyts-smoke-"));
  const env = { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };
  const pack = await runCommand("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", base], {
    cwd: ROOT,
    env,
    quiet: true,
    timeoutMs: 5 * 60_000,
  });
  if (pack.code !== 0) return fail(`npm pack failed:\n${pack.output}`);
  let tarball;
  try {
    const json = pack.output.slice(pack.output.indexOf("["), pack.output.lastIndexOf("]") + 1);
    tarball = join(base, JSON.parse(json)[0].filename.replace(/^@[^/]+\//, "").replace("/", "-"));
  } catch {
    return fail(`cannot read npm pack output:\n${pack.output}`);
  }
  if (!existsSync(tarball)) return fail(`npm pack did not write ${tarball}`);
  const dir = join(base, "project");
  mkdirSync(dir);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "anyts-smoke", private: true, type: "module", dependencies: { anyts: `file:${tarball}` } }, null, 2),
  );
  const install = await runCommand(
    "npm",
    ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock"],
    { cwd: dir, env, quiet, timeoutMs: 5 * 60_000 },
  );
  if (install.code !== 0) return fail(`npm install of ${tarball} failed:\n${install.output}`);
  if (!existsSync(join(dir, "node_modules", "anyts", "dist", "mod.js"))) return fail("node_modules/anyts/dist/mod.js missing after install");
  writeFileSync(join(dir, "smoke.mjs"), SMOKE_SCRIPT);
  writeFileSync(join(dir, "types.ts"), TYPES_SCRIPT);
  writeFileSync(join(dir, "bytes.ts"), BYTES_SCRIPT);
  const strictest = {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    // The strictest consumer: no @types/node (TypeScript 7's default), every shipped
    // .d.ts checked, and the flags that change what a .d.ts must say.
    types: [],
    skipLibCheck: false,
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
  };
  for (const [file, compilerOptions] of Object.entries(TYPE_CHECK_CONFIGS(strictest))) {
    writeFileSync(join(dir, file), JSON.stringify({ compilerOptions, files: ["types.ts", "bytes.ts"] }, null, 2));
  }
  return { ok: true, dir, tarball, base, ms: Date.now() - started };
}

/** The command that runs the smoke script on `name`. */
export function smokeCommand(name) {
  const rt = runtimes()[name];
  if (name === "deno") return [rt.bin, ["run", "-A", "smoke.mjs"]];
  return [rt.bin, ["smoke.mjs"]];
}

/** Runs the smoke script in `dir` on runtime `name`. */
export async function smokeRuntime(name, dir, { quiet = false, timeoutMs = 5 * 60_000 } = {}) {
  const rt = runtimes()[name];
  if (rt.problem) return { ok: false, problem: rt.problem, ms: 0 };
  const [cmd, args] = smokeCommand(name);
  const r = await runCommand(cmd, args, {
    cwd: dir,
    env: runtimeEnv(name, { SMOKE_EXPECT_RUNTIME: rt.kind }),
    quiet,
    timeoutMs,
  });
  const ok = r.code === 0 && /smoke ok:/.test(r.output);
  return { ok, problem: ok ? undefined : r.timedOut ? "timed out" : `exit ${r.code ?? r.signal}`, ms: r.ms, output: r.output };
}

/** Type-checks types.ts and bytes.ts in `dir` against the installed .d.ts files, under each consumer tsconfig. */
export async function smokeTypes(dir, { quiet = false } = {}) {
  const problems = [];
  let ms = 0;
  let output = "";
  for (const file of Object.keys(TYPE_CHECK_CONFIGS({}))) {
    const r = await runCommand(process.execPath, [TSC, "-p", join(dir, file)], { cwd: dir, quiet, timeoutMs: 5 * 60_000 });
    ms += r.ms;
    output += r.output;
    if (r.code !== 0) problems.push(`tsc -p ${file} exit ${r.code ?? r.signal}`);
  }
  return { ok: problems.length === 0, problem: problems.length ? problems.join("; ") : undefined, ms, output };
}

export function cleanupConsumer(prepared) {
  if (prepared?.base) rmSync(prepared.base, { recursive: true, force: true });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const argv = process.argv.slice(2);
  let only = RUNTIME_NAMES;
  const keep = argv.includes("--keep");
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--only") only = parseList(argv[++i]);
    else if (argv[i].startsWith("--only=")) only = parseList(argv[i].slice(7));
  }
  const prepared = await prepareConsumer();
  if (!prepared.ok) {
    console.error(`smoke: ${prepared.problem}`);
    process.exit(1);
  }
  console.log(`smoke: installed ${prepared.tarball} into ${prepared.dir} (${seconds(prepared.ms)})`);
  let failed = 0;
  for (const name of only) {
    if (!RUNTIME_NAMES.includes(name)) {
      console.error(`smoke: unknown runtime ${name}`);
      failed++;
      continue;
    }
    const r = await smokeRuntime(name, prepared.dir);
    console.log(`smoke ${name}: ${r.ok ? "PASS" : "FAIL " + r.problem} (${seconds(r.ms)})`);
    if (!r.ok) failed++;
  }
  const t = await smokeTypes(prepared.dir);
  console.log(`smoke types: ${t.ok ? "PASS" : "FAIL " + t.problem} (${seconds(t.ms)})`);
  if (!t.ok) failed++;
  if (keep) console.log(`smoke: kept ${prepared.base}`);
  else cleanupConsumer(prepared);
  process.exit(failed ? 1 : 0);
}
