/**
 * The GitHub workflows as an auditor reads them: when each runs, what each job may do, which identity each
 * uses, which versions they pin; and their shell steps and pull-request comment run for real, with a
 * stand-in `pulumi` and a stand-in GitHub API.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../plan";
import { ALL, authenticates, jobs, pulumiStep, runStep, stackJob, text, usesAction, workflows, type Name } from "./workflow-files";

describe("when the workflows run", () => {
  it("ci: on every push and every pull request, any branch", () => {
    expect(Object.keys(workflows.ci.on).sort()).toEqual(["pull_request", "push"]);
    expect(workflows.ci.on.push ?? {}).not.toHaveProperty("branches");
    expect(workflows.ci.on.pull_request ?? {}).not.toHaveProperty("branches");
  });

  it("preview: on pull requests", () => {
    expect(Object.keys(workflows.preview.on)).toEqual(["pull_request"]);
  });

  it("deploy: on a push to main (and by hand, to resume after a pause)", () => {
    expect(Object.keys(workflows.deploy.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(workflows.deploy.on.push.branches).toEqual(["main"]);
  });

  it("pause: on a schedule and by hand", () => {
    expect(Object.keys(workflows.pause.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(workflows.pause.on.schedule).toEqual([{ cron: expect.stringMatching(/^\S+ \S+ \S+ \S+ \S+$/) }]);
  });
});

describe("what each job may do", () => {
  it("every workflow grants only contents: read unless a job says otherwise", () => {
    for (const n of ALL) expect(workflows[n].permissions, n).toEqual({ contents: "read" });
  });

  it("a job that authenticates to Google adds id-token: write, the job that comments adds pull-requests: write, nothing else writes", () => {
    const commenting = jobs.filter(({ job }) => usesAction(job, "actions/github-script"));
    expect(commenting.map((j) => `${j.workflow}.${j.id}`)).toEqual(["preview.comment"]);
    for (const { workflow, id, job } of jobs) {
      const expected = authenticates(job) ? { contents: "read", "id-token": "write" } : commenting.some((c) => c.job === job) ? { "pull-requests": "write" } : { contents: "read" };
      expect(job.permissions, `${workflow}.${id}`).toEqual(expected);
    }
    expect(jobs.filter(({ job }) => authenticates(job)).map((j) => `${j.workflow}.${j.id}`)).toEqual(["preview.preview", "deploy.deploy", "pause.pause", "teardown.teardown", "e2e.e2e"]);
  });

  it("preview authenticates as the stack's ci-preview account; deploy and pause as its ci-deploy account, through WIF", () => {
    const auth = (n: Name) => usesAction(stackJob(n), "google-github-actions/auth").with;
    expect(auth("preview")).toEqual({ workload_identity_provider: "${{ vars.WIF_PROVIDER }}", service_account: "${{ vars.CI_PREVIEW_SA }}" });
    expect(auth("deploy")).toEqual({ workload_identity_provider: "${{ vars.WIF_PROVIDER }}", service_account: "${{ vars.CI_DEPLOY_SA }}" });
    expect(auth("pause")).toEqual({ workload_identity_provider: "${{ vars.WIF_PROVIDER }}", service_account: "${{ vars.CI_DEPLOY_SA }}" });
    expect(text.preview).not.toContain("CI_DEPLOY_SA");
  });

  it("Pulumi reads the credentials file the auth action writes: no token in GOOGLE_CREDENTIALS (pulumi/actions #739)", () => {
    for (const n of ALL) expect(text[n], n).not.toMatch(/GOOGLE_CREDENTIALS|create_credentials_file|token_format/);
  });
});

describe("ci", () => {
  it("installs with npm ci, then lints, typechecks and tests", () => {
    const runs = (workflows.ci.jobs.check.steps as any[]).flatMap((s) => s.run ?? []);
    expect(runs.map((r: string) => r.split(" ").slice(0, 3).join(" "))).toEqual(["npm ci --no-audit", "npm run lint", "npm run typecheck", "npm test"]);
  });
});

describe.each(["preview", "deploy", "pause"] as const)("%s, one job per stack", (n) => {
  const job = stackJob(n);

  it("lists every stack file but dev into the matrix", () => {
    const list = workflows[n].jobs.stacks;
    const script = (list.steps as any[]).find((s) => s.id === "list").run;
    const inRepo = runStep(script, REPO_ROOT, {});
    expect(inRepo.code, inRepo.stderr).toBe(0);
    const expected = fs.readdirSync(REPO_ROOT).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []).filter((s) => s !== "dev").sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(inRepo.output).toBe(`stacks=${JSON.stringify(expected)}\n`);
    const onlyDev = fs.mkdtempSync(path.join(os.tmpdir(), "repo-"));
    fs.writeFileSync(path.join(onlyDev, "Pulumi.yaml"), "");
    fs.writeFileSync(path.join(onlyDev, "Pulumi.dev.yaml"), "");
    expect(runStep(script, onlyDev, {}).output).toBe("stacks=[]\n");
    expect(list.outputs.stacks).toBe("${{ steps.list.outputs.stacks }}");

    expect(job.needs).toBe("stacks");
    expect(job.if).toBe("needs.stacks.outputs.stacks != '[]'");
    expect(job.strategy.matrix).toEqual({ stack: "${{ fromJSON(needs.stacks.outputs.stacks) }}" });
    expect(job.strategy["fail-fast"]).toBe(false);
  });

  it("runs in the GitHub environment named after the stack, with its backend and passphrase", () => {
    expect(job.environment).toBe("${{ matrix.stack }}");
    expect(job.env).toMatchObject({ STACK: "${{ matrix.stack }}", PULUMI_BACKEND_URL: "${{ vars.PULUMI_BACKEND_URL }}" });
    expect(pulumiStep(n).env.PULUMI_CONFIG_PASSPHRASE).toBe("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
  });

  it("skips a stack whose environment has no WIF_PROVIDER with a notice, and does nothing else for it", () => {
    const all = job.steps as any[];
    const notices = all.filter((s) => s.if === "vars.WIF_PROVIDER == ''");
    expect(notices).toHaveLength(1);
    expect(notices[0].run).toMatch(/^echo "::notice title=/);
    const skipped = runStep(notices[0].run, fs.mkdtempSync(path.join(os.tmpdir(), "skip-")), { STACK: "group-9" });
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/^::notice title=group-9 not \w+::The GitHub environment group-9 has no variable WIF_PROVIDER/);
    for (const step of all.filter((s) => !notices.includes(s))) {
      if (step.uses?.startsWith("actions/upload-artifact@")) expect(step.if).toBe("always()");
      else expect(step.if, JSON.stringify(step)).toMatch(/^vars\.WIF_PROVIDER != ''/);
    }
  });
});

describe("the pulumi commands, run with a stand-in pulumi", () => {
  const cwd = () => fs.mkdtempSync(path.join(os.tmpdir(), "checkout-"));

  it("preview: pulumi preview --diff of the stack, its output kept for the comment and the job summary, its exit code the job's", () => {
    const step = pulumiStep("preview");
    const dir = cwd();
    const ok = runStep(step.run, dir, { STACK: "group-43", POLICY_PACK: "" });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.args).toEqual(["preview", "--stack", "group-43", "--diff", "--non-interactive", "--color", "never"]);
    expect(fs.readFileSync(path.join(dir, "preview", "status"), "utf8")).toBe("0\n");
    expect(fs.readFileSync(path.join(dir, "preview", "output.txt"), "utf8")).toBe("Resources: 3 to create\n");
    expect(ok.summary).toContain("Resources: 3 to create");

    const failed = runStep(step.run, cwd(), { STACK: "group-43", POLICY_PACK: "" }, 255);
    expect(failed.code).toBe(255);
  });

  it("preview: adds --policy-pack policy exactly when policy/PulumiPolicy.yaml exists", () => {
    const step = pulumiStep("preview");
    expect(step.env.POLICY_PACK).toBe("${{ hashFiles('policy/PulumiPolicy.yaml') != '' && 'policy' || '' }}");
    const withPolicy = runStep(step.run, cwd(), { STACK: "group-43", POLICY_PACK: "policy" });
    expect(withPolicy.args).toEqual(["preview", "--stack", "group-43", "--diff", "--non-interactive", "--color", "never", "--policy-pack", "policy"]);
  });

});

describe("the pull-request comment", () => {
  const job = workflows.preview.jobs.comment;
  const script = usesAction(job, "actions/github-script").with.script as string;

  /** Runs the comment script against stand-ins of GitHub's API, with the previews the stack jobs left. */
  async function comment(existing: Array<{ id: number; body: string; user: { type: string } }>) {
    const previews = fs.mkdtempSync(path.join(os.tmpdir(), "previews-"));
    const leave = (stack: string, status: string, output?: string) => {
      fs.mkdirSync(path.join(previews, `preview-${stack}`));
      fs.writeFileSync(path.join(previews, `preview-${stack}`, "status"), `${status}\n`);
      if (output) fs.writeFileSync(path.join(previews, `preview-${stack}`, "output.txt"), output);
    };
    leave("group-1", "0", "+ gcp:cloudrunv2/service:Service backend-service create\nResources:\n    + 1 to create\n");
    leave("group-2", "255", "error: the stack is locked\n");
    leave("group-3", "skipped: environment group-3 has no WIF_PROVIDER");
    const calls: Array<[string, any]> = [];
    const github = {
      paginate: async (_: unknown, params: any) => (calls.push(["list", params]), existing),
      rest: {
        issues: {
          listComments: () => undefined,
          createComment: async (params: any) => calls.push(["create", params]),
          updateComment: async (params: any) => calls.push(["update", params]),
        },
      },
    };
    const context = {
      serverUrl: "https://github.com",
      runId: 42,
      repo: { owner: "alice", repo: "mlops" },
      payload: { pull_request: { number: 7, head: { sha: "0123456789abcdef" } } },
    };
    const saved = { STACKS: process.env.STACKS, PREVIEWS_DIR: process.env.PREVIEWS_DIR };
    Object.assign(process.env, { STACKS: JSON.stringify(["group-1", "group-2", "group-3", "group-4"]), PREVIEWS_DIR: previews });
    try {
      const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
      const modules: Record<string, unknown> = { fs, path };
      await new AsyncFunction("require", "github", "context", script)((m: string) => modules[m], github, context);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    return calls;
  }

  it("reads what the preview jobs uploaded, the environment it names matching the step's", () => {
    expect(job.needs).toEqual(["stacks", "preview"]);
    expect(job.if).toMatch(/^always\(\)/);
    expect(usesAction(job, "actions/download-artifact").with).toEqual({ pattern: "preview-*", path: "previews" });
    expect(usesAction(job, "actions/github-script").env).toEqual({ STACKS: "${{ needs.stacks.outputs.stacks }}", PREVIEWS_DIR: "previews" });
  });

  it("posts one comment listing every stack with its result and the diff", async () => {
    const calls = await comment([]);
    expect(calls.map(([kind]) => kind)).toEqual(["list", "create"]);
    const { body, issue_number, owner, repo } = calls[1][1];
    expect({ issue_number, owner, repo }).toEqual({ issue_number: 7, owner: "alice", repo: "mlops" });
    expect(body).toContain("| `group-1` | ✅ previewed |");
    expect(body).toContain("| `group-2` | ❌ failed (exit 255) |");
    expect(body).toContain("| `group-3` | ⏭️ skipped: environment group-3 has no WIF_PROVIDER |");
    expect(body).toContain("| `group-4` | ❔ no result, see the run |");
    expect(body).toContain("+ 1 to create");
    expect(body).toContain("https://github.com/alice/mlops/actions/runs/42");
    expect(body.length).toBeLessThan(65536);
  });

  it("updates its own comment on the next push instead of adding another", async () => {
    const first = (await comment([]))[1][1].body as string;
    const calls = await comment([
      { id: 1, body: "looks good", user: { type: "User" } },
      { id: 2, body: first, user: { type: "Bot" } },
    ]);
    expect(calls.map(([kind]) => kind)).toEqual(["list", "update"]);
    expect(calls[1][1]).toMatchObject({ comment_id: 2, owner: "alice", repo: "mlops" });
  });
});
