// Programs run as child processes of the runtime under test (the runtime binary itself
// running a small script): an unclosed SocketStream must not keep a finished program alive
// (issue 8, item 3: Bun hung), and on Deno a missing --allow-net must reject the call with
// an error naming the permission instead of ending the process (item 15).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectRuntime, getAvailableBackends } from "../../mod.ts";

const MOD = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../mod.ts");
const runtime = detectRuntime();
const runsTypeScript = runtime !== "node" || Number(process.versions.node.split(".")[0]) >= 22;
if (!runsTypeScript) console.log("tests/net/child.test.ts: skipped on Node 20: it cannot run a TypeScript child script");

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "anyts-child-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `script` with this runtime; resolves with its exit code and output, or kills it after `limit` ms. */
function runChild(script: string, args: string[], flags: string[], limit = 20_000): Promise<{ code: number | null; output: string; killed: boolean }> {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, script);
  const command = runtime === "deno" ? [process.execPath, "run", ...flags, file, ...args] : [process.execPath, ...flags, file, ...args];
  return new Promise((done) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let killed = false;
    child.stdout.on("data", (chunk: Uint8Array) => (output += new TextDecoder().decode(chunk)));
    child.stderr.on("data", (chunk: Uint8Array) => (output += new TextDecoder().decode(chunk)));
    // A watchdog, not a synchronisation: the child must exit long before it.
    const watchdog = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, limit);
    child.on("exit", (code) => {
      clearTimeout(watchdog);
      done({ code, output, killed });
    });
  });
}

const UNCLOSED = `
import * as net from "node:net";
import { connectTcp, run } from ${JSON.stringify(MOD)};
// The peer: it sends a line and ends its side; it holds nothing alive itself.
const server = net.createServer((socket) => {
  socket.unref();
  socket.on("error", () => {});
  socket.end("bye");
});
server.unref();
await new Promise<void>((ready) => server.listen(0, "127.0.0.1", () => ready()));
const port = (server.address() as net.AddressInfo).port;
await run(async () => {
  const stream = await connectTcp("127.0.0.1", port); // never closed: left to the garbage collector
  try {
    for (;;) await stream.receive();
  } catch (error) {
    console.log("received until", (error as Error).name);
  }
}, { backend: process.argv[2] as "node" });
server.close();
console.log("done");
`;

describe.skipIf(!runsTypeScript)("child processes", () => {
  for (const backend of getAvailableBackends()) {
    it(`an unclosed SocketStream does not keep a finished program alive [${backend}]`, async () => {
      const { code, output, killed } = await runChild(UNCLOSED, [backend], runtime === "deno" ? ["-A"] : []);
      expect(killed, `the child did not exit by itself; output: ${output}`).toBe(false);
      expect(output).toContain("received until EndOfStream");
      expect(output).toContain("done");
      expect(code).toBe(0);
    });
  }

  const PERMISSIONS = `
import { connectTcp, createTcpListener, createUdpSocket, createUnixListener, getaddrinfo, run } from ${JSON.stringify(MOD)};
const backend = process.argv[2] as "node";
const operations: Record<string, () => Promise<unknown>> = {
  listen: () => createTcpListener({ localHost: "127.0.0.1" }),
  "listen everywhere": () => createTcpListener(),
  udp: () => createUdpSocket({ localHost: "127.0.0.1" }),
  connect: () => connectTcp("127.0.0.1", 9),
  getaddrinfo: () => getaddrinfo("localhost"),
  unix: () => createUnixListener("/tmp/anyts-no-permission.sock"),
};
for (const [name, operation] of Object.entries(operations)) {
  try {
    await run(operation, { backend });
    console.log(name, "NO ERROR");
  } catch (error) {
    const inner = (error as { errors?: unknown[] }).errors?.[0] ?? error;
    console.log(name, "|", (inner as { code?: string }).code, "|", (inner as Error).message);
  }
}
console.log("done");
`;

  for (const backend of getAvailableBackends()) {
    it.skipIf(runtime !== "deno")(`without --allow-net a call rejects with an error naming the permission [${backend}]`, async () => {
      const { code, output, killed } = await runChild(PERMISSIONS, [backend], [`--allow-read=${resolve(MOD, "..")}`]);
      expect(killed, output).toBe(false);
      expect(code, output).toBe(0);
      expect(output).toContain("done");
      const lines = output.split("\n");
      for (const name of ["listen", "listen everywhere", "udp", "connect", "getaddrinfo"]) {
        const line = lines.find((entry) => entry.startsWith(`${name} |`));
        expect(line, `${name}: ${output}`).toBeDefined();
        expect(line).toContain("EACCES");
        expect(line).toContain("--allow-net");
      }
      const unix = lines.find((entry) => entry.startsWith("unix |"));
      expect(unix).toContain("EACCES");
      expect(unix).toMatch(/--allow-(read|write)/);
    });
  }
});
if (runtime !== "deno") console.log("tests/net/child.test.ts: the permission tests run on Deno only (only Deno has permissions)");
