/**
 * User and group names for `Path.owner`, `Path.group` and `Path.expanduser`. JavaScript
 * runtimes have no `getpwuid`, so the system's databases are read as files: `/etc/passwd`
 * and `/etc/group` (what `getpwuid` consults on Linux and, for local accounts, on macOS).
 *
 * @module
 */
import type { CancelScope } from "../core/cancel-scope.ts";
import { fsCall } from "./fs-call.ts";

/** The records of a colon-separated database, each split into its fields. */
async function records(file: string, scope: CancelScope): Promise<string[][]> {
  const bytes = await fsCall((fs) => fs.readFile(file), scope);
  return new TextDecoder().decode(bytes).split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.split(":"));
}

/** The name of the user with id `uid`, from /etc/passwd. */
export async function userName(uid: number, scope: CancelScope): Promise<string> {
  const user = (await records("/etc/passwd", scope)).find((fields) => Number(fields[2]) === uid);
  if (user === undefined) throw new Error(`owner: no user has the id ${uid} in /etc/passwd`);
  return user[0]!;
}

/** The name of the group with id `gid`, from /etc/group. */
export async function groupName(gid: number, scope: CancelScope): Promise<string> {
  const group = (await records("/etc/group", scope)).find((fields) => Number(fields[2]) === gid);
  if (group === undefined) throw new Error(`group: no group has the id ${gid} in /etc/group`);
  return group[0]!;
}

/** The home directory of the user called `name`, from /etc/passwd. */
export async function homeOf(name: string, scope: CancelScope): Promise<string> {
  const user = (await records("/etc/passwd", scope)).find((fields) => fields[0] === name);
  if (user === undefined || user[5] === undefined || user[5] === "") {
    throw new Error(`expanduser: cannot find the home directory of ${JSON.stringify(name)} in /etc/passwd`);
  }
  return user[5];
}
