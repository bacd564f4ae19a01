import { describe, expect, it } from "vitest";
import { Path, PurePath } from "../../mod.ts";
import {
  JOIN_TABLE,
  MATCH_TABLE,
  PATH_TABLE,
  RELATIVE_TABLE,
  WITHNAME_TABLE,
  WITHSTEM_TABLE,
  WITHSUFFIX_TABLE,
} from "./pure-path-table.ts";

function outcome<T>(fn: () => T): T | "RangeError" {
  try {
    return fn();
  } catch (error) {
    if (error instanceof RangeError) return "RangeError";
    throw error;
  }
}

describe("PurePath against Python's PurePosixPath", () => {
  it.each(PATH_TABLE)("%j", (input, expected) => {
    const path = new PurePath(input);
    expect({
      str: path.toString(),
      parts: [...path.parts],
      name: path.name,
      stem: path.stem,
      suffix: path.suffix,
      suffixes: path.suffixes,
      parent: path.parent.toString(),
      parents: path.parents.map(String),
      anchor: path.anchor,
      root: path.root,
      isAbsolute: path.isAbsolute(),
      asPosix: path.asPosix(),
      asUri: path.isAbsolute() ? path.asUri() : null,
    }).toEqual(expected);
    if (!path.isAbsolute()) expect(() => path.asUri()).toThrow(RangeError);
    // The string form parses back to the same path.
    expect(new PurePath(path.toString()).toString()).toBe(expected.str);
  });

  it.each(JOIN_TABLE)("%j joinpath %j", (base, segments, expected) => {
    expect(new PurePath(base).joinpath(...segments).toString()).toBe(expected);
    expect(new PurePath(base, ...segments).toString()).toBe(expected);
  });

  it.each(WITHNAME_TABLE)("%j withName %j", (path, name, expected) => {
    expect(outcome(() => new PurePath(path).withName(name).toString())).toBe(expected);
  });

  it.each(WITHSTEM_TABLE)("%j withStem %j", (path, stem, expected) => {
    expect(outcome(() => new PurePath(path).withStem(stem).toString())).toBe(expected);
  });

  it.each(WITHSUFFIX_TABLE)("%j withSuffix %j", (path, suffix, expected) => {
    expect(outcome(() => new PurePath(path).withSuffix(suffix).toString())).toBe(expected);
  });

  it.each(RELATIVE_TABLE)("%j relativeTo %j", (path, other, expected, isRelative) => {
    expect(outcome(() => new PurePath(path).relativeTo(other).toString())).toBe(expected);
    expect(new PurePath(path).isRelativeTo(other)).toBe(isRelative);
  });

  it.each(MATCH_TABLE)("%j match %j", (path, pattern, expected) => {
    expect(outcome(() => new PurePath(path).match(pattern))).toBe(expected);
  });
});

describe("PurePath", () => {
  it("methods return the class they were called on", () => {
    const path = new Path("/a/b.txt");
    expect(path.parent).toBeInstanceOf(Path);
    expect(path.joinpath("c")).toBeInstanceOf(Path);
    expect(path.withSuffix(".md")).toBeInstanceOf(Path);
    expect(path.parents[0]).toBeInstanceOf(Path);
    expect(path.relativeTo("/a")).toBeInstanceOf(Path);
    expect(new PurePath("a").parent).not.toBeInstanceOf(Path);
  });

  it("takes file: URLs and other paths as segments", () => {
    expect(new PurePath(new URL("file:///tmp/a%20b/%C3%A9")).toString()).toBe("/tmp/a b/é");
    expect(new PurePath(new URL("file://localhost/x")).toString()).toBe("/x");
    expect(new PurePath(new PurePath("/a"), "b", new Path("c/d")).toString()).toBe("/a/b/c/d");
    expect(new PurePath("a", new PurePath("//b")).toString()).toBe("//b");
    expect(new PurePath().toString()).toBe(".");
    expect(() => new PurePath(new URL("https://example.com/x"))).toThrow(/file: URL/);
    expect(() => new PurePath(new URL("file://server/share"))).toThrow(/remote host/);
    expect(() => new PurePath(42 as unknown as string)).toThrow(TypeError);
  });

  it("relativeTo with walkUp climbs with ..", () => {
    const path = new PurePath("/srv/app/main.ts");
    expect(path.relativeTo("/srv/lib/x", { walkUp: true }).toString()).toBe("../../app/main.ts");
    expect(path.relativeTo("/srv/app/main.ts", { walkUp: true }).toString()).toBe(".");
    expect(() => path.relativeTo("/srv/../x", { walkUp: true })).toThrow(/cannot be walked up/);
    expect(() => path.relativeTo("srv", { walkUp: true })).toThrow(/different anchors/);
    expect(() => path.relativeTo("/x")).toThrow(/is not within other/);
    expect(() => path.relativeTo("/x", { walk: true } as never)).toThrow(/unknown option "walk"/);
  });

  it("fullMatch matches the whole path, ** across segments (Python 3.13)", () => {
    const cases: Array<[string, string, boolean]> = [
      ["a/b.py", "a/*.py", true],
      ["a/b.py", "*.py", false],
      ["/a/b/c.py", "/a/**", true],
      ["/a/b/c.py", "**/*.py", true],
      ["b.py", "**/*.py", true],
      ["a/b/c/d.py", "a/**/d.py", true],
      ["a/d.py", "a/**/d.py", true],
      ["a/b/c/d.py", "a/**/**/d.py", true],
      ["a/b.py", "a/*", true],
      ["a", "a/*", false],
      ["a/b/c", "a/*", false],
      ["a/.x", "a/*", true],
      ["a/bc", "a/b?", true],
      ["a/bcd", "a/b?", false],
      ["x/y", "[wx]/[!a]", true],
      ["/a", "a", false],
      [".", "", true],
    ];
    for (const [path, pattern, expected] of cases) {
      expect([path, pattern, new PurePath(path).fullMatch(pattern)]).toEqual([path, pattern, expected]);
    }
  });

  it("rejects bad arguments with errors that name them", () => {
    const path = new PurePath("a/b");
    expect(() => path.withName(1 as unknown as string)).toThrow(/withName: name must be a string/);
    expect(() => path.withSuffix(null as unknown as string)).toThrow(/withSuffix: suffix must be a string/);
    expect(() => path.match(undefined as unknown as string)).toThrow(TypeError);
    expect(() => path.match("")).toThrow(/pattern must not be empty/);
    expect(() => path.relativeTo({} as unknown as string)).toThrow(TypeError);
  });

  it("equals compares parsed paths; toJSON is the string", () => {
    expect(new PurePath("a//b/").equals("a/b")).toBe(true);
    expect(new PurePath("a/b").equals("a/c")).toBe(false);
    expect(JSON.stringify({ p: new PurePath("/x/y") })).toBe('{"p":"/x/y"}');
    expect(`${new PurePath("/x", "y")}`).toBe("/x/y");
  });
});
