import { describe, expect, it } from "vitest";
import {
  CancelScope,
  Cancelled,
  checkpoint,
  getCurrentTask,
  moveOnAfter,
  sleep,
  sleepForever,
  TaskCancelledError,
  taskGroup,
  TaskGroupError,
  type TaskGroup,
  type TaskStatus,
} from "../../mod.ts";

/** A promise with its resolve function, for synchronising tasks without sleeps. */
function signal<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("taskGroup", () => {
  it("returns the body's result after every task has finished", async () => {
    const finished: number[] = [];
    const result = await taskGroup(async (tg) => {
      for (const n of [3, 1, 2]) {
        tg.startSoon(async () => {
          await sleep(n);
          finished.push(n);
        });
      }
      return "body";
    });
    expect(result).toBe("body");
    expect(finished.sort()).toEqual([1, 2, 3]);
  });

  it("starts tasks soon: after the caller's synchronous code", async () => {
    const order: string[] = [];
    await taskGroup((tg) => {
      tg.startSoon(() => order.push("task"));
      order.push("body");
    });
    expect(order).toEqual(["body", "task"]);
  });

  it("passes arguments to startSoon and spawn tasks", async () => {
    const seen: unknown[] = [];
    await taskGroup(async (tg) => {
      tg.startSoon((a: number, b: string) => seen.push(a, b), 1, "x");
      expect(await tg.spawn((a: number) => a * 2, 21)).toBe(42);
    });
    expect(seen).toEqual([1, "x"]);
  });

  it("a failing child cancels its siblings and the body", async () => {
    const cancelled: string[] = [];
    const error = new Error("boom");
    const failure = taskGroup(async (tg) => {
      tg.startSoon(async () => {
        try {
          await sleepForever();
        } catch (e) {
          expect(e).toBeInstanceOf(Cancelled);
          cancelled.push("sibling");
          throw e;
        }
      });
      tg.startSoon(async () => {
        await checkpoint();
        throw error;
      });
      try {
        await sleepForever();
      } catch (e) {
        cancelled.push("body");
        throw e;
      }
    });
    const thrown = await failure.catch((e) => e);
    expect(thrown).toBeInstanceOf(TaskGroupError);
    expect(thrown.errors).toEqual([error]);
    expect(cancelled.sort()).toEqual(["body", "sibling"]);
  });

  it("reports the errors of two failing children, in the order they happened", async () => {
    const first = new Error("first");
    const second = new Error("second");
    const thrown = await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await checkpoint();
        throw first;
      });
      tg.startSoon(async () => {
        // Cancelled by the first failure, it fails while cleaning up: that error is kept too.
        try {
          await sleepForever();
        } finally {
          throw second;
        }
      });
    }).catch((e) => e);
    expect(thrown).toBeInstanceOf(TaskGroupError);
    expect(thrown).toBeInstanceOf(AggregateError);
    expect(thrown.errors).toEqual([first, second]);
    expect(thrown.message).toContain("first");
    expect(thrown.message).toContain("second");
  });

  it("wraps a single body error in TaskGroupError too", async () => {
    const error = new Error("body failed");
    const thrown = await taskGroup(async () => {
      throw error;
    }).catch((e) => e);
    expect(thrown).toBeInstanceOf(TaskGroupError);
    expect(thrown.errors).toEqual([error]);
  });

  it("a child cancelled right after start stops at its first checkpoint", async () => {
    const steps: string[] = [];
    await taskGroup(async (tg) => {
      const handle = tg.spawn(async () => {
        steps.push("before first checkpoint");
        await checkpoint();
        steps.push("after first checkpoint");
      });
      handle.cancel();
      expect(handle.status).toBe("cancelling");
    });
    expect(steps).toEqual(["before first checkpoint"]);
  });

  it("TaskHandle reports status, result, and cancellation of one task only", async () => {
    await taskGroup(async (tg) => {
      const gate = signal();
      const worker = tg.spawn(async function worker() {
        await gate.promise;
        return "done";
      });
      const sleeper = tg.spawn(async function sleeper() {
        await sleepForever();
      });
      expect(worker.name).toBe("worker");
      expect(worker.status).toBe("pending");
      sleeper.cancel();
      await expect(Promise.resolve(sleeper)).rejects.toBeInstanceOf(TaskCancelledError);
      expect(sleeper.status).toBe("cancelled");
      expect(worker.status).toBe("pending"); // the sibling was not touched
      gate.resolve();
      expect(await worker).toBe("done");
      expect(worker.status).toBe("finished");
    });
  });

  it("a failed spawned task rejects its awaiter and reports the error once", async () => {
    const error = new Error("spawned failure");
    const thrown = await taskGroup(async (tg) => {
      const handle = tg.spawn(async () => {
        throw error;
      });
      await handle; // rejects with the error; the body then fails with the same error
    }).catch((e) => e);
    expect(thrown.errors).toEqual([error]);
  });

  it("start() resolves with the value passed to started() and the task joins the group", async () => {
    const events: string[] = [];
    await taskGroup(async (tg) => {
      const port = await tg.start(async (status: TaskStatus<number>) => {
        events.push("starting");
        status.started(8080);
        await checkpoint();
        events.push("running in the group");
      });
      events.push(`started on ${port}`);
    });
    expect(events).toEqual(["starting", "started on 8080", "running in the group"]);
  });

  it("start(): an error before started() goes to the caller, not the group", async () => {
    const error = new Error("could not bind");
    const result = await taskGroup(async (tg) => {
      const thrown = await tg.start(async () => {
        await checkpoint();
        throw error;
      }).catch((e) => e);
      expect(thrown).toBe(error);
      return "group survived";
    });
    expect(result).toBe("group survived");
  });

  it("start(): returning without started() is an error for the caller", async () => {
    await taskGroup(async (tg) => {
      await expect(tg.start(async function lazy() {})).rejects.toThrow(/lazy returned without calling status.started\(\)/);
    });
  });

  it("start(): started() twice throws and leaves the task running", async () => {
    let secondCall: unknown;
    let finished = false;
    await taskGroup(async (tg) => {
      await tg.start(async (status) => {
        status.started();
        try {
          status.started();
        } catch (e) {
          secondCall = e;
        }
        await checkpoint();
        finished = true;
      });
    });
    expect(secondCall).toBeInstanceOf(Error);
    expect(String(secondCall)).toMatch(/already called/);
    expect(finished).toBe(true);
  });

  it("start(): an error after started() goes to the group", async () => {
    const error = new Error("later");
    const thrown = await taskGroup(async (tg) => {
      await tg.start(async (status) => {
        status.started();
        await checkpoint();
        throw error;
      });
      await sleepForever();
    }).catch((e) => e);
    expect(thrown.errors).toEqual([error]);
  });

  it("start(): before started() the task is cancelled with the caller, not the group", async () => {
    await taskGroup(async (tg) => {
      const caller = new CancelScope();
      await caller.run(async () => {
        const starting = tg.start(() => sleepForever());
        caller.cancel();
        await starting;
      });
      expect(caller.cancelledCaught).toBe(true);
    });
  });

  it("starting into a group that has exited throws", async () => {
    let escaped: TaskGroup | undefined;
    await taskGroup(async (tg) => {
      escaped = tg;
    });
    expect(() => escaped!.startSoon(async () => {})).toThrow(/exited/);
    expect(() => escaped!.spawn(async () => {})).toThrow(/exited/);
    await expect(escaped!.start(async () => {})).rejects.toThrow(/exited/);
  });

  it("a task may start siblings while the group waits for its children", async () => {
    const ran: string[] = [];
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await checkpoint();
        tg.startSoon(async () => ran.push("late sibling"));
      });
    });
    expect(ran).toEqual(["late sibling"]);
  });

  it("starting into a cancelled group runs the task to its first checkpoint", async () => {
    const steps: string[] = [];
    await taskGroup(async (tg) => {
      tg.cancelScope.cancel();
      tg.startSoon(async () => {
        steps.push("ran");
        await checkpoint();
        steps.push("not reached");
      });
    });
    expect(steps).toEqual(["ran"]);
  });

  it("cancelling the group's scope cancels the body and every task, and is caught by the group", async () => {
    const cancelled: string[] = [];
    const result = await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        try {
          await sleepForever();
        } catch (e) {
          cancelled.push("task");
          throw e;
        }
      });
      await checkpoint();
      tg.cancelScope.cancel();
      await checkpoint();
      return "not reached";
    });
    expect(result).toBeUndefined();
    expect(cancelled).toEqual(["task"]);
  });

  it("cancellation from outside propagates after every task has finished", async () => {
    const outer = new CancelScope();
    let cleanupDone = false;
    await outer.run(async () => {
      await taskGroup(async (tg) => {
        tg.startSoon(async () => {
          try {
            await sleepForever();
          } finally {
            await new CancelScope({ shield: true }).run(() => sleep(5));
            cleanupDone = true;
          }
        });
        await checkpoint();
        outer.cancel();
      });
      throw new Error("not reached");
    });
    expect(cleanupDone).toBe(true);
    expect(outer.cancelledCaught).toBe(true);
  });

  it("tasks know their own identity", async () => {
    const names: string[] = [];
    const body = getCurrentTask();
    await taskGroup(async (tg) => {
      tg.startSoon(async function alpha() {
        await checkpoint();
        names.push(getCurrentTask().name);
        expect(getCurrentTask()).not.toBe(body);
      });
      expect(getCurrentTask()).toBe(body); // the body runs in its caller's task
    });
    expect(names).toEqual(["alpha"]);
  });

  it("rejects non-function tasks and leaves the group and its tasks intact", async () => {
    let completed = false;
    const result = await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await sleep(1);
        completed = true;
      });
      expect(() => tg.startSoon(42 as never)).toThrow(TypeError);
      expect(() => tg.startSoon(null as never)).toThrow(/startSoon: the task must be a function, got null/);
      expect(() => tg.spawn("x" as never)).toThrow(/spawn: the task must be a function/);
      await expect(tg.start(undefined as never)).rejects.toThrow(/start: the task must be a function/);
      return "intact";
    });
    expect(result).toBe("intact");
    expect(completed).toBe(true);
    await expect(taskGroup(null as never)).rejects.toThrow(/fn must be a function/);
  });

  it("nested groups: an inner failure propagates as a nested TaskGroupError", async () => {
    const inner = new Error("inner");
    const thrown = await taskGroup(async (outerGroup) => {
      outerGroup.startSoon(() =>
        taskGroup(async (tg) => {
          tg.startSoon(async () => {
            throw inner;
          });
        })
      );
      await sleepForever();
    }).catch((e) => e);
    expect(thrown).toBeInstanceOf(TaskGroupError);
    expect(thrown.errors[0]).toBeInstanceOf(TaskGroupError);
    expect(thrown.errors[0].errors).toEqual([inner]);
  });

  it("a timeout around a group cancels its tasks and the group still waits for them", async () => {
    let cleaned = false;
    await moveOnAfter(5, () =>
      taskGroup(async (tg) => {
        tg.startSoon(async () => {
          try {
            await sleepForever();
          } finally {
            cleaned = true;
          }
        });
      })
    );
    expect(cleaned).toBe(true);
  });
});
