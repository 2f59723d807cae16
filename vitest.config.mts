import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Pulumi's runtime state is per process: one test file per worker, tests in a file in order.
    pool: "forks",
    testTimeout: 30_000,
  },
});
