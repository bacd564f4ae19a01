// Run a subprocess with a time limit, streaming its output.

import { spawn } from "node:child_process";

const live = new Set();

function killGroup(child, signal) {
  try {
    if (process.platform !== "win32") process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}

let handlersInstalled = false;
function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, () => {
      for (const child of live) killGroup(child, "SIGKILL");
      process.exit(130);
    });
  }
}

/**
 * Runs `cmd args` in its own process group. Output goes to our stdout/stderr as
 * it comes (unless `quiet`), and the last `keep` characters are returned.
 * A run longer than `timeoutMs` is killed (SIGTERM, then SIGKILL after 10 s),
 * with all its children.
 *
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number, quiet?: boolean, keep?: number, input?: string }} [opts]
 * @returns {Promise<{ code: number | null, signal: NodeJS.Signals | null, timedOut: boolean, output: string, ms: number, error?: Error }>}
 */
export function runCommand(cmd, args, opts = {}) {
  installHandlers();
  const { cwd, env, timeoutMs = 15 * 60_000, quiet = false, keep = 200_000 } = opts;
  const started = Date.now();
  return new Promise((resolve) => {
    let output = "";
    let timedOut = false;
    let done = false;
    const append = (chunk, stream) => {
      const text = chunk.toString();
      if (!quiet) stream.write(text);
      output += text;
      if (output.length > keep * 2) output = output.slice(-keep);
    };
    let child;
    try {
      child = spawn(cmd, args, {
        cwd,
        env,
        detached: process.platform !== "win32",
        stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      });
    } catch (error) {
      resolve({ code: null, signal: null, timedOut: false, output: String(error), ms: 0, error });
      return;
    }
    live.add(child);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    child.stdout.on("data", (c) => append(c, process.stdout));
    child.stderr.on("data", (c) => append(c, process.stderr));
    let killTimer;
    const timer = setTimeout(() => {
      timedOut = true;
      const msg = `\n!!! ${cmd} ${args.join(" ")}: timed out after ${Math.round(timeoutMs / 1000)} s, killing it\n`;
      process.stderr.write(msg);
      output += msg;
      killGroup(child, "SIGTERM");
      killTimer = setTimeout(() => killGroup(child, "SIGKILL"), 10_000);
    }, timeoutMs);
    const finish = (code, signal, error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      live.delete(child);
      // Leftover grandchildren (a test that leaked a process) must not outlive us.
      if (process.platform !== "win32") killGroup(child, "SIGKILL");
      if (output.length > keep) output = output.slice(-keep);
      resolve({ code, signal, timedOut, output, ms: Date.now() - started, error });
    };
    child.on("error", (error) => finish(null, null, error));
    child.on("close", (code, signal) => finish(code, signal));
    // A leftover grandchild can hold our pipes open after the child exited:
    // give the output 5 s to drain, then kill the group and stop waiting.
    child.on("exit", (code, signal) => {
      setTimeout(() => {
        if (done) return;
        killGroup(child, "SIGKILL");
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, signal);
      }, 5_000).unref();
    });
  });
}

/** `12.3 s` */
export function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
