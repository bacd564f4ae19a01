// Helpers of the workers suites: fixture modules (compiled for Node 20, which cannot
// strip types), the end-of-file check that no worker or child process is left, and
// child runtimes running a script.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { expect } from "vitest";
import { detectRuntime } from "../../mod.ts";
import { _busyWorkers, _closeWorkerPools, _configureWorkers, _workerCensus } from "../../src/workers/pool.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Whether worker threads and child processes of this runtime load TypeScript modules as is. */
export const runsTypeScript: boolean = detectRuntime() !== "node" ||
  Boolean((process as { features?: { typescript?: unknown } }).features?.typescript);

let mirror: Promise<string> | undefined;

/**
 * Node 20 strips no types: a copy of the library and the fixtures compiled to JavaScript
 * (`.ts` imports rewritten to `.js`), cached in `.tmp/workers-node20/<hash of the
 * sources>/` (written to a temporary directory first, then renamed, so that test files
 * running at the same time never see half of it).
 */
function compiledMirror(): Promise<string> {
  return (mirror ??= buildMirror());
}

async function buildMirror(): Promise<string> {
  const sources = ["mod.ts", "testing.ts", ...tsFilesUnder("src"), ...tsFilesUnder("backends"), ...tsFilesUnder("tests/workers/fixtures")];
  const texts = sources.map((source) => readFileSync(join(ROOT, source), "utf8"));
  const hash = createHash("sha256");
  sources.forEach((source, i) => hash.update(source).update("\0").update(texts[i]!).update("\0"));
  const base = join(ROOT, ".tmp", "workers-node20");
  const out = join(base, hash.digest("hex").slice(0, 16));
  if (existsSync(join(out, "package.json"))) return out;
  const ts = (await import("typescript")).default;
  mkdirSync(base, { recursive: true });
  const building = mkdtempSync(join(base, "building-"));
  sources.forEach((source, i) => {
    const js = ts.transpileModule(texts[i]!, {
      fileName: source,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        rewriteRelativeImportExtensions: true,
        verbatimModuleSyntax: true,
      },
    }).outputText;
    const target = join(building, source.replace(/\.ts$/, ".js"));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);
  });
  writeFileSync(join(building, "package.json"), JSON.stringify({ type: "module" }));
  try {
    renameSync(building, out);
  } catch {
    // Another test file renamed its copy first: use that one.
    rmSync(building, { recursive: true, force: true });
  }
  return out;
}

function tsFilesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true })
    .map((file) => join(dir, String(file)))
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"));
}

/**
 * The URL of a fixture module (`tests/workers/fixtures/<name>`) that a worker of this
 * runtime can import: the `.ts` file itself, or on Node 20 its compiled copy.
 */
export async function fixture(name: string): Promise<URL> {
  const source = join("tests/workers/fixtures", name);
  if (runsTypeScript) return pathToFileURL(join(ROOT, source));
  return pathToFileURL(join(await compiledMirror(), source.replace(/\.ts$/, ".js")));
}

/** The command line that runs the script `file` (a path as `fixture` gives) on this runtime. */
export function runtimeCommand(file: string): [string, string[]] {
  switch (detectRuntime()) {
    case "deno":
      return [process.execPath, ["run", "-A", file]];
    case "bun":
      return [process.execPath, [file]];
    default:
      return [process.execPath, [file]];
  }
}

/** Runs a script on this runtime: its output, exit code, and how long after `marker` appeared on stdout it exited. */
export function runScript(
  file: string,
  marker: string,
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string; afterMarkerMs: number | undefined }> {
  const [command, args] = runtimeCommand(file);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    let markedAt: number | undefined;
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (markedAt === undefined && stdout.includes(marker)) markedAt = performance.now();
    });
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, afterMarkerMs: markedAt === undefined ? undefined : performance.now() - markedAt });
    });
  });
}

/** Whether a process with this pid exists. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The end of every workers test file: no call is still running, and once the pools have
 * stopped their idle workers, no worker thread or child process that anyts started is
 * left (the census counts until each one's exit was seen; pids are checked with the OS).
 */
export async function expectNoWorkersLeft(): Promise<void> {
  expect(_busyWorkers()).toBe(0);
  const { pids } = _workerCensus();
  await _closeWorkerPools(10_000);
  expect(_workerCensus()).toEqual({ threads: 0, processes: 0, threadIds: [], pids: [] });
  for (const pid of pids) expect(processExists(pid), `child process ${pid} is still running`).toBe(false);
  _configureWorkers({ threadIdleTimeout: undefined, processIdleTimeout: undefined, resourceLimits: undefined });
}

/** The hook timeout of a `beforeAll` that compiles the fixtures (Node 20 loads TypeScript's compiler). */
export const FIXTURE_TIMEOUT = 60_000;

/** `path` relative to the repository, for messages. */
export function repoPath(path: string): string {
  return relative(ROOT, path);
}

/** Waits (blocking nothing: polling each 5 ms) until `condition()` holds, up to `timeoutMs`. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** An Int32Array over shared memory (the flags the fixtures count in). */
export function sharedCounter(slots = 2): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * slots));
}

/** Waits (without blocking the event loop) until `counter[index]` is not 0. */
export async function whenSet(counter: Int32Array, index = 0, timeoutMs = 10_000): Promise<void> {
  await eventually(() => Atomics.load(counter, index) !== 0, `counter[${index}] is set`, timeoutMs);
}
