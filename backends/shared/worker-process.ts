/**
 * Child processes of `toProcess.run` on `node:child_process`: the same runtime started
 * with the worker entry and an IPC channel with v8 ("advanced") serialization, its stdout
 * and stderr the parent's. The Node adapter uses it on every runtime; the Deno adapter
 * too, because `Deno.Command` has no IPC channel (and no extra file descriptors for a pipe
 * of our own), while Deno's node:child_process has one with v8 serialization.
 *
 * Measured facts (Node 20–24, Deno 2.9.6, Bun 1.4.5): `child.send` of a value that cannot
 * be cloned throws synchronously on Node and Bun, but asynchronously (an uncaught error)
 * on Deno (it would crash the parent), so on Deno each message is checked first
 * (`checkSerializable`) to throw where it can be caught; the
 * order of `exit` and `disconnect` differs (Node: disconnect first; Deno, Bun: exit
 * first), so the end is reported once both happened, after the last message.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { serialize } from "node:v8";
import { detectRuntime } from "../../src/backend/index.ts";
import type { RawWorker } from "../../src/backend/worker.ts";
import { selfCommand } from "./self-command.ts";

const ignore = (): void => {};

/**
 * Throws, as Deno's channel would asynchronously, when `message` cannot be serialized:
 * structuredClone (~1 µs) catches what cannot be cloned, a bounded walk finds shared
 * memory (which structuredClone accepts and the channel refuses), and only a message too
 * big to walk pays for Deno's v8.serialize (~25 µs).
 */
function checkSerializable(message: unknown): void {
  structuredClone(message);
  const budget = { nodes: 10_000 };
  const shared = holdsSharedMemory(message, budget);
  if (shared === undefined) serialize(message);
  else if (shared) throw new DOMException("#<SharedArrayBuffer> could not be cloned.", "DataCloneError");
}

/** Whether `value` holds a SharedArrayBuffer; `undefined` when the walk ran out of budget. */
function holdsSharedMemory(value: unknown, budget: { nodes: number }): boolean | undefined {
  if (value === null || typeof value !== "object") return false;
  if (--budget.nodes < 0) return undefined;
  if (value instanceof SharedArrayBuffer) return true;
  if (ArrayBuffer.isView(value)) return value.buffer instanceof SharedArrayBuffer;
  if (value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) return false;
  const items: Iterable<unknown> = Array.isArray(value)
    ? value
    : value instanceof Map
    ? [...value.keys(), ...value.values()]
    : value instanceof Set
    ? value
    : Object.values(value);
  for (const item of items) {
    const found = holdsSharedMemory(item, budget);
    if (found !== false) return found;
  }
  return false;
}

/** Starts a child process of this runtime running the worker entry, over node:child_process IPC. */
export function startChildProcess(): RawWorker {
  const [command, args] = selfCommand();
  const cloneFirst = detectRuntime() === "deno";
  let child: ChildProcess;
  let failure: unknown;
  try {
    child = spawn(command, args, {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
      windowsHide: true,
    });
  } catch (error) {
    failure = error;
    child = undefined as never;
  }
  let exit: { code: number | null; signal: string | null } | undefined;
  let reported = false;
  const report = () => {
    if (reported || exit === undefined || child?.connected) return;
    reported = true;
    raw.onExit?.(failure === undefined ? exit : { ...exit, error: failure });
  };
  const raw: RawWorker = {
    kind: "process",
    id: child?.pid ?? -1,
    sync: undefined,
    post: (message) => {
      if (cloneFirst) checkSerializable(message);
      // The callback takes the errors of a channel that closed meanwhile (the exit is
      // reported through `exit`), which would otherwise be `error` events.
      child.send(message as never, ignore);
    },
    onMessage: undefined,
    onExit: undefined,
    ref: () => {
      if (reported) return;
      child.ref();
      (child.channel as { ref?(): void } | undefined)?.ref?.();
    },
    unref: () => {
      if (child === undefined) return;
      child.unref();
      (child.channel as { unref?(): void } | undefined)?.unref?.();
    },
    terminate: () => {
      if (child !== undefined && exit === undefined) child.kill("SIGKILL");
    },
  };
  if (child === undefined) {
    exit = { code: null, signal: null };
    queueMicrotask(report);
    return raw;
  }
  child.on("message", (message) => raw.onMessage?.(message));
  child.on("error", (error) => {
    failure ??= error;
    // A child that could not be spawned emits no exit.
    if (child.pid === undefined) {
      exit ??= { code: null, signal: null };
      report();
    }
  });
  child.on("disconnect", report);
  child.on("exit", (code, signal) => {
    exit = { code, signal };
    report();
  });
  return raw;
}
