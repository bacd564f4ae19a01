// Bad arguments and failed spawns: clear errors (naming the argument, the executable or
// the directory), and no process left behind.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { afterAll, describe, expect, it } from "vitest";
import { openProcess, type ProcessOptions, runProcess, type RunProcessOptions } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { caught, checkNoChildLeftAfterEachTest } from "./helpers.ts";

const test = backendTests(it);
checkNoChildLeftAfterEachTest();

const dir = mkdtempSync(join(tmpdir(), "anyts-bad-input-"));
const notExecutable = join(dir, "script.sh");
writeFileSync(notExecutable, "#!/bin/sh\necho hi\n");
chmodSync(notExecutable, 0o644);
const aFile = join(dir, "file");
writeFileSync(aFile, "");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("openProcess: bad commands", () => {
  test("an empty command, array or executable is a TypeError", async () => {
    for (const command of ["", "   ", [], [""]] as unknown as string[]) {
      const error = await caught(openProcess(command));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/^openProcess: command(\[0\])?.* must not be (an )?empty/);
    }
  });

  test("a non-string argument is a TypeError naming its index", async () => {
    const error = await caught(openProcess(["echo", "ok", 3 as unknown as string]));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe("openProcess: command[2] must be a string, got number");
  });

  test("a command that is neither a string nor an array, or holds a NUL, is a TypeError", async () => {
    for (const command of [undefined, null, 42, { cmd: "ls" }]) {
      const error = await caught(openProcess(command as unknown as string));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toContain("command must be a string or an array of strings");
    }
    expect((await caught(openProcess(["echo", "a\0b"]))).message).toContain("command[1] must not contain a NUL");
  });

  test("a missing executable is ENOENT naming it (merged stderr too)", async () => {
    for (const options of [{}, { stderr: "stdout" }] as ProcessOptions[]) {
      const error = await caught(openProcess(["anyts-no-such-command", "x"], options));
      expect(error.code).toBe("ENOENT");
      expect(error.message).toContain("anyts-no-such-command");
      const byPath = await caught(openProcess([join(dir, "missing")], options));
      expect(byPath.code).toBe("ENOENT");
      expect(byPath.message).toContain(join(dir, "missing"));
    }
  });

  test("a file that is not executable is EACCES naming it", async () => {
    for (const options of [{}, { stderr: "stdout" }] as ProcessOptions[]) {
      const error = await caught(openProcess([notExecutable], options));
      expect(error.code).toBe("EACCES");
      expect(error.message).toContain(notExecutable);
    }
  });

  test("a cwd that does not exist is ENOENT naming the directory", async () => {
    const missing = join(dir, "no-such-dir");
    for (const options of [{ cwd: missing }, { cwd: missing, stderr: "stdout" }] as ProcessOptions[]) {
      const error = await caught(openProcess(["ls"], options));
      expect(error.code).toBe("ENOENT");
      expect(error.message).toContain(missing);
      expect(error.message).toContain("working directory");
    }
  });

  test("runProcess reports the same spawn errors", async () => {
    expect((await caught(runProcess(["anyts-no-such-command"]))).code).toBe("ENOENT");
  });
});

describe("openProcess: bad options", () => {
  const cases: Array<[string, ProcessOptions, string | RegExp, typeof TypeError | typeof RangeError]> = [
    ["an unknown option", { stdn: "pipe" } as unknown as ProcessOptions, 'unknown option "stdn"', TypeError],
    ["a bad stdin", { stdin: "piped" } as unknown as ProcessOptions, 'stdin must be one of "pipe", "inherit", "ignore" or an open AsyncFile, got "piped"', TypeError],
    ["stdout: \"stdout\"", { stdout: "stdout" } as unknown as ProcessOptions, "stdout must be one of", TypeError],
    ["a bad stderr", { stderr: 2 } as unknown as ProcessOptions, 'stderr must be one of "pipe", "inherit", "ignore", "stdout" or an open AsyncFile, got number', TypeError],
    ["a bad cwd", { cwd: 7 } as unknown as ProcessOptions, "cwd must be a string or a URL", TypeError],
    ["an http: URL as cwd", { cwd: new URL("http://example.com/") }, "cwd must be a path or a file: URL", TypeError],
    ["env that is not an object", { env: "A=1" } as unknown as ProcessOptions, "env must be an object of strings", TypeError],
    ["a non-string env value", { env: { A: 1 } } as unknown as ProcessOptions, "env.A must be a string", TypeError],
    ["a bad env name", { env: { "A=B": "1" } }, "invalid variable name", TypeError],
    ["a non-boolean clearEnv", { clearEnv: "yes" } as unknown as ProcessOptions, "clearEnv must be a boolean", TypeError],
    ["a non-boolean processGroup", { processGroup: 1 } as unknown as ProcessOptions, "processGroup must be a boolean", TypeError],
    ["an unknown killSignal", { killSignal: "SIGFOO" } as unknown as ProcessOptions, 'killSignal must be a signal name such as "SIGTERM", got "SIGFOO"', TypeError],
    ["a killSignal without SIG", { killSignal: "TERM" } as unknown as ProcessOptions, 'did you mean "SIGTERM"?', TypeError],
    ["a negative forceKillAfter", { forceKillAfter: -1 }, "forceKillAfter must be a non-negative number", RangeError],
    ["a NaN forceKillAfter", { forceKillAfter: NaN }, "forceKillAfter must be a non-negative number", RangeError],
    ["a string forceKillAfter", { forceKillAfter: "5" } as unknown as ProcessOptions, "forceKillAfter must be a number", TypeError],
  ];
  for (const [what, options, message, ErrorClass] of cases) {
    test(`${what} is a ${ErrorClass.name}`, async () => {
      const error = await caught(openProcess(["true"], options));
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error.message).toContain(message);
      expect(error.message.startsWith("openProcess")).toBe(true);
    });
  }

  test("options that are not an object are a TypeError", async () => {
    expect(await caught(openProcess(["true"], "pipe" as unknown as ProcessOptions))).toBeInstanceOf(TypeError);
  });
});

describe("runProcess: bad options", () => {
  const cases: Array<[string, RunProcessOptions, string, typeof TypeError | typeof RangeError]> = [
    ["input with stdin", { input: "x", stdin: "pipe" }, "input and stdin cannot both be given", TypeError],
    ["input that is neither bytes nor a string", { input: 5 } as unknown as RunProcessOptions, "input must be a Uint8Array or a string", TypeError],
    ["a non-boolean check", { check: "no" } as unknown as RunProcessOptions, "check must be a boolean", TypeError],
    ["a non-boolean text", { text: 1 } as unknown as RunProcessOptions, "text must be a boolean", TypeError],
    ["a negative maxBuffer", { maxBuffer: -1 }, "maxBuffer must be a non-negative integer", RangeError],
    ["a fractional maxBuffer", { maxBuffer: 1.5 }, "maxBuffer must be a non-negative integer", RangeError],
    ["an unknown option", { maxbuffer: 5 } as unknown as RunProcessOptions, 'unknown option "maxbuffer" (did you mean "maxBuffer"?)', TypeError],
  ];
  for (const [what, options, message, ErrorClass] of cases) {
    test(`${what} is a ${ErrorClass.name}`, async () => {
      const error = await caught(runProcess(["true"], options));
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error.message).toContain(message);
      expect(error.message.startsWith("runProcess")).toBe(true);
    });
  }
});

describe("Process: bad signals", () => {
  test("sendSignal with an unknown name is a TypeError, before and after the exit", async () => {
    await using child = await openProcess(["sleep", "100"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    expect(() => child.sendSignal("SIGNOPE" as "SIGTERM")).toThrow(/signal must be a signal name such as "SIGTERM", got "SIGNOPE"/);
    expect(() => child.sendSignal(15 as unknown as "SIGTERM")).toThrow(TypeError);
    if (process.platform === "linux") expect(() => child.sendSignal("SIGINFO")).toThrow(/does not exist on this platform/);
    expect(child.returncode).toBe(null);
    child.kill();
    expect(await child.wait()).toBe(-9);
    expect(() => child.sendSignal("kill" as "SIGKILL")).toThrow(/did you mean "SIGKILL"\?/);
  });
});
