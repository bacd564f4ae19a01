// runProcess on every backend: input, capture, check, text, maxBuffer, concurrency.
import { describe, expect, it } from "vitest";
import { CalledProcessError, runProcess } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { bytes, caught, checkNoChildLeftAfterEachTest, payload, text } from "./helpers.ts";

const test = backendTests(it);
checkNoChildLeftAfterEachTest();

const MiB = 1024 * 1024;

describe("runProcess", () => {
  test("captures stdout and stderr as fresh bytes", async () => {
    const result = await runProcess(["sh", "-c", "printf out; printf err >&2"]);
    expect(result.args).toEqual(["sh", "-c", "printf out; printf err >&2"]);
    expect(result.returncode).toBe(0);
    expect(result.stdout).toBeInstanceOf(Uint8Array);
    expect(result.stdout!.buffer).toBeInstanceOf(ArrayBuffer);
    expect([text(result.stdout), text(result.stderr)]).toEqual(["out", "err"]);
  });

  test("text: true decodes UTF-8 strings", async () => {
    const result = await runProcess(["printf", "h\u00e9llo \u2713"], { text: true });
    expect(result.stdout).toBe("h\u00e9llo \u2713");
    expect(result.stderr).toBe("");
  });

  test("input as a string or bytes reaches stdin, which is then closed", async () => {
    expect((await runProcess(["cat"], { input: "from a string", text: true })).stdout).toBe("from a string");
    expect(text((await runProcess(["cat"], { input: bytes("from bytes") })).stdout)).toBe("from bytes");
    expect((await runProcess(["wc", "-c"], { input: new Uint8Array(0), text: true })).stdout!.trim()).toBe("0");
  });

  test("without input, stdin is /dev/null: a child reading it does not hang", async () => {
    expect((await runProcess(["cat"], { text: true })).stdout).toBe("");
  });

  test("4 MiB in and out of cat, and both output pipes full at once: no deadlock", async () => {
    const data = payload(4 * MiB);
    const echoed = await runProcess(["cat"], { input: data });
    expect(echoed.stdout!.length).toBe(data.length);
    expect(echoed.stdout!.every((byte, i) => byte === data[i])).toBe(true);
    const both = await runProcess(["sh", "-c", "head -c 2097152 /dev/zero >&2; head -c 2097152 /dev/zero"]);
    expect([both.stdout!.length, both.stderr!.length]).toEqual([2 * MiB, 2 * MiB]);
  });

  test("a child that exits without reading its input is not an error", async () => {
    const result = await runProcess(["true"], { input: payload(8 * MiB) });
    expect(result.returncode).toBe(0);
  });

  test("check (default): a non-zero exit throws CalledProcessError with the output and the tail of stderr", async () => {
    const error = await caught(runProcess(["sh", "-c", "echo partial; echo first >&2; echo 'the reason' >&2; exit 3"]));
    expect(error).toBeInstanceOf(CalledProcessError);
    const failed = error as CalledProcessError;
    expect(failed.name).toBe("CalledProcessError");
    expect(failed.args).toEqual(["sh", "-c", "echo partial; echo first >&2; echo 'the reason' >&2; exit 3"]);
    expect(failed.returncode).toBe(3);
    expect(text(failed.stdout)).toBe("partial\n");
    expect(text(failed.stderr)).toBe("first\nthe reason\n");
    expect(failed.message).toContain('command ["sh", "-c", "echo partial;');
    expect(failed.message).toContain("exited with code 3");
    expect(failed.message).toMatch(/stderr:\nfirst\nthe reason$/);
  });

  test("the message shows only the last lines of a long stderr", async () => {
    const error = await caught(runProcess("for i in $(seq 1 100); do echo line$i >&2; done; exit 1", { text: true }));
    expect(error).toBeInstanceOf(CalledProcessError);
    expect(error.message).toContain("line100");
    expect(error.message).toContain("line91");
    expect(error.message).not.toContain("line90\n");
    expect((error as CalledProcessError).stderr).toContain("line1\n");
    expect((error as CalledProcessError).args).toBe("for i in $(seq 1 100); do echo line$i >&2; done; exit 1");
  });

  test("a signal death: returncode -9 and a message naming SIGKILL", async () => {
    const error = await caught(runProcess(["sh", "-c", "kill -KILL $$"]));
    expect(error).toBeInstanceOf(CalledProcessError);
    expect((error as CalledProcessError).returncode).toBe(-9);
    expect(error.message).toContain("was killed by SIGKILL (signal 9)");
  });

  test("check: false returns the failure", async () => {
    const result = await runProcess(["sh", "-c", "exit 255"], { check: false });
    expect(result.returncode).toBe(255);
  });

  test("maxBuffer: more output terminates the child and throws a RangeError", async () => {
    const error = await caught(runProcess(["sh", "-c", "exec yes"], { maxBuffer: 100_000 }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toContain("stdout exceeded maxBuffer (100000 bytes)");
    const exact = await runProcess(["head", "-c", "1000", "/dev/zero"], { maxBuffer: 1000 });
    expect(exact.stdout!.length).toBe(1000);
  });

  test("streams that are not captured are null", async () => {
    const merged = await runProcess(["sh", "-c", "echo a; echo b >&2"], { stderr: "stdout", text: true });
    expect(merged.stdout).toBe("a\nb\n");
    expect(merged.stderr).toBe(null);
    const ignored = await runProcess(["echo", "x"], { stdout: "ignore", stderr: "ignore" });
    expect([ignored.stdout, ignored.stderr]).toEqual([null, null]);
  });
});
