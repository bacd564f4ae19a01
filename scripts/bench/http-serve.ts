/**
 * The server process of the HTTP benchmark (http.bench.ts starts one per candidate, on the
 * runtime under test, so that wrk, the client and the server never share a process):
 *
 *   <runtime> scripts/bench/http-serve.ts --impl anyts|raw|floor [--port 0] [--timeout ms]
 *                                         [--cert file --key file [--standard-compatible false]]
 *
 * `anyts` is examples/http-server.ts (`startHttpServer`, native backend; `--timeout` is its
 * per-request `moveOnAfter`, none without it); `raw` is the runtime's own API
 * (http-raw-node.ts, http-raw-deno.ts or http-raw-bun.ts; `--timeout` a per-connection
 * timer re-armed per request); `floor` (Node only, plain) is http-floor-node.ts, the raw
 * server served in pull style (a promise per chunk, an async context per connection). Only the chosen implementation is loaded: the raw server
 * never loads anyts. Prints `READY <port>` once listening; on a stdin line `gc` collects
 * garbage (when the runtime exposes it) and prints `GC`; exits when stdin ends.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { pathToFileURL } from "node:url";

/** Marks the module for the bench, whose static import makes tsc compile this file for Node 20. */
export const HTTP_SERVE_SCRIPT = "http-serve";

function argument(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

function collectGarbage(): void {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (typeof g.gc === "function") g.gc();
  else g.Bun?.gc(true);
}

/** Answers stdin: `gc` lines; the end of stdin ends the process (the bench is gone or done). */
function listenToParent(): void {
  let line = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    line += chunk;
    for (let nl = line.indexOf("\n"); nl >= 0; nl = line.indexOf("\n")) {
      const command = line.slice(0, nl).trim();
      line = line.slice(nl + 1);
      if (command === "gc") {
        collectGarbage();
        process.stdout.write("GC\n");
      }
    }
  });
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("error", () => process.exit(0));
}

async function main(args: string[]): Promise<void> {
  const impl = argument(args, "--impl");
  const port = Number(argument(args, "--port") ?? 0);
  const timeoutArg = argument(args, "--timeout");
  const requestTimeout = timeoutArg === undefined ? null : Number(timeoutArg);
  const certFile = argument(args, "--cert");
  const keyFile = argument(args, "--key");
  const standardCompatible = argument(args, "--standard-compatible") !== "false";
  const tls = certFile === undefined || keyFile === undefined
    ? undefined
    : { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
  const host = "127.0.0.1";
  listenToParent();

  if (impl === "raw") {
    const options = { host, port, requestTimeout, tls };
    const g = globalThis as { Deno?: unknown; Bun?: unknown };
    const server = g.Deno !== undefined
      ? (await import("./http-raw-deno.ts")).startDenoRawServer(options)
      : g.Bun !== undefined
      ? (await import("./http-raw-bun.ts")).startBunRawServer(options)
      : await (await import("./http-raw-node.ts")).startNodeRawServer(options);
    process.stdout.write(`READY ${server.port}\n`);
    return;
  }
  if (impl === "floor") {
    // Node only: the pull-model floor (http-floor-node.ts).
    const server = await (await import("./http-floor-node.ts")).startNodeFloorServer({ host, port, requestTimeout, tls });
    process.stdout.write(`READY ${server.port}\n`);
    return;
  }
  if (impl !== "anyts") throw new TypeError(`--impl must be anyts, raw or floor, got ${impl}`);
  const { run, taskGroup, sleepForever } = await import("../../mod.ts");
  const { startHttpServer } = await import("../../examples/http-server.ts");
  await run(() =>
    taskGroup(async (tg) => {
      const server = await startHttpServer(tg, {
        host,
        port,
        requestTimeout,
        ...(tls === undefined ? {} : { tls: { ...tls, standardCompatible } }),
      });
      process.stdout.write(`READY ${server.port}\n`);
      await sleepForever(); // until the process exits
    })
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).catch((error) => {
    console.error("http-serve:", error);
    process.exit(1);
  });
}
