import { describe, expect, it } from "vitest";
import {
  CancelScope,
  Event,
  formatTaskTree,
  getCurrentTask,
  getRunningTasks,
  Lock,
  moveOnAfter,
  run,
  sleep,
  sleepForever,
  taskGroup,
} from "../../mod.ts";
import { backendTests, MockClock, waitAllTasksBlocked } from "../../testing.ts";

describe("getCurrentTask and getRunningTasks", () => {
  backendTests(it)("report TaskInfo { id, name, parentId } of the run's live tasks", async () => {
    const root = getCurrentTask();
    expect(root.name).toBe("root");
    expect(root.parentId).toBeUndefined();
    const seen: Array<{ name: string; parentId: number | undefined }> = [];
    await taskGroup(async (tg) => {
      tg.startSoon({ name: "named" }, async () => {
        seen.push({ name: getCurrentTask().name, parentId: getCurrentTask().parentId });
        await sleepForever();
      });
      tg.startSoon(async function byFunctionName() {
        await taskGroup(async (inner) => {
          inner.startSoon(async function grandchild() {
            seen.push({ name: getCurrentTask().name, parentId: getCurrentTask().parentId });
            await sleepForever();
          });
        });
      });
      tg.startSoon(async () => {
        await sleepForever();
      });
      await waitAllTasksBlocked();
      const tasks = getRunningTasks();
      expect(tasks.map((task) => task.name)).toEqual(["root", "named", "byFunctionName", "grandchild", "anonymous"]);
      expect(new Set(tasks.map((task) => task.id)).size).toBe(5);
      expect(tasks[0]).toBe(root);
      const byName = new Map(tasks.map((task) => [task.name, task]));
      expect(byName.get("named")!.parentId).toBe(root.id);
      expect(byName.get("grandchild")!.parentId).toBe(byName.get("byFunctionName")!.id);
      expect(seen).toEqual([
        { name: "named", parentId: root.id },
        { name: "grandchild", parentId: byName.get("byFunctionName")!.id },
      ]);
      tg.cancelScope.cancel();
    });
    expect(getRunningTasks()).toEqual([root]);
  });

  it("the same object for the whole life of a task (locks report it as owner)", async () => {
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        const me = getCurrentTask();
        const lock = new Lock();
        using _ = await lock.acquire();
        expect(lock.statistics().owner).toBe(me);
        await sleep(0);
        expect(getCurrentTask()).toBe(me);
      });
    });
  });
});

describe("formatTaskTree", () => {
  it("draws groups, tasks, scopes with deadlines, shields, cancelled flags and what each task waits in", async () => {
    const clock = new MockClock();
    clock.jump(1_000);
    const tree = await run(async () => {
      const event = new Event();
      const lock = new Lock();
      let text = "";
      await taskGroup(async (tg) => {
        tg.startSoon({ name: "waiter" }, () => moveOnAfter(5_000, () => event.wait()));
        tg.startSoon({ name: "holder" }, async () => {
          using _ = await lock.acquire();
          await new CancelScope({ shield: true }).run(() => sleep(250));
        });
        tg.startSoon({ name: "contender" }, async () => {
          await sleep(0);
          using _ = await lock.acquire();
        });
        const spawned = tg.spawn({ name: "spawned" }, sleepForever);
        spawned.cancel("not needed");
        tg.startSoon(async function nested() {
          await taskGroup(async (inner) => {
            inner.startSoon({ name: "leaf" }, sleepForever);
          });
        });
        await waitAllTasksBlocked();
        text = formatTaskTree();
        event.set();
        tg.cancelScope.cancel();
        clock.jump(250); // the holder's shielded sleep ends
      });
      return text;
    }, { clock });
    expect(tree.replace(/#\d+/g, "#ID")).toBe(
      [
        "run (" + tree.split("(")[1]!.split(" ")[0] + " backend, virtual clock at 1000 ms)",
        "└─ task root #ID: running",
        "   └─ task group",
        "      ├─ task waiter #ID: blocked in Event.wait",
        "      │  └─ cancel scope (deadline in 5000 ms)",
        "      ├─ task holder #ID: blocked in sleep",
        "      │  └─ cancel scope (shielded)",
        "      ├─ task contender #ID: blocked in Lock.acquire",
        "      └─ task nested #ID: blocked in taskGroup (waiting for its tasks)",
        "         └─ task group",
        "            └─ task leaf #ID: blocked in sleepForever",
      ].join("\n"),
    );
  });

  it("is an empty string outside any run", () => {
    expect(formatTaskTree()).toBe("");
  });
});
