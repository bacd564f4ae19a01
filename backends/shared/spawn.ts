/**
 * What every process adapter needs before it spawns: the child's environment, and merging
 * stderr into stdout, which none of the three native APIs (node:child_process,
 * `Deno.Command`, `Bun.spawn`) can do: they have no way to give the child one pipe as both
 * fd 1 and fd 2. The child is started as `/bin/sh -c 'exec "$@" 2>&1' sh <executable>
 * <args…>`: the shell points fd 2 at fd 1 and replaces itself with the command (same pid,
 * one pipe, so the two streams stay in order, as Python's `stderr=STDOUT`). So that a
 * missing executable is still `ENOENT` (and not the shell's exit code 127), the executable
 * is looked up in `PATH` first.
 *
 * @module
 */
import type { SpawnOptions } from "../../src/backend/process.ts";
import { osError } from "./os-error.ts";

/** What a file at a path is, for the executable lookup. */
export type ExecutableProbe = (path: string) => "executable" | "not-executable" | "missing";

/**
 * The child's environment: `env` over the parent's (or over nothing with `clearEnv`),
 * without the variables set to `undefined`.
 */
export function childEnv(
  parent: Readonly<Record<string, string | undefined>>,
  options: Pick<SpawnOptions, "env" | "clearEnv">,
): Record<string, string> {
  const merged: Record<string, string> = {};
  if (!options.clearEnv) {
    for (const [key, value] of Object.entries(parent)) if (value !== undefined) merged[key] = value;
  }
  if (options.env !== undefined) {
    for (const [key, value] of Object.entries(options.env)) {
      if (value === undefined) delete merged[key];
      else merged[key] = value;
    }
  }
  return merged;
}

function joinPath(directory: string, name: string): string {
  if (directory === "") return name;
  return directory.endsWith("/") ? directory + name : `${directory}/${name}`;
}

/**
 * Finds `name` as `execvp` would: a name with a slash is a path (relative to `cwd`);
 * otherwise the first executable file in the directories of `pathVariable`. Throws the
 * portable `ENOENT` (nothing found) or `EACCES` (found, but not executable) naming it.
 */
export function findExecutable(
  name: string,
  pathVariable: string | undefined,
  cwd: string | undefined,
  probe: ExecutableProbe,
): string {
  const inCwd = (path: string) => path.startsWith("/") || cwd === undefined ? path : joinPath(cwd, path);
  let sawNotExecutable = false;
  const candidates = name.includes("/")
    ? [name]
    : (pathVariable ?? "/usr/local/bin:/usr/bin:/bin").split(":").map((directory) => joinPath(directory || ".", name));
  for (const candidate of candidates) {
    const found = probe(inCwd(candidate));
    if (found === "executable") return candidate;
    if (found === "not-executable") sawNotExecutable = true;
  }
  throw sawNotExecutable
    ? osError("EACCES", "spawn", { path: name }, undefined, "the file is not executable")
    : osError("ENOENT", "spawn", { path: name }, undefined, "no such executable (looked up in PATH)");
}

/** The shell script that merges stderr into stdout (see the module's description). */
const MERGE_SCRIPT = 'exec "$@" 2>&1';

/** The argv that runs `executable` (already found) with `args`, its stderr merged into stdout. */
export function mergedStderrArgv(executable: string, args: readonly string[]): string[] {
  return ["/bin/sh", "-c", MERGE_SCRIPT, "sh", executable, ...args];
}

/**
 * The portable error of a failed spawn: `cwdProblem` (`ENOENT`, `ENOTDIR`) naming the
 * working directory when it is what is wrong, otherwise `code` naming the executable.
 */
export function spawnError(
  code: string | undefined,
  options: SpawnOptions,
  cwdProblem: string | undefined,
  cause: unknown,
  hint?: string,
): Error {
  if (cwdProblem !== undefined) {
    const what = cwdProblem === "ENOENT" ? "does not exist" : cwdProblem === "ENOTDIR" ? "is not a directory" : "cannot be used";
    return osError(cwdProblem, "spawn", { path: options.cwd! }, cause, `the child's working directory (cwd) ${what}`);
  }
  const executable = options.argv[0]!;
  if (code === "ENOENT") return osError("ENOENT", "spawn", { path: executable }, cause, hint ?? "no such executable (looked up in PATH)");
  if (code === "EACCES") return osError("EACCES", "spawn", { path: executable }, cause, hint ?? "the file is not executable");
  if (code !== undefined) return osError(code, "spawn", { path: executable }, cause, hint);
  return cause instanceof Error ? cause : new Error(String(cause));
}
