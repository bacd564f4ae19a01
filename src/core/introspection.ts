/**
 * Task introspection: the tasks of the current run and a text picture of its tree of task
 * groups, tasks and cancel scopes (what Python 3.14's `asyncio pstree` prints). Nothing is
 * recorded for it beyond what the scheduler keeps anyway: it walks the live scope tree.
 *
 * @module
 */
import { type CancelScope, currentFrame } from "./cancel-scope.ts";
import type { TaskIdentity, TaskInfo } from "./context.ts";
import type { RunState } from "./run-state.ts";
import type { Task } from "./task.ts";
import type { TaskGroupImpl } from "./task-group.ts";

interface TreeNode {
  readonly label: string;
  readonly children: TreeNode[];
  readonly task?: TaskIdentity;
}

/**
 * Every task alive in the current run (AnyIO's `get_running_tasks`), the root task first,
 * then the tree's tasks depth first in start order. Outside any `run`: the tasks of the
 * implicit root.
 *
 * @example
 * ```ts
 * import { getRunningTasks, run, sleepForever, taskGroup } from "@anyts/anyts";
 * await run(async () => {
 *   await taskGroup(async (tg) => {
 *     tg.startSoon({ name: "server" }, sleepForever);
 *     await Promise.resolve();
 *     console.log(getRunningTasks().map((task) => task.name)); // ["root", "server"]
 *     tg.cancelScope.cancel();
 *   });
 * });
 * ```
 */
export function getRunningTasks(): TaskInfo[] {
  const run = currentFrame()._scope._run;
  const tasks: TaskInfo[] = [];
  const visit = (node: TreeNode) => {
    if (node.task !== undefined) tasks.push(node.task);
    for (const child of node.children) visit(child);
  };
  visit(runTree(run));
  return tasks;
}

/**
 * The live tree of the current run as text: its task groups, tasks and cancel scopes
 * (deadlines relative to now, shield and cancelled flags), and for each task what it is
 * blocked in (`sleep`, `Event.wait`, `Lock.acquire`, `SocketStream.receive`…) or that it
 * is running. Outside any `run`, an empty string.
 *
 * @example
 * ```ts
 * import { Event, formatTaskTree, moveOnAfter, run, taskGroup } from "@anyts/anyts";
 * await run(async () => {
 *   const ready = new Event();
 *   await taskGroup(async (tg) => {
 *     tg.startSoon({ name: "waiter" }, () => moveOnAfter(5_000, () => ready.wait()));
 *     await Promise.resolve();
 *     console.log(formatTaskTree());
 *     // run (node backend)
 *     // └─ task root #1: running
 *     //    └─ task group
 *     //       └─ task waiter #2: blocked in Event.wait
 *     //          └─ cancel scope (deadline in 5000 ms)
 *     ready.set();
 *   });
 * });
 * ```
 */
export function formatTaskTree(): string {
  const run = currentFrame()._scope._run;
  if (!run._keepAlive) return "";
  const clock = run._clock === undefined ? "" : `, virtual clock at ${formatMs(run._now())} ms`;
  const lines = [`run (${run._backend.name} backend${clock})`];
  const render = (node: TreeNode, prefix: string, last: boolean) => {
    lines.push(`${prefix}${last ? "└─ " : "├─ "}${node.label}`);
    const inner = prefix + (last ? "   " : "│  ");
    node.children.forEach((child, i) => render(child, inner, i === node.children.length - 1));
  };
  render(runTree(run), "", true);
  return lines.join("\n");
}

function runTree(run: RunState): TreeNode {
  const root = run._rootTask!;
  const scope = run._rootScope!;
  const now = run._now();
  const flags = scopeFlags(scope, now);
  return {
    label: `task ${root.name} #${root.id}${flags === "" ? "" : ` (${flags})`}: ${taskState(root)}`,
    children: scopeContents(scope, root, run, now),
    task: root,
  };
}

/** The nested scopes of `scope` that belong to `owner`, as nodes. */
function scopeContents(scope: CancelScope, owner: TaskIdentity, run: RunState, now: number): TreeNode[] {
  const nodes: TreeNode[] = [];
  for (let child = scope._firstChild; child !== undefined; child = child._nextSibling) {
    if (child._run !== run || child._task !== owner) continue;
    nodes.push(scopeNode(child, run, now));
  }
  return nodes;
}

function scopeNode(scope: CancelScope, run: RunState, now: number): TreeNode {
  const flags = scopeFlags(scope, now);
  const group = scope._group as TaskGroupImpl | undefined;
  const children = scopeContents(scope, scope._task, run, now);
  if (group === undefined) return { label: `cancel scope${flags === "" ? "" : ` (${flags})`}`, children };
  for (let task = group._firstTask; task !== undefined; task = task._nextInGroup) children.push(taskNode(task, run, now));
  return { label: `task group${flags === "" ? "" : ` (${flags})`}`, children };
}

function taskNode(task: Task<unknown>, run: RunState, now: number): TreeNode {
  const own = task._ownsScope ? scopeFlags(task._scope, now) : "";
  // A task's nested scopes hang under its own scope, or (startSoon) under its group's.
  const children = scopeContents(task._scope, task, run, now);
  return {
    label: `task ${task.name} #${task.id}${own === "" ? "" : ` (${own})`}: ${taskState(task)}`,
    children,
    task,
  };
}

function taskState(task: TaskIdentity): string {
  if ((task as Task<unknown>)._fn !== undefined) return "starting";
  return task._waits > 0 ? `blocked in ${task._blockedIn}` : "running";
}

function scopeFlags(scope: CancelScope, now: number): string {
  const flags: string[] = [];
  const deadline = scope._deadline;
  if (deadline !== Infinity) {
    flags.push(deadline <= now ? "deadline passed" : `deadline in ${formatMs(deadline - now)} ms`);
  }
  if (scope._shield) flags.push("shielded");
  if (scope._cancelCalled) flags.push(scope._cancelReason === undefined ? "cancelled" : `cancelled: ${scope._cancelReason}`);
  return flags.join(", ");
}

function formatMs(ms: number): string {
  return String(Math.round(ms * 10) / 10);
}
