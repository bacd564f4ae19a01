// openProcess and Process on every backend, with real children (sh, cat, head, sleep).
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import process from "node:process";
import { describe, expect, it } from "vitest";
import {
  BrokenResourceError,
  BusyResourceError,
  ClosedResourceError,
  EndOfStream,
  openProcess,
  type Process,
  type ProcessReceiveStream,
  sleep,
  taskGroup,
} from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { bytes, caught, checkNoChildLeftAfterEachTest, eventually, isDead, LineReader, payload, text } from "./helpers.ts";

const test = backendTests(it);
checkNoChildLeftAfterEachTest();

const MiB = 1024 * 1024;

async function readAll(stream: ProcessReceiveStream): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    total += chunk.length;
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe("openProcess", () => {
  test("echoes through cat: send, sendEof, receive to the end, wait", async () => {
    await using cat = await openProcess(["cat"]);
    expect(cat.pid).toBeGreaterThan(0);
    expect(cat.returncode).toBe(null);
    await cat.stdin!.send(bytes("hello "));
    await cat.stdin!.send(bytes("world"));
    await cat.stdin!.sendEof();
    expect(text(await readAll(cat.stdout!))).toBe("hello world");
    expect(await cat.wait()).toBe(0);
    expect(cat.returncode).toBe(0);
    const chunk = await caught(cat.stdout!.receive());
    expect(chunk).toBeInstanceOf(EndOfStream);
  });

  test("an array runs directly (no shell); a string runs through /bin/sh -c", async () => {
    await using direct = await openProcess(["printf", "%s|%s", "$HOME", "a b"]);
    expect(text(await readAll(direct.stdout!))).toBe("$HOME|a b");
    await using shell = await openProcess("printf '%s' $((40 + 2))");
    expect(text(await readAll(shell.stdout!))).toBe("42");
    expect(shell.args).toBe("printf '%s' $((40 + 2))");
    expect(direct.args).toEqual(["printf", "%s|%s", "$HOME", "a b"]);
  });

  test("64 MiB through cat with a slow reader: neither side buffers without bound", async () => {
    const size = 64 * MiB;
    const chunk = payload(64 * 1024);
    // What may sit between the two counters: both pipes, cat's buffer and the adapters'
    // read-ahead (a few hundred KiB each), with room to spare.
    const bound = 8 * MiB;
    await using cat = await openProcess(["cat"]);
    let sent = 0;
    let received = 0;
    let mismatch = -1;
    let maxInFlight = 0;
    await taskGroup(async (tg) => {
      tg.startSoon(async () => {
        while (sent < size) {
          await cat.stdin!.send(chunk);
          sent += chunk.length;
          maxInFlight = Math.max(maxInFlight, sent - received);
        }
        await cat.stdin!.sendEof();
      });
      let reads = 0;
      for await (const data of cat.stdout!) {
        for (let i = 0; i < data.length; i++) {
          if (data[i] !== chunk[(received + i) % chunk.length] && mismatch === -1) mismatch = received + i;
        }
        received += data.length;
        // Slow: every 64 reads, a pause long enough for an unbounded sender to run ahead.
        if (++reads % 64 === 0) await sleep(5);
      }
    });
    expect(received).toBe(size);
    expect(mismatch).toBe(-1);
    expect(maxInFlight).toBeLessThanOrEqual(bound);
    expect(await cat.wait()).toBe(0);
  }, 60_000);

  test("a child writing 64 MiB to a reader that waits stays blocked on the pipe", async () => {
    const size = 64 * MiB;
    await using head = await openProcess(["head", "-c", String(size), "/dev/zero"]);
    // Nothing is read for a while: a parent that buffered would let head finish meanwhile.
    await sleep(300);
    expect(head.returncode).toBe(null);
    let received = 0;
    let reads = 0;
    for await (const data of head.stdout!) {
      received += data.length;
      if (head.returncode !== null) expect(size - received).toBeLessThanOrEqual(8 * MiB);
      if (++reads % 256 === 0) await sleep(1);
    }
    expect(received).toBe(size);
    expect(await head.wait()).toBe(0);
  }, 60_000);

  test("stderr: \"stdout\" merges both streams into one pipe, in order", async () => {
    const script = "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done";
    await using child = await openProcess(["sh", "-c", script], { stderr: "stdout" });
    expect(child.stderr).toBe(null);
    expect(text(await readAll(child.stdout!))).toBe(
      "out1\nerr1\nout2\nerr2\nout3\nerr3\nout4\nerr4\nout5\nerr5\n",
    );
    expect(await child.wait()).toBe(0);
  });

  test("separate stdout and stderr pipes", async () => {
    await using child = await openProcess(["sh", "-c", "echo out; echo err >&2; exit 4"]);
    const [out, err] = await Promise.all([readAll(child.stdout!), readAll(child.stderr!)]);
    expect([text(out), text(err)]).toEqual(["out\n", "err\n"]);
    expect(await child.wait()).toBe(4);
  });

  test("exit codes 0, 1 and 255", async () => {
    for (const code of [0, 1, 255]) {
      await using child = await openProcess(["sh", "-c", `exit ${code}`], { stdin: "ignore" });
      expect(await child.wait()).toBe(code);
    }
  });

  test("a signal death is -signum: kill() -9, terminate() -15, sendSignal(\"SIGINT\") -2", async () => {
    const cases: Array<[(child: Process) => void, number]> = [
      [(child) => child.kill(), -9],
      [(child) => child.terminate(), -15],
      [(child) => child.sendSignal("SIGINT"), -2],
    ];
    for (const [send, returncode] of cases) {
      await using child = await openProcess(["sleep", "100"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
      send(child);
      expect(await child.wait()).toBe(returncode);
      expect(child.returncode).toBe(returncode);
    }
  });

  test("a child that signals itself: -15 from sh -c 'kill -TERM $$'", async () => {
    await using child = await openProcess(["sh", "-c", "kill -TERM $$"]);
    expect(await child.wait()).toBe(-15);
  });

  test("\"ignore\" and \"inherit\" give no stream; an ignored stdin reads end of file", async () => {
    await using child = await openProcess(["sh", "-c", "cat; echo done"], { stdin: "ignore", stderr: "inherit" });
    expect(child.stdin).toBe(null);
    expect(child.stderr).toBe(null);
    expect(text(await readAll(child.stdout!))).toBe("done\n");
    await using quiet = await openProcess(["true"], { stdin: "inherit", stdout: "ignore", stderr: "ignore" });
    expect([quiet.stdin, quiet.stdout, quiet.stderr]).toEqual([null, null, null]);
    expect(await quiet.wait()).toBe(0);
  });

  test("cwd: a path or a file: URL", async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), "anyts-cwd-")));
    try {
      await using child = await openProcess(["pwd"], { cwd: dir });
      expect(text(await readAll(child.stdout!))).toBe(`${dir}\n`);
      await using viaUrl = await openProcess(["pwd"], { cwd: pathToFileURL(dir) });
      expect(text(await readAll(viaUrl.stdout!))).toBe(`${dir}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("env is merged over the parent's; undefined removes a variable; clearEnv starts empty", async () => {
    const script = 'printf "%s|%s|%s" "$ANYTS_TEST_VAR" "${HOME-unset}" "${PATH:+has-path}"';
    await using merged = await openProcess(["sh", "-c", script], { env: { ANYTS_TEST_VAR: "x y" } });
    expect(text(await readAll(merged.stdout!))).toBe(`x y|${process.env.HOME ?? "unset"}|has-path`);
    await using removed = await openProcess(["sh", "-c", script], { env: { HOME: undefined } });
    expect(text(await readAll(removed.stdout!))).toBe("|unset|has-path");
    await using cleared = await openProcess(["/usr/bin/env"], { clearEnv: true, env: { ONLY: "1" } });
    expect(text(await readAll(cleared.stdout!))).toBe("ONLY=1\n");
  });

  test("several tasks wait at once and all get the returncode", async () => {
    await using child = await openProcess(["sh", "-c", "read line; exit 7"]);
    const results: number[] = [];
    await taskGroup(async (tg) => {
      for (let i = 0; i < 3; i++) tg.startSoon(async () => results.push(await child.wait()));
      await sleep(20);
      expect(results).toEqual([]);
      await child.stdin!.send(bytes("go\n"));
    });
    expect(results).toEqual([7, 7, 7]);
  });

  test("stdin.aclose() gives the child end of file; sending after sendEof is a ClosedResourceError", async () => {
    await using cat = await openProcess(["cat"]);
    await cat.stdin!.aclose();
    expect(await cat.wait()).toBe(0);
    await using other = await openProcess(["cat"], { stdout: "ignore" });
    await other.stdin!.sendEof();
    await other.stdin!.sendEof(); // idempotent
    expect(await caught(other.stdin!.send(bytes("late")))).toBeInstanceOf(ClosedResourceError);
    expect(await other.wait()).toBe(0);
  });

  test("a child that stops reading while the parent sends: BrokenResourceError, no crash", async () => {
    await using child = await openProcess(["head", "-c", "10"], { stdout: "ignore" });
    const chunk = payload(64 * 1024);
    const error = await caught((async () => {
      for (let i = 0; i < 10_000; i++) await child.stdin!.send(chunk);
    })());
    expect(error).toBeInstanceOf(BrokenResourceError);
    expect(await caught(child.stdin!.send(chunk))).toBeInstanceOf(BrokenResourceError);
    expect(await child.wait()).toBe(0);
  });

  test("a child killed from outside: -9, its output ends", async () => {
    await using child = await openProcess(["sh", "-c", "echo started; exec sleep 100"]);
    const lines = new LineReader(child.stdout!);
    expect(await lines.next()).toBe("started");
    process.kill(child.pid, "SIGKILL");
    expect(await child.wait()).toBe(-9);
    expect(await lines.next()).toBe(null);
  });

  test("sendSignal after the child exited is a no-op; a bad name still throws", async () => {
    await using child = await openProcess(["true"]);
    await child.wait();
    child.terminate();
    child.kill();
    child.sendSignal("SIGUSR1");
    expect(child.returncode).toBe(0);
    expect(() => child.sendSignal("SIGNOPE" as "SIGINT")).toThrow(TypeError);
  });

  test("a pipe refuses a second concurrent receive and works no more after aclose", async () => {
    await using child = await openProcess(["sh", "-c", "read line; echo $line"]);
    const first = child.stdout!.receive();
    expect(await caught(child.stdout!.receive())).toBeInstanceOf(BusyResourceError);
    await child.stdin!.send(bytes("x\n"));
    expect(text(await first)).toBe("x\n");
    await child.stdout!.aclose();
    await child.stdout!.aclose(); // idempotent
    expect(await caught(child.stdout!.receive())).toBeInstanceOf(ClosedResourceError);
    expect(await child.wait()).toBe(0);
  });

  test("a receive waiting when another task closes the pipe gets ClosedResourceError", async () => {
    await using child = await openProcess(["sh", "-c", "cat > /dev/null"]);
    await taskGroup(async (tg) => {
      const receiving = caught(child.stdout!.receive());
      tg.startSoon(async () => {
        await sleep(10);
        await child.stdout!.aclose();
      });
      expect(await receiving).toBeInstanceOf(ClosedResourceError);
    });
    await child.stdin!.aclose();
    expect(await child.wait()).toBe(0);
  });

  test("receive(maxBytes) splits chunks without losing bytes", async () => {
    await using child = await openProcess(["printf", "abcdefghij"]);
    const parts: string[] = [];
    for (;;) {
      try {
        parts.push(text(await child.stdout!.receive(3)));
      } catch (error) {
        if (error instanceof EndOfStream) break;
        throw error;
      }
    }
    expect(parts.join("")).toBe("abcdefghij");
    expect(parts.every((part) => part.length <= 3)).toBe(true);
    await expect(child.stdout!.receive(0)).rejects.toThrow(RangeError);
  });

  test("aclose closes the pipes (a writer fails) and reaps the child", async () => {
    const child = await openProcess(["yes"]);
    await child.stdout!.receive();
    await child.aclose();
    // SIGPIPE on a pipe; `yes` exits 1 on ECONNRESET where the runtime's "pipe" is a
    // socketpair (Node's libuv) and unread bytes were dropped.
    expect([-13, 1]).toContain(child.returncode);
  });

  test("processGroup: signals reach the whole group", async () => {
    await using child = await openProcess(["sh", "-c", "sleep 100 & echo $!; wait"], { processGroup: true });
    const lines = new LineReader(child.stdout!);
    const grandchild = Number(await lines.next());
    expect(grandchild).toBeGreaterThan(0);
    child.terminate();
    expect(await child.wait()).toBe(-15);
    await eventually(() => isDead(grandchild), "the grandchild is dead");
  });
});
