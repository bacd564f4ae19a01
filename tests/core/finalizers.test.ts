// Scope finalizers (src/core/finalizers.ts): how a resource opened in a scope is cleaned up
// when that scope exits. The mechanism is internal; processes are its user (see
// tests/process/scope-exit.test.ts). These tests drive it directly.
import { describe, expect, it } from "vitest";
import {
  CancelScope,
  Cancelled,
  Event,
  formatTaskTree,
  moveOnAfter,
  run,
  sleep,
  sleepForever,
  TaskCancelledError,
  taskGroup,
  TaskGroupError,
} from "../../mod.ts";
import { backendTests, MockClock } from "../../testing.ts";
import { currentScope } from "../../src/core/cancel-scope.ts";
import { _addFinalizer, _removeFinalizer, type Finalizer } from "../../src/core/finalizers.ts";

const test = backendTests(it);

/** Registers `finalizer` with the current scope; fails if nothing was registered. */
function addFinalizer(finalizer: Finalizer): CancelScope {
  const owner = _addFinalizer(currentScope(), finalizer);
  expect(owner).toBeDefined();
  return owner!;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, but the promise resolved");
}

describe("scope finalizers", () => {
  test("CancelScope.run awaits the finalizers of its scope before it resolves", async () => {
    const log: string[] = [];
    const scope = new CancelScope();
    const result = await scope.run(() => {
      addFinalizer(async () => {
        await sleep(5);
        log.push("finalized");
      });
      log.push("body");
      return "result"; // a synchronous body takes the same path
    });
    log.push("after");
    expect(result).toBe("result");
    expect(log).toEqual(["body", "finalized", "after"]);
  });

  test("a task group runs its finalizers after every task has finished, then exits", async () => {
    const log: string[] = [];
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await sleep(20);
        log.push("task done");
      });
      tg.startSoon(async () => {
        // A startSoon task runs in the group's scope: its resource belongs to the group.
        addFinalizer(async () => {
          log.push(`finalizer (task still running: ${!log.includes("task done")})`);
        });
      });
      addFinalizer(async () => {
        log.push("body's finalizer");
      });
    });
    log.push("after group");
    expect(log).toEqual([
      "task done",
      "finalizer (task still running: false)", // registered last (tasks start after the body's code): started first
      "body's finalizer",
      "after group",
    ]);
  });

  test("no task can be started into a group that is running its finalizers", async () => {
    let error: unknown;
    await taskGroup(async (tg) => {
      addFinalizer(async () => {
        try {
          tg.startSoon(sleepForever);
        } catch (startError) {
          error = startError;
        }
      });
    });
    expect(String(error)).toMatch(/this task group has exited/);
  });

  test("finalizers run all at once, started last registered first", async () => {
    const started: string[] = [];
    const second = new Event();
    await new CancelScope().run(async () => {
      addFinalizer(async () => {
        started.push("first");
        second.set();
      });
      addFinalizer(async () => {
        started.push("second");
        await second.wait(); // set by the first: they overlap
      });
    });
    expect(started).toEqual(["second", "first"]);
  });

  test("finalizers are shielded: a cancelled scope still lets them wait, then catches its own cancellation", async () => {
    const log: string[] = [];
    const scope = new CancelScope();
    await scope.run(async () => {
      addFinalizer(async () => {
        await sleep(10); // not interrupted by the scope's cancellation
        log.push("finalized");
      });
      scope.cancel();
      await sleepForever();
    });
    expect(log).toEqual(["finalized"]);
    expect(scope.cancelledCaught).toBe(true);
  });

  test("an outer cancellation waits for the finalizers, then propagates as Cancelled", async () => {
    const log: string[] = [];
    const outer = new CancelScope();
    await outer.run(async () => {
      try {
        await taskGroup(async (tg) => {
          addFinalizer(async () => {
            await sleep(10);
            log.push("finalized");
          });
          tg.startSoon(sleepForever);
          outer.cancel();
        });
      } catch (error) {
        log.push(error instanceof Cancelled ? "Cancelled" : `other: ${error}`);
        throw error;
      }
    });
    expect(log).toEqual(["finalized", "Cancelled"]);
    expect(outer.cancelledCaught).toBe(true);
  });

  test("a finalizer's error joins the group's TaskGroupError, after the tasks' errors", async () => {
    const taskError = new Error("task failed");
    const cleanupError = new Error("cleanup failed");
    const error = await caught(taskGroup(async (tg) => {
      addFinalizer(async () => {
        throw cleanupError;
      });
      tg.startSoon(async () => {
        throw taskError;
      });
    }));
    expect(error).toBeInstanceOf(TaskGroupError);
    expect((error as TaskGroupError).errors).toEqual([taskError, cleanupError]);
  });

  test("a finalizer's error fails a group that would have caught its own cancellation", async () => {
    const cleanupError = new Error("cleanup failed");
    const error = await caught(taskGroup(async (tg) => {
      addFinalizer(() => Promise.reject(cleanupError));
      tg.cancelScope.cancel();
      await sleepForever();
    }));
    expect((error as TaskGroupError).errors).toEqual([cleanupError]);
  });

  test("CancelScope.run raises a finalizer's error; with the body's error, both in a TaskGroupError", async () => {
    const cleanupError = new Error("cleanup failed");
    expect(await caught(new CancelScope().run(async () => {
      addFinalizer(() => Promise.reject(cleanupError));
    }))).toBe(cleanupError);

    const bodyError = new Error("body failed");
    const both = await caught(new CancelScope().run(async () => {
      addFinalizer(() => Promise.reject(cleanupError));
      throw bodyError;
    }));
    expect(both).toBeInstanceOf(TaskGroupError);
    expect((both as TaskGroupError).errors).toEqual([bodyError, cleanupError]);

    // The cancellation of the body is replaced by the cleanup's error (as in Trio).
    const cancelled = await caught(moveOnAfter(5, async () => {
      addFinalizer(() => Promise.reject(cleanupError));
      await sleepForever();
    }));
    expect(cancelled).toBe(cleanupError);
  });

  test("a spawned task's own scope runs its finalizers when the task ends; their error fails it", async () => {
    const log: string[] = [];
    const cleanupError = new Error("cleanup failed");
    const error = await caught(taskGroup(async (tg) => {
      const handle = tg.spawn(async () => {
        addFinalizer(async () => {
          await sleep(5);
          log.push("finalized");
        });
        addFinalizer(() => Promise.reject(cleanupError));
        return "value";
      });
      log.push(`awaited: ${String(await caught(Promise.resolve(handle)))}`);
    }));
    expect(log).toEqual(["finalized", "awaited: Error: cleanup failed"]);
    expect((error as TaskGroupError).errors).toEqual([cleanupError]);
  });

  test("a spawned task cancelled by its handle still runs its finalizers, shielded", async () => {
    const log: string[] = [];
    await taskGroup(async (tg) => {
      const handle = tg.spawn(async () => {
        addFinalizer(async () => {
          await sleep(5);
          log.push("finalized");
        });
        await sleepForever();
      });
      await sleep(1);
      handle.cancel();
      expect(await caught(Promise.resolve(handle))).toBeInstanceOf(TaskCancelledError);
      log.push("handle settled");
    });
    expect(log).toEqual(["finalized", "handle settled"]);
  });

  test("the root scope of a run runs its finalizers before run settles", async ({ backend }) => {
    const log: string[] = [];
    const result = await run(() => {
      addFinalizer(async () => {
        await sleep(5);
        log.push("finalized");
      });
      return "result";
    }, { backend });
    expect(result).toBe("result");
    expect(log).toEqual(["finalized"]);
    const cleanupError = new Error("cleanup failed");
    expect(await caught(run(() => {
      addFinalizer(() => Promise.reject(cleanupError));
    }, { backend }))).toBe(cleanupError);
  });

  test("a removed finalizer does not run; one added while finalizing does", async () => {
    const log: string[] = [];
    await new CancelScope().run(() => {
      const removed: Finalizer = async () => {
        log.push("removed ran");
      };
      _removeFinalizer(addFinalizer(removed), removed);
      addFinalizer(async () => {
        log.push("first");
        addFinalizer(async () => {
          log.push("added while finalizing");
        });
      });
    });
    expect(log).toEqual(["first", "added while finalizing"]);
  });

  test("code that runs on after its scope exited registers with the nearest active scope", async () => {
    const log: string[] = [];
    const inner = new CancelScope();
    let late: Promise<void> | undefined;
    await taskGroup(async () => {
      await inner.run(() => {
        late = (async () => {
          await sleep(5); // the inner scope has exited by then
          addFinalizer(async () => {
            log.push("finalized by the group");
          });
        })();
      });
      await late;
      log.push("inner exited");
    });
    expect(log).toEqual(["inner exited", "finalized by the group"]);
  });

  test("a scope without finalizers pays nothing and behaves as before", async () => {
    const scope = new CancelScope();
    expect(scope._finalizers).toBeUndefined();
    await scope.run(async () => {});
    expect(scope._finalizers).toBeUndefined();
  });

  backendTests(it, { clock: () => new MockClock({ autojumpThreshold: 0 }) })(
    "finalizers follow the run's clock and are shown in formatTaskTree while they wait",
    async ({ clock }) => {
      let tree = "";
      const start = clock!.currentTime();
      const realStart = performance.now();
      await taskGroup(async (tg) => {
        addFinalizer(async () => {
          tree = formatTaskTree();
          await sleep(3_600_000); // an hour of virtual time, autojumped
        });
        tg.startSoon({ name: "worker" }, () => sleep(10));
      });
      expect(clock!.currentTime() - start).toBeGreaterThanOrEqual(3_600_010);
      expect(performance.now() - realStart).toBeLessThan(1_000);
      expect(tree).toMatch(/task group\n.*cancel scope \(shielded\)/s);
    },
  );
});

it("code outside every run and scope registers nothing: that implicit root never exits", () => {
  expect(_addFinalizer(currentScope(), async () => {})).toBeUndefined();
});
