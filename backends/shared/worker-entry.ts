/**
 * The code a worker runs: the worker-side half of the protocol of `src/workers/`, in one
 * self-contained JavaScript string. It is a string (started with `eval: true` in a thread,
 * `-e` / `eval` in a child process) because it must run where TypeScript cannot: Node 20
 * strips no types, and the npm build's `dist/` holds no `.ts` file to point a worker at.
 * It imports nothing but `node:worker_threads` and `node:async_hooks`, which
 * Node, Deno and Bun all have.
 *
 * Protocol (every message an array, first element its type; mirrored by
 * `src/workers/protocol.ts`):
 * - main → worker: `[0 CALL, id, key, module?, exportName?, args, proxyIndices?]` (`key`
 *   names the export for later calls; `module` and `exportName` are sent until this worker
 *   has run it once; key 0: no key),
 *   `[1 CANCEL, id]`, `[2 PROXY_REPLY, id, seq, kind, payload]`.
 * - worker → main: `[0 RESULT, id, kind, payload]`, `[1 PROXY_CALL, id, seq, index, args,
 *   sync]`, `[2 FAULT, kind, payload]` (an uncaught error: the worker exits next),
 *   `[3 DEAD, code]` (a portal's worker is exiting).
 * - `kind`: 0 a value, 1 a serialized error, 2 a thrown value that is not an Error.
 * - the sync channel (threads): main → worker `[seq, kind, payload]` answers a
 *   `fromWorker.callSync`; in a portal the worker sends its RESULT, FAULT and DEAD
 *   messages there, and bumps flag 2 so that the blocked caller wakes.
 * - flags (Int32Array): 0 the id of the cancelled call, 1 callSync replies, 2 portal messages.
 *
 * The entry installs `globalThis[Symbol.for("anyts.worker")]`, which `fromWorker` reads:
 * `signal(makeReason)`, `cancelled()`, `callSync(fn, args)` (each `undefined` outside a call).
 *
 * @module
 */

/** The worker entry's source for threads (see the module comment). */
export const workerEntrySource: string = String.raw`"use strict";
// A child process listens before its first await: Bun drops the IPC messages that arrive
// while no listener is registered.
const earlyMessages = [];
let onProcessMessage = (message) => earlyMessages.push(message);
if (typeof process.send === "function") process.on("message", (message) => onProcessMessage(message));
(async () => {
  const wt = await import("node:worker_threads");
  const data = wt.workerData !== null && typeof wt.workerData === "object" && wt.workerData.anyts === 1 ? wt.workerData : undefined;
  const inThread = data !== undefined && wt.parentPort !== null;
  const mode = inThread ? data.mode : "process";
  const flags = inThread ? new Int32Array(data.flags) : undefined;
  const syncPort = inThread ? data.syncPort : undefined;
  // Deno 2.9.6 hangs when a worker reaches its resourceLimits inside a message handler or
  // a microtask, but not in a macrotask: there, calls start from setImmediate.
  const deferCalls = inThread && data.deferCalls === true;
  // Each call runs in its own async context, so that fromWorker answers for the call whose
  // code asks, even from a timer that outlived it (then: not inside a call).
  const als = new (await import("node:async_hooks")).AsyncLocalStorage();
  const builtins = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };
  const domExceptionNames = new Set(["DataCloneError", "AbortError", "TimeoutError", "InvalidStateError", "NotSupportedError"]);

  let post;
  if (inThread) {
    const port = wt.parentPort;
    post = (message, transfer) => port.postMessage(message, transfer);
    port.on("message", receive);
  } else {
    if (typeof process.send !== "function") {
      console.error("anyts: the worker entry of toProcess.run found no IPC channel");
      process.exit(70);
    }
    // Deno's process.send throws asynchronously (uncatchable) when a value cannot be
    // serialized: clone first there, so that the error is thrown here. (structuredClone
    // costs ~1 µs where Deno's v8.serialize costs ~25; what only the channel refuses,
    // shared memory this child made, then ends the child: BrokenWorkerError, not a crash.)
    const cloneFirst = typeof Deno !== "undefined";
    post = (message) => {
      if (cloneFirst) structuredClone(message);
      process.send(message);
    };
    process.on("disconnect", () => process.exit(0));
    onProcessMessage = receive;
    queueMicrotask(() => earlyMessages.splice(0).forEach(receive));
  }
  const toPortal = (message) => {
    syncPort.postMessage(message);
    Atomics.add(flags, 2, 1);
    Atomics.notify(flags, 2);
  };
  const answer = mode === "portal" ? toPortal : post;

  let dying = false;
  function fault(error) {
    if (dying) return;
    dying = true;
    const payload = thrownPayload(error);
    try {
      if (inThread) {
        answer([2, payload[0], payload[1]]);
        process.exit(70);
      } else {
        const timer = setTimeout(() => process.exit(70), 1000);
        process.send([2, payload[0], payload[1]], () => { clearTimeout(timer); process.exit(70); });
      }
    } catch {
      process.exit(70);
    }
  }
  process.on("uncaughtException", fault);
  process.on("unhandledRejection", fault);
  if (mode === "portal") {
    process.on("exit", (code) => {
      if (dying) return;
      try { toPortal([3, code]); } catch {}
    });
  }

  // ---------------------------------------------------------------- values and errors
  function describe(value) {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    return typeof value;
  }
  function isError(value) {
    return value instanceof Error || (value !== null && typeof value === "object" && typeof value.message === "string" && typeof value.stack === "string");
  }
  function cloneable(value) {
    const type = typeof value;
    if (type === "symbol" || type === "function") return false;
    if (value === null || type !== "object") return true;
    try { structuredClone(value); return true; } catch { return false; }
  }
  function className(error) {
    let name = error.name;
    if (typeof name !== "string" || name === "") name = "Error";
    if (name === "Error") {
      const ctor = error.constructor;
      const ctorName = typeof ctor === "function" ? ctor.name : undefined;
      if (typeof ctorName === "string" && ctorName !== "" && ctorName !== "Error" && ctorName !== "Object") name = ctorName;
    }
    return name;
  }
  function safeString(value) {
    try { return String(value); } catch { return Object.prototype.toString.call(value); }
  }
  function serializeError(error, depth) {
    const out = { name: className(error), message: safeString(error.message ?? "") };
    if (typeof error.stack === "string") out.stack = error.stack;
    if (depth < 8 && "cause" in error) out.cause = serializeNested(error.cause, depth + 1);
    if (depth < 8 && Array.isArray(error.errors)) out.errors = error.errors.map((e) => serializeNested(e, depth + 1));
    for (const key of Object.keys(error)) {
      if (key === "name" || key === "message" || key === "stack" || key === "cause" || key === "errors") continue;
      let value;
      try { value = error[key]; } catch { continue; }
      if (cloneable(value)) (out.props ??= {})[key] = value;
    }
    return out;
  }
  function serializeNested(value, depth) {
    if (isError(value)) return { error: serializeError(value, depth) };
    return { value: cloneable(value) ? value : safeString(value) };
  }
  function thrownPayload(value) {
    if (isError(value)) return [1, serializeError(value, 0)];
    if (cloneable(value)) return [2, value];
    return [1, serializeError(new Error("a value that cannot be cloned was thrown: " + safeString(value)), 0)];
  }
  function reviveError(data) {
    const cause = data.cause === undefined ? undefined : reviveNested(data.cause);
    const options = data.cause === undefined ? undefined : { cause };
    let error;
    if (data.name === "AggregateError") error = new AggregateError((data.errors ?? []).map(reviveNested), data.message, options);
    else if (Object.hasOwn(builtins, data.name)) error = new builtins[data.name](data.message, options);
    else if (domExceptionNames.has(data.name) && typeof DOMException === "function") {
      error = new DOMException(data.message, data.name);
      if (options !== undefined) Object.defineProperty(error, "cause", { value: cause, writable: true, configurable: true });
    } else {
      error = new Error(data.message, options);
      Object.defineProperty(error, "name", { value: data.name, writable: true, configurable: true });
    }
    if (data.stack !== undefined) Object.defineProperty(error, "stack", { value: data.stack, writable: true, configurable: true });
    if (data.props !== undefined) Object.assign(error, data.props);
    return error;
  }
  function reviveNested(nested) {
    return nested.error !== undefined ? reviveError(nested.error) : nested.value;
  }
  function revive(kind, payload) {
    return kind === 1 ? reviveError(payload) : payload;
  }
  function cloneFailure(error, what) {
    const reason = error !== null && typeof error === "object" && typeof error.message === "string" ? error.message : safeString(error);
    return new DOMException(what + " could not be cloned: " + reason, "DataCloneError");
  }

  // ---------------------------------------------------------------- modules
  const modules = new Map();
  function importFailure(spec, error) {
    const reason = error !== null && typeof error === "object" && typeof error.message === "string" ? error.message : safeString(error);
    const path = spec.split(/[?#]/)[0];
    let text;
    if (/\.[mc]?tsx?$/.test(path) && error !== null && typeof error === "object" && error.code === "ERR_UNKNOWN_FILE_EXTENSION") {
      text = "cannot load the TypeScript module \"" + spec + "\" in a worker: Node " + process.version +
        " does not strip types (Node 22.18 and later do, and Node 22.6 with --experimental-strip-types); compile it to JavaScript";
    } else {
      text = "cannot import module \"" + spec + "\" in the worker: " + reason;
    }
    const failure = new Error(text, { cause: error });
    failure.code = error !== null && typeof error === "object" && typeof error.code === "string" ? error.code : "ERR_MODULE_NOT_FOUND";
    return failure;
  }
  async function load(spec, name) {
    let namespace;
    try {
      namespace = await import(spec);
    } catch (error) {
      throw importFailure(spec, error);
    }
    if (!(name in namespace)) {
      const names = Object.keys(namespace);
      const failure = new TypeError("module \"" + spec + "\" has no export \"" + name + "\"" +
        (names.length === 0 ? " (it exports nothing)" : " (its exports: " + names.join(", ") + ")"));
      failure.code = "ERR_WORKER_EXPORT_NOT_FOUND";
      throw failure;
    }
    const fn = namespace[name];
    if (typeof fn !== "function") {
      const failure = new TypeError("export \"" + name + "\" of module \"" + spec + "\" is not a function (it is " + describe(fn) + ")");
      failure.code = "ERR_WORKER_EXPORT_NOT_FUNCTION";
      throw failure;
    }
    let exports = modules.get(spec);
    if (exports === undefined) modules.set(spec, (exports = new Map()));
    exports.set(name, fn);
    return fn;
  }

  // ---------------------------------------------------------------- calls
  let current;
  const calls = new Map();
  function receive(message) {
    switch (message[0]) {
      case 0:
        if (deferCalls) setImmediate(startCall, message);
        else startCall(message);
        break;
      case 1: {
        const call = mode === "portal" ? calls.get(message[1]) : current;
        if (call !== undefined && call.id === message[1]) cancel(call);
        break;
      }
      case 2: settleProxy(message); break;
    }
  }
  const byKey = new Map();
  function startCall(message) {
    const call = { id: message[1], ended: false, cancelled: false, controller: undefined, makeReason: undefined, pending: undefined };
    if (mode === "portal") calls.set(call.id, call);
    else current = call;
    const key = message[2];
    const spec = message[3];
    let fn = key === 0 ? undefined : byKey.get(key);
    if (fn === undefined && spec !== undefined) fn = modules.get(spec)?.get(message[4]);
    if (fn !== undefined) {
      if (key !== 0) byKey.set(key, fn);
      invoke(call, fn, message[5], message[6]);
    } else if (spec === undefined) {
      finish(call, true, new Error("anyts: the worker does not know the export of key " + key));
    } else {
      load(spec, message[4]).then((loaded) => {
        if (key !== 0) byKey.set(key, loaded);
        if (deferCalls) setImmediate(invoke, call, loaded, message[5], message[6]);
        else invoke(call, loaded, message[5], message[6]);
      }, (error) => finish(call, true, error));
    }
  }
  function invoke(call, fn, args, proxies) {
    if (seesCancel(call)) {
      // Cancelled before it started (while its module loaded): it never runs.
      const error = new Error("cancelled before the call started");
      error.name = "Cancelled";
      finish(call, true, error);
      return;
    }
    if (proxies !== undefined) for (let i = 0; i < proxies.length; i++) args[proxies[i]] = makeProxy(call, proxies[i]);
    let value;
    try {
      value = als.run(call, fn, ...args);
    } catch (error) {
      finish(call, true, error);
      return;
    }
    if (value !== null && (typeof value === "object" || typeof value === "function") && typeof value.then === "function") {
      Promise.resolve(value).then((result) => finish(call, false, result), (error) => finish(call, true, error));
    } else {
      finish(call, false, value);
    }
  }
  function finish(call, failed, value) {
    if (call.ended) return;
    call.ended = true;
    if (mode === "portal") calls.delete(call.id);
    else if (current === call) current = undefined;
    if (call.pending !== undefined) {
      for (const seq of call.pending) pendingProxies.delete(seq);
      call.pending = undefined;
    }
    let message;
    if (failed) {
      const payload = thrownPayload(value);
      message = [0, call.id, payload[0], payload[1]];
    } else {
      message = [0, call.id, 0, value];
    }
    try {
      answer(message);
      return;
    } catch (error) {
      message = [0, call.id, 1, serializeError(cloneFailure(error, "the result of the export"), 0)];
    }
    try { answer(message); } catch (error) { fault(error); }
  }
  function cancel(call) {
    if (call.cancelled) return;
    call.cancelled = true;
    if (call.controller !== undefined && !call.controller.signal.aborted) call.controller.abort(call.makeReason());
  }
  function seesCancel(call) {
    if (!call.cancelled && flags !== undefined && Atomics.load(flags, 0) === call.id) cancel(call);
    return call.cancelled;
  }
  function currentCall() {
    const call = als.getStore() ?? current;
    return call === undefined || call.ended ? undefined : call;
  }

  // ---------------------------------------------------------------- proxies
  const proxyInfo = new WeakMap();
  const pendingProxies = new Map();
  let proxySeq = 0;
  function ended() {
    const error = new Error("this proxied function belonged to a call that has ended: a function passed among the args works only while its call runs");
    error.code = "ERR_WORKER_PROXY_ENDED";
    return error;
  }
  function makeProxy(call, index) {
    const proxy = (...args) => callProxy(call, index, args);
    proxyInfo.set(proxy, { call, index });
    return proxy;
  }
  function callProxy(call, index, args) {
    if (call.ended) return Promise.reject(ended());
    const seq = ++proxySeq;
    return new Promise((resolve, reject) => {
      try {
        post([1, call.id, seq, index, args, false]);
      } catch (error) {
        reject(cloneFailure(error, "the arguments of the proxied function"));
        return;
      }
      pendingProxies.set(seq, { resolve, reject });
      (call.pending ??= new Set()).add(seq);
    });
  }
  function settleProxy(message) {
    const seq = message[2];
    const pending = pendingProxies.get(seq);
    if (pending === undefined) return;
    pendingProxies.delete(seq);
    const call = mode === "portal" ? calls.get(message[1]) : current;
    call?.pending?.delete(seq);
    if (message[3] === 0) pending.resolve(message[4]);
    else pending.reject(revive(message[3], message[4]));
  }
  function callSync(fn, args) {
    const info = typeof fn === "function" ? proxyInfo.get(fn) : undefined;
    if (info === undefined) {
      throw new TypeError("fromWorker.callSync: fn must be a proxy (a function passed among the args of the call), got " +
        (typeof fn === "function" ? "a function that is not one" : describe(fn)));
    }
    if (info.call.ended) throw ended();
    if (mode !== "pool" || syncPort === undefined) {
      throw new Error("fromWorker.callSync: a child process of toProcess.run shares no memory with its parent, so it cannot block for an answer; use await fn(...args)");
    }
    const seq = ++proxySeq;
    let seen = Atomics.load(flags, 1);
    try {
      post([1, info.call.id, seq, info.index, args, true]);
    } catch (error) {
      throw cloneFailure(error, "the arguments of fromWorker.callSync");
    }
    for (;;) {
      const received = wt.receiveMessageOnPort(syncPort);
      if (received !== undefined) {
        const reply = received.message;
        if (reply[0] !== seq) continue;
        if (reply[1] === 0) return reply[2];
        throw revive(reply[1], reply[2]);
      }
      Atomics.wait(flags, 1, seen);
      seen = Atomics.load(flags, 1);
    }
  }

  globalThis[Symbol.for("anyts.worker")] = {
    kind: inThread ? "thread" : "process",
    mode,
    signal(makeReason) {
      const call = currentCall();
      if (call === undefined) return undefined;
      if (call.controller === undefined) {
        call.controller = new AbortController();
        call.makeReason = makeReason;
        if (seesCancel(call) && !call.controller.signal.aborted) call.controller.abort(makeReason());
      }
      return call.controller.signal;
    },
    cancelled() {
      const call = currentCall();
      return call === undefined ? undefined : seesCancel(call);
    },
    callSync,
  };
})();
`;

/**
 * The worker entry's source for child processes: the same code, but not the same string.
 * Bun 1.4.5's transpiler cache keys an eval'd script by its text, and mixes up a `bun -e`
 * script (an ES module) with the same text eval'd in a worker thread (CommonJS): the
 * second to run then fails ("Expected CommonJS module to have a function wrapper", or a
 * child that exits at once). A different last line keeps the two apart.
 */
export const processEntrySource: string = workerEntrySource + "// anyts: the entry of a child process of toProcess.run\n";
