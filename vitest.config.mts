import { defineConfig } from "vitest/config";

// A timeout here guards against a hang, never measures speed: on a loaded machine a slow test must not go red.
// Timings belong to `npm run bench`.
const HANG_GUARD_MS = 10 * 60_000;

export default defineConfig({
  test: {
    pool: "forks",
    testTimeout: HANG_GUARD_MS,
    hookTimeout: HANG_GUARD_MS,
    projects: [
      {
        extends: true,
        test: {
          // `npm test`: everything that runs in the test process.
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.integration.test.ts"],
          // Files share a worker and its module cache: @pulumi/gcp is imported once per worker, not once per
          // file. The planner runs one plan at a time and every plan sets its own mocks, so this holds.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          // `npm run test:integration`: what spawns processes (npm pack, tsx, bash scripts, Chromium) or
          // plans hundreds of stacks.
          name: "integration",
          include: ["test/**/*.integration.test.ts"],
          // Two files at a time even on 2 cores (the default is one fewer than the cores): these tests mostly
          // wait on child processes and npm, so the adoption test's install overlaps the others.
          maxWorkers: 2,
        },
      },
    ],
  },
});
