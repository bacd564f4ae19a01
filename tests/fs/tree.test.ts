import * as fs from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { Cancelled, CancelScope, Path } from "../../mod.ts";
import { backendTests } from "../../testing.ts";
import { caught, tempDir, withTempDir } from "./helpers.ts";

const test = backendTests(it);

/**
 * The tree every traversal test runs on, with directories, dotfiles, odd names, a link to
 * a directory, a link to a file and a broken link.
 */
function makeTree(root: string): void {
  const dirs = ["a", "a/b", "a/b/c", "a/empty", ".hidden", "d.txt"];
  const files = [
    "x.txt", "y.py", ".dot.txt", "z[1].txt", "ab.py", "bb.py", "a/one.txt", "a/two.py", "a/b/three.txt",
    "a/b/c/four.txt", "a/b/c/.five", ".hidden/six.txt", "d.txt/seven.md",
  ];
  for (const dir of dirs) fs.mkdirSync(join(root, dir), { recursive: true });
  for (const file of files) fs.writeFileSync(join(root, file), file);
  fs.symlinkSync("a/b", join(root, "link"));
  fs.symlinkSync("x.txt", join(root, "filelink"));
  fs.symlinkSync("missing", join(root, "broken"));
}

interface Entry {
  path: string;
  isDirectory: boolean;
}

/** The tree as the test lists it with node:fs, not following links. */
function listing(root: string): Entry[] {
  const entries: Entry[] = [];
  const visit = (dir: string) => {
    for (const dirent of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, dirent.name);
      entries.push({ path: relative(root, full), isDirectory: dirent.isDirectory() });
      if (dirent.isDirectory()) visit(full);
    }
  };
  visit(root);
  return entries.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

const depth = (path: string) => path.split("/").length;
const name = (path: string) => path.split("/").pop()!;

async function collect(iterable: AsyncIterable<Path>, root: string): Promise<string[]> {
  const found: string[] = [];
  for await (const path of iterable) found.push(relative(root, path.toString()) || ".");
  return found.sort();
}

describe("Path.glob and rglob", () => {
  test("every kind of pattern against the test's own listing", async () => {
    const dir = tempDir();
    try {
      makeTree(dir.path);
      const all = listing(dir.path);
      const select = (keep: (entry: Entry) => boolean) => all.filter(keep).map((entry) => entry.path).sort();
      const base = new Path(dir.path);
      const cases: Array<[string, string[]]> = [
        ["*", select((e) => depth(e.path) === 1)],
        ["*.txt", select((e) => depth(e.path) === 1 && e.path.endsWith(".txt"))],
        ["?b.py", select((e) => depth(e.path) === 1 && /^.b\.py$/.test(e.path))],
        ["[ax]*", select((e) => depth(e.path) === 1 && /^[ax]/.test(e.path))],
        ["[!a-x]*", select((e) => depth(e.path) === 1 && !/^[a-x]/.test(e.path))],
        ["z[[]1].txt", ["z[1].txt"]],
        ["a/*", select((e) => depth(e.path) === 2 && e.path.startsWith("a/"))],
        ["*/", select((e) => depth(e.path) === 1 && e.isDirectory).concat("link").sort()],
        ["*/*.txt", select((e) => depth(e.path) === 2 && e.path.endsWith(".txt")).concat("link/three.txt").sort()],
        ["**/*.txt", select((e) => e.path.endsWith(".txt"))],
        ["**/*.py", select((e) => e.path.endsWith(".py"))],
        ["a/**/c", ["a/b/c"]],
        ["a/**", ["a", ...select((e) => e.path.startsWith("a/"))].sort()],
        ["a/**/", ["a", ...select((e) => e.path.startsWith("a/") && e.isDirectory)].sort()],
        ["**/c/*", select((e) => e.path.startsWith("a/b/c/"))],
        ["a/b/three.txt", ["a/b/three.txt"]],
        ["a/missing/*", []],
        ["nothing*", []],
        ["broken", ["broken"]],
        ["link/c/four.txt", ["link/c/four.txt"]],
        ["a/b/../one.txt", ["a/one.txt"]], // (node:path's relative() folds the "..")
      ];
      for (const [pattern, expected] of cases) {
        expect([pattern, await collect(base.glob(pattern), dir.path)]).toEqual([pattern, expected]);
      }
      // rglob is glob("**/" + pattern): any depth, and "**" does not follow the link.
      expect(await collect(base.rglob("*.txt"), dir.path)).toEqual(select((e) => e.path.endsWith(".txt")));
      expect(await collect(base.rglob("*"), dir.path)).toEqual(all.map((e) => e.path).sort());
      expect(await collect(base.rglob("c"), dir.path)).toEqual(["a/b/c"]);
      expect(await collect(base.glob("**"), dir.path)).toEqual([".", ...all.map((e) => e.path)].sort());
    } finally {
      dir.remove();
    }
  });

  test("bad patterns, and globbing where there is no directory", async () => {
    await withTempDir(async (dir) => {
      const base = new Path(dir.path);
      expect(await caught(() => base.glob("/etc/*").next())).toBeInstanceOf(RangeError);
      expect(await caught(() => base.glob("").next())).toBeInstanceOf(RangeError);
      expect(await caught(() => base.glob(3 as unknown as string).next())).toBeInstanceOf(TypeError);
      expect(await collect(new Path(dir.path, "missing").glob("*"), dir.path)).toEqual([]);
      fs.writeFileSync(dir.join("file"), "");
      expect(await collect(new Path(dir.path, "file").glob("*"), dir.path)).toEqual([]);
    });
  });
});

describe("Path.walk", () => {
  test("top-down, like the test's own listing; links are files unless followed", async () => {
    const dir = tempDir();
    try {
      makeTree(dir.path);
      const all = listing(dir.path);
      const walked = new Map<string, [string[], string[]]>();
      const order: string[] = [];
      for await (const [path, dirnames, filenames] of new Path(dir.path).walk()) {
        const key = relative(dir.path, path.toString()) || ".";
        order.push(key);
        walked.set(key, [[...dirnames].sort(), [...filenames].sort()]);
      }
      const directories = [".", ...all.filter((e) => e.isDirectory).map((e) => e.path)];
      expect([...walked.keys()].sort()).toEqual(directories.sort());
      for (const directory of directories) {
        const children = all.filter((e) => (directory === "." ? depth(e.path) === 1 : e.path.startsWith(`${directory}/`) && depth(e.path) === depth(directory) + 1));
        expect(walked.get(directory)).toEqual([
          children.filter((e) => e.isDirectory).map((e) => name(e.path)).sort(),
          children.filter((e) => !e.isDirectory).map((e) => name(e.path)).sort(),
        ]);
      }
      // Top-down: every directory comes after its parent.
      for (const directory of directories.filter((d) => d !== ".")) {
        const parent = directory.includes("/") ? directory.slice(0, directory.lastIndexOf("/")) : ".";
        expect(order.indexOf(parent)).toBeLessThan(order.indexOf(directory));
      }
      const followed: string[] = [];
      for await (const [path] of new Path(dir.path).walk({ followSymlinks: true })) {
        followed.push(relative(dir.path, path.toString()) || ".");
      }
      expect(followed).toContain("link");
      expect(followed).toContain("link/c");
    } finally {
      dir.remove();
    }
  });

  test("bottom-up order, pruning, and errors to onError", async () => {
    const dir = tempDir();
    try {
      makeTree(dir.path);
      const order: string[] = [];
      for await (const [path] of new Path(dir.path).walk({ topDown: false })) order.push(relative(dir.path, path.toString()) || ".");
      expect(order.indexOf("a/b/c")).toBeLessThan(order.indexOf("a/b"));
      expect(order.indexOf("a/b")).toBeLessThan(order.indexOf("a"));
      expect(order[order.length - 1]).toBe(".");
      const pruned: string[] = [];
      for await (const [path, dirnames] of new Path(dir.path).walk()) {
        pruned.push(relative(dir.path, path.toString()) || ".");
        const index = dirnames.indexOf("b");
        if (index >= 0) dirnames.splice(index, 1);
      }
      expect(pruned.some((p) => p.startsWith("a/b"))).toBe(false);
      expect(pruned).toContain("a/empty");
      const errors: unknown[] = [];
      for await (const entry of new Path(dir.path, "missing").walk({ onError: (error) => errors.push(error) })) void entry;
      expect(errors.length).toBe(1);
      expect((errors[0] as { code: string }).code).toBe("ENOENT");
      expect(() => new Path(dir.path).walk({ onError: 1 as never })).toThrow(TypeError);
      expect(() => new Path(dir.path).walk({ topdown: true } as never)).toThrow(/unknown option "topdown"/);
    } finally {
      dir.remove();
    }
  });
});

describe("Path.iterdir", () => {
  test("streams the entries of a large directory; break closes it", async () => {
    await withTempDir(async (dir) => {
      for (let i = 0; i < 3_000; i++) fs.writeFileSync(dir.join(`entry-${i}`), "");
      const names: string[] = [];
      for await (const entry of new Path(dir.path).iterdir()) {
        expect(entry).toBeInstanceOf(Path);
        expect(entry.parent.toString()).toBe(dir.path);
        names.push(entry.name);
      }
      expect(names.sort()).toEqual(fs.readdirSync(dir.path).sort());
      let seen = 0;
      for await (const entry of new Path(dir.path).iterdir()) {
        void entry;
        if (++seen === 10) break;
      }
      expect(seen).toBe(10);
    });
  });

  test("a missing directory, a file, and a cancelled step", async () => {
    await withTempDir(async (dir) => {
      fs.writeFileSync(dir.join("file"), "");
      const missing = await caught(() => new Path(dir.path, "missing").iterdir().next());
      expect(missing.code).toBe("ENOENT");
      expect(missing.message).toContain(dir.join("missing"));
      expect((await caught(() => new Path(dir.path, "file").iterdir().next())).code).toBe("ENOTDIR");
      const iterator = new Path(dir.path).iterdir();
      await new CancelScope().run(async (scope) => {
        scope.cancel();
        expect(await caught(() => iterator.next())).toBeInstanceOf(Cancelled);
      });
      // A cancelled step ends the iteration (and closes the listing).
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
    });
  });
});

describe("Path.copy and Path.move", () => {
  test("copy a file, a tree (links followed or kept), with or without metadata", async () => {
    const dir = tempDir();
    try {
      makeTree(dir.join("src"));
      fs.rmSync(dir.join("src", "broken"));
      fs.chmodSync(dir.join("src", "x.txt"), 0o600);
      fs.utimesSync(dir.join("src", "x.txt"), 1_000_000, 1_000_000);
      const source = new Path(dir.path, "src");
      const copied = await source.joinpath("x.txt").copy(dir.join("x-copy.txt"));
      expect(copied.toString()).toBe(dir.join("x-copy.txt"));
      expect(fs.readFileSync(dir.join("x-copy.txt"), "utf8")).toBe("x.txt");
      fs.writeFileSync(dir.join("existing.txt"), "old");
      await source.joinpath("y.py").copy(dir.join("existing.txt"));
      expect(fs.readFileSync(dir.join("existing.txt"), "utf8")).toBe("y.py");
      // A tree, links followed: the link to a directory becomes a directory.
      await source.copy(dir.join("followed"));
      expect(fs.lstatSync(dir.join("followed", "link")).isDirectory()).toBe(true);
      expect(fs.readFileSync(dir.join("followed", "link", "three.txt"), "utf8")).toBe("a/b/three.txt");
      expect(listing(dir.join("followed")).filter((e) => !e.path.startsWith("link")))
        .toEqual(listing(dir.join("src")).filter((e) => !e.path.startsWith("link")));
      // Links kept, metadata preserved.
      await source.copy(dir.join("kept"), { followSymlinks: false, preserveMetadata: true });
      expect(fs.readlinkSync(dir.join("kept", "link"))).toBe("a/b");
      expect(fs.readlinkSync(dir.join("kept", "filelink"))).toBe("x.txt");
      const original = fs.statSync(dir.join("src", "x.txt"));
      const kept = fs.statSync(dir.join("kept", "x.txt"));
      expect(kept.mode & 0o777).toBe(0o600);
      expect(Math.round(kept.mtimeMs)).toBe(Math.round(original.mtimeMs));
      // copyInto keeps the name.
      const into = await source.joinpath("y.py").copyInto(dir.join("kept", "a"));
      expect(into.toString()).toBe(dir.join("kept", "a", "y.py"));
      expect(fs.existsSync(into.toString())).toBe(true);
    } finally {
      dir.remove();
    }
  });

  test("copy errors: onto itself, into itself, onto an existing directory, a missing source", async () => {
    await withTempDir(async (dir) => {
      fs.mkdirSync(dir.join("tree"));
      fs.writeFileSync(dir.join("tree", "f"), "f");
      const tree = new Path(dir.path, "tree");
      expect((await caught(() => tree.joinpath("f").copy(dir.join("tree", "f")))).message).toMatch(/same file/);
      expect((await caught(() => tree.copy(dir.join("tree", "inner")))).message).toMatch(/into itself/);
      fs.mkdirSync(dir.join("exists"));
      expect((await caught(() => tree.copy(dir.join("exists")))).code).toBe("EEXIST");
      const missing = await caught(() => new Path(dir.path, "none").copy(dir.join("x")));
      expect(missing.code).toBe("ENOENT");
      expect(missing.message).toContain(dir.join("none"));
      expect(await caught(() => tree.copy(dir.join("y"), { follow: true } as never))).toBeInstanceOf(TypeError);
    });
  });

  test("move renames across directories; moveInto; a non-empty target directory is an error", async () => {
    await withTempDir(async (dir) => {
      makeTree(dir.join("src"));
      fs.mkdirSync(dir.join("other"));
      const moved = await new Path(dir.path, "src", "a").move(dir.join("other", "a"));
      expect(moved.toString()).toBe(dir.join("other", "a"));
      expect(fs.existsSync(dir.join("src", "a"))).toBe(false);
      expect(fs.readFileSync(dir.join("other", "a", "b", "three.txt"), "utf8")).toBe("a/b/three.txt");
      const into = await new Path(dir.path, "src", "x.txt").moveInto(dir.join("other"));
      expect(into.toString()).toBe(dir.join("other", "x.txt"));
      fs.mkdirSync(dir.join("full"));
      fs.writeFileSync(dir.join("full", "keep"), "");
      const error = await caught(() => new Path(dir.path, "other", "a").move(dir.join("full")));
      expect(["ENOTEMPTY", "EEXIST"]).toContain(error.code);
      expect(fs.existsSync(dir.join("other", "a"))).toBe(true);
    });
  });

  test("move across devices copies (links as links, metadata kept) and deletes", async () => {
    const shm = "/dev/shm";
    const here = tempDir();
    let there: string | undefined;
    try {
      if (!fs.existsSync(shm) || fs.statSync(shm).dev === fs.statSync(here.path).dev) {
        console.log("tree.test.ts: skipped the cross-device move: no second file system (/dev/shm) here");
        return;
      }
      there = fs.mkdtempSync(join(shm, "anyts-fs-"));
      makeTree(here.join("src"));
      fs.chmodSync(here.join("src", "y.py"), 0o751);
      fs.utimesSync(here.join("src", "y.py"), 2_000_000, 2_000_000);
      const before = listing(here.join("src"));
      const moved = await new Path(here.path, "src").move(join(there, "dst"));
      expect(moved.toString()).toBe(join(there, "dst"));
      expect(fs.existsSync(here.join("src"))).toBe(false);
      expect(listing(join(there, "dst"))).toEqual(before);
      expect(fs.readlinkSync(join(there, "dst", "link"))).toBe("a/b");
      expect(fs.readlinkSync(join(there, "dst", "broken"))).toBe("missing");
      const info = fs.statSync(join(there, "dst", "y.py"));
      expect(info.mode & 0o777).toBe(0o751);
      expect(Math.round(info.mtimeMs)).toBe(2_000_000_000);
      // A file onto an existing file, across devices.
      fs.writeFileSync(here.join("file"), "new");
      fs.writeFileSync(join(there, "file"), "old");
      await new Path(here.path, "file").move(join(there, "file"));
      expect(fs.readFileSync(join(there, "file"), "utf8")).toBe("new");
      expect(fs.existsSync(here.join("file"))).toBe(false);
    } finally {
      here.remove();
      if (there !== undefined) fs.rmSync(there, { recursive: true, force: true });
    }
  });
});
