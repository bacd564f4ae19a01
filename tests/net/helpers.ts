// Helpers of the network tests: loopback peers, I/O turns, temporary Unix socket paths.
// Synchronisation is by events and I/O turns, never by sleeping for a time.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detectRuntime } from "../../mod.ts";

export const encoder = new TextEncoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** One turn of the event loop, so that I/O callbacks run (a macrotask, not a timed wait). */
export function ioTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Lets the event loop turn until `condition()` holds; fails after `turns` turns. */
export async function untilIO(condition: () => boolean, what: string, turns = 2_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await ioTurn();
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Runs `fn` and returns what it threw (fails if it did not throw). */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, none was thrown");
}

/** Pseudo-random bytes (content checks catch reordering and loss). */
export function payload(size: number): Uint8Array {
  const data = new Uint8Array(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return data;
}

/** Concatenates chunks. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Whether two byte arrays are equal (without a slow element-by-element diff on failure). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A fresh Unix socket path in the temporary directory (short: the limit is ~100 bytes). */
export function socketPath(): string {
  return join(tmpdir(), `anyts-${randomBytes(6).toString("hex")}.sock`);
}

/** Removes a file if it exists. */
export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

/** A `node:net` server on a loopback address, for tests that need a peer outside anyts. */
export async function nodeServer(
  host: string,
  onConnection: (socket: net.Socket) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port: 0 }, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Connects a `node:net` client to a loopback address. */
export function nodeClient(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, allowHalfOpen: true });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve(socket);
    });
  });
}

/**
 * A TCP listener on `host`:`port` whose process never accepts: a child process (of this
 * runtime) listens with a backlog of 1 and blocks its event loop. Once `fill()` has
 * queued connections beyond the backlog, further connection attempts hang (the kernel
 * drops their SYNs), which is how a happy-eyeballs attempt can be made to hang on loopback.
 */
export async function stalledListener(host: string, port: number): Promise<{
  fill(): Promise<void>;
  close(): void;
}> {
  const script = `
    import("node:net").then(({ createServer }) => {
      const server = createServer();
      server.on("error", (error) => { process.stdout.write("error " + error.code + "\\n"); process.exit(1); });
      server.listen({ host: ${JSON.stringify(host)}, port: ${port}, backlog: 1 }, () => {
        process.stdout.write("listening\\n", () => {
          // Block the event loop: nothing is ever accepted.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30000);
          process.exit(0);
        });
      });
    });`;
  // Bun's node:net ignores the backlog (its queue is long), so on Bun the helper runs on
  // Node (the test matrix has it on PATH); Node and Deno run it themselves.
  const runtime = detectRuntime();
  const command = runtime === "bun" ? "node" : process.execPath;
  const args = runtime === "deno" ? ["eval", script] : ["-e", script];
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  const fillers: net.Socket[] = [];
  const close = () => {
    for (const socket of fillers) socket.destroy();
    child.kill("SIGKILL");
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk: Uint8Array) => {
        out += new TextDecoder().decode(chunk);
        if (out.includes("listening")) resolve();
        else if (out.includes("error")) reject(new Error(`stalled listener: ${out.trim()}`));
      });
      child.once("exit", (code) => reject(new Error(`stalled listener exited with ${code}: ${out.trim()}`)));
      child.once("error", reject);
    });
  } catch (error) {
    close();
    throw error;
  }
  return {
    async fill() {
      // The kernel queues backlog + 1 connections; the rest hang in SYN retransmission.
      let connected = 0;
      for (let i = 0; i < 8; i++) {
        const socket = net.connect({ host, port });
        socket.on("error", () => {});
        socket.once("connect", () => connected++);
        fillers.push(socket);
      }
      await untilIO(() => connected > 0, "a filler connection completed");
    },
    close,
  };
}
