#!/usr/bin/env node
// npm build: `npm run build`.
// Cleans dist/, compiles mod.ts and testing.ts (and what they import: src/,
// backends/) to ESM JavaScript + .d.ts with `tsc -p tsconfig.build.json`, then
// checks the result: every file that package.json "exports"/"types" names
// exists, and no emitted import still ends in `.ts`.
//
// The published types are the .d.ts files the entry points' .d.ts reach
// through their imports; the others (backends/, internal helpers) describe
// modules that package.json "exports" hides, and are deleted. Internals are
// left out by scripts/lib/tsc-build.mjs (`@internal` and `@ignore` tags); the
// published files are then checked to carry none: no member or export whose
// name starts with `_`, no import other than a relative one (`node:*` or a
// package would need @types/node or a dependency), no `/// <reference types>`,
// no `declare global`, and no `NodeJS`, `Buffer`, `Deno` or `Bun` type, so that
// a consumer with `types: []` and `skipLibCheck: false` type-checks.
//
// tsc's rewriteRelativeImportExtensions rewrites the .js output only; the
// .d.ts files keep `from "./x.ts"`, so the relative specifiers of .d.ts files
// are rewritten here (`./x.ts` -> `./x.js`), which every TypeScript version
// and bundler resolves.

import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { ROOT } from "./lib/runtimes.mjs";
import { runCommand, seconds } from "./lib/proc.mjs";

const DIST = join(ROOT, "dist");

function exportTargets(pkg) {
  const out = new Set();
  const walk = (v) => {
    if (typeof v === "string") out.add(v);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  if (pkg.types) out.add(pkg.types);
  if (pkg.main) out.add(pkg.main);
  return [...out].filter((p) => p.startsWith("./dist/"));
}

const SPECIFIER = [
  /\b(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/g,
  /\bimport\s*["']([^"']+)["']/g,
  /\bimport\s*\(\s*["']([^"']+)["']\s*[,)]/g,
  /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  /\/\/\/\s*<reference\s+path\s*=\s*["']([^"']+)["']/g,
];

/** Rewrites relative `.ts` specifiers of the .d.ts files under `dir` to `.js`. */
export function rewriteDeclarationImports(dir) {
  let count = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.d\.m?ts$/.test(entry.name)) continue;
    const file = join(entry.parentPath ?? entry.path, entry.name);
    const text = readFileSync(file, "utf8");
    let next = text;
    for (const re of SPECIFIER) {
      next = next.replace(re, (whole, spec) => {
        if (!/^\.\.?\//.test(spec) || !/\.(ts|mts|cts|tsx)$/.test(spec) || /\.d\.[mc]?ts$/.test(spec)) return whole;
        const js = spec.replace(/\.ts$/, ".js").replace(/\.mts$/, ".mjs").replace(/\.cts$/, ".cjs").replace(/\.tsx$/, ".js");
        count++;
        return whole.replace(spec, js);
      });
    }
    if (next !== text) writeFileSync(file, next);
  }
  return count;
}

export function findTsImports(dir) {
  const problems = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(m?js|d\.m?ts)$/.test(entry.name)) continue;
    const file = join(entry.parentPath ?? entry.path, entry.name);
    const text = readFileSync(file, "utf8");
    for (const re of SPECIFIER) {
      for (const m of text.matchAll(re)) {
        if (/\.(ts|mts|cts|tsx)$/.test(m[1])) problems.push(`${relative(ROOT, file)}: imports "${m[1]}"`);
      }
    }
  }
  return problems;
}

const RUNTIME_GLOBALS = new Set(["NodeJS", "Buffer", "Deno", "Bun"]);

function declarationFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.d\.m?ts$/.test(e.name))
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

/** The module specifiers of a .d.ts (imports, re-exports, `import("…")` types) with their nodes. */
function specifiersOf(sf) {
  const out = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push([node.moduleSpecifier.text, node]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push([node.argument.literal.text, node]);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push([node.moduleReference.expression.text, node]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

const parseDeclaration = (file) => ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);

/**
 * The published .d.ts files: the entry points and what their imports reach.
 * @returns {Map<string, ts.SourceFile>}
 */
export function publishedDeclarations(dir, entries) {
  const reached = new Map();
  const queue = entries.map((e) => resolve(dir, e));
  while (queue.length) {
    const file = queue.pop();
    if (reached.has(file) || !existsSync(file)) continue;
    const sf = parseDeclaration(file);
    reached.set(file, sf);
    for (const [spec] of specifiersOf(sf)) {
      if (/^\.\.?\//.test(spec)) queue.push(resolve(dirname(file), spec.replace(/\.js$/, ".d.ts").replace(/\.mjs$/, ".d.mts")));
    }
    for (const ref of sf.referencedFiles) queue.push(resolve(dirname(file), ref.fileName));
  }
  return reached;
}

/** Deletes the .d.ts files under `dir` that no entry point reaches; returns how many. */
export function pruneUnpublishedDeclarations(dir, published) {
  let count = 0;
  for (const file of declarationFiles(dir)) {
    if (published.has(resolve(file))) continue;
    rmSync(file);
    count++;
  }
  return count;
}

/** Internals and runtime-specific types in the published .d.ts files, as `file:line: what`. */
export function findLeakedInternals(published) {
  const problems = [];
  for (const [file, sf] of published) {
    const where = (node) => `${relative(ROOT, file)}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
    for (const [spec, node] of specifiersOf(sf)) {
      if (!/^\.\.?\//.test(spec)) problems.push(`${where(node)}: imports "${spec}" (published types import only their own files)`);
      else if (!existsSync(resolve(dirname(file), spec.replace(/\.js$/, ".d.ts").replace(/\.mjs$/, ".d.mts")))) {
        problems.push(`${where(node)}: imports "${spec}", which has no published .d.ts`);
      }
    }
    for (const ref of sf.typeReferenceDirectives) problems.push(`${relative(ROOT, file)}: /// <reference types="${ref.fileName}" />`);
    for (const ref of sf.libReferenceDirectives) problems.push(`${relative(ROOT, file)}: /// <reference lib="${ref.fileName}" />`);
    const visit = (node) => {
      const name = node.name;
      const named =
        ts.isClassElement(node) || ts.isTypeElement(node) || ts.isEnumMember(node) || ts.isFunctionDeclaration(node) ||
        ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) ||
        ts.isEnumDeclaration(node) || ts.isVariableDeclaration(node) || ts.isModuleDeclaration(node) || ts.isExportSpecifier(node);
      if (named && name && (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name)) && name.text.startsWith("_")) {
        const kind = ts.SyntaxKind[node.kind].replace(/Declaration$|Signature$/, "").toLowerCase();
        problems.push(`${where(node)}: ${kind} ${name.text} (an internal: tag it @internal, or make it #private or module-private)`);
      }
      if (ts.isModuleDeclaration(node) && node.flags & ts.NodeFlags.GlobalAugmentation) problems.push(`${where(node)}: declare global`);
      const ref = ts.isTypeReferenceNode(node) ? node.typeName : ts.isExpressionWithTypeArguments(node) ? node.expression : ts.isTypeQueryNode(node) ? node.exprName : undefined;
      if (ref) {
        let head = ref;
        while (ts.isQualifiedName(head) || ts.isPropertyAccessExpression(head)) head = ts.isQualifiedName(head) ? head.left : head.expression;
        if (ts.isIdentifier(head) && RUNTIME_GLOBALS.has(head.text)) {
          problems.push(`${where(node)}: type ${ref.getText(sf)} (a runtime's own type: a consumer without @types/node or Deno's types lacks it)`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return problems;
}

export async function build({ quiet = false } = {}) {
  const started = Date.now();
  rmSync(DIST, { recursive: true, force: true });
  const r = await runCommand(process.execPath, [join(ROOT, "scripts", "lib", "tsc-build.mjs"), join(ROOT, "tsconfig.build.json")], {
    cwd: ROOT,
    timeoutMs: 10 * 60_000,
    quiet,
  });
  const problems = [];
  if (r.code !== 0) problems.push(`tsc -p tsconfig.build.json failed (exit ${r.code ?? r.signal})`);
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const required = new Set(["./dist/mod.js", "./dist/mod.d.ts", "./dist/testing.js", "./dist/testing.d.ts", ...exportTargets(pkg)]);
  for (const f of required) {
    if (!existsSync(join(ROOT, f))) problems.push(`missing ${f}`);
  }
  if (existsSync(DIST)) {
    rewriteDeclarationImports(DIST);
    problems.push(...findTsImports(DIST));
    const entries = [...required].filter((f) => /\.d\.m?ts$/.test(f)).map((f) => join(ROOT, f));
    const published = publishedDeclarations(DIST, entries);
    pruneUnpublishedDeclarations(DIST, published);
    problems.push(...findLeakedInternals(published));
  }
  return { ok: problems.length === 0, problems, ms: Date.now() - started, output: r.output };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("build.mjs")) {
  const result = await build();
  if (result.ok) {
    console.log(`build: dist/ written and checked (${seconds(result.ms)})`);
  } else {
    for (const p of result.problems) console.error(`build: ${p}`);
    process.exit(1);
  }
}
