/**
 * The Backend interface that each runtime adapter in `backends/` implements, runtime
 * detection, and the registry that loads adapters lazily (a runtime never parses another
 * runtime's adapter).
 *
 * @module
 */

/** The name of a runtime adapter. */
export type BackendName = "node" | "deno" | "bun";

/** The JavaScript runtime executing this code. */
export type RuntimeName = BackendName | "unknown";

/** An opaque timer handle returned by {@linkcode Backend.setTimer}. */
export type TimerHandle = unknown;

import type { RawListener, RawSocket, RawUdpSocket } from "./net.ts";
import type { RawTlsSocket, TlsEngineOptions, TlsTransport } from "./tls.ts";
import { lazyProcessBackend, type ProcessBackend } from "./process.ts";
import { lazySignalsBackend, type SignalsBackend } from "./signals.ts";
import { delegatingWorkerBackend, type WorkerBackend } from "./worker.ts";
import type { FsBackend } from "./fs.ts";

export type { RawListener, RawSocket, RawSocketSink, RawUdpSocket, SocketInfo } from "./net.ts";
export type { RawTlsSocket, TlsEngineOptions, TlsSessionInfo, TlsTransport } from "./tls.ts";
export type { ProcessBackend, RawPipeReader, RawPipeWriter, RawProcess, RawStdio, SpawnOptions } from "./process.ts";
export type { SignalsBackend } from "./signals.ts";
export type {
  RawSyncPort,
  RawWorker,
  RawWorkerExit,
  RawWorkerKind,
  StartWorkerOptions,
  WorkerBackend,
  WorkerResourceLimits,
  WorkerTransferable,
} from "./worker.ts";
export type { FileInfo, FsBackend, RawDir, RawDirEntry, RawFile, RawOpenOptions } from "./fs.ts";

/**
 * What a runtime adapter provides to the core: the clock and timers, and the network I/O
 * that `src/net/` builds its API on. Each adapter uses its runtime's fastest native API
 * and node: modules only where that API lacks a feature.
 *
 * @example
 * ```ts
 * import { loadBackend } from "@anyts/anyts";
 * const backend = await loadBackend("node");
 * console.log(backend.name, backend.currentTime());
 * ```
 */
export interface Backend {
  /** Which adapter this is. */
  readonly name: BackendName;
  /** A monotonic clock in milliseconds (the time base of deadlines). */
  currentTime(): number;
  /** Calls `callback` once, after `delayMs` milliseconds (or a little later). */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  /** Cancels a timer from {@linkcode Backend.setTimer}; harmless if it already ran. */
  clearTimer(handle: TimerHandle): void;

  /**
   * Resolves `host` (a host name in ASCII: the core converts international names to
   * punycode first) like getaddrinfo, keeping the resolver's order. `family` 0 means both.
   * Rejects with the resolver's error (for an unknown name: NXDOMAIN / ENOTFOUND / NotFound).
   */
  getaddrinfo(host: string, family: 0 | 4 | 6): Promise<Array<{ address: string; family: 4 | 6 }>>;
  /**
   * Connects to an IP `address` (already resolved) and `port`, from `localHost` (an IP
   * address, already resolved) when given. Aborting `signal` abandons the attempt and
   * closes whatever it opened (happy eyeballs cancels the losers); the core aborts it only
   * while the promise is pending, never after it resolved. Rejects with the runtime's error.
   */
  connectTcp(address: string, port: number, options: { localHost?: string; signal: AbortSignal }): Promise<RawSocket>;
  /**
   * Listens on one IP address and port (port 0: any free one). `ipv6Only` applies to IPv6
   * addresses (the core binds "::" with it and "0.0.0.0" separately); `reuseAddress` lets
   * other sockets bind the same address and port (SO_REUSEPORT) where the runtime can, and
   * is ignored where it cannot. `backlog` is already clamped to 1..65536.
   */
  listenTcp(options: {
    host: string;
    port: number;
    backlog: number;
    reuseAddress: boolean;
    ipv6Only: boolean;
  }): Promise<RawListener>;
  /** Connects to a Unix socket. */
  connectUnix(path: string, options: { signal: AbortSignal }): Promise<RawSocket>;
  /**
   * Listens on a Unix socket path. The backend (not the core, which never touches the file
   * system) handles a file already at `path`: if it is a socket that nobody listens on (a
   * connect to it is refused), it is a stale leftover and is removed before binding; if
   * something listens on it, or it is not a socket, reject with the runtime's "address in
   * use" error and leave the file alone.
   */
  listenUnix(path: string, options: { backlog: number }): Promise<RawListener>;
  /** Opens a UDP socket bound to `localHost`:`localPort`, connected when `remote` is given. */
  createUdpSocket(options: {
    family: 4 | 6;
    localHost: string;
    localPort: number;
    reuseAddress: boolean;
    remote?: { host: string; port: number };
  }): Promise<RawUdpSocket>;
  /**
   * Starts a TLS session (client or server side per `options.serverSide`) over `transport`
   * and resolves once the handshake is done. Rejects with the engine's error when the
   * handshake fails, and when `options.signal` aborts.
   */
  startTls(transport: TlsTransport, options: TlsEngineOptions): Promise<RawTlsSocket>;
  /**
   * Optional fast path of {@linkcode Backend.startTls}: hands `socket`, a fresh socket of
   * this backend, to the runtime's own TLS (no JavaScript between the two), which then
   * owns it. The core calls it only for `connectTcp(..., { tls })` and `TLSListener` with
   * `standardCompatible: false` (neither Node's nor Bun's native TLS tells a close_notify
   * from a ragged EOF), and only while nothing has been read from `socket`.
   *
   * Returns `undefined`, without touching `socket`, when it cannot take this socket (not
   * one of its own, or bytes already received): the core then uses `startTls`. Otherwise
   * the same as `startTls`, except that the session's `unwrap()` is unsupported (rejects)
   * and `closeNotifyReceived` is `true` at any end of stream; closing it closes `socket`.
   */
  upgradeTls?(socket: RawSocket, options: TlsEngineOptions): Promise<RawTlsSocket> | undefined;

  /** Child processes: spawning, pipes, exit status, signals to children (src/backend/process.ts). */
  readonly process: ProcessBackend;
  /** OS signals of this process: handlers, numbers, keep-alive, exit (src/backend/signals.ts). */
  readonly signals: SignalsBackend;
  /** Worker threads and child processes of this runtime, for `toWorker`, `toProcess` and the BlockingPortal. */
  readonly workers: WorkerBackend;
  /** Files and paths (`src/backend/fs.ts`), which `src/fs/` builds `openFile` and `Path` on. */
  readonly fs: FsBackend;
}

/**
 * Says which runtime is executing. Deno and Bun both fake `process.versions.node`, so they
 * are tested first.
 *
 * @example
 * ```ts
 * import { detectRuntime } from "@anyts/anyts";
 * console.log(detectRuntime()); // "node", "deno" or "bun"
 * ```
 */
export function detectRuntime(): RuntimeName {
  const global = globalThis as { Deno?: unknown; Bun?: unknown; process?: { versions?: { node?: string } } };
  if (global.Deno !== undefined) return "deno";
  if (global.Bun !== undefined) return "bun";
  if (typeof global.process?.versions?.node === "string") return "node";
  return "unknown";
}

/**
 * The backends that work in this runtime, native first: `["node"]` on Node, `["deno",
 * "node"]` on Deno, `["bun", "node"]` on Bun (the node adapter runs on their node:
 * compatibility layers).
 *
 * @example
 * ```ts
 * import { getAvailableBackends } from "@anyts/anyts";
 * console.log(getAvailableBackends()[0]); // the native backend
 * ```
 */
export function getAvailableBackends(): BackendName[] {
  switch (detectRuntime()) {
    case "node":
      return ["node"];
    case "deno":
      return ["deno", "node"];
    case "bun":
      return ["bun", "node"];
    default:
      return [];
  }
}

const adapterLoaders: Record<BackendName, () => Promise<Backend>> = {
  node: () => import("../../backends/node/index.ts").then((module) => module.nodeBackend),
  deno: () => import("../../backends/deno/index.ts").then((module) => module.denoBackend),
  bun: () => import("../../backends/bun/index.ts").then((module) => module.bunBackend),
};

const loadedBackends = new Map<BackendName, Promise<Backend>>();

/**
 * Loads (once) and returns the named backend. Throws a `TypeError` for an unknown name and
 * an `Error` for a backend this runtime lacks.
 *
 * @example
 * ```ts
 * import { getAvailableBackends, loadBackend } from "@anyts/anyts";
 * const backend = await loadBackend(getAvailableBackends()[0]);
 * console.log(backend.name);
 * ```
 */
export function loadBackend(name: BackendName): Promise<Backend> {
  let loading = loadedBackends.get(name);
  if (loading === undefined) {
    if (!Object.hasOwn(adapterLoaders, name)) {
      return Promise.reject(
        new TypeError(`backend must be one of "node", "deno", "bun"; got ${JSON.stringify(name)}`),
      );
    }
    const available = getAvailableBackends();
    if (!available.includes(name)) {
      return Promise.reject(
        new Error(
          `backend "${name}" is not available on ${detectRuntime()}; available: ${
            available.map((n) => `"${n}"`).join(", ") || "none"
          }`,
        ),
      );
    }
    loading = adapterLoaders[name]();
    loadedBackends.set(name, loading);
  }
  return loading;
}

/**
 * The clock and timers of every backend: web-standard (`performance.now`, `setTimeout`) and
 * identical on Node, Deno and Bun, so that a deadline computed in one place (outside a run,
 * or on another backend) means the same everywhere.
 */
export const standardClock: Pick<Backend, "currentTime" | "setTimer" | "clearTimer"> = {
  currentTime: () => performance.now(),
  setTimer: (delayMs, callback) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Web-standard clock and timers, identical on every runtime. Code outside any `run` uses
 * them until the native backend has loaded (the adapters use the same clock); its I/O
 * methods wait for the native backend to load and delegate to it.
 */
export const provisionalBackend: Backend = {
  name: getAvailableBackends()[0] ?? "node",
  ...standardClock,
  getaddrinfo: (...args) => loadNative().then((backend) => backend.getaddrinfo(...args)),
  connectTcp: (...args) => loadNative().then((backend) => backend.connectTcp(...args)),
  listenTcp: (...args) => loadNative().then((backend) => backend.listenTcp(...args)),
  connectUnix: (...args) => loadNative().then((backend) => backend.connectUnix(...args)),
  listenUnix: (...args) => loadNative().then((backend) => backend.listenUnix(...args)),
  createUdpSocket: (...args) => loadNative().then((backend) => backend.createUdpSocket(...args)),
  startTls: (...args) => loadNative().then((backend) => backend.startTls(...args)),
  process: lazyProcessBackend(loadNative),
  signals: lazySignalsBackend(loadNative),
  workers: delegatingWorkerBackend(() => loadNative()),
  fs: provisionalFs(),
};

/** Every method of `fs` waits for the native backend to load and delegates to its `fs`. */
function provisionalFs(): FsBackend {
  const delegate = <K extends keyof FsBackend>(name: K) =>
    ((...args: unknown[]) =>
      loadNative().then((backend) => (backend.fs[name] as (...args: unknown[]) => unknown)(...args))) as FsBackend[K];
  return {
    open: delegate("open"),
    stat: delegate("stat"),
    lstat: delegate("lstat"),
    openDir: delegate("openDir"),
    mkdir: delegate("mkdir"),
    rmdir: delegate("rmdir"),
    unlink: delegate("unlink"),
    rename: delegate("rename"),
    symlink: delegate("symlink"),
    link: delegate("link"),
    readlink: delegate("readlink"),
    realpath: delegate("realpath"),
    chmod: delegate("chmod"),
    utimes: delegate("utimes"),
    readFile: delegate("readFile"),
    writeFile: delegate("writeFile"),
    copyFile: delegate("copyFile"),
    cwd: delegate("cwd"),
    homedir: delegate("homedir"),
  };
}

function loadNative(): Promise<Backend> {
  const native = getAvailableBackends()[0];
  if (native === undefined) return Promise.reject(new Error("no backend is available on this runtime"));
  return loadBackend(native);
}
