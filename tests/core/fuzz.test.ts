// A seeded, property-based test of the core: random task trees (nested groups,
// start/startSoon/spawn, scopes cancelled by siblings, shields, short deadlines, failures
// at random points, gather/race/amap), checking the invariants of structured concurrency.
//
// ANYTS_FUZZ_SEEDS=n runs n seeds per backend (default 24); ANYTS_FUZZ_SEED=s starts at
// seed s (replay a failing case with ANYTS_FUZZ_SEED=s ANYTS_FUZZ_SEEDS=1).
import { describe, expect, it } from "vitest";
import {
  amap,
  CancelScope,
  Cancelled,
  checkpoint,
  failAfter,
  formatTaskTree,
  gather,
  moveOnAfter,
  race,
  run,
  sleep,
  type TaskGroup,
  taskGroup,
  TaskGroupError,
  TimeoutError,
} from "../../mod.ts";
import { backendTests, MockClock, trackUnhandledRejections } from "../../testing.ts";
import { currentFrame } from "../../src/core/cancel-scope.ts";
import { type Frame, frameStorage } from "../../src/core/context.ts";

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const SEEDS = Number(env.ANYTS_FUZZ_SEEDS ?? 24);
const FIRST_SEED = Number(env.ANYTS_FUZZ_SEED ?? 1);

/** mulberry32: a small, fast, seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Group {
  settled: boolean;
}

class Fuzz {
  readonly random: () => number;
  readonly thrown = new Set<Error>();
  readonly violations: string[] = [];
  readonly scopes: CancelScope[] = [];
  steps = 0;
  nextId = 0;

  constructor(seed: number) {
    this.random = prng(seed);
  }

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  check(groups: readonly Group[], where: string): void {
    for (const group of groups) {
      if (group.settled) this.violations.push(`${where}: task code ran after its group settled`);
    }
  }

  /** A task body: a few random steps, `depth` bounding the nesting. */
  body(depth: number, groups: readonly Group[]): () => Promise<void> {
    const count = 1 + this.int(4);
    const steps = Array.from({ length: count }, () => this.step(depth, groups));
    return async () => {
      for (const step of steps) {
        this.check(groups, "step");
        await step();
      }
      this.check(groups, "end of body");
    };
  }

  step(depth: number, groups: readonly Group[]): () => Promise<unknown> {
    this.steps++;
    const kind = depth <= 0 ? this.int(4) : this.int(13);
    switch (kind) {
      case 0:
        return () => sleep(this.int(3));
      case 1:
        return () => checkpoint();
      case 2: {
        if (!this.chance(0.35)) return () => checkpoint();
        const error = new Error(`failure ${this.nextId++}`);
        return async () => {
          this.thrown.add(error);
          throw error;
        };
      }
      case 3: {
        const pick = this.random();
        return async () => {
          const scopes = this.scopes;
          if (scopes.length !== 0) scopes[Math.floor(pick * scopes.length)]!.cancel("cancelled by a sibling");
        };
      }
      case 4:
      case 5:
        return this.group(depth - 1, groups);
      case 6: {
        const inner = this.body(depth - 1, groups);
        return () =>
          new CancelScope({ shield: true }).run(async (scope) => {
            this.scopes.push(scope);
            await inner();
          });
      }
      case 7: {
        const ms = this.int(4);
        const inner = this.body(depth - 1, groups);
        return () =>
          moveOnAfter(ms, async (scope) => {
            this.scopes.push(scope);
            await inner();
          });
      }
      case 8: {
        const ms = this.int(4);
        const inner = this.body(depth - 1, groups);
        return async () => {
          try {
            await failAfter(ms, inner);
          } catch (error) {
            if (!(error instanceof TimeoutError)) throw error;
          }
        };
      }
      case 9: {
        const fns = Array.from({ length: 1 + this.int(3) }, () => this.body(depth - 1, groups));
        return () => gather(...fns);
      }
      case 10: {
        const fns = Array.from({ length: 1 + this.int(3) }, () => this.body(depth - 1, groups));
        return () => race(...fns);
      }
      case 11: {
        const fns = Array.from({ length: 1 + this.int(4) }, () => this.body(depth - 1, groups));
        const limit = this.chance(0.5) ? 1 + this.int(2) : Infinity;
        return () => amap(fns, (fn) => fn(), { limit });
      }
      default: {
        const inner = this.body(depth - 1, groups);
        return () =>
          new CancelScope().run(async (scope) => {
            this.scopes.push(scope);
            await inner();
          });
      }
    }
  }

  /** A task group whose children are started in random ways. */
  group(depth: number, outer: readonly Group[]): () => Promise<void> {
    const group: Group = { settled: false };
    const groups = [...outer, group];
    const children = Array.from({ length: 1 + this.int(4) }, () => ({
      how: this.int(3),
      body: this.body(depth, groups),
      startedAt: this.int(3),
      cancelHandle: this.chance(0.3),
      awaitHandle: this.chance(0.5),
    }));
    const afterwards = this.body(0, groups);
    return async () => {
      try {
        await taskGroup(async (tg: TaskGroup) => {
          this.scopes.push(tg.cancelScope);
          for (const child of children) {
            if (child.how === 0) tg.startSoon(child.body);
            else if (child.how === 1) {
              const handle = tg.spawn(child.body);
              if (child.cancelHandle) handle.cancel("handle cancelled");
              if (child.awaitHandle) {
                try {
                  await handle;
                } catch (error) {
                  if (error instanceof Cancelled) throw error; // the group reports the task's own error
                }
              }
            } else {
              await tg.start(async (status) => {
                let calls = 0;
                const started = () => {
                  if (calls++ === child.startedAt) status.started();
                };
                started();
                await child.body();
                if (calls <= child.startedAt) status.started();
              });
            }
          }
          await afterwards();
        });
      } finally {
        group.settled = true;
      }
    };
  }
}

function leaves(error: unknown, into: unknown[] = []): unknown[] {
  if (error instanceof TaskGroupError) for (const inner of error.errors) leaves(inner, into);
  else into.push(error);
  return into;
}

async function runCase(seed: number, backend: string): Promise<void> {
  const fuzz = new Fuzz(seed);
  const program = fuzz.group(3, []);
  const clock = seed % 2 === 1 ? new MockClock({ autojumpThreshold: 0 }) : undefined;
  using tracker = trackUnhandledRejections();
  let frame: unknown;
  const outcome = await Promise.race([
    run(() => {
      frame = currentFrame();
      return program();
    }, { backend: backend as "node", ...(clock ? { clock } : {}) }).then(() => undefined, (error) => ({ error })),
    new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 8_000)),
  ]);
  const where = `seed ${seed} on ${backend}${clock ? " (MockClock)" : ""} (replay: ANYTS_FUZZ_SEED=${seed} ANYTS_FUZZ_SEEDS=1)`;
  if (outcome === "hung") console.log(`${where}: hung; the task tree:\n${frameStorage.run(frame as Frame, formatTaskTree)}`);
  expect(outcome, `${where}: the tree did not settle`).not.toBe("hung");
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect(tracker.rejections, `${where}: unhandled rejections`).toEqual([]);
  expect(fuzz.violations, where).toEqual([]);
  const reported = outcome === undefined ? [] : leaves((outcome as { error: unknown }).error);
  for (const error of reported) {
    expect(error instanceof Cancelled, `${where}: Cancelled escaped to the top or into a TaskGroupError`).toBe(false);
    expect(fuzz.thrown.has(error as Error), `${where}: unexpected error ${String(error)}`).toBe(true);
  }
  const counts = new Map<unknown, number>();
  for (const error of reported) counts.set(error, (counts.get(error) ?? 0) + 1);
  for (const error of fuzz.thrown) {
    expect(counts.get(error) ?? 0, `${where}: ${error.message} reported ${counts.get(error) ?? 0} times`).toBe(1);
  }
}

describe("randomised task trees keep the invariants of structured concurrency", () => {
  backendTests(it)(`${SEEDS} seeds from ${FIRST_SEED}`, async ({ backend }) => {
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) await runCase(seed, backend);
  }, 60_000);
});
