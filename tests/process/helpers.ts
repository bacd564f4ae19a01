// Helpers of the process and signal suites: the zombie check that runs after every test,
// running a TypeScript fixture on this very runtime, and reading a child's output.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { afterEach, expect } from "vitest";
import { detectRuntime, EndOfStream, failAfter, type ProcessReceiveStream } from "../../mod.ts";

/** The pids of this process's children (zombies included), from /proc. */
export function childPids(): number[] {
  const tasks = `/proc/${process.pid}/task`;
  const pids: number[] = [];
  for (const task of readdirSync(tasks)) {
    let children = "";
    try {
      children = readFileSync(`${tasks}/${task}/children`, "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    for (const pid of children.trim().split(/\s+/)) if (pid !== "") pids.push(Number(pid));
  }
  return pids;
}

function describePid(pid: number): string {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    const state = /^State:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return `${pid} (${cmdline || "?"}, ${state})`;
  } catch {
    return `${pid}`;
  }
}

/** The children that exist now and are not in `before`. */
let baseline: number[] = [];

/**
 * Registers the check that runs after every test of the file: no child of the test
 * process (running or zombie) is left. Children that existed when the file started (a test
 * runner's own) are ignored.
 */
export function checkNoChildLeftAfterEachTest(): void {
  baseline = childPids();
  afterEach(() => {
    const left = childPids().filter((pid) => !baseline.includes(pid));
    expect(left.map(describePid), "children of the test process left behind").toEqual([]);
  });
}

/** Whether `pid` is gone (or a zombie nobody has reaped yet: dead either way). */
export function isDead(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true;
  try {
    return /^State:\s+[ZX]/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
}

/** The path of a fixture in tests/signals/fixtures/. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../signals/fixtures/${name}`, import.meta.url));
}

/**
 * The command that runs the TypeScript file `script` on this runtime, with `args`: the
 * runtime binary itself (Node ≥ 22.18 strips types; Node 20 gets a transpiling loader).
 */
export function runtimeCommand(script: string, args: string[] = []): string[] {
  const exe = process.execPath;
  switch (detectRuntime()) {
    case "deno":
      return [exe, "run", "-A", script, ...args];
    case "bun":
      return [exe, script, ...args];
    default: {
      const features = process.features as { typescript?: unknown };
      if (features.typescript) return [exe, "--no-warnings", script, ...args];
      return [exe, "--no-warnings", "--import", fixture("register-ts-loader.mjs"), script, ...args];
    }
  }
}

/** Reads a child's output line by line, each read within `ms` milliseconds. */
export class LineReader {
  #stream: ProcessReceiveStream;
  #buffer = "";
  #decoder = new TextDecoder();
  #ended = false;
  /** Every line read so far. */
  readonly lines: string[] = [];

  constructor(stream: ProcessReceiveStream) {
    this.#stream = stream;
  }

  /** The next line (without its newline), or `null` at end of stream. */
  async next(ms = 20_000): Promise<string | null> {
    return await failAfter(ms, async () => {
      for (;;) {
        const newline = this.#buffer.indexOf("\n");
        if (newline !== -1) {
          const line = this.#buffer.slice(0, newline);
          this.#buffer = this.#buffer.slice(newline + 1);
          this.lines.push(line);
          return line;
        }
        if (this.#ended) {
          if (this.#buffer === "") return null;
          const line = this.#buffer;
          this.#buffer = "";
          this.lines.push(line);
          return line;
        }
        try {
          this.#buffer += this.#decoder.decode(await this.#stream.receive(), { stream: true });
        } catch (error) {
          if (!(error instanceof EndOfStream)) throw error;
          this.#ended = true;
        }
      }
    }, { reason: `no line from the child within ${ms} ms; it printed ${JSON.stringify(this.lines)}` });
  }

  /** Reads lines until one equals `expected`; fails (showing the output) if the stream ends first. */
  async until(expected: string, ms?: number): Promise<void> {
    for (;;) {
      const line = await this.next(ms);
      if (line === expected) return;
      if (line === null) throw new Error(`the child ended before printing ${JSON.stringify(expected)}; it printed ${JSON.stringify(this.lines)}`);
    }
  }

  /** Every remaining line. */
  async rest(ms?: number): Promise<string[]> {
    const lines: string[] = [];
    for (let line = await this.next(ms); line !== null; line = await this.next(ms)) lines.push(line);
    return lines;
  }
}

/** `text` as UTF-8 bytes. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** `data` as a string. */
export function text(data: Uint8Array | string | null): string {
  if (data === null) return "<null>";
  return typeof data === "string" ? data : new TextDecoder().decode(data);
}

/** A deterministic payload of `size` bytes. */
export function payload(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >>> 11)) & 0xff;
  return data;
}

/** What `promise` rejects with (fails if it resolves). */
export async function caught(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error("expected a rejection, but the promise resolved");
}

/**
 * Polls `condition` (state outside this process, such as another process's death, which
 * no event announces) every few milliseconds; fails after `ms`.
 */
export async function eventually(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
