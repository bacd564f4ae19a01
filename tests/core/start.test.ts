import { describe, expect, it } from "vitest";
import { CancelScope, Cancelled, checkpoint, sleep, sleepForever, taskGroup, TaskGroupError } from "../../mod.ts";

describe("TaskStatus.started() in a cancelled caller scope (Trio's semantics)", () => {
  it("does not move the task out of the cancelled scope around start()", async () => {
    let ranToEnd = false;
    let startReturned = false;
    await taskGroup(async (tg) => {
      const scope = new CancelScope();
      await scope.run(async () => {
        scope.cancel();
        await tg.start(async (status) => {
          status.started();
          await sleep(20);
          ranToEnd = true;
        });
        startReturned = true;
      });
      expect(scope.cancelledCaught).toBe(true);
    });
    expect(ranToEnd).toBe(false);
    expect(startReturned).toBe(false);
  });

  it("a started() in a finally while Cancelled is in flight never puts Cancelled into a TaskGroupError", async () => {
    let caught = false;
    await taskGroup(async (tg) => {
      await new CancelScope().run(async (s) => {
        await tg.start(async (status) => {
          try {
            s.cancel();
            await checkpoint();
          } finally {
            status.started();
          }
        });
      });
      caught = true;
    });
    expect(caught).toBe(true);
  });

  it("start() waits for a task that stayed in place and resolves to its value if it returned", async () => {
    const order: string[] = [];
    await taskGroup(async (tg) => {
      await new CancelScope().run(async (s) => {
        s.cancel();
        const value = await tg.start<string>(async (status) => {
          status.started("ready");
          await new CancelScope({ shield: true }).run(() => sleep(5));
          order.push("task done");
        });
        order.push(`start resolved ${value}`);
      });
    });
    expect(order).toEqual(["task done", "start resolved ready"]);
  });

  it("an error of a task that stayed in place goes to the caller of start()", async () => {
    const error = await taskGroup(async (tg) => {
      await new CancelScope().run(async (s) => {
        s.cancel();
        await tg.start(async (status) => {
          status.started();
          throw new RangeError("after started");
        });
      });
    }).catch((e) => e);
    expect(error).toBeInstanceOf(TaskGroupError);
    expect((error as TaskGroupError).errors).toHaveLength(1);
    expect((error as TaskGroupError).errors[0]).toBeInstanceOf(RangeError);
  });

  it("when the caller's scope is not cancelled, the task moves into the group as before", async () => {
    let outerScopeExited = false;
    let taskSawGroupCancel = false;
    await taskGroup(async (tg) => {
      await new CancelScope().run(async () => {
        await tg.start(async (status) => {
          status.started();
          try {
            await sleepForever();
          } catch (error) {
            taskSawGroupCancel = error instanceof Cancelled && outerScopeExited;
            throw error;
          }
        });
      });
      outerScopeExited = true;
      tg.cancelScope.cancel();
    });
    expect(taskSawGroupCancel).toBe(true);
  });
});

describe("task names", () => {
  it("startSoon, spawn and start take { name } before the function", async () => {
    const names: string[] = [];
    await taskGroup(async (tg) => {
      tg.startSoon({ name: "worker 1" }, async (n: number) => {
        names.push(`startSoon ${n}`);
      }, 1);
      const handle = tg.spawn({ name: "spawned" }, async () => 2);
      expect(handle.name).toBe("spawned");
      expect(typeof handle.id).toBe("number");
      await tg.start({ name: "server" }, async (status) => status.started());
      await handle;
    });
    expect(names).toEqual(["startSoon 1"]);
  });

  it("an unknown option or a name that is not a string is a TypeError naming it", async () => {
    await taskGroup(async (tg) => {
      expect(() => tg.startSoon({ nmae: "x" } as never, async () => {})).toThrow(/startSoon: unknown option "nmae"/);
      expect(() => tg.spawn({ name: 5 } as never, async () => {})).toThrow(/spawn: name must be a string/);
      await expect(tg.start({ Name: "x" } as never, async () => {})).rejects.toThrow(/start: unknown option "Name" \(did you mean "name"\?\)/);
      expect(() => tg.startSoon({ name: "no function" } as never)).toThrow(/startSoon: the task must be a function, got undefined/);
    });
  });
});
