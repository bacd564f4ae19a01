// Node's types for tsc (tsconfig.json, tsconfig.build.json): TypeScript 6 no
// longer loads @types/* by default, and listing `"types": ["node"]` in
// tsconfig.json makes Deno (which reads that file for `deno doc` and
// `deno publish`) print a warning for every file of @types/node.
/// <reference types="node" />
