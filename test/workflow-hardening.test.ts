/**
 * The workflows' hardening (issue 14): actions pinned by commit, a maintained Node LTS, packages installed
 * before any credential, deploy and pause through the Owner-change check, pause that never destroys, stale
 * locks, destroy only by hand, and one update of a stack at a time.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { AUTH_ACTION } from "../components/github-ci";
import { ALL, authenticates, groupRepo, jobs, PINNED, PULUMI_VERSION, pulumiStep, runWorkflowStep, stackJob, steps, text, usesAction, workflows, type Name } from "./workflow-files";

describe("versions", () => {
  it("every action is pinned to the commit of its release, the version in a comment (SHAs read from each action's git history)", () => {
    const used = ALL.flatMap((n) => [...text[n].matchAll(/^\s*(?:- )?uses: (.+)$/gm)].map((m) => m[1]));
    expect(used.length).toBeGreaterThan(15);
    for (const uses of used) expect(PINNED, uses).toContain(uses);
    expect(PINNED).toContain(AUTH_ACTION);
  });

  it("every job that runs pulumi installs the CLI at the lower bound of requiredPulumiVersion, after npm ci", () => {
    expect(PULUMI_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    for (const n of ["preview", "deploy", "pause", "teardown", "train", "e2e"] as const) {
      const all = stackJob(n).steps as any[];
      const install = usesAction(stackJob(n), "pulumi/actions");
      expect(install?.with, n).toEqual({ "pulumi-version": PULUMI_VERSION });
      const at = (s: any) => all.indexOf(s);
      expect(at(all.find((s) => /^npm ci\b/.test(s.run ?? ""))), n).toBeGreaterThanOrEqual(0);
      expect(at(all.find((s) => /^npm ci\b/.test(s.run ?? ""))), n).toBeLessThan(at(pulumiStep(n)));
      expect(at(install), n).toBeLessThan(at(pulumiStep(n)));
    }
  });

  it("every job that sets up Node.js uses Node 22, a maintained LTS", () => {
    const setups = steps.filter(({ step }) => step.uses?.startsWith("actions/setup-node@"));
    expect(setups).toHaveLength(7);
    for (const { step } of setups) expect(String(step.with["node-version"])).toBe("22");
  });

  it("every job that authenticates to Google installs packages first, without install scripts, so no package runs with credentials", () => {
    for (const { workflow, job } of jobs.filter((j) => authenticates(j.job))) {
      const all = job.steps as any[];
      const install = all.filter((s) => /^npm (ci|install)\b/.test(s.run ?? ""));
      expect(install, workflow).toHaveLength(1);
      expect(install[0].run, workflow).toMatch(/^npm ci --ignore-scripts\b/);
      expect(all.indexOf(install[0]), workflow).toBeLessThan(all.indexOf(usesAction(job, "google-github-actions/auth")));
    }
  });
});

describe("deploy, pause and teardown, run with a stand-in pulumi", () => {
  const cwd = () => fs.mkdtempSync(path.join(os.tmpdir(), "checkout-"));

  /** The first four arguments of each pulumi call a workflow's pulumi step makes, run in a group's repository. */
  const pulumiCalls = (n: Name) => {
    const { root, infra } = groupRepo();
    const run = runWorkflowStep(n, pulumiStep(n), root, { STACK: "group-43", RUNNER_TEMP: cwd() });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.cwd, "pulumi runs in STACK_DIR").toBe(fs.realpathSync(infra));
    expect(run.stdout).toContain("group-43: no change needs an Owner");
    return run.calls.map((c) => c.slice(0, 4));
  };
  const CHECKED_UP = [
    ["preview", "--stack", "group-43", "--json"],
    ["up", "--stack", "group-43", "--yes"],
  ];

  it("deploy: checks with pulumi preview --json that no change needs an Owner, then pulumi up --yes of the stack", () => {
    expect(pulumiCalls("deploy")).toEqual(CHECKED_UP);
  });

  it("deploy: by hand, first clears a stale lock when asked to", () => {
    const step = (stackJob("deploy").steps as any[]).find((s) => /clear-lock\.sh/.test(s.run ?? ""));
    expect(step.if).toBe("vars.WIF_PROVIDER != '' && inputs.clear_lock");
    expect(workflows.deploy.on.workflow_dispatch.inputs.clear_lock).toMatchObject({ type: "boolean", default: false });
  });

  it("pause: sets mlops:paused true in the runner and runs pulumi up; it never destroys, so no data is lost whatever protectData says", () => {
    expect(pulumiCalls("pause")).toEqual([["config", "set", "mlops:paused", "true"], ...CHECKED_UP]);
    expect(text.pause).not.toMatch(/pulumi destroy/);
  });

  it("no workflow that starts by itself (push, pull request, schedule) runs pulumi destroy without --exclude-protected; teardown and e2e run only by hand", () => {
    for (const n of ALL) {
      const triggers = Object.keys(workflows[n].on);
      const destroys = /pulumi destroy(?![^\n]*--exclude-protected)|scripts\/(teardown|e2e-cleanup)\.sh/.test(text[n]);
      if (destroys) expect(triggers, n).toEqual(["workflow_dispatch"]);
    }
    expect(workflows.teardown.on.workflow_dispatch.inputs.confirm).toMatchObject({ required: true, type: "string" });
    expect(workflows.e2e.on).toEqual({ workflow_dispatch: null });
  });

  it("deploys and pauses of one stack never overlap, and a running one is never cancelled", () => {
    const deploy = stackJob("deploy").concurrency;
    expect(deploy).toEqual({ group: expect.stringContaining("${{ matrix.stack }}"), "cancel-in-progress": false });
    expect(stackJob("pause").concurrency).toEqual(deploy);
    expect(stackJob("teardown").concurrency).toEqual({ group: "pulumi-${{ inputs.stack }}", "cancel-in-progress": false });
    expect(stackJob("preview").concurrency.group).not.toBe(deploy.group);
  });
});
