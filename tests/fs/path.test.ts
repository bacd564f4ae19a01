import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import process from "node:process";
import { describe, expect, it } from "vitest";
import { Path } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { caught, encoder, makeFifo, withTempDir } from "./helpers.ts";

const test = backendTests(it);

describe("Path: what a path is", () => {
  test("exists and the is* tests, following links or not", async () => {
    await withTempDir(async (dir) => {
      fs.writeFileSync(dir.join("file"), "x");
      fs.mkdirSync(dir.join("dir"));
      fs.symlinkSync("file", dir.join("link"));
      fs.symlinkSync("missing", dir.join("broken"));
      makeFifo(dir.join("fifo"));
      const p = (name: string) => new Path(dir.path, name);
      expect(await p("file").exists()).toBe(true);
      expect(await p("missing").exists()).toBe(false);
      expect(await p("file/below").exists()).toBe(false); // ENOTDIR is "does not exist"
      expect(await p("broken").exists()).toBe(false);
      expect(await p("broken").exists({ followSymlinks: false })).toBe(true);
      expect([await p("file").isFile(), await p("file").isDir(), await p("dir").isDir(), await p("dir").isFile()])
        .toEqual([true, false, true, false]);
      expect([await p("link").isFile(), await p("link").isSymlink(), await p("file").isSymlink()]).toEqual([true, true, false]);
      expect([await p("fifo").isFifo(), await p("file").isFifo(), await p("missing").isFifo()]).toEqual([true, false, false]);
      expect([await new Path("/dev/null").isCharDevice(), await p("file").isCharDevice()]).toEqual([true, false]);
      expect([await p("file").isBlockDevice(), await p("file").isSocket()]).toEqual([false, false]);
      expect([await new Path("/").isMount(), await p("dir").isMount(), await p("link").isMount()]).toEqual([true, false, false]);
    });
  });

  test("stat and lstat give the same FileInfo as the system, on every backend", async () => {
    await withTempDir(async (dir) => {
      const file = dir.join("file");
      fs.writeFileSync(file, "hello");
      fs.chmodSync(file, 0o640);
      fs.symlinkSync(file, dir.join("link"));
      const expected = fs.statSync(file);
      const info = await new Path(file).stat();
      expect({
        size: info.size,
        mode: info.mode,
        uid: info.uid,
        gid: info.gid,
        dev: info.dev,
        ino: info.ino,
        nlink: info.nlink,
        mtime: info.mtime.getTime(),
        isFile: info.isFile,
        isDirectory: info.isDirectory,
        isSymlink: info.isSymlink,
      }).toEqual({
        size: 5,
        mode: expected.mode,
        uid: expected.uid,
        gid: expected.gid,
        dev: expected.dev,
        ino: expected.ino,
        nlink: 1,
        mtime: Math.floor(expected.mtimeMs),
        isFile: true,
        isDirectory: false,
        isSymlink: false,
      });
      expect(info.mode & 0o777).toBe(0o640);
      for (const time of [info.atime, info.mtime, info.ctime, info.birthtime]) expect(time).toBeInstanceOf(Date);
      const link = await new Path(dir.path, "link").lstat();
      expect([link.isSymlink, link.isFile]).toEqual([true, false]);
      expect((await new Path(dir.path, "link").stat()).ino).toBe(expected.ino);
      const error = await caught(() => new Path(dir.path, "missing").stat());
      expect(error.code).toBe("ENOENT");
      expect(error.message).toContain(dir.join("missing"));
    });
  });

  test("owner and group name the file's user and group; samefile compares inodes", async () => {
    await withTempDir(async (dir) => {
      const file = new Path(dir.path, "file");
      await file.touch();
      expect(await file.owner()).toBe(execFileSync("id", ["-un"], { encoding: "utf8" }).trim());
      expect(await file.group()).toBe(execFileSync("id", ["-gn"], { encoding: "utf8" }).trim());
      await new Path(dir.path, "hard").hardlinkTo(file);
      expect(await file.samefile(dir.join("hard"))).toBe(true);
      await new Path(dir.path, "other").touch();
      expect(await file.samefile(new Path(dir.path, "other"))).toBe(false);
      expect((await file.stat()).nlink).toBe(2);
    });
  });
});

describe("Path: where a path is", () => {
  test("cwd, home, absolute, expanduser", async () => {
    expect((await Path.cwd()).toString()).toBe(process.cwd());
    expect((await Path.home()).toString()).toBe(os.homedir());
    expect((await new Path("a/b").absolute()).toString()).toBe(`${process.cwd()}/a/b`);
    const absolute = new Path("/x/../y");
    expect(await absolute.absolute()).toBe(absolute);
    expect((await new Path("~/notes").expanduser()).toString()).toBe(`${os.homedir()}/notes`);
    expect((await new Path("~").expanduser()).toString()).toBe(os.homedir());
    const root = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((line) => line.startsWith("root:"))!.split(":")[5];
    expect((await new Path("~root/x").expanduser()).toString()).toBe(`${root}/x`);
    expect((await new Path("a/~").expanduser()).toString()).toBe("a/~");
    expect((await caught(() => new Path("~no-such-user-here/x").expanduser())).message).toMatch(/home directory/);
  });

  test("resolve follows links and .., strictly or as far as the path exists", async () => {
    await withTempDir(async (dir) => {
      const real = fs.realpathSync(dir.path);
      fs.mkdirSync(dir.join("target"));
      fs.symlinkSync(dir.join("target"), dir.join("link"));
      expect((await new Path(dir.path, "link", "..", "link", ".").resolve()).toString()).toBe(`${real}/target`);
      expect((await new Path(dir.path, "link", "missing", "..", "x").resolve()).toString()).toBe(`${real}/target/x`);
      expect((await new Path(dir.path, "missing", "deeper").resolve()).toString()).toBe(`${real}/missing/deeper`);
      expect((await caught(() => new Path(dir.path, "missing").resolve({ strict: true }))).code).toBe("ENOENT");
      expect((await new Path("/").resolve()).toString()).toBe("/");
    });
  });
});

describe("Path: changing the file system", () => {
  test("mkdir with parents and existOk, as pathlib", async () => {
    await withTempDir(async (dir) => {
      const deep = new Path(dir.path, "a", "b", "c");
      expect((await caught(() => deep.mkdir())).code).toBe("ENOENT");
      await deep.mkdir({ parents: true });
      expect(fs.statSync(deep.toString()).isDirectory()).toBe(true);
      const exists = await caught(() => deep.mkdir());
      expect(exists.code).toBe("EEXIST");
      expect(exists.message).toContain(deep.toString());
      await deep.mkdir({ existOk: true });
      await deep.mkdir({ parents: true, existOk: true });
      fs.writeFileSync(dir.join("file"), "");
      expect((await caught(() => new Path(dir.path, "file").mkdir({ existOk: true }))).code).toBe("EEXIST");
      await new Path(dir.path, "private").mkdir({ mode: 0o700 });
      expect(fs.statSync(dir.join("private")).mode & 0o777).toBe(0o700);
      expect(await caught(() => deep.mkdir({ mode: 0o10000 }))).toBeInstanceOf(RangeError);
      expect((await caught(() => deep.mkdir({ parent: true } as never))).message).toMatch(/unknown option "parent"/);
    });
  });

  test("rmdir, unlink and their errors", async () => {
    await withTempDir(async (dir) => {
      fs.mkdirSync(dir.join("full"));
      fs.writeFileSync(dir.join("full", "x"), "");
      fs.mkdirSync(dir.join("empty"));
      expect((await caught(() => new Path(dir.path, "full").rmdir())).code).toBe("ENOTEMPTY");
      expect((await caught(() => new Path(dir.path, "full", "x").rmdir())).code).toBe("ENOTDIR");
      expect((await caught(() => new Path(dir.path, "empty").unlink())).code).toBe("EISDIR");
      await new Path(dir.path, "empty").rmdir();
      await new Path(dir.path, "full", "x").unlink();
      expect(fs.readdirSync(dir.join("full"))).toEqual([]);
      const missing = await caught(() => new Path(dir.path, "gone").unlink());
      expect(missing.code).toBe("ENOENT");
      expect(missing.message).toContain(dir.join("gone"));
      await new Path(dir.path, "gone").unlink({ missingOk: true });
      // A symbolic link is removed, not what it points to.
      fs.symlinkSync(dir.join("full"), dir.join("link"));
      await new Path(dir.path, "link").unlink();
      expect(fs.existsSync(dir.join("full"))).toBe(true);
    });
  });

  test("touch creates or updates; chmod; rename and replace", async () => {
    await withTempDir(async (dir) => {
      const file = new Path(dir.path, "file");
      await file.touch({ mode: 0o600 });
      expect(fs.statSync(file.toString()).mode & 0o777).toBe(0o600);
      fs.utimesSync(file.toString(), 1_000, 1_000);
      await file.touch();
      expect(fs.statSync(file.toString()).mtimeMs).toBeGreaterThan(1_000_000);
      expect((await caught(() => file.touch({ existOk: false }))).code).toBe("EEXIST");
      await file.chmod(0o604);
      expect(fs.statSync(file.toString()).mode & 0o777).toBe(0o604);
      expect(await caught(() => file.chmod(-1))).toBeInstanceOf(RangeError);
      fs.writeFileSync(file.toString(), "contents");
      fs.writeFileSync(dir.join("other"), "replaced");
      const moved = await file.rename(dir.join("moved"));
      expect(moved).toBeInstanceOf(Path);
      expect(moved.toString()).toBe(dir.join("moved"));
      expect(fs.readFileSync(dir.join("moved"), "utf8")).toBe("contents");
      await moved.replace(dir.join("other"));
      expect(fs.readFileSync(dir.join("other"), "utf8")).toBe("contents");
      const error = await caught(() => new Path(dir.path, "nothing").rename(dir.join("x")));
      expect(error.code).toBe("ENOENT");
      expect(error.message).toContain(`${dir.join("nothing")} -> ${dir.join("x")}`);
    });
  });

  test("symlinkTo, readlink, hardlinkTo", async () => {
    await withTempDir(async (dir) => {
      fs.writeFileSync(dir.join("target"), "t");
      const link = new Path(dir.path, "link");
      await link.symlinkTo("target");
      expect(fs.readlinkSync(link.toString())).toBe("target");
      expect((await link.readlink()).toString()).toBe("target");
      expect(await link.readText()).toBe("t");
      expect((await caught(() => link.symlinkTo("else"))).code).toBe("EEXIST");
      expect((await caught(() => new Path(dir.path, "target").readlink())).code).toBe("EINVAL");
      await new Path(dir.path, "hard").hardlinkTo(new Path(dir.path, "target"));
      expect(fs.statSync(dir.join("hard")).ino).toBe(fs.statSync(dir.join("target")).ino);
    });
  });
});

describe("Path: contents", () => {
  test("readBytes, readText (universal newlines), writeBytes, writeText", async () => {
    await withTempDir(async (dir) => {
      const file = new Path(dir.path, "f.txt");
      expect(await file.writeText("a\r\nb\rc\né")).toBe(8);
      expect(fs.readFileSync(file.toString(), "utf8")).toBe("a\r\nb\rc\né");
      expect(await file.readText()).toBe("a\nb\nc\né");
      expect([...await file.readBytes()].length).toBe(9);
      const bytes = await file.readBytes();
      expect(bytes.buffer).toBeInstanceOf(ArrayBuffer);
      expect(await file.writeBytes(new Uint8Array([0xe9, 0x0a]))).toBe(2);
      expect(await file.readText({ encoding: "latin1" })).toBe("é\n");
      expect(await caught(() => file.readText())).toBeInstanceOf(TypeError);
      expect(await file.readText({ errors: "replace" })).toBe("\ufffd\n");
      expect(await caught(() => file.writeText("x", { encoding: "latin1" }))).toBeInstanceOf(RangeError);
      expect(await caught(() => file.writeBytes("x" as unknown as Uint8Array))).toBeInstanceOf(TypeError);
      expect((await caught(() => new Path(dir.path, "missing").readText())).code).toBe("ENOENT");
      expect((await caught(() => new Path(dir.path).readBytes())).code).toBe("EISDIR");
      expect((await caught(() => new Path(dir.path, "no", "dir").writeText("x"))).code).toBe("ENOENT");
      const small = new Path(dir.path, "small.bin");
      await small.writeBytes(encoder.encode("tiny"));
      expect(fs.statSync(small.toString()).mode & 0o777).toBe(0o666 & ~process.umask());
    });
  });

  test("open() opens the file like openFile", async () => {
    await withTempDir(async (dir) => {
      const file = new Path(dir.path, "f.bin");
      {
        await using out = await file.open("wb");
        await out.write(new Uint8Array([1, 2]));
      }
      await using back = await file.open("rb");
      expect([...await back.read()]).toEqual([1, 2]);
      expect(back.path).toBe(file);
    });
  });

  test("a NUL byte in a path is a TypeError before the backend sees it", async () => {
    for (const operation of [() => new Path("a\0b").stat(), () => new Path("a\0b").mkdir(), () => new Path("a\0b").readText()]) {
      const error = await caught(operation);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/NUL/);
    }
  });
});
