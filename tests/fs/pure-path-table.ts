// The table of tests/fs/pure-path.test.ts: inputs of PurePath and what Python's
// pathlib.PurePosixPath says about them.

/** What PurePath reports about one input. */
export interface PathFacts {
  str: string;
  parts: string[];
  name: string;
  stem: string;
  suffix: string;
  suffixes: string[];
  parent: string;
  parents: string[];
  anchor: string;
  root: string;
  isAbsolute: boolean;
  asPosix: string;
  asUri: string | null;
}

// Expected values computed once with Python 3.11's pathlib.PurePosixPath on the dev machine
// and written here as literals (Python is not a dependency). `null` asUri: a relative path.
export const PATH_TABLE: ReadonlyArray<readonly [input: string, expected: PathFacts]> = [
  ["", {"str": ".", "parts": [], "name": "", "stem": "", "suffix": "", "suffixes": [], "parent": ".", "parents": [], "anchor": "", "root": "", "isAbsolute": false, "asPosix": ".", "asUri": null}],
  [".", {"str": ".", "parts": [], "name": "", "stem": "", "suffix": "", "suffixes": [], "parent": ".", "parents": [], "anchor": "", "root": "", "isAbsolute": false, "asPosix": ".", "asUri": null}],
  ["..", {"str": "..", "parts": [".."], "name": "..", "stem": "..", "suffix": "", "suffixes": [], "parent": ".", "parents": ["."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "..", "asUri": null}],
  ["/", {"str": "/", "parts": ["/"], "name": "", "stem": "", "suffix": "", "suffixes": [], "parent": "/", "parents": [], "anchor": "/", "root": "/", "isAbsolute": true, "asPosix": "/", "asUri": "file:///"}],
  ["//", {"str": "//", "parts": ["//"], "name": "", "stem": "", "suffix": "", "suffixes": [], "parent": "//", "parents": [], "anchor": "//", "root": "//", "isAbsolute": true, "asPosix": "//", "asUri": "file:////"}],
  ["///", {"str": "/", "parts": ["/"], "name": "", "stem": "", "suffix": "", "suffixes": [], "parent": "/", "parents": [], "anchor": "/", "root": "/", "isAbsolute": true, "asPosix": "/", "asUri": "file:///"}],
  ["////a", {"str": "/a", "parts": ["/", "a"], "name": "a", "stem": "a", "suffix": "", "suffixes": [], "parent": "/", "parents": ["/"], "anchor": "/", "root": "/", "isAbsolute": true, "asPosix": "/a", "asUri": "file:///a"}],
  ["a", {"str": "a", "parts": ["a"], "name": "a", "stem": "a", "suffix": "", "suffixes": [], "parent": ".", "parents": ["."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "a", "asUri": null}],
  ["a/", {"str": "a", "parts": ["a"], "name": "a", "stem": "a", "suffix": "", "suffixes": [], "parent": ".", "parents": ["."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "a", "asUri": null}],
  ["a//b", {"str": "a/b", "parts": ["a", "b"], "name": "b", "stem": "b", "suffix": "", "suffixes": [], "parent": "a", "parents": ["a", "."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "a/b", "asUri": null}],
  ["a/./b", {"str": "a/b", "parts": ["a", "b"], "name": "b", "stem": "b", "suffix": "", "suffixes": [], "parent": "a", "parents": ["a", "."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "a/b", "asUri": null}],
  ["./a", {"str": "a", "parts": ["a"], "name": "a", "stem": "a", "suffix": "", "suffixes": [], "parent": ".", "parents": ["."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "a", "asUri": null}],
  ["a/..", {"str": "a/..", "parts": ["a", ".."], "name": "..", "stem": "..", "suffix": "", "suffixes": [], "parent": "a", "parents": ["a", "."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "a/..", "asUri": null}],
  ["../a/b", {"str": "../a/b", "parts": ["..", "a", "b"], "name": "b", "stem": "b", "suffix": "", "suffixes": [], "parent": "../a", "parents": ["../a", "..", "."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "../a/b", "asUri": null}],
  ["/a/b/", {"str": "/a/b", "parts": ["/", "a", "b"], "name": "b", "stem": "b", "suffix": "", "suffixes": [], "parent": "/a", "parents": ["/a", "/"], "anchor": "/", "root": "/", "isAbsolute": true, "asPosix": "/a/b", "asUri": "file:///a/b"}],
  ["//a/b", {"str": "//a/b", "parts": ["//", "a", "b"], "name": "b", "stem": "b", "suffix": "", "suffixes": [], "parent": "//a", "parents": ["//a", "//"], "anchor": "//", "root": "//", "isAbsolute": true, "asPosix": "//a/b", "asUri": "file:////a/b"}],
  ["///a/b", {"str": "/a/b", "parts": ["/", "a", "b"], "name": "b", "stem": "b", "suffix": "", "suffixes": [], "parent": "/a", "parents": ["/a", "/"], "anchor": "/", "root": "/", "isAbsolute": true, "asPosix": "/a/b", "asUri": "file:///a/b"}],
  ["/a/../b", {"str": "/a/../b", "parts": ["/", "a", "..", "b"], "name": "b", "stem": "b", "suffix": "", "suffixes": [], "parent": "/a/..", "parents": ["/a/..", "/a", "/"], "anchor": "/", "root": "/", "isAbsolute": true, "asPosix": "/a/../b", "asUri": "file:///a/../b"}],
  ["a/b/c.txt", {"str": "a/b/c.txt", "parts": ["a", "b", "c.txt"], "name": "c.txt", "stem": "c", "suffix": ".txt", "suffixes": [".txt"], "parent": "a/b", "parents": ["a/b", "a", "."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "a/b/c.txt", "asUri": null}],
  [".bashrc", {"str": ".bashrc", "parts": [".bashrc"], "name": ".bashrc", "stem": ".bashrc", "suffix": "", "suffixes": [], "parent": ".", "parents": ["."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": ".bashrc", "asUri": null}],
  ["/home/u/.bashrc", {"str": "/home/u/.bashrc", "parts": ["/", "home", "u", ".bashrc"], "name": ".bashrc", "stem": ".bashrc", "suffix": "", "suffixes": [], "parent": "/home/u", "parents": ["/home/u", "/home", "/"], "anchor": "/", "root": "/", "isAbsolute": true, "asPosix": "/home/u/.bashrc", "asUri": "file:///home/u/.bashrc"}],
  ["a.tar.gz", {"str": "a.tar.gz", "parts": ["a.tar.gz"], "name": "a.tar.gz", "stem": "a.tar", "suffix": ".gz", "suffixes": [".tar", ".gz"], "parent": ".", "parents": ["."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "a.tar.gz", "asUri": null}],
  ["archive.tar.gz/", {"str": "archive.tar.gz", "parts": ["archive.tar.gz"], "name": "archive.tar.gz", "stem": "archive.tar", "suffix": ".gz", "suffixes": [".tar", ".gz"], "parent": ".", "parents": ["."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "archive.tar.gz", "asUri": null}],
  ["a.", {"str": "a.", "parts": ["a."], "name": "a.", "stem": "a.", "suffix": "", "suffixes": [], "parent": ".", "parents": ["."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "a.", "asUri": null}],
  ["a..b", {"str": "a..b", "parts": ["a..b"], "name": "a..b", "stem": "a.", "suffix": ".b", "suffixes": [".", ".b"], "parent": ".", "parents": ["."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "a..b", "asUri": null}],
  ["..foo", {"str": "..foo", "parts": ["..foo"], "name": "..foo", "stem": ".", "suffix": ".foo", "suffixes": [], "parent": ".", "parents": ["."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "..foo", "asUri": null}],
  ["x/.hidden.txt", {"str": "x/.hidden.txt", "parts": ["x", ".hidden.txt"], "name": ".hidden.txt", "stem": ".hidden", "suffix": ".txt", "suffixes": [".txt"], "parent": "x", "parents": ["x", "."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "x/.hidden.txt", "asUri": null}],
  ["dir.d/file", {"str": "dir.d/file", "parts": ["dir.d", "file"], "name": "file", "stem": "file", "suffix": "", "suffixes": [], "parent": "dir.d", "parents": ["dir.d", "."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "dir.d/file", "asUri": null}],
  ["/a b/c%d", {"str": "/a b/c%d", "parts": ["/", "a b", "c%d"], "name": "c%d", "stem": "c%d", "suffix": "", "suffixes": [], "parent": "/a b", "parents": ["/a b", "/"], "anchor": "/", "root": "/", "isAbsolute": true, "asPosix": "/a b/c%d", "asUri": "file:///a%20b/c%25d"}],
  ["/ü/é.txt", {"str": "/ü/é.txt", "parts": ["/", "ü", "é.txt"], "name": "é.txt", "stem": "é", "suffix": ".txt", "suffixes": [".txt"], "parent": "/ü", "parents": ["/ü", "/"], "anchor": "/", "root": "/", "isAbsolute": true, "asPosix": "/ü/é.txt", "asUri": "file:///%C3%BC/%C3%A9.txt"}],
  ["a\\b", {"str": "a\\b", "parts": ["a\\b"], "name": "a\\b", "stem": "a\\b", "suffix": "", "suffixes": [], "parent": ".", "parents": ["."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "a\\b", "asUri": null}],
  ["...", {"str": "...", "parts": ["..."], "name": "...", "stem": "...", "suffix": "", "suffixes": [], "parent": ".", "parents": ["."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "...", "asUri": null}],
  ["a/.../b", {"str": "a/.../b", "parts": ["a", "...", "b"], "name": "b", "stem": "b", "suffix": "", "suffixes": [], "parent": "a/...", "parents": ["a/...", "a", "."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "a/.../b", "asUri": null}],
  ["/.", {"str": "/", "parts": ["/"], "name": "", "stem": "", "suffix": "", "suffixes": [], "parent": "/", "parents": [], "anchor": "/", "root": "/", "isAbsolute": true, "asPosix": "/", "asUri": "file:///"}],
  ["//.", {"str": "//", "parts": ["//"], "name": "", "stem": "", "suffix": "", "suffixes": [], "parent": "//", "parents": [], "anchor": "//", "root": "//", "isAbsolute": true, "asPosix": "//", "asUri": "file:////"}],
  ["./", {"str": ".", "parts": [], "name": "", "stem": "", "suffix": "", "suffixes": [], "parent": ".", "parents": [], "anchor": "", "root": "", "isAbsolute": false, "asPosix": ".", "asUri": null}],
  ["a.b.c.d", {"str": "a.b.c.d", "parts": ["a.b.c.d"], "name": "a.b.c.d", "stem": "a.b.c", "suffix": ".d", "suffixes": [".b", ".c", ".d"], "parent": ".", "parents": ["."], "anchor": "", "root": "", "isAbsolute": false, "asPosix": "a.b.c.d", "asUri": null}],
];

/** [base, segments, joined] */
export const JOIN_TABLE: ReadonlyArray<readonly [string, string[], string]> = [
  ["a", ["b"], "a/b"],
  ["a", ["/b"], "/b"],
  ["/a", ["b", "c"], "/a/b/c"],
  ["a", [""], "a"],
  ["", ["a"], "a"],
  ["/", ["a/b/"], "/a/b"],
  ["a", ["//b", "c"], "//b/c"],
  ["a", ["b", "/c", "d"], "/c/d"],
  ["a/b", ["..", "c"], "a/b/../c"],
  ["/a", ["///b"], "/b"],
  [".", ["."], "."],
  ["a", ["./b/./c"], "a/b/c"],
];

/** [path, argument, result or "RangeError" (Python: ValueError)] */
export const WITHNAME_TABLE: ReadonlyArray<readonly [string, string, string]> = [
  ["a/b.txt", "c.md", "a/c.md"],
  ["a/b.txt", "", "RangeError"],
  ["a/b.txt", "c/d", "RangeError"],
  ["/", "x", "RangeError"],
  ["", "x", "RangeError"],
  ["a", "..", ".."],
  ["a", ".", "RangeError"],
  ["a/b", "c/", "RangeError"],
  ["a/b", ".x", "a/.x"],
  ["..", "x", "x"],
  ["a/b", "/x", "RangeError"],
];

/** [path, argument, result or "RangeError" (Python: ValueError)] */
export const WITHSTEM_TABLE: ReadonlyArray<readonly [string, string, string]> = [
  ["a/b.txt", "c", "a/c.txt"],
  ["a/b.tar.gz", "c", "a/c.gz"],
  ["a/.bashrc", "x", "a/x"],
  ["a/b", "", "RangeError"],
  ["/", "x", "RangeError"],
  ["a/b.txt", "", "a/.txt"],
];

/** [path, argument, result or "RangeError" (Python: ValueError)] */
export const WITHSUFFIX_TABLE: ReadonlyArray<readonly [string, string, string]> = [
  ["a/b.txt", ".md", "a/b.md"],
  ["a/b.txt", "", "a/b"],
  ["a/b", ".md", "a/b.md"],
  ["a/b.tar.gz", ".bz2", "a/b.tar.bz2"],
  ["a/.bashrc", ".bak", "a/.bashrc.bak"],
  ["a/b.txt", "md", "RangeError"],
  ["a/b.txt", ".", "RangeError"],
  ["a/b.txt", ".a/b", "RangeError"],
  ["/", ".x", "RangeError"],
  ["", ".x", "RangeError"],
  ["a/b.", ".x", "a/b..x"],
  ["a/b.txt", ".tar.gz", "a/b.tar.gz"],
];

/** [path, other, relativeTo result or "RangeError" (Python: ValueError), isRelativeTo] */
export const RELATIVE_TABLE: ReadonlyArray<readonly [string, string, string, boolean]> = [
  ["/a/b/c", "/a", "b/c", true],
  ["/a/b/c", "/a/b/c", ".", true],
  ["/a/b", "/c", "RangeError", false],
  ["a/b", "a", "b", true],
  ["a/b", "", "a/b", true],
  ["a/b", ".", "a/b", true],
  ["/a/b", "", "RangeError", false],
  ["a/b", "/a", "RangeError", false],
  ["/a/b", "a", "RangeError", false],
  ["/a", "/", "a", true],
  ["//a/b", "//a", "b", true],
  ["//a/b", "/a", "RangeError", false],
  ["a/b/c", "a/b/", "c", true],
  ["a/../b", "a", "../b", true],
  ["/a/bc", "/a/b", "RangeError", false],
  ["a", "a/b", "RangeError", false],
];

/** [path, pattern, match result or "RangeError" (Python: ValueError)] */
export const MATCH_TABLE: ReadonlyArray<readonly [string, string, boolean | "RangeError"]> = [
  ["a/b.py", "*.py", true],
  ["/a/b/c.py", "b/*.py", true],
  ["/a/b/c.py", "a/*.py", false],
  ["/a.py", "/*.py", true],
  ["a/b.py", "/*.py", false],
  ["/a/b.py", "/*.py", false],
  ["a/b.py", "a/b.py", true],
  ["a/b.py", "**/*.py", true],
  ["b.py", "*/b.py", false],
  ["a/b.py", "", "RangeError"],
  ["a/b.py", "[ab]/b.?y", true],
  ["a/b.py", "[!a]/*", false],
  ["a/.hidden", "*", true],
  ["a/b", "a/*/", true],
  ["x[1]", "x[[]1]", true],
  ["a-b", "a[!-]b", false],
  ["a]b", "a[]]b", true],
  ["ab", "a[b", false],
  ["a[b", "a[b", true],
  ["A.PY", "*.py", false],
  ["a/b/c", "b/c", true],
  ["a/b/c", "a/b/c/d", false],
  ["^x", "[^a]x", true],
];
