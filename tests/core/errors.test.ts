import { describe, expect, it } from "vitest";
import {
  ClosedResourceError,
  currentTime,
  failAfter,
  failAt,
  sleep,
  sleepForever,
  taskGroup,
  TaskGroupError,
  TimeoutError,
} from "../../mod.ts";

describe("TimeoutError says what timed out", () => {
  it("failAfter names the duration, after the reason", async () => {
    const error = await failAfter(5, sleepForever).catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toBe("timed out after 5 ms");
    expect(error.timeout).toBe(5);
    expect(typeof error.deadline).toBe("number");
    const withReason = await failAfter(3, sleepForever, { reason: "fetching the config" }).catch((e) => e);
    expect(withReason.message).toBe("fetching the config: timed out after 3 ms");
  });

  it("failAt names the deadline", async () => {
    const deadline = currentTime() + 3;
    const error = await failAt(deadline, sleepForever).catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.deadline).toBe(deadline);
    expect(error.timeout).toBeUndefined();
    expect(error.message).toBe(`deadline ${Math.round(deadline * 1000) / 1000} (currentTime(), ms) passed`);
  });

  it("rejects a reason that is not a string", async () => {
    await expect(failAfter(1, () => sleep(0), { reason: 42 as never })).rejects.toThrow(/reason must be a string/);
  });
});

describe("ClosedResourceError names the resource", () => {
  it("takes the resource's name and an optional detail", () => {
    const error = new ClosedResourceError("MemoryObjectSendStream");
    expect(error.message).toBe("MemoryObjectSendStream is closed");
    expect(error.resource).toBe("MemoryObjectSendStream");
    expect(error.name).toBe("ClosedResourceError");
    expect(new ClosedResourceError("SocketStream", "cannot send after sendEof()").message).toBe(
      "SocketStream is closed: cannot send after sendEof()",
    );
    expect(new ClosedResourceError().message).toBe("the resource is closed");
  });
});

describe("TaskGroupError", () => {
  it("its stack includes the user's call site even when no await leads there", async () => {
    // No async function awaits the group: an async stack trace cannot reach this function.
    // (Not a tail call: JavaScriptCore drops the frame of a `return f()` in strict code.)
    function enterGroupFromUserCode(): Promise<void> {
      const group = taskGroup(async (tg) => {
        tg.startSoon(async () => {
          await sleep(1);
          throw new Error("boom");
        });
      });
      return group;
    }
    const error: TaskGroupError = await new Promise((resolve) => {
      setTimeout(() => enterGroupFromUserCode().catch(resolve), 0);
    });
    expect(error).toBeInstanceOf(TaskGroupError);
    const entered = error.stack!.split("--- the task group was entered at ---")[1];
    expect(entered).toBeDefined();
    expect(entered).toContain("errors.test.ts:"); // the line of the taskGroup call above
  });

  class NetworkError extends Error {}

  function nested(): TaskGroupError {
    const timeout = new TimeoutError("slow");
    const inner = new TaskGroupError([new NetworkError("reset"), new RangeError("bad")], "inner");
    const outer = new TaskGroupError([timeout, inner, new NetworkError("refused")], "outer");
    outer.cause = "why";
    return outer;
  }

  it("split(class) separates matching errors, keeping the nesting, message, stack and cause", () => {
    const group = nested();
    const [match, rest] = group.split(NetworkError);
    expect(match).toBeInstanceOf(TaskGroupError);
    expect(match!.message).toBe("outer");
    expect(match!.stack).toBe(group.stack);
    expect(match!.cause).toBe("why");
    expect(match!.errors.length).toBe(2);
    const innerMatch = match!.errors[0] as TaskGroupError;
    expect(innerMatch).toBeInstanceOf(TaskGroupError);
    expect(innerMatch.message).toBe("inner");
    expect(innerMatch.errors.map((e) => (e as Error).message)).toEqual(["reset"]);
    expect((match!.errors[1] as Error).message).toBe("refused");
    expect(rest!.errors.length).toBe(2);
    expect(rest!.errors[0]).toBeInstanceOf(TimeoutError);
    expect(((rest!.errors[1] as TaskGroupError).errors[0] as Error).message).toBe("bad");
  });

  it("split with a predicate; a full or empty match gives the group itself and undefined", () => {
    const group = nested();
    expect(group.split(() => false)).toEqual([undefined, group]);
    const [all, none] = group.split((e) => e instanceof Error);
    expect(all).toBe(group);
    expect(none).toBeUndefined();
    const [byMessage] = group.split((e) => e instanceof Error && e.message === "bad");
    expect(((byMessage!.errors[0] as TaskGroupError).errors[0] as Error).message).toBe("bad");
  });

  it("subgroup returns the matching part, or undefined", () => {
    const group = nested();
    expect(group.subgroup(TimeoutError)!.errors).toEqual([group.errors[0]]);
    expect(group.subgroup(SyntaxError)).toBeUndefined();
    expect(group.subgroup((e) => e instanceof TaskGroupError && e.message === "inner")!.errors).toEqual([group.errors[1]]);
  });

  it("handles one kind of error from a real nested task group", async () => {
    const error = await taskGroup(async (tg) => {
      tg.startSoon(() =>
        taskGroup(async (inner) => {
          inner.startSoon(async () => {
            throw new NetworkError("reset");
          });
        })
      );
    }).catch((e) => e);
    expect(error).toBeInstanceOf(TaskGroupError);
    const [network, rest] = (error as TaskGroupError).split(NetworkError);
    expect(rest).toBeUndefined();
    expect(((network!.errors[0] as TaskGroupError).errors[0] as Error).message).toBe("reset");
  });

  it("a condition that is neither a class nor a function is a TypeError", () => {
    expect(() => nested().split(42 as never)).toThrow(/condition must be an error class or a predicate/);
  });
});
