/** The package's command line as a process, the way `npx mlops-gcp-stack` starts it: help and usage errors. */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./repo";

const tsx = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const cli = (...args: string[]) => spawnSync(tsx, [path.join(REPO_ROOT, "cli", "cli.ts"), ...args], { cwd: REPO_ROOT, encoding: "utf8" });

describe("npx mlops-gcp-stack, as a process", () => {
  it.each(["init", "plan", "new-group", "train", "needs-owner", "teardown-targets"])("%s --help exits 0 with its usage under the package's name", (name) => {
    const run = cli(name, "--help");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^usage: mlops-gcp-stack ${name} `));
    expect(run.stderr).toBe("");
  });

  it("exits 2 with one line on stderr for an unknown option", () => {
    const run = cli("teardown-targets", "--stack", "s", "--force", "x.json");
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("mlops-gcp-stack teardown-targets: unknown option --force (mlops-gcp-stack teardown-targets --help)\n");
  });
});
