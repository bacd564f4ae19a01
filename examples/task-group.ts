/**
 * A task group with timeouts, on whichever runtime runs this file:
 *
 *   node examples/task-group.ts          (Node 22.18+: built-in type stripping)
 *   deno run -A examples/task-group.ts
 *   bun examples/task-group.ts
 *   npm run demo                         (every example on every runtime)
 *
 * The group exits only when all its children have finished; `start` waits until
 * a child says it is ready; `spawn` gives an awaitable handle; `moveOnAfter`
 * cancels its body at the deadline and carries on; `failAfter` throws
 * TimeoutError instead.
 */
import {
  currentBackend,
  currentTime,
  detectRuntime,
  failAfter,
  moveOnAfter,
  run,
  sleep,
  taskGroup,
  TimeoutError,
} from "../mod.ts";
import type { TaskStatus } from "../mod.ts";

const t0 = currentTime();

function log(message: string): void {
  const ms = (currentTime() - t0).toFixed(0).padStart(5);
  console.log(`[${ms} ms] ${message}`);
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`task-group example: ${message}`);
}

async function worker(name: string, ms: number): Promise<string> {
  await sleep(ms);
  log(`${name}: finished after ${ms} ms`);
  return `${name} done`;
}

/** A task that reports a value once it is ready, then keeps running. */
async function server(status: TaskStatus<number>): Promise<void> {
  await sleep(10); // e.g. bind a port
  status.started(8080);
  await sleep(40); // e.g. serve a few requests
  log("server: stopped serving");
}

await run(async () => {
  log(`runtime: ${detectRuntime()}, backend: ${currentBackend()}`);
  const finished: string[] = [];

  await taskGroup(async (tg) => {
    // Fire and forget: the group still waits for it.
    tg.startSoon(async (name: string, ms: number) => {
      finished.push(await worker(name, ms));
    }, "startSoon-worker", 60);

    // `start` resolves with the value passed to status.started().
    const port = await tg.start(server);
    log(`server: started on port ${port}`);
    check(port === 8080, `start() resolved with ${port}`);

    // `spawn` returns a handle that can be awaited for the task's result.
    const handle = tg.spawn(worker, "spawned-worker", 20);
    const result = await handle;
    log(`spawn: handle resolved with "${result}"`);
    check(result === "spawned-worker done", `spawn handle resolved with ${result}`);

    // moveOnAfter: the body is cancelled at the deadline, the code carries on.
    let t = currentTime();
    const moved = await moveOnAfter(50, async () => {
      await sleep(10_000);
      return "not cancelled";
    });
    log(`moveOnAfter(50): ${moved === undefined ? "cancelled the sleep and moved on" : moved} after ${(currentTime() - t).toFixed(0)} ms`);
    check(moved === undefined, "moveOnAfter did not cancel its body");
    check(currentTime() - t < 5_000, "moveOnAfter waited for the whole sleep");

    // failAfter: the same, but the deadline throws TimeoutError.
    t = currentTime();
    try {
      await failAfter(50, () => sleep(10_000));
      check(false, "failAfter did not throw");
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      log(`failAfter(50): TimeoutError after ${(currentTime() - t).toFixed(0)} ms`);
    }
  });

  check(finished.length === 1, "the group exited before its startSoon child finished");
  log("taskGroup: exited after every child finished");
});
