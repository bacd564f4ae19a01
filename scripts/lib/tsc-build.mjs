#!/usr/bin/env node
// The compile step of the npm build (scripts/build.mjs runs it as a child
// process): `tsc -p tsconfig.build.json` through the TypeScript API, with one
// difference. The source tags what other modules need but users must not see
// either `@internal` or `@ignore` (deno doc hides both); tsc's `stripInternal`
// only knows `@internal`, so the source files are read with every `@ignore`
// tag read as `@internal`, and tsc leaves all of them out of the .d.ts (and
// elides the imports only they used). The emitted JavaScript is the same
// either way, except that its comments say `@internal` where the source says
// `@ignore`.
//
// tsc leaves a reference to a stripped declaration where it was: a public class
// that `implements` an internal interface, a re-export of an internal type.
// A declaration transformer drops those references too (the source still
// checks that the class implements the interface; users just do not see it).
//
//   node scripts/lib/tsc-build.mjs <tsconfig>     exit 0 when tsc reports no error

import ts from "typescript";
import { dirname, resolve, sep } from "node:path";

const configPath = resolve(process.argv[2] ?? "tsconfig.build.json");
const root = dirname(configPath);
const formatHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => "\n",
};
const report = (diagnostics) => {
  if (diagnostics.length) process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost));
};

const read = ts.readConfigFile(configPath, ts.sys.readFile);
if (read.error) {
  report([read.error]);
  process.exit(2);
}
const config = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configPath);
if (config.errors.length) {
  report(config.errors);
  process.exit(2);
}
const options = { ...config.options, stripInternal: true };
const host = ts.createCompilerHost(options);
const getSourceFile = host.getSourceFile;
const ownSource = (file) => resolve(file).startsWith(root + sep) && !resolve(file).includes(`${sep}node_modules${sep}`) && /\.[mc]?ts$/.test(file) && !/\.d\.[mc]?ts$/.test(file);
host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
  if (!ownSource(fileName)) return getSourceFile.call(host, fileName, languageVersion, onError, shouldCreate);
  const text = host.readFile(fileName);
  if (text === undefined) return getSourceFile.call(host, fileName, languageVersion, onError, shouldCreate);
  return ts.createSourceFile(fileName, text.replace(/@ignore\b/g, "@internal"), languageVersion, true);
};
const program = ts.createProgram({ rootNames: config.fileNames, options, host, projectReferences: config.projectReferences });
const checker = program.getTypeChecker();

/** Whether `decl` is stripped from the .d.ts: its leading comment says `@internal`. */
function isInternalDeclaration(decl) {
  let node = decl;
  if (ts.isVariableDeclaration(node)) node = node.parent?.parent ?? node;
  const sf = node.getSourceFile?.();
  if (!sf || sf.isDeclarationFile) return false;
  const ranges = ts.getLeadingCommentRanges(sf.text, node.pos) ?? [];
  return ranges.some((r) => sf.text.slice(r.pos, r.end).includes("@internal"));
}

function isInternalSymbol(symbol) {
  if (!symbol) return false;
  if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const decls = symbol.declarations ?? [];
  return decls.length > 0 && decls.every(isInternalDeclaration);
}

/**
 * Whether the source of class `node` declares a constructor and tags it internal: its
 * .d.ts would otherwise show the inherited (or a zero-argument) constructor, which users
 * could call.
 */
function hidesConstructor(node) {
  const original = ts.getOriginalNode(node);
  if (!ts.isClassDeclaration(original)) return false;
  const ctors = original.members.filter(ts.isConstructorDeclaration);
  return ctors.length > 0 && ctors.every(isInternalDeclaration) && !node.members.some(ts.isConstructorDeclaration);
}

/** `class X { protected constructor(); … }`: not constructible from outside, still extensible. */
function withProtectedConstructor(node) {
  const f = ts.factory;
  const ctor = f.createConstructorDeclaration([f.createModifier(ts.SyntaxKind.ProtectedKeyword)], [], undefined);
  ts.addSyntheticLeadingComment(ctor, ts.SyntaxKind.MultiLineCommentTrivia, "* Not constructible: see the class's documentation for how to get one. ", true);
  return f.updateClassDeclaration(node, node.modifiers, node.name, node.typeParameters, node.heritageClauses, [ctor, ...node.members]);
}

/** Drops `implements X`, `export { X }` and `import { X }` entries whose X is stripped. */
const dropInternalReferences = (context) => (root) => {
  const visit = (node) => {
    if (ts.isHeritageClause(node) && node.token === ts.SyntaxKind.ImplementsKeyword) {
      const types = node.types.filter((t) => {
        const original = ts.getOriginalNode(t.expression);
        return !(original.pos >= 0 && isInternalSymbol(checker.getSymbolAtLocation(original)));
      });
      if (types.length === node.types.length) return node;
      return types.length ? context.factory.updateHeritageClause(node, types) : undefined;
    }
    if (ts.isClassDeclaration(node)) {
      const updated = ts.visitEachChild(node, visit, context);
      return hidesConstructor(node) ? withProtectedConstructor(updated) : updated;
    }
    if (ts.isImportDeclaration(node) && node.importClause?.namedBindings && ts.isNamedImports(node.importClause.namedBindings)) {
      const original = ts.getOriginalNode(node);
      const bindings = ts.isImportDeclaration(original) ? original.importClause?.namedBindings : undefined;
      if (!bindings || !ts.isNamedImports(bindings)) return node;
      const internal = new Set(bindings.elements.filter((e) => isInternalSymbol(checker.getSymbolAtLocation(e.name))).map((e) => e.name.text));
      if (internal.size === 0) return node;
      const named = node.importClause.namedBindings;
      const kept = named.elements.filter((e) => !internal.has(e.name.text));
      if (kept.length === 0 && !node.importClause.name) return undefined;
      return context.factory.updateImportDeclaration(
        node,
        node.modifiers,
        context.factory.updateImportClause(
          node.importClause,
          node.importClause.phaseModifier ?? node.importClause.isTypeOnly,
          node.importClause.name,
          kept.length ? context.factory.updateNamedImports(named, kept) : undefined,
        ),
        node.moduleSpecifier,
        node.attributes,
      );
    }
    if (ts.isExportDeclaration(node) && node.exportClause && ts.isNamedExports(node.exportClause)) {
      const original = ts.getOriginalNode(node);
      if (!ts.isExportDeclaration(original) || !original.exportClause || !ts.isNamedExports(original.exportClause)) return node;
      const internal = new Set(
        original.exportClause.elements
          .filter((e) => isInternalSymbol(checker.getExportSpecifierLocalTargetSymbol(e) ?? checker.getSymbolAtLocation(e.name)))
          .map((e) => e.name.text),
      );
      if (internal.size === 0) return node;
      const kept = node.exportClause.elements.filter((e) => !internal.has(e.name.text));
      if (kept.length === 0) return undefined;
      return context.factory.updateExportDeclaration(
        node,
        node.modifiers,
        node.isTypeOnly,
        context.factory.updateNamedExports(node.exportClause, kept),
        node.moduleSpecifier,
        node.attributes,
      );
    }
    return node;
  };
  if (!ts.isSourceFile(root)) return root;
  return context.factory.updateSourceFile(root, ts.visitNodes(root.statements, visit, ts.isStatement));
};

const emitted = program.emit(undefined, undefined, undefined, undefined, { afterDeclarations: [dropInternalReferences] });
const diagnostics = ts.sortAndDeduplicateDiagnostics([...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics]);
report(diagnostics);
const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
if (errors) process.stderr.write(`\n${errors} error${errors === 1 ? "" : "s"}.\n`);
process.exit(errors || emitted.emitSkipped ? 1 : 0);
