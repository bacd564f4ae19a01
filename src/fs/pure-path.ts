/**
 * {@linkcode PurePath}: POSIX path logic written once, without I/O and without node:path,
 * with the semantics of Python's `pathlib.PurePosixPath`. {@linkcode Path} adds the file
 * system on top.
 *
 * @module
 */
import { checkOptions, describeType } from "../core/options.ts";
import { compileFullPattern, compileSegment, matchesSegment } from "./glob-pattern.ts";

/**
 * What a path can be built from: a string, a `file:` URL, or another path.
 *
 * @example
 * ```ts
 * import { Path, type PathLike } from "@anyts/anyts";
 * const inputs: PathLike[] = ["/tmp", new URL("file:///tmp/a%20b"), new Path("x")];
 * ```
 */
export type PathLike = string | URL | PurePath;

/** Marks the internal constructor call that passes an already parsed path. */
const PARSED: unique symbol = Symbol("parsed");

/** The anchor of a POSIX path: none (relative), `/`, or `//` (two slashes, kept by POSIX). */
type Root = "" | "/" | "//";

/** Bytes that `asUri` leaves as they are (Python's `urllib.parse.quote` with `safe="/"`). */
const URI_SAFE = /[A-Za-z0-9_.\-~/]/;

/**
 * An immutable POSIX path without I/O (Python's `PurePosixPath`; {@linkcode Path} adds the
 * file system). Parsing follows Python: `//` at the start is kept (POSIX leaves it to the
 * system), three or more slashes are one, empty segments and `.` disappear, `..` stays
 * (resolving it needs the file system), a trailing slash is dropped, and the empty path
 * is `.`. Segments are joined in order; an absolute one restarts the path.
 *
 * Methods that make a new path (`parent`, `joinpath`, `withName`, …) return an instance of
 * the same class, so `Path` methods give `Path`s.
 *
 * @example
 * ```ts
 * import { PurePath } from "@anyts/anyts";
 * const p = new PurePath("/srv", "app//logs/", "today.log.gz");
 * console.log(p.toString(), p.name, p.stem, p.suffixes); // /srv/app/logs/today.log.gz today.log.gz today.log [".log", ".gz"]
 * console.log(p.parent.toString(), p.withSuffix(".txt").name); // /srv/app/logs today.log.txt
 * console.log(p.relativeTo("/srv").toString(), p.match("logs/*.gz")); // app/logs/today.log.gz true
 * ```
 */
export class PurePath {
  #root: Root;
  #tail: readonly string[];
  #text: string | undefined = undefined;

  /**
   * Joins `segments` into one path (none: `.`). Each is a string, a `file:` URL (its
   * decoded path), or a path.
   *
   * @param segments the parts of the path, in order
   */
  constructor(...segments: PathLike[]) {
    if (segments[0] === (PARSED as unknown)) {
      this.#root = segments[1] as unknown as Root;
      this.#tail = segments[2] as unknown as readonly string[];
      return;
    }
    const [root, tail] = parseSegments(segments);
    this.#root = root;
    this.#tail = tail;
  }

  /** @internal A path of the same class from parsed parts. */
  _make(root: Root, tail: readonly string[]): this {
    const Class = this.constructor as new (...segments: unknown[]) => this;
    return new Class(PARSED, root, tail);
  }

  /** @internal The path of `name` inside this one (`name` is one valid segment). */
  _child(name: string): this {
    const tail = this.#tail.slice();
    tail.push(name);
    return this._make(this.#root, tail);
  }

  /** The path as a string (`.` for the empty path). */
  toString(): string {
    return (this.#text ??= this.#format());
  }

  /** The path as a string, for `JSON.stringify`. */
  toJSON(): string {
    return this.toString();
  }

  /** The path as a string with forward slashes (on POSIX: `toString()`). */
  asPosix(): string {
    return this.toString();
  }

  /**
   * The path as a `file:` URL, percent-encoding what is not a letter, digit or one of
   * `_.-~/`. Throws a RangeError for a relative path.
   *
   * @example
   * ```ts
   * import { PurePath } from "@anyts/anyts";
   * console.log(new PurePath("/tmp/a b").asUri()); // file:///tmp/a%20b
   * ```
   */
  asUri(): string {
    if (!this.isAbsolute()) {
      throw new RangeError(`asUri: a relative path cannot be a file URI: ${JSON.stringify(this.toString())}`);
    }
    let encoded = "";
    for (const byte of new TextEncoder().encode(this.toString())) {
      const character = String.fromCharCode(byte);
      encoded += byte < 0x80 && URI_SAFE.test(character)
        ? character
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
    return `file://${encoded}`;
  }

  /** Whether `other` is the same path, compared as strings after parsing (no I/O). */
  equals(other: PathLike): boolean {
    return toPurePath(other).toString() === this.toString();
  }

  /** The segments: the anchor (if any) first, then every name (`["/", "usr", "bin"]`). */
  get parts(): readonly string[] {
    return this.#root === "" ? [...this.#tail] : [this.#root, ...this.#tail];
  }

  /** The drive: always `""` on POSIX. */
  get drive(): string {
    return "";
  }

  /** The root: `"/"`, `"//"`, or `""` for a relative path. */
  get root(): string {
    return this.#root;
  }

  /** The drive and root together (on POSIX: the root). */
  get anchor(): string {
    return this.#root;
  }

  /** The last segment (`""` for `/` and `.`). */
  get name(): string {
    return this.#tail.length === 0 ? "" : this.#tail[this.#tail.length - 1]!;
  }

  /** The last dot-suffix of the name (`.gz` of `a.tar.gz`; `""` for `.bashrc` and `a.`). */
  get suffix(): string {
    const name = this.name;
    const dot = name.lastIndexOf(".");
    return dot > 0 && dot < name.length - 1 ? name.slice(dot) : "";
  }

  /** Every dot-suffix of the name (`[".tar", ".gz"]`; none for `.bashrc`). */
  get suffixes(): string[] {
    const name = this.name;
    if (name.endsWith(".")) return [];
    return name.replace(/^\.+/, "").split(".").slice(1).map((suffix) => `.${suffix}`);
  }

  /** The name without its last suffix. */
  get stem(): string {
    const name = this.name;
    const dot = name.lastIndexOf(".");
    return dot > 0 && dot < name.length - 1 ? name.slice(0, dot) : name;
  }

  /** The path without its last segment (lexically: the parent of `a/..` is `a`). */
  get parent(): this {
    if (this.#tail.length === 0) return this;
    return this._make(this.#root, this.#tail.slice(0, -1));
  }

  /** Every ancestor, nearest first (`a/b/c` → `a/b`, `a`, `.`). */
  get parents(): readonly this[] {
    const result: this[] = [];
    for (let length = this.#tail.length - 1; length >= 0; length--) {
      result.push(this._make(this.#root, this.#tail.slice(0, length)));
    }
    return result;
  }

  /** Whether the path has a root. */
  isAbsolute(): boolean {
    return this.#root !== "";
  }

  /**
   * This path joined with `segments` (an absolute segment replaces what came before).
   *
   * @example
   * ```ts
   * import { PurePath } from "@anyts/anyts";
   * console.log(new PurePath("/etc").joinpath("ssh", "sshd_config").toString()); // /etc/ssh/sshd_config
   * console.log(new PurePath("a").joinpath("/b").toString()); // /b
   * ```
   */
  joinpath(...segments: PathLike[]): this {
    const [root, tail] = parseSegments(segments);
    if (root !== "") return this._make(root, tail);
    return this._make(this.#root, [...this.#tail, ...tail]);
  }

  /**
   * This path with another name. Throws a RangeError if this path has no name (`/`, `.`)
   * or `name` is not one segment.
   */
  withName(name: string): this {
    if (typeof name !== "string") throw new TypeError(`withName: name must be a string, got ${describeType(name)}`);
    if (this.name === "") throw new RangeError(`withName: ${JSON.stringify(this.toString())} has an empty name`);
    const [root, tail] = parseSegments([name]);
    if (name === "" || name.endsWith("/") || root !== "" || tail.length !== 1) {
      throw new RangeError(`withName: name is not a valid name: ${JSON.stringify(name)}`);
    }
    return this._make(this.#root, [...this.#tail.slice(0, -1), tail[0]!]);
  }

  /** This path with another stem (the name without its suffix); see `withName`. */
  withStem(stem: string): this {
    if (typeof stem !== "string") throw new TypeError(`withStem: stem must be a string, got ${describeType(stem)}`);
    return this.withName(stem + this.suffix);
  }

  /**
   * This path with its last suffix replaced by `suffix` (which starts with a dot), added
   * if there was none, or removed when `suffix` is `""`.
   */
  withSuffix(suffix: string): this {
    if (typeof suffix !== "string") throw new TypeError(`withSuffix: suffix must be a string, got ${describeType(suffix)}`);
    if (suffix.includes("/") || (suffix !== "" && !suffix.startsWith(".")) || suffix === ".") {
      throw new RangeError(`withSuffix: suffix is not a valid suffix: ${JSON.stringify(suffix)}`);
    }
    const name = this.name;
    if (name === "") throw new RangeError(`withSuffix: ${JSON.stringify(this.toString())} has an empty name`);
    const old = this.suffix;
    return this._make(this.#root, [...this.#tail.slice(0, -1), (old === "" ? name : name.slice(0, -old.length)) + suffix]);
  }

  /**
   * This path relative to `other`, lexically. Throws a RangeError if `other` is not an
   * ancestor (or the path itself), unless `walkUp` (Python 3.12) lets it climb with `..`.
   *
   * @example
   * ```ts
   * import { PurePath } from "@anyts/anyts";
   * const p = new PurePath("/srv/app/main.ts");
   * console.log(p.relativeTo("/srv").toString()); // app/main.ts
   * console.log(p.relativeTo("/srv/lib", { walkUp: true }).toString()); // ../app/main.ts
   * ```
   */
  relativeTo(other: PathLike, options?: { walkUp?: boolean }): this {
    const { walkUp = false } = checkOptions(options, ["walkUp"], "relativeTo");
    if (typeof walkUp !== "boolean") throw new TypeError(`relativeTo: walkUp must be a boolean, got ${describeType(walkUp)}`);
    const base = toPurePath(other);
    const baseTail = base.#tail;
    if (base.#root !== this.#root) {
      throw new RangeError(
        `relativeTo: ${JSON.stringify(this.toString())} and other (${JSON.stringify(base.toString())}) have different anchors`,
      );
    }
    let common = 0;
    while (common < baseTail.length && common < this.#tail.length && baseTail[common] === this.#tail[common]) common++;
    if (common < baseTail.length) {
      if (!walkUp) {
        throw new RangeError(
          `relativeTo: ${JSON.stringify(this.toString())} is not within other (${JSON.stringify(base.toString())})`,
        );
      }
      if (baseTail.slice(common).includes("..")) {
        throw new RangeError(`relativeTo: the ".." in other (${JSON.stringify(base.toString())}) cannot be walked up`);
      }
    }
    const up = new Array<string>(baseTail.length - common).fill("..");
    return this._make("", [...up, ...this.#tail.slice(common)]);
  }

  /** Whether `relativeTo(other)` would succeed (without `walkUp`). */
  isRelativeTo(other: PathLike): boolean {
    const base = toPurePath(other);
    if (base.#root !== this.#root || base.#tail.length > this.#tail.length) return false;
    return base.#tail.every((segment, index) => segment === this.#tail[index]);
  }

  /**
   * Matches the path against a glob pattern as Python's `PurePath.match` (before 3.13's
   * `full_match`): a relative pattern matches from the right (`*.py` matches any `.py`
   * file), an absolute one the whole path; `**` acts as `*`. Case-sensitive. An empty
   * pattern is a RangeError.
   */
  match(pattern: string): boolean {
    if (typeof pattern !== "string") throw new TypeError(`match: pattern must be a string, got ${describeType(pattern)}`);
    const [root, segments] = parseSegments([pattern]);
    if (root === "" && segments.length === 0) throw new RangeError("match: pattern must not be empty");
    if (root !== "" && (root !== this.#root || segments.length !== this.#tail.length)) return false;
    if (segments.length > this.#tail.length) return false;
    const offset = this.#tail.length - segments.length;
    return segments.every((segment, index) => matchesSegment(compileSegment(segment), this.#tail[offset + index]!));
  }

  /**
   * Matches the whole path against a glob pattern as Python 3.13's `full_match`: `*`
   * within one segment, `**` any number of segments.
   *
   * @example
   * ```ts
   * import { PurePath } from "@anyts/anyts";
   * const p = new PurePath("/src/lib/util.ts");
   * console.log(p.fullMatch("/src/**\/*.ts"), p.fullMatch("*.ts")); // true false
   * ```
   */
  fullMatch(pattern: string): boolean {
    if (typeof pattern !== "string") throw new TypeError(`fullMatch: pattern must be a string, got ${describeType(pattern)}`);
    const [root, segments] = parseSegments([pattern]);
    const text = this.toString();
    if (root === "" && segments.length === 0) return text === ".";
    return compileFullPattern(root, segments).test(text);
  }

  /** @internal The root, for subclasses in this package. */
  get _root(): Root {
    return this.#root;
  }

  /** @internal The names after the root, for subclasses in this package. */
  get _tail(): readonly string[] {
    return this.#tail;
  }

  #format(): string {
    const joined = this.#tail.join("/");
    if (this.#root !== "") return this.#root + joined;
    return joined === "" ? "." : joined;
  }
}

/** @internal `value` as a PurePath (parsing a string or URL); a TypeError for anything else. */
export function toPurePath(value: PathLike): PurePath {
  if (value instanceof PurePath) return value;
  return new PurePath(value);
}

/** The root and names of `segments` joined (Python's `parse_parts` for POSIX). */
function parseSegments(segments: readonly PathLike[]): [Root, string[]] {
  const reversed: string[] = [];
  let root: Root = "";
  for (let index = segments.length - 1; index >= 0; index--) {
    const segment = segments[index];
    let text: string;
    if (typeof segment === "string") text = segment;
    else if (segment instanceof PurePath) {
      const tail = segment._tail;
      for (let k = tail.length - 1; k >= 0; k--) reversed.push(tail[k]!);
      if (segment._root !== "") {
        root = segment._root;
        break;
      }
      continue;
    } else if (segment instanceof URL) text = fileUrlPath(segment);
    else {
      throw new TypeError(`path segments must be strings, file: URLs or paths, got ${describeType(segment)}`);
    }
    if (text === "") continue;
    let start = 0;
    if (text.charCodeAt(0) === 47 /* / */) {
      while (text.charCodeAt(start) === 47) start++;
      root = start === 2 ? "//" : "/";
    }
    const names = text.slice(start).split("/");
    for (let k = names.length - 1; k >= 0; k--) {
      const name = names[k]!;
      if (name !== "" && name !== ".") reversed.push(name);
    }
    if (root !== "") break;
  }
  return [root, reversed.reverse()];
}

/** The decoded path of a `file:` URL; a TypeError for another scheme or a remote host. */
function fileUrlPath(url: URL): string {
  if (url.protocol !== "file:") throw new TypeError(`a path URL must be a file: URL, got ${url.protocol} (${url.href})`);
  if (url.hostname !== "" && url.hostname !== "localhost") {
    throw new TypeError(`a file: URL with a remote host cannot be a local path: ${url.href}`);
  }
  return decodeURIComponent(url.pathname);
}
