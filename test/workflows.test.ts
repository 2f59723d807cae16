/**
 * The GitHub workflows as an auditor reads them: when each runs, what each job may do, which identity each
 * uses, which versions they pin; and their shell steps and pull-request comment run for real, with a
 * stand-in `pulumi` and a stand-in GitHub API.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  ALL,
  authenticates,
  groupRepo,
  jobs,
  pulumiStep,
  runWorkflowStep,
  stackJob,
  TEMPLATE,
  TEMPLATE_SCRIPTS,
  text,
  usesAction,
  workflows,
  type Name,
} from "./workflow-files";

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
      const expected = authenticates(job)
        ? { contents: "read", "id-token": "write" }
        : commenting.some((c) => c.job === job)
          ? { "pull-requests": "write" }
          : { contents: "read" };
      expect(job.permissions, `${workflow}.${id}`).toEqual(expected);
    }
    expect(jobs.filter(({ job }) => authenticates(job)).map((j) => `${j.workflow}.${j.id}`)).toEqual([
      "preview.preview",
      "deploy.deploy",
      "pause.pause",
      "teardown.teardown",
      "train.train",
      "e2e.e2e",
    ]);
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
  it("installs with npm ci without install scripts, then lints (code, then workflows and shell scripts), typechecks and tests (unit, integration, the services)", () => {
    const runs = (workflows.ci.jobs.check.steps as any[]).flatMap((s) => s.run ?? []);
    expect(runs.map((r: string) => r.split(" ").slice(0, 3).join(" "))).toEqual([
      "npm ci --ignore-scripts",
      "npm run lint",
      "npm run lint:workflows",
      "npm run typecheck",
      "npm test",
      "npm run test:integration",
      "bash services/ci.sh",
    ]);
  });
});

describe.each(["preview", "deploy", "pause"] as const)("%s, one job per stack", (n) => {
  const job = stackJob(n);

  it("lists every stack file in STACK_DIR but the template's starter into the matrix", () => {
    const list = workflows[n].jobs.stacks;
    const step = (list.steps as any[]).find((s) => s.id === "list");
    const { root, infra } = groupRepo();
    for (const f of ["Pulumi.dev.yaml", "Pulumi.group-7.yaml", "Pulumi.starter.yaml"]) fs.writeFileSync(path.join(infra, f), "");
    fs.writeFileSync(path.join(root, "Pulumi.elsewhere.yaml"), "");
    const listed = runWorkflowStep(n, step, root, {});
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.output).toBe(`stacks=${JSON.stringify(["dev", "group-7"])}\n`);
    const onlyStarter = groupRepo();
    fs.writeFileSync(path.join(onlyStarter.infra, "Pulumi.starter.yaml"), "");
    expect(runWorkflowStep(n, step, onlyStarter.root, {}).output).toBe("stacks=[]\n");
    const elsewhere = runWorkflowStep(n, step, root, { STACK_DIR: "deploy" });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stdout).toContain("::error title=no Pulumi project in deploy::");
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
    const skipped = runWorkflowStep(n, notices[0], groupRepo().root, { STACK: "group-9" });
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/^::notice title=group-9 not \w+::The GitHub environment group-9 has no variable WIF_PROVIDER/);
    for (const step of all.filter((s) => !notices.includes(s))) {
      if (step.uses?.startsWith("actions/upload-artifact@")) expect(step.if).toBe("always()");
      else expect(step.if, JSON.stringify(step)).toMatch(/^vars\.WIF_PROVIDER != ''/);
    }
  });
});

describe("the template's workflows work on the stack in STACK_DIR", () => {
  it.each(TEMPLATE)("%s: STACK_DIR and the default working-directory name infra, the only lines init rewrites", (n) => {
    expect(workflows[n].env).toEqual({ STACK_DIR: "infra" });
    expect(workflows[n].defaults).toEqual({ run: { "working-directory": "infra", shell: "bash" } });
    expect(text[n].match(/\binfra\b/g)).toHaveLength(2);
  });

  it.each(TEMPLATE)("%s: npm ci and its cache in STACK_DIR; steps before the checkout run at the root; scripts from the root", (n) => {
    for (const job of Object.values(workflows[n].jobs as Record<string, any>)) {
      const all = job.steps as any[];
      const checkout = all.findIndex((s) => s.uses?.startsWith("actions/checkout@"));
      for (const s of all.filter((x) => x.run)) {
        if (checkout < 0 || all.indexOf(s) < checkout) expect(s["working-directory"], s.run).toBe(".");
        else if (/^npm ci\b/.test(s.run)) expect(s["working-directory"], s.run).toBeUndefined();
      }
      for (const s of all.filter((x) => x.uses?.startsWith("actions/setup-node@")))
        expect(s.with["cache-dependency-path"]).toBe("${{ env.STACK_DIR }}/package-lock.json");
    }
    for (const [, script] of text[n].matchAll(/\.github\/scripts\/([\w-]+\.sh)/g)) {
      expect(text[n]).toContain(`"$GITHUB_WORKSPACE/.github/scripts/${script}"`);
      expect(fs.existsSync(path.join(TEMPLATE_SCRIPTS, script)), script).toBe(true);
    }
  });
});

describe("the pulumi commands, run with a stand-in pulumi", () => {
  const temp = () => fs.mkdtempSync(path.join(os.tmpdir(), "runner-temp-"));
  const POLICY = ["--policy-pack", "node_modules/mlops-gcp-stack/dist/policy"];

  it("preview: pulumi preview --diff of the stack in STACK_DIR with the package's policy pack, its output kept for the comment and the job summary, its exit code the job's", () => {
    const step = pulumiStep("preview");
    const { root } = groupRepo();
    const runnerTemp = temp();
    const ok = runWorkflowStep("preview", step, root, { STACK: "group-43", RUNNER_TEMP: runnerTemp });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.args).toEqual(["preview", "--stack", "group-43", "--diff", "--non-interactive", "--color", "never", ...POLICY]);
    expect(fs.readFileSync(path.join(runnerTemp, "preview", "status"), "utf8")).toBe("0\n");
    expect(fs.readFileSync(path.join(runnerTemp, "preview", "output.txt"), "utf8")).toBe("Resources: 3 to create\n");
    expect(ok.summary).toContain("Resources: 3 to create");
    expect(usesAction(stackJob("preview"), "actions/upload-artifact").with.path).toBe("${{ runner.temp }}/preview/");

    const failed = runWorkflowStep("preview", step, root, { STACK: "group-43", RUNNER_TEMP: temp() }, 255);
    expect(failed.code).toBe(255);
  });

  it("preview: a stack skipped for lacking WIF_PROVIDER leaves its status where the upload takes it", () => {
    const notice = (stackJob("preview").steps as any[]).find((s) => s.if === "vars.WIF_PROVIDER == ''");
    const runnerTemp = temp();
    expect(runWorkflowStep("preview", notice, groupRepo().root, { STACK: "group-9", RUNNER_TEMP: runnerTemp }).code).toBe(0);
    expect(fs.readFileSync(path.join(runnerTemp, "preview", "status"), "utf8")).toBe("skipped: environment group-9 has no WIF_PROVIDER\n");
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
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
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

describe("preview: the repository's ids in the stack files", () => {
  const step = (workflows.preview.jobs.stacks.steps as any[]).find((s) => String(s.name).startsWith("the repository's ids"));
  const ids = { REPOSITORY_ID: "901234567", OWNER_ID: "5566778" };
  const github = (pins: string) => `config:\n  gcp:project: p\n  mlops:github:\n    repository: o/r\n${pins}  mlops:group: g\n`;

  it("takes the ids from the run's own claims, which GitHub sets", () => {
    expect(step.env).toEqual({ REPOSITORY_ID: "${{ github.repository_id }}", OWNER_ID: "${{ github.repository_owner_id }}" });
  });

  it("warns with the exact ids to add when a stack pins its repository by name only, and says nothing of the others", () => {
    const { root, infra } = groupRepo();
    fs.writeFileSync(path.join(infra, "Pulumi.group-1.yaml"), github(""));
    fs.writeFileSync(path.join(infra, "Pulumi.group-2.yaml"), github(`    repositoryId: "901234567"\n    repositoryOwnerId: 5566778 # pinned\n`));
    fs.writeFileSync(path.join(infra, "Pulumi.group-3.yaml"), "config:\n  gcp:project: p\n");
    fs.writeFileSync(path.join(infra, "Pulumi.starter.yaml"), github(""));
    const run = runWorkflowStep("preview", step, root, ids);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split("\n")).toEqual([
      `::warning file=infra/Pulumi.group-1.yaml,title=repository pinned by name only::add under mlops:github: repositoryId: "901234567" and repositoryOwnerId: "5566778" (this repository's ids, which a recreated repository cannot take), then an Owner runs pulumi up (docs/ci.md)`,
    ]);
  });

  it("fails naming the file when its ids are another repository's (recreated or transferred)", () => {
    const { root, infra } = groupRepo();
    fs.writeFileSync(path.join(infra, "Pulumi.group-1.yaml"), github(`    repositoryId: 111\n    repositoryOwnerId: 5566778\n`));
    const run = runWorkflowStep("preview", step, root, ids);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("::error file=infra/Pulumi.group-1.yaml,title=not this repository's ids::");
    expect(run.stdout).toContain("pins repositoryId 111");
  });
});
