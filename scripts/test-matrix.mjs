#!/usr/bin/env node
// The whole test matrix: what CI runs (`npm test`, via .ci/run).
//
//   npm test                                   everything below, one step after the other
//   npm test -- --only bun                     just the test suite on Bun
//   npm test -- --only node20,deno             the suite on Node 20 and Deno
//   npm test -- --only node                    the suite on Node 20, 22 and 24
//   npm test -- --only typecheck,lint          one-off checks only
//   npm test -- --only smoke,deno              build + consumer smoke test on Deno
//   npm test -- tests/core/cancel              the suite on every runtime, test files
//                                              whose path contains "tests/core/cancel"
//   npm test -- -t "shield" --only node22      tests whose name contains "shield"
//   npm test -- --timeout 5                    per-step time limit in minutes (default 15)
//   npm test -- --list                         print the steps and exit
//
// Steps (groups for --only in brackets):
//   typecheck [typecheck]     tsc -p tsconfig.json                                   1 check
//   readme [typecheck]        every ts block of README.md type-checked (scripts/check-readme.mjs) 1 check
//   deno-by-path [typecheck]  a Deno consumer importing mod.ts/testing.ts by path, `deno check`ed
//                             with exactOptionalPropertyTypes, noUncheckedIndexedAccess (scripts/check-deno-consumer.mjs) 1 check
//   test:<rt> [tests]         the vitest suite on node20, node22, node24 (vitest), deno
//                             (vitest under `deno run -A`) and bun (`bun test`)      N tests each
//   deno-doc-lint [lint]      deno doc --lint mod.ts testing.ts                      1 check
//   deno-publish [publish]    deno publish --dry-run --allow-dirty                   1 check
//   build [build]             scripts/build.mjs (dist/ for npm; fails on an internal or a node: import in the published .d.ts) 1 check
//   smoke:<rt> [smoke]        the packed npm package imported by a consumer project  1 check each
//   smoke:types [smoke]       the consumer project type-checked against dist/*.d.ts (types: [], skipLibCheck: false,
//                             strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess) 1 check
//   demo:<rt> [demo]          every examples/*.ts                                    1 check each
// --only takes runtime names (node20 node22 node24 deno bun, node = all three Node
// versions) and group names; runtime names alone select the tests group, group names
// alone select all runtimes. A test-file filter or -t alone selects the tests group.
//
// A failing step never stops the others. Each subprocess has a time limit and is
// killed with its children when it overruns. The last line of output is
// `N passed, N failed`: the tests of every runtime plus the one-off checks. The exit
// code is 1 when anything failed or when no test ran.
//
// Node 20 is the system `node` (not node_modules/.bin/node, which npm puts first on
// PATH and is the node22 package); set NODE20=/path/to/node to choose another.

import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT, RUNTIME_NAMES, TMP, TSC, VITEST, describeRuntime, parseList, runtimeEnv, runtimes } from "./lib/runtimes.mjs";
import { runCommand, seconds } from "./lib/proc.mjs";

const GROUPS = ["typecheck", "tests", "lint", "publish", "build", "smoke", "demo"];
const RESULTS = join(TMP, "results");

// ---------------------------------------------------------------- arguments

function usage(message) {
  if (message) console.error(`test-matrix: ${message}`);
  const text = readFileSync(new URL(import.meta.url), "utf8");
  const header = text.split("\n").slice(1).filter((l) => l.startsWith("//")).map((l) => l.slice(3));
  console.error(header.join("\n"));
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { runtimes: [], groups: [], filters: [], testName: undefined, timeoutMin: Number(process.env.ANYTS_STEP_TIMEOUT_MIN) || 15, list: false };
  const takeValue = (i, name) => {
    const a = argv[i];
    if (a.includes("=")) return [a.slice(a.indexOf("=") + 1), i];
    if (i + 1 >= argv.length) usage(`${name} needs a value`);
    return [argv[i + 1], i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--only" || a.startsWith("--only=")) {
      let v;
      [v, i] = takeValue(i, "--only");
      for (const item of parseList(v)) {
        if (item === "node") opts.runtimes.push("node20", "node22", "node24");
        else if (RUNTIME_NAMES.includes(item)) opts.runtimes.push(item);
        else if (GROUPS.includes(item)) opts.groups.push(item);
        else usage(`unknown --only item "${item}" (runtimes: ${RUNTIME_NAMES.join(", ")}, node; groups: ${GROUPS.join(", ")})`);
      }
    } else if (a === "--timeout" || a.startsWith("--timeout=")) {
      let v;
      [v, i] = takeValue(i, "--timeout");
      opts.timeoutMin = Number(v);
      if (!(opts.timeoutMin > 0)) usage(`bad --timeout ${v}`);
    } else if (a === "-t" || a === "--testNamePattern" || a.startsWith("--testNamePattern=")) {
      [opts.testName, i] = takeValue(i, a);
    } else if (a === "--list") {
      opts.list = true;
    } else if (a === "-h" || a === "--help") {
      usage();
    } else if (a.startsWith("-")) {
      usage(`unknown option ${a}`);
    } else {
      opts.filters.push(a);
    }
  }
  const rts = opts.runtimes.length ? [...new Set(opts.runtimes)] : RUNTIME_NAMES;
  let groups = [...new Set(opts.groups)];
  if (!groups.length) groups = opts.runtimes.length || opts.filters.length || opts.testName ? ["tests"] : GROUPS;
  opts.runtimes = RUNTIME_NAMES.filter((r) => rts.includes(r));
  opts.groups = groups;
  return opts;
}

// ---------------------------------------------------------------- test files

function testFiles(filters) {
  const dir = join(ROOT, "tests");
  if (!existsSync(dir)) return [];
  const all = readdirSync(dir, { recursive: true })
    .map((f) => join("tests", String(f)).split("\\").join("/"))
    .filter((f) => f.endsWith(".test.ts"))
    .sort();
  if (!filters.length) return all;
  return all.filter((f) => filters.some((p) => f.includes(p.replace(/^\.\//, ""))));
}

// ---------------------------------------------------------------- result parsing

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");

function parseVitest(jsonFile, run) {
  const res = { passed: 0, failed: 0, skipped: 0, failures: [] };
  let data;
  try {
    data = JSON.parse(readFileSync(jsonFile, "utf8"));
  } catch {
    res.failed = 1;
    res.failures.push(`no JSON report (vitest exit ${run.code ?? run.signal}${run.timedOut ? ", timed out" : ""})`);
    return res;
  }
  res.passed = data.numPassedTests ?? 0;
  res.failed = data.numFailedTests ?? 0;
  res.skipped = (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0);
  for (const file of data.testResults ?? []) {
    const name = relative(ROOT, file.name ?? "?");
    const failedHere = (file.assertionResults ?? []).filter((a) => a.status === "failed");
    for (const a of failedHere) res.failures.push(`${name} > ${a.fullName ?? a.title}`);
    if (file.status === "failed" && failedHere.length === 0) {
      // The file failed outside any test (it did not load, or a hook failed).
      res.failed++;
      res.failures.push(`${name}: ${String(file.message ?? "failed outside a test").split("\n")[0]}`);
    }
  }
  const errors = stripAnsi(run.output).match(/^\s*Errors\s+(\d+) errors?/m);
  if (errors) {
    res.failed += Number(errors[1]);
    res.failures.push(`${errors[1]} unhandled error(s) reported by vitest (see the log)`);
  }
  if ((run.code !== 0 || data.success === false) && res.failed === 0) {
    res.failed = 1;
    res.failures.push(`vitest exit ${run.code ?? run.signal}${run.timedOut ? " (timed out)" : ""} with no failed test`);
  }
  return res;
}

function parseBun(junitFile, run) {
  const res = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const out = stripAnsi(run.output);
  const count = (word) => {
    const m = out.match(new RegExp(`^\\s*(\\d+) ${word}$`, "m"));
    return m ? Number(m[1]) : undefined;
  };
  const pass = count("pass");
  const fail = count("fail");
  if (pass !== undefined || fail !== undefined) {
    res.passed = pass ?? 0;
    res.failed = fail ?? 0;
    res.skipped = (count("skip") ?? 0) + (count("todo") ?? 0);
  } else if (existsSync(junitFile)) {
    // No summary (crash?): count from the JUnit report.
    const xml = readFileSync(junitFile, "utf8");
    for (const m of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
      const body = m[2] ?? "";
      if (/<(failure|error)\b/.test(body)) res.failed++;
      else if (/<skipped\b/.test(body)) res.skipped++;
      else res.passed++;
    }
  }
  // Names of failed tests from the console output: "tests/x.test.ts:" then
  // "(fail) a > b"; errors outside tests (a file that does not load, an error
  // thrown from a timer) follow "# Unhandled error between tests". Each of those
  // counts as one failure, as vitest counts them.
  let file = "";
  let unhandled = false;
  for (const line of out.split("\n")) {
    const f = line.match(/^(\S.*\.test\.ts):$/);
    if (f) file = f[1];
    const t = line.match(/^\(fail\) (.*?)(?: \[[\d.]+m?s\])?$/);
    if (t) res.failures.push(`${file} > ${t[1]}`);
    if (/^# Unhandled error between tests/.test(line)) unhandled = true;
    else if (unhandled && /^\w*(error|Error)\b.*?:/.test(line)) {
      unhandled = false;
      res.failures.push(`${file}: unhandled error between tests: ${line.trim()}`);
    }
  }
  res.failed = Math.max(res.failed, res.failures.length);
  if (run.code !== 0 && res.failed === 0) {
    res.failed = 1;
    res.failures.push(`bun test exit ${run.code ?? run.signal}${run.timedOut ? " (timed out)" : ""} with no failed test`);
  }
  return res;
}

// ---------------------------------------------------------------- steps

/** A one-off check: passes when the command exits 0. */
function commandCheck(id, group, cmd, args, opts = {}) {
  return {
    id,
    group,
    async run(ctx) {
      const r = await runCommand(cmd, args, { cwd: ROOT, timeoutMs: ctx.timeoutMs, env: opts.env });
      const ok = r.code === 0 && (!opts.expect || opts.expect.test(r.output));
      return {
        passed: ok ? 1 : 0,
        failed: ok ? 0 : 1,
        failures: ok ? [] : [`${id}: ${r.timedOut ? "timed out" : r.error ? r.error.message : `exit ${r.code ?? r.signal}`}`],
        ms: r.ms,
      };
    },
  };
}

function testStep(name, ctx) {
  return {
    id: `test:${name}`,
    group: "tests",
    runtime: name,
    async run() {
      const rt = runtimes()[name];
      if (rt.problem) return { passed: 0, failed: 1, failures: [`${name}: ${rt.problem}`], ms: 0 };
      mkdirSync(RESULTS, { recursive: true });
      const files = ctx.files;
      let cmd, args, parse;
      if (name === "bun") {
        const junit = join(RESULTS, "bun.xml");
        rmSync(junit, { force: true });
        cmd = rt.bin;
        args = [
          "test",
          "--isolate",
          "--preload",
          "./tests/setup.ts",
          "--timeout",
          "10000",
          "--reporter=junit",
          `--reporter-outfile=${junit}`,
          ...(ctx.testName ? ["-t", ctx.testName] : []),
          ...(ctx.filtered ? files.map((f) => `./${f}`) : ["./tests/"]),
        ];
        parse = (run) => parseBun(junit, run);
      } else {
        const json = join(RESULTS, `${name}.json`);
        rmSync(json, { force: true });
        const vitestArgs = [
          VITEST,
          "run",
          "--reporter=default",
          "--reporter=json",
          `--outputFile.json=${json}`,
          ...(ctx.testName ? ["-t", ctx.testName] : []),
          ...(ctx.filtered ? files : []),
        ];
        cmd = rt.bin;
        args = name === "deno" ? ["run", "-A", ...vitestArgs] : vitestArgs;
        parse = (run) => parseVitest(json, run);
      }
      const run = await runCommand(cmd, args, { cwd: ROOT, env: runtimeEnv(name), timeoutMs: ctx.timeoutMs });
      return { ...parse(run), ms: run.ms };
    },
  };
}

function buildStep() {
  return {
    id: "build",
    group: "build",
    async run() {
      const { build } = await import("./build.mjs");
      const r = await build();
      for (const p of r.problems) console.error(`build: ${p}`);
      return { passed: r.ok ? 1 : 0, failed: r.ok ? 0 : 1, failures: r.problems.map((p) => `build: ${p}`), ms: r.ms };
    },
  };
}

function smokeSteps(ctx) {
  const state = { prepared: undefined };
  const prepare = async () => {
    if (!state.prepared) {
      const { prepareConsumer } = await import("./smoke.mjs");
      state.prepared = await prepareConsumer();
      if (state.prepared.ok) console.log(`smoke: installed the packed package into ${state.prepared.dir}`);
      else console.error(`smoke: ${state.prepared.problem}`);
    }
    return state.prepared;
  };
  const steps = ctx.runtimes.map((name) => ({
    id: `smoke:${name}`,
    group: "smoke",
    runtime: name,
    async run() {
      const p = await prepare();
      if (!p.ok) return { passed: 0, failed: 1, failures: [`smoke:${name}: ${p.problem.split("\n")[0]}`], ms: 0 };
      const { smokeRuntime } = await import("./smoke.mjs");
      const r = await smokeRuntime(name, p.dir, { timeoutMs: Math.min(ctx.timeoutMs, 5 * 60_000) });
      if (r.ok && r.ms > 8_000) {
        return { passed: 0, failed: 1, failures: [`smoke:${name}: the process took ${seconds(r.ms)} to exit (a timer or handle outlived run())`], ms: r.ms };
      }
      return { passed: r.ok ? 1 : 0, failed: r.ok ? 0 : 1, failures: r.ok ? [] : [`smoke:${name}: ${r.problem}`], ms: r.ms };
    },
  }));
  steps.push({
    id: "smoke:types",
    group: "smoke",
    async run() {
      const p = await prepare();
      let result;
      if (!p.ok) result = { passed: 0, failed: 1, failures: [`smoke:types: ${p.problem.split("\n")[0]}`], ms: 0 };
      else {
        const { smokeTypes, cleanupConsumer } = await import("./smoke.mjs");
        const r = await smokeTypes(p.dir);
        cleanupConsumer(p);
        result = { passed: r.ok ? 1 : 0, failed: r.ok ? 0 : 1, failures: r.ok ? [] : [`smoke:types: ${r.problem}`], ms: r.ms };
      }
      return result;
    },
  });
  return steps;
}

function demoSteps(ctx) {
  return ctx.runtimes.map((name) => ({
    id: `demo:${name}`,
    group: "demo",
    runtime: name,
    async run() {
      const { exampleFiles, demoOn } = await import("./demo.mjs");
      const files = exampleFiles();
      if (!files.length) return { passed: 0, failed: 1, failures: [`demo:${name}: no examples/*.ts`], ms: 0 };
      const results = await demoOn(name, files, { timeoutMs: Math.min(ctx.timeoutMs, 2 * 60_000) });
      const bad = results.filter((r) => !r.ok);
      return {
        passed: bad.length ? 0 : 1,
        failed: bad.length ? 1 : 0,
        failures: bad.map((r) => `demo:${name}: ${relative(ROOT, r.file)}: ${r.problem}`),
        ms: results.reduce((s, r) => s + r.ms, 0),
      };
    },
  }));
}

function planSteps(ctx) {
  const g = new Set(ctx.groups);
  const steps = [];
  const node = runtimes().node20.bin ?? process.execPath;
  const deno = runtimes().deno;
  if (g.has("typecheck")) steps.push(commandCheck("typecheck", "typecheck", node, [TSC, "-p", join(ROOT, "tsconfig.json")]));
  if (g.has("typecheck")) steps.push(commandCheck("readme", "typecheck", node, [join(ROOT, "scripts", "check-readme.mjs")]));
  if (g.has("typecheck")) steps.push(commandCheck("deno-by-path", "typecheck", node, [join(ROOT, "scripts", "check-deno-consumer.mjs")]));
  if (g.has("tests")) for (const name of ctx.runtimes) steps.push(testStep(name, ctx));
  const denoEnv = runtimeEnv("deno");
  if (g.has("lint")) steps.push(commandCheck("deno-doc-lint", "lint", deno.bin, ["doc", "--lint", "mod.ts", "testing.ts"], { env: denoEnv }));
  if (g.has("publish")) steps.push(commandCheck("deno-publish", "publish", deno.bin, ["publish", "--dry-run", "--allow-dirty"], { env: denoEnv }));
  // The smoke test packs dist/: build first, always.
  if (g.has("build") || g.has("smoke")) steps.push(buildStep());
  if (g.has("smoke")) steps.push(...smokeSteps(ctx));
  if (g.has("demo")) steps.push(...demoSteps(ctx));
  return steps;
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const files = testFiles(opts.filters);
  const ctx = {
    runtimes: opts.runtimes,
    groups: opts.groups,
    files,
    filtered: opts.filters.length > 0,
    testName: opts.testName,
    timeoutMs: opts.timeoutMin * 60_000,
  };
  const steps = planSteps(ctx);
  if (opts.list) {
    for (const s of steps) console.log(s.id);
    return 0;
  }
  console.log("test-matrix: runtimes");
  for (const name of RUNTIME_NAMES) console.log(`  ${describeRuntime(name)}`);
  console.log(`test-matrix: steps: ${steps.map((s) => s.id).join(" ")}`);
  if (opts.groups.includes("tests")) {
    if (ctx.filtered && !files.length) {
      console.error(`test-matrix: no tests/**/*.test.ts matches ${opts.filters.join(", ")}`);
      console.log("0 passed, 1 failed");
      return 1;
    }
    console.log(`test-matrix: ${files.length} test file(s)${ctx.filtered ? ` matching ${opts.filters.join(", ")}` : ""}`);
  }

  const started = Date.now();
  const rows = [];
  for (const step of steps) {
    console.log(`\n${"=".repeat(78)}\n=== ${step.id}${step.runtime ? `  (${describeRuntime(step.runtime)})` : ""}\n${"=".repeat(78)}`);
    let r;
    try {
      r = await step.run(ctx);
    } catch (error) {
      console.error(error);
      r = { passed: 0, failed: 1, failures: [`${step.id}: ${error?.message ?? error}`], ms: 0 };
    }
    r.skipped ??= 0;
    rows.push({ step, ...r });
    const counts = step.group === "tests" ? `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped` : r.failed ? "FAIL" : "PASS";
    console.log(`=== ${step.id}: ${counts} (${seconds(r.ms)})`);
  }

  // Summary.
  let passed = 0;
  let failed = 0;
  let testsRan = 0;
  console.log(`\n${"=".repeat(78)}\n=== summary (${seconds(Date.now() - started)})\n${"=".repeat(78)}`);
  for (const row of rows) {
    passed += row.passed;
    failed += row.failed;
    const isTests = row.step.group === "tests";
    if (isTests) testsRan += row.passed + row.failed;
    const status = row.failed ? "FAIL" : "ok  ";
    const counts = isTests ? `${row.passed} passed, ${row.failed} failed, ${row.skipped} skipped` : "";
    console.log(`${status}  ${row.step.id.padEnd(16)} ${counts.padEnd(40)} ${seconds(row.ms).padStart(8)}`);
  }
  const failures = rows.flatMap((row) => row.failures.map((f) => (row.step.group === "tests" ? `[${row.step.runtime}] ${f}` : f)));
  if (failures.length) {
    console.log("\nfailures:");
    const shown = failures.slice(0, 200);
    for (const f of shown) console.log(`  ${f}`);
    if (failures.length > shown.length) console.log(`  ... and ${failures.length - shown.length} more`);
  }
  if (opts.groups.includes("tests") && testsRan === 0) console.log("\nno test ran");
  if (rows.length === 0) console.log("\nnothing ran");
  console.log(`${passed} passed, ${failed} failed`);
  const bad = failed > 0 || rows.length === 0 || (opts.groups.includes("tests") && testsRan === 0);
  return bad ? 1 : 0;
}

process.exitCode = await main();
