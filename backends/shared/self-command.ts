/**
 * The command line that starts this very runtime running the worker entry, for the child
 * processes of `toProcess.run`: `deno eval <entry>` on Deno, `bun -e <entry>` on Bun,
 * `node [inherited flags] -e <entry>` on Node.
 *
 * @module
 */
import process from "node:process";
import { detectRuntime } from "../../src/backend/index.ts";
import { processEntrySource } from "./worker-entry.ts";

/** Node flags a child must not inherit: a debugger port, an eval, watch and test modes. */
const UNINHERITED = /^--(inspect|debug|watch|test|eval|print|input-type)/;

/** `[executable, args]` that start this runtime running the worker entry. */
export function selfCommand(): [string, string[]] {
  switch (detectRuntime()) {
    case "deno":
      return [process.execPath, ["eval", processEntrySource]];
    case "bun":
      return [process.execPath, ["-e", processEntrySource]];
    default: {
      // The Node flags the parent runs with (e.g. --experimental-strip-types on Node 22.6
      // to 22.17) apply to the child too, as fork() does.
      const flags: string[] = [];
      const inherited = process.execArgv;
      for (let i = 0; i < inherited.length; i++) {
        const flag = inherited[i]!;
        if (flag === "-e" || flag === "-p" || flag === "--eval" || flag === "--print") {
          i++;
          continue;
        }
        if (!UNINHERITED.test(flag)) flags.push(flag);
      }
      return [process.execPath, [...flags, "-e", processEntrySource]];
    }
  }
}
