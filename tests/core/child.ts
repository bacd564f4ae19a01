// Runs a TypeScript file in a child process of the runtime running the tests (Node 20,
// which cannot strip types, uses the pinned Node 22), for tests whose subject is the
// process itself: what keeps it alive, how it exits, what it prints.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { detectRuntime } from "../../mod.ts";

/** The command and leading arguments that run a .ts file on this runtime. */
export function tsRunner(): [string, string[]] {
  const runtime = detectRuntime();
  if (runtime === "deno") return [process.execPath, ["run", "-A"]];
  if (runtime === "bun") return [process.execPath, []];
  const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
  if (major > 22 || (major === 22 && minor >= 18)) return [process.execPath, []];
  return [fileURLToPath(new URL("../../node_modules/node22/bin/node", import.meta.url)), []];
}

/** What a child printed and how it ended. */
export interface ChildResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args`; kills it after `timeoutMs` (the result then has signal SIGKILL). */
export function runChild(command: string, args: string[], timeoutMs = 20_000, cwd?: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs the TypeScript file `file` (a URL or path) on this runtime. */
export function runTsChild(file: URL, args: string[] = [], timeoutMs?: number): Promise<ChildResult> {
  const [command, leading] = tsRunner();
  return runChild(command, [...leading, fileURLToPath(file), ...args], timeoutMs);
}
