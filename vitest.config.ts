import { defineConfig } from "vitest/config";

// One suite for every runtime: Node 20/22/24 and Deno run it through vitest,
// Bun runs the same files with `bun test --preload ./tests/setup.ts`.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    setupFiles: ["tests/setup.ts"],
    testTimeout: 10_000,
    hookTimeout: 10_000,
    teardownTimeout: 10_000,
    watch: false,
    pool: "forks",
  },
});
