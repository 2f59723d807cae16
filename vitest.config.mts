import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Pulumi's runtime state is per process: one test file per worker, tests in a file in order.
    pool: "forks",
    testTimeout: 30_000,
    projects: [
      {
        // Timed command-line runs go first, alone, so the other files' load does not skew their clock.
        extends: true,
        test: { name: "cli", include: ["test/plan-cli.test.ts"], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: ["test/plan-cli.test.ts"], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
