#!/usr/bin/env node
// Summarises a V8 .cpuprofile (`node --cpu-prof`, or Deno through the inspector):
//
//   node scripts/bench/cpuprofile-summary.mjs FILE.cpuprofile [--top 30] [--requests N]
//
// Prints the time by area (anyts core, streams, net, backends, the example, the runtime's
// own JavaScript, native/GC/idle), the functions with the most self time and the most
// inclusive time (a function counted once per sample however deep it recurses), each in
// ms and, with --requests, in µs per request.

import { readFileSync } from "node:fs";

const file = process.argv[2];
if (!file) {
  console.error("usage: cpuprofile-summary.mjs FILE.cpuprofile [--top 30] [--requests N]");
  process.exit(2);
}
const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const top = option("--top", 30);
const requests = option("--requests", 0);
const profile = JSON.parse(readFileSync(file, "utf8"));

const byId = new Map();
const parent = new Map();
for (const node of profile.nodes) {
  byId.set(node.id, node);
  for (const child of node.children ?? []) parent.set(child, node.id);
}

function area(frame) {
  const url = frame.url ?? "";
  const m = /\/(src\/[a-z]+|backends\/[a-z]+|examples)\//.exec(url);
  if (m) return m[1].startsWith("examples") ? "example" : `anyts ${m[1]}`;
  if (url.startsWith("node:") || url.startsWith("ext:")) return "runtime JS";
  if (url === "") return `(${frame.functionName || "native"})`.replace("((", "(").replace("))", ")");
  return "other JS";
}
const keyOf = (frame) => `${frame.functionName || "(anonymous)"}  ${(frame.url ?? "").replace(/^.*\/(src|backends|examples|scripts)\//, "$1/")}:${frame.lineNumber + 1}`;

const self = new Map();
const inclusive = new Map();
const areas = new Map();
let total = 0;
const add = (map, key, ms) => map.set(key, (map.get(key) ?? 0) + ms);
for (let i = 0; i < profile.samples.length; i++) {
  const ms = (profile.timeDeltas[i] ?? 0) / 1000;
  total += ms;
  let node = byId.get(profile.samples[i]);
  add(self, keyOf(node.callFrame), ms);
  add(areas, area(node.callFrame), ms);
  const seen = new Set();
  for (let id = node.id; id !== undefined; id = parent.get(id)) {
    const key = keyOf(byId.get(id).callFrame);
    if (seen.has(key)) continue;
    seen.add(key);
    add(inclusive, key, ms);
  }
}

const busy = total - (areas.get("(idle)") ?? 0);
const fmt = (ms) => `${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / busy).toFixed(1).padStart(5)}%` +
  (requests > 0 ? ` ${((ms * 1000) / requests).toFixed(2).padStart(7)} µs/req` : "");
console.log(`${file}: ${total.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms not idle (percentages of that)`);
console.log("\nby area (self time):");
for (const [name, ms] of [...areas].sort((a, b) => b[1] - a[1])) {
  if (name !== "(idle)") console.log(`  ${fmt(ms)}  ${name}`);
}
console.log(`  (idle: ${(areas.get("(idle)") ?? 0).toFixed(0)} ms, not in the percentages)`);
console.log(`\ntop ${top} by self time:`);
for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${fmt(ms)}  ${name}`);
console.log(`\ntop ${top} by inclusive time:`);
for (const [name, ms] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${fmt(ms)}  ${name}`);
