/**
 * Glob patterns, written once: one path segment against a pattern such as `*.py` or
 * `[!a-c]?.txt` (as Python's `fnmatch.fnmatchcase`), and a whole path against a pattern
 * with `**` (as Python 3.13's `PurePath.full_match`). Case-sensitive, as on POSIX.
 *
 * - `*` matches any run of characters within a segment (a leading dot included: pathlib
 *   does not hide dotfiles), `?` one character, `[abc]` / `[a-z]` one of a set, `[!abc]`
 *   one character outside it; `[` without a closing `]` is a literal `[`.
 * - In whole-path patterns, a segment that is exactly `**` matches any number of segments
 *   (zero included).
 *
 * @module
 */

/** A compiled segment pattern: a literal (compared with `===`) or a regular expression. */
export type SegmentMatcher = string | RegExp;

/** @internal Whether `text` holds a glob wildcard (`*`, `?` or `[`). */
export function hasWildcard(text: string): boolean {
  return text.includes("*") || text.includes("?") || text.includes("[");
}

/** @internal Compiles one segment pattern (no slash in it). */
export function compileSegment(pattern: string): SegmentMatcher {
  if (!hasWildcard(pattern)) return pattern;
  return new RegExp(`^${translateSegment(pattern, ".*", ".")}$`, "su");
}

/** @internal Whether `segment` matches a compiled segment pattern. */
export function matchesSegment(matcher: SegmentMatcher, segment: string): boolean {
  return typeof matcher === "string" ? matcher === segment : matcher.test(segment);
}

/**
 * @internal Compiles a whole-path pattern, already split into segments (`anchor` is "",
 * "/" or "//"), into a regular expression over a path's string form (Python 3.13's
 * `glob.translate` with `recursive=True, include_hidden=True`).
 */
export function compileFullPattern(anchor: string, segments: readonly string[]): RegExp {
  let source = escapeLiteral(anchor);
  const last = segments.length - 1;
  segments.forEach((segment, index) => {
    if (segment === "**") {
      if (index < last) {
        if (segments[index + 1] !== "**") source += "(?:.+/)?";
      } else source += ".*";
      return;
    }
    if (segment === "*") {
      source += index < last ? "[^/]+/" : "[^/]+";
      return;
    }
    source += translateSegment(segment, "[^/]*", "[^/]");
    if (index < last) source += "/";
  });
  return new RegExp(`^${source}$`, "su");
}

/** The regular expression source of one segment pattern. */
function translateSegment(pattern: string, star: string, question: string): string {
  let source = "";
  const length = pattern.length;
  let i = 0;
  while (i < length) {
    const c = pattern[i++]!;
    if (c === "*") {
      // Runs of stars are one star.
      while (pattern[i] === "*") i++;
      source += star;
    } else if (c === "?") {
      source += question;
    } else if (c === "[") {
      const end = classEnd(pattern, i);
      if (end < 0) source += "\\[";
      else {
        source += translateClass(pattern.slice(i, end));
        i = end + 1;
      }
    } else source += escapeLiteral(c);
  }
  return source;
}

/** Where the `]` closing a class that opens before `start` is, or -1 (then `[` is literal). */
function classEnd(pattern: string, start: number): number {
  let j = start;
  if (pattern[j] === "!") j++;
  if (pattern[j] === "]") j++;
  const end = pattern.indexOf("]", j);
  return end;
}

/** Translates the inside of `[...]` (fnmatch's rules: `!` negates, `a-z` is a range). */
function translateClass(inside: string): string {
  let negated = false;
  let k = 0;
  if (inside[0] === "!") {
    negated = true;
    k = 1;
  }
  const characters = Array.from(inside.slice(k));
  let items = "";
  for (let n = 0; n < characters.length; n++) {
    const low = characters[n]!;
    if (characters[n + 1] === "-" && n + 2 < characters.length) {
      const high = characters[n + 2]!;
      n += 2;
      // An empty range (z-a) matches nothing, as fnmatch removes it.
      if (low.codePointAt(0)! <= high.codePointAt(0)!) items += `${escapeInClass(low)}-${escapeInClass(high)}`;
    } else items += escapeInClass(low);
  }
  if (items === "") return negated ? "." : "(?!)";
  return `[${negated ? "^" : ""}${items}]`;
}

function escapeInClass(character: string): string {
  return `\\u{${character.codePointAt(0)!.toString(16)}}`;
}

function escapeLiteral(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}
