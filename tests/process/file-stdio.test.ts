// An open AsyncFile as a child's stdin, stdout or stderr, on every backend: the child works
// on the file from the parent's position, the parent's buffers are flushed or dropped
// first, and the file stays open and usable afterwards.
import { statSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClosedResourceError, openFile, openProcess, type ProcessOptions, runProcess, taskGroup } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { tempDir } from "../fs/helpers.ts";
import { caught, checkNoChildLeftAfterEachTest, eventually, isDead, LineReader } from "./helpers.ts";

const test = backendTests(it);
checkNoChildLeftAfterEachTest();

const MiB = 1024 * 1024;

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir("anyts-stdio-");
});
afterEach(() => {
  dir.remove();
});

/** The size of the file at `path`, 0 while it does not exist. */
function statSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The content of a file, read back through openFile. */
async function readBack(path: string): Promise<string> {
  await using file = await openFile(path, "r");
  return await file.read();
}

describe("an AsyncFile as stdout or stderr", () => {
  test("the child writes into the file; process.stdout is null; the file stays open", async () => {
    const path = dir.join("out.txt");
    await using file = await openFile(path, "wb");
    {
      await using child = await openProcess(["sh", "-c", "printf 'hello from the child\\n'"], { stdout: file, stdin: "ignore" });
      expect(child.stdout).toBeNull();
      expect(await child.wait()).toBe(0);
    }
    // Everything the child wrote is in the file when wait() returns.
    expect(await readBack(path)).toBe("hello from the child\n");
    expect(file.closed).toBe(false);
    expect(await file.tell()).toBe(21); // where the child left the file
    await file.write(new TextEncoder().encode("and the parent\n"));
    await file.aclose();
    expect(await readBack(path)).toBe("hello from the child\nand the parent\n");
  });

  test("the child gets the file's descriptor (node, bun backends) or a pumped pipe (deno backend)", async ({ backend }) => {
    const path = dir.join("kind.txt");
    await using file = await openFile(path, "w");
    await runProcess(["sh", "-c", "if [ -f /dev/stdout ]; then echo file; else echo pipe; fi"], { stdout: file });
    expect(await readBack(path)).toBe(backend === "deno" ? "pipe\n" : "file\n");
  });

  test("stderr into the same file as stdout keeps their order", async () => {
    const path = dir.join("both.txt");
    await using file = await openFile(path, "w");
    const script = "printf out1; printf err1 >&2; printf out2; printf err2 >&2";
    await using child = await openProcess(["sh", "-c", script], { stdout: file, stderr: file, stdin: "ignore" });
    expect([child.stdout, child.stderr]).toEqual([null, null]);
    expect(await child.wait()).toBe(0);
    expect(await readBack(path)).toBe("out1err1out2err2");
  });

  test("stderr alone into a file, stdout still a pipe", async () => {
    const path = dir.join("err.txt");
    await using file = await openFile(path, "w");
    const result = await runProcess(["sh", "-c", "printf out; printf err >&2"], { stderr: file, text: true });
    expect(result.stdout).toBe("out");
    expect(result.stderr).toBeNull();
    expect(await readBack(path)).toBe("err");
  });

  test("stderr: \"stdout\" with stdout a file: both land in the file", async () => {
    const path = dir.join("merged.txt");
    await using file = await openFile(path, "w");
    const result = await runProcess(["sh", "-c", "printf a; printf b >&2; printf c"], { stdout: file, stderr: "stdout" });
    expect([result.stdout, result.stderr]).toEqual([null, null]);
    expect(await readBack(path)).toBe("abc");
  });

  test("the parent's buffered write goes first: \"a\" buffered, the child writes \"b\", then \"c\"", async () => {
    const path = dir.join("ab.txt");
    await using file = await openFile(path, "w");
    await file.write("a"); // still in the write buffer
    await runProcess(["printf", "b"], { stdout: file });
    expect(await file.tell()).toBe(2);
    await file.write("c");
    await file.flush();
    expect(await readBack(path)).toBe("abc");
  });

  test("a file in append mode: the child's output goes to the end", async () => {
    const path = dir.join("log.txt");
    writeFileSync(path, "first\n");
    await using file = await openFile(path, "a");
    await file.write("second\n");
    await runProcess(["echo", "third"], { stdout: file });
    await file.write("fourth\n");
    await file.flush();
    expect(await readBack(path)).toBe("first\nsecond\nthird\nfourth\n");
  });

  test("a text-mode file with non-ASCII text on both sides", async () => {
    const path = dir.join("text.txt");
    await using file = await openFile(path, "w+", { encoding: "utf-8" });
    await file.write("gr\u00fc\u00df ");
    await runProcess(["printf", "\u00e9t\u00e9 \u2713"], { stdout: file });
    await file.write(" fin");
    await file.seek(0);
    expect(await file.read()).toBe("gr\u00fc\u00df \u00e9t\u00e9 \u2713 fin");
  });

  test("after a seek back, the child writes at the file's position", async () => {
    const path = dir.join("seek.txt");
    await using file = await openFile(path, "wb+");
    await file.write(new TextEncoder().encode("0123456789"));
    await file.seek(3);
    await runProcess(["printf", "abc"], { stdout: file });
    expect(await file.tell()).toBe(6);
    await file.write(new TextEncoder().encode("X"));
    await file.flush();
    expect(await readBack(path)).toBe("012abcX789");
  });

  test("after reads (read-ahead past the position), the child writes at the read position", async () => {
    const path = dir.join("read-then-write.txt");
    writeFileSync(path, "0123456789");
    await using file = await openFile(path, "r+b");
    expect(new TextDecoder().decode(await file.read(3))).toBe("012");
    await runProcess(["printf", "ab"], { stdout: file });
    expect(await file.tell()).toBe(5);
    expect(new TextDecoder().decode(await file.read())).toBe("56789");
    expect(await readBack(path)).toBe("012ab56789");
  });

  test("two children one after the other and the parent between them, in order", async ({ backend }) => {
    const path = dir.join("turns.txt");
    await using file = await openFile(path, "w");
    await file.write("1 parent\n");
    await runProcess(["echo", "2 child"], { stdout: file });
    await file.write("3 parent\n");
    // The kernel's offset is still in step: the second child gets the descriptor too.
    const kind = "if [ -f /dev/stdout ]; then echo 4 file; else echo 4 pipe; fi";
    await runProcess(["sh", "-c", kind], { stdout: file, stderr: file });
    await file.write("5 parent\n");
    await file.seek(0);
    await file.write("#"); // a seek back and a write there still land where they should
    await file.seek(0, 2);
    await file.write("6 parent\n");
    await file.aclose();
    const fourth = backend === "deno" ? "4 pipe" : "4 file";
    expect(await readBack(path)).toBe(`# parent\n2 child\n3 parent\n${fourth}\n5 parent\n6 parent\n`);
  });

  test("a write at the position the parent had before the child lands there", async () => {
    const path = dir.join("back.txt");
    await using file = await openFile(path, "wb+");
    await file.write(new TextEncoder().encode("ab"));
    await file.flush();
    await runProcess(["printf", "cd"], { stdout: file });
    await file.seek(2);
    await file.write(new TextEncoder().encode("X"));
    await file.flush();
    expect(await readBack(path)).toBe("abXd");
  });

  test("several MiB of output land whole before wait() returns", async () => {
    const path = dir.join("big.bin");
    await using file = await openFile(path, "wb");
    const size = 6 * MiB + 123;
    const result = await runProcess(["head", "-c", String(size), "/dev/urandom"], { stdout: file });
    expect(result.stdout).toBeNull();
    expect(statSync(path).size).toBe(size);
    expect(await file.tell()).toBe(size);
  });
});

describe("an AsyncFile as stdin", () => {
  test("the child reads the file", async () => {
    const path = dir.join("in.txt");
    writeFileSync(path, "line one\nline two\n");
    await using file = await openFile(path, "rb");
    const result = await runProcess(["cat"], { stdin: file, text: true });
    expect(result.stdout).toBe("line one\nline two\n");
  });

  test("the child starts where the parent stopped reading (the read-ahead is not lost)", async () => {
    const path = dir.join("in.txt");
    writeFileSync(path, "header\nbody 1\nbody 2\n");
    await using file = await openFile(path, "r");
    expect(await file.readline()).toBe("header\n"); // read ahead: the whole file is buffered
    const result = await runProcess(["cat"], { stdin: file, text: true });
    expect(result.stdout).toBe("body 1\nbody 2\n");
  });

  test("wc counts the bytes of the file", async () => {
    const path = dir.join("in.txt");
    writeFileSync(path, "x".repeat(1000));
    await using file = await openFile(path, "rb");
    const result = await runProcess(["wc", "-c"], { stdin: file, text: true });
    expect(result.stdout!.trim()).toBe("1000");
  });

  test("several MiB from one file through cat into another", async () => {
    const from = dir.join("from.bin");
    const to = dir.join("to.bin");
    const size = 5 * MiB + 7;
    writeFileSync(from, new Uint8Array(size).map((_, i) => i * 31));
    await using input = await openFile(from, "rb");
    await using output = await openFile(to, "wb");
    expect(await runProcess(["cat"], { stdin: input, stdout: output })).toMatchObject({ returncode: 0, stdout: null });
    expect(statSync(to).size).toBe(size);
    await output.aclose();
    await using check = await openFile(to, "rb");
    const copied = await check.read();
    expect(copied[size - 1]).toBe(((size - 1) * 31) & 0xff);
  });
});

describe("an AsyncFile as a standard stream: faults", () => {
  test("a child that reads only the start of a large file: no hang, the rest stays unread", async () => {
    const path = dir.join("large.txt");
    writeFileSync(path, "0123456789".repeat(400_000));
    await using file = await openFile(path, "rb");
    const result = await runProcess(["head", "-c", "10"], { stdin: file, text: true });
    expect(result.stdout).toBe("0123456789");
    // The position is where the child's reads (descriptor) or the pump (pipe) stopped.
    const position = await file.tell();
    expect(position).toBeGreaterThanOrEqual(10);
    expect(position).toBeLessThanOrEqual(4_000_000);
  });

  test("a missing executable is ENOENT; the file, already flushed, stays usable", async () => {
    const path = dir.join("kept.txt");
    await using file = await openFile(path, "w");
    await file.write("kept\n");
    const error = await caught(openProcess(["anyts-no-such-command"], { stdout: file, stderr: file }));
    expect(error.code).toBe("ENOENT");
    await file.write("still writable\n");
    await file.aclose();
    expect(await readBack(path)).toBe("kept\nstill writable\n");
  });

  test("a file that cannot take the output (/dev/full): the child fails, or wait() raises ENOSPC", async ({ backend }) => {
    await using full = await openFile("/dev/full", "wb");
    const run = runProcess(["printf", "x"], { stdout: full, check: false });
    if (backend === "deno") {
      // Pumped: the child's write went into the pipe; the parent's write into the file failed.
      expect((await caught(run)).code).toBe("ENOSPC");
    } else {
      // The child writes to the file itself and sees the error.
      expect((await run).returncode).not.toBe(0);
    }
  });
});

describe("an AsyncFile as a standard stream: signals", () => {
  test("a child that handles SIGTERM from the parent: its last words land in the file", async () => {
    const path = dir.join("last-words.txt");
    await using file = await openFile(path, "w");
    const script = "trap 'echo bye; exit 3' TERM; echo ready; while :; do sleep 0.05; done";
    await using child = await openProcess(["sh", "-c", script], { stdout: file, stdin: "ignore" });
    await eventually(() => statSize(path) >= 6, "the child is ready");
    child.terminate();
    expect(await child.wait()).toBe(3);
    expect(await readBack(path)).toBe("ready\nbye\n");
  });
});

describe("an AsyncFile as a standard stream: bad input", () => {
  test("a closed file is a ClosedResourceError naming the option", async () => {
    const path = dir.join("closed.txt");
    const file = await openFile(path, "w");
    await file.aclose();
    const error = await caught(openProcess(["true"], { stdout: file }));
    expect(error).toBeInstanceOf(ClosedResourceError);
    expect(error.message).toContain("openProcess: stdout: the file is closed");
    const viaRun = await caught(runProcess(["true"], { stdin: file as unknown as NonNullable<ProcessOptions["stdin"]> }));
    expect(viaRun).toBeInstanceOf(ClosedResourceError);
    expect(viaRun.message).toContain("runProcess: stdin: the file is closed");
  });

  test("a read-only file as stdout, a write-only one as stdin: TypeErrors naming the option and mode", async () => {
    const path = dir.join("modes.txt");
    writeFileSync(path, "data");
    await using readOnly = await openFile(path, "r");
    await using writeOnly = await openFile(dir.join("w.txt"), "wb");
    const asStdout = await caught(openProcess(["true"], { stdout: readOnly }));
    expect(asStdout).toBeInstanceOf(TypeError);
    expect(asStdout.message).toBe('openProcess: stdout: the file is not open for writing (mode "r")');
    const asStderr = await caught(openProcess(["true"], { stderr: readOnly }));
    expect(asStderr.message).toBe('openProcess: stderr: the file is not open for writing (mode "r")');
    const asStdin = await caught(openProcess(["true"], { stdin: writeOnly }));
    expect(asStdin).toBeInstanceOf(TypeError);
    expect(asStdin.message).toBe('openProcess: stdin: the file is not open for reading (mode "wb")');
  });

  test("another object is the TypeError listing the accepted values", async () => {
    const error = await caught(openProcess(["true"], { stdout: { fd: 1 } as unknown as NonNullable<ProcessOptions["stdout"]> }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('openProcess: stdout must be one of "pipe", "inherit", "ignore" or an open AsyncFile, got object');
  });

  test("input with a file as stdin is the input-and-stdin TypeError", async () => {
    const path = dir.join("in.txt");
    writeFileSync(path, "data");
    await using file = await openFile(path, "r");
    const error = await caught(runProcess(["cat"], { input: "x", stdin: file }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain("input and stdin cannot both be given");
  });
});

describe("an AsyncFile as a standard stream: cancellation", () => {
  test("a child writing into a file is killed with its scope; the file stays usable and closable", async () => {
    const path = dir.join("endless.txt");
    await using file = await openFile(path, "w");
    let pid = 0;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        await using child = await openProcess(["sh", "-c", "while :; do echo line; done"], { stdout: file, stdin: "ignore" });
        pid = child.pid;
        await child.wait();
      });
      await eventually(() => statSize(path) > 10_000, "the child has written into the file");
      tg.cancelScope.cancel();
    });
    expect(isDead(pid)).toBe(true);
    const content = await readBack(path);
    expect(content.length).toBeGreaterThan(10_000);
    // Nothing torn in the middle: whole lines, except maybe a last one cut by the kill.
    expect(/^(line\n)*(l(i(ne?)?)?)?$/.test(content)).toBe(true);
    await file.write("after\n");
    await file.aclose();
    expect((await readBack(path)).endsWith("after\n")).toBe(true);
  });

  test("a child reading a file as stdin is killed with its scope", async () => {
    const path = dir.join("in.txt");
    writeFileSync(path, "data\n");
    await using file = await openFile(path, "r");
    let returncode: number | null = null;
    await taskGroup(async (tg) => {
      const reading = new Promise<void>((started) => {
        tg.startSoon(async () => {
          // cat echoes the file, then the child sleeps: only the kill ends it.
          await using child = await openProcess(["sh", "-c", "cat; exec sleep 100"], { stdin: file });
          try {
            await new LineReader(child.stdout!).until("data");
            started();
            await child.wait();
          } finally {
            returncode = child.returncode;
          }
        });
      });
      await reading;
      tg.cancelScope.cancel();
    });
    expect(returncode).toBe(-15);
    expect(await file.read()).toBe(""); // the file was read to its end
    await file.aclose();
  });
});
