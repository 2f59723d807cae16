/**
 * The workflows' hardening (issue 14): actions pinned by commit, a maintained Node LTS, packages installed
 * before any credential, deploy and pause through the Owner-change check, pause that never destroys, stale
 * locks, destroy only by hand, one update of a stack at a time, no install script where a job can mint an OIDC
 * token, and the linters that check every workflow.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { TRUSTED_FILES } from "../components/ci-access";
import { AUTH_ACTION } from "../components/github-ci";
import ACTION_INPUTS from "../tools/action-inputs.json";
import { actionInputFindings, lintShellScripts, lintWorkflow, runScripts, shellScripts } from "../tools/lint-workflows";
import {
  ALL,
  authenticates,
  groupRepo,
  jobs,
  PINNED,
  PULUMI_VERSION,
  pulumiStep,
  REPO_ROOT,
  REPO_WORKFLOWS,
  runWorkflowStep,
  stackJob,
  steps,
  TEMPLATE_WORKFLOWS,
  text,
  usesAction,
  workflows,
  type Name,
} from "./workflow-files";

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
  // --refresh: what changed outside Pulumi (services the credit guard deleted) is planned, so it comes back.
  const CHECKED_UP = [
    ["preview", "--stack", "group-43", "--refresh"],
    ["up", "--stack", "group-43", "--refresh"],
  ];

  it("deploy: checks with a refreshed pulumi preview --json that no change needs an Owner, then a refreshed pulumi up of the stack", () => {
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

// The federation trusts a run by the workflow file it runs (job_workflow_ref) and its event. A workflow on any
// branch that called a trusted file as a reusable workflow would run under that file's job_workflow_ref with
// the caller's event, ref and code ("Using OpenID Connect with reusable workflows", GitHub docs): only a
// trusted file without a workflow_call trigger is safe from it, since GitHub refuses to call such a file.
describe("the workflow files the federation trusts", () => {
  const triggers = (file: string): string[] => {
    const on = YAML.parse(fs.readFileSync(path.join(TEMPLATE_WORKFLOWS, file), "utf8")).on;
    return typeof on === "string" ? [on] : Array.isArray(on) ? on : Object.keys(on ?? {});
  };

  it.each([...TRUSTED_FILES])("%s cannot be called as a reusable workflow (no workflow_call trigger)", (file) => {
    expect(triggers(file).length).toBeGreaterThan(0);
    expect(triggers(file)).not.toContain("workflow_call");
  });

  it("are each a workflow of the template", () => {
    expect(TRUSTED_FILES.filter((f) => !fs.existsSync(path.join(TEMPLATE_WORKFLOWS, f)))).toEqual([]);
  });
});

describe("OIDC tokens", () => {
  /** Every workflow file, the template's and this repository's (images and release included). */
  const every = [TEMPLATE_WORKFLOWS, REPO_WORKFLOWS].flatMap((dir) =>
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".yml"))
      .map((f) => ({ file: path.relative(REPO_ROOT, path.join(dir, f)), text: fs.readFileSync(path.join(dir, f), "utf8") })),
  );
  /**
   * A job can request an OIDC token when its permissions, or the workflow's when it sets none, grant id-token:
   * write; GitHub's defaults never do (GITHUB_TOKEN reference, "Permissions for the GITHUB_TOKEN").
   */
  const mintsToken = (p: unknown) => p === "write-all" || (typeof p === "object" && p !== null && (p as Record<string, string>)["id-token"] === "write");
  const tokenJobs = (files: typeof every) =>
    files.flatMap(({ file, text }) => {
      const workflow = YAML.parse(text);
      return Object.entries(workflow.jobs as Record<string, any>)
        .filter(([, job]) => mintsToken(job.permissions ?? workflow.permissions))
        .map(([id, job]) => ({ where: `${file} ${id}`, scripts: (job.steps as any[]).flatMap((s) => (typeof s.run === "string" ? [s.run] : [])) }));
    });
  /** Each npm or npx command in a script that installs packages or runs their scripts: npm ci/install/update/rebuild, npx. */
  const installs = (script: string) =>
    [...script.matchAll(/\bnpm\s+(?:ci|install|i|add|it|install-test|install-ci-test|update|rebuild)\b[^\n;&|]*|\bnpx\b[^\n;&|]*/g)].map((m) => m[0].trim());
  /** What in a job's scripts could run a dependency's install script, or fetch and run a package, while it can mint a token. */
  const unsafe = (files: typeof every) =>
    tokenJobs(files).flatMap(({ where, scripts }) =>
      scripts
        .flatMap(installs)
        .flatMap((cmd) => ((/^npm /.test(cmd) ? !/\s--ignore-scripts\b/.test(cmd) : !/\s--no-install\b/.test(cmd)) ? [`${where}: ${cmd}`] : [])),
    );

  it("the jobs that can mint a token are the five stack jobs, e2e and release's publish job, nothing else", () => {
    expect(
      tokenJobs(every)
        .map((j) => j.where)
        .sort(),
    ).toEqual([
      ".github/workflows/e2e.yml e2e",
      ".github/workflows/release.yml publish",
      "template/workflows/deploy.yml deploy",
      "template/workflows/pause.yml pause",
      "template/workflows/preview.yml preview",
      "template/workflows/teardown.yml teardown",
      "template/workflows/train.yml train",
    ]);
  });

  it("every job that can mint a token installs with npm ci --ignore-scripts and runs npx only with --no-install: no dependency's code runs at install", () => {
    expect(
      tokenJobs(every)
        .flatMap((j) => j.scripts.flatMap(installs))
        .filter((c) => /^npm ci /.test(c)),
    ).toHaveLength(7);
    expect(unsafe(every)).toEqual([]);
  });

  it("an npm ci or npm install without --ignore-scripts in such a job, or a job inheriting id-token from the workflow, is caught", () => {
    const release = every.find((w) => w.file.endsWith("release.yml"))!;
    const planted = (from: string, to: string) => [{ ...release, text: release.text.replace(from, to) }];
    expect(unsafe(planted("run: npm ci --ignore-scripts --no-audit --no-fund\n      # Runs", "run: npm ci --no-audit --no-fund\n      # Runs"))).toEqual([
      ".github/workflows/release.yml publish: npm ci --no-audit --no-fund",
    ]);
    expect(unsafe(planted("run: npm publish", "run: npm install -g npm && npm publish"))).toEqual([
      ".github/workflows/release.yml publish: npm install -g npm",
    ]);
    // The check job sets contents: read only; with the workflow's permissions (id-token: write) it could mint one too.
    const inherited = planted("permissions:\n  contents: read\n", "permissions:\n  contents: read\n  id-token: write\n")[0];
    inherited.text = inherited.text
      .replace("    permissions:\n      contents: read\n    steps:", "    steps:")
      .replace("run: npm ci --ignore-scripts --no-audit --no-fund\n      - run: npm run lint", "run: npm ci\n      - run: npm run lint");
    expect(unsafe([inherited])).toEqual([".github/workflows/release.yml check: npm ci"]);
  });
});

describe("the workflow linter (npm run lint:workflows, in .ci/run)", () => {
  const deploy = fs.readFileSync(path.join(TEMPLATE_WORKFLOWS, "deploy.yml"), "utf8");

  it("finds every run: script of a workflow, at its line in the file", () => {
    const scripts = runScripts("deploy.yml", deploy);
    expect(scripts).toHaveLength((stackJob("deploy").steps as any[]).filter((s) => s.run).length + 1);
    const lines = deploy.split("\n");
    for (const s of scripts) expect(lines[s.line - 1].slice(s.column - 1)).toBe(s.script.split("\n")[0]);
  });

  it("reports actionlint's findings and shellcheck's in run: scripts at their line and column, each ${{ }} as an unquoted variable", async () => {
    const planted = deploy
      .replace("    timeout-minutes: 5\n", "    timeout-minutes: 5\n    runs-onn: ubuntu-24.04\n")
      .replace('          echo "stacks: $stacks"\n', '          echo "stacks: $stacks"\n          cd ${{ env.STACK_DIR }}/$stacks\n');
    const line = planted.split("\n").findIndex((l) => l.includes("cd ${{")) + 1;
    const findings = await lintWorkflow("deploy.yml", planted);
    expect(findings).toContainEqual(expect.stringMatching(/^deploy\.yml:\d+:5: unexpected key "runs-onn" for "job" section/));
    expect(findings.filter((f) => f.includes("[SC2086]"))).toEqual([
      expect.stringMatching(new RegExp(`^deploy\\.yml:${line}:14: info: Double quote`)),
      expect.stringMatching(new RegExp(`^deploy\\.yml:${line}:35: info: Double quote`)),
    ]);
    expect(findings).toHaveLength(3);
  });

  it("shellchecks every shell script of the repository, found by extension or shebang, and reports what it finds", () => {
    const found = shellScripts().map((f) => path.relative(REPO_ROOT, f));
    expect(found).toEqual(
      expect.arrayContaining([
        ".ci/run",
        "template/scripts/up.sh",
        "template/scripts/teardown.sh",
        "template/scripts/clear-lock.sh",
        ".github/scripts/e2e-smoke.sh",
      ]),
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scripts-"));
    fs.writeFileSync(path.join(dir, "no-extension"), "#!/usr/bin/env bash\necho $1\n");
    fs.writeFileSync(path.join(dir, "notes.txt"), "echo $1\n");
    expect(shellScripts(dir).map((f) => path.basename(f))).toEqual(["no-extension"]);
    expect(lintShellScripts(shellScripts(dir))).toEqual([
      expect.stringMatching(/no-extension:2:6: info: Double quote to prevent globbing and word splitting\. \[SC2086\]$/),
    ]);
  });

  it("knows the inputs of exactly the pinned actions, at the pinned commit and version (read from each action.yml)", () => {
    const { "//": _source, ...actions } = ACTION_INPUTS as Record<string, any>;
    expect(Object.entries(actions).map(([uses, a]) => `${uses} # ${a.version}`)).toEqual(PINNED);
  });

  it("reports a with: input the pinned action does not have, and a required one left out", () => {
    const planted = deploy.replace("          persist-credentials: false\n", "          persist-credential: false\n");
    const line = planted.split("\n").indexOf("          persist-credential: false") + 1;
    expect(actionInputFindings("deploy.yml", deploy)).toEqual([]);
    expect(actionInputFindings("deploy.yml", planted)).toEqual([
      expect.stringMatching(new RegExp(`^deploy\\.yml:${line}:11: actions/checkout@\\w+ \\(v7\\.0\\.1\\) has no input "persist-credential"`)),
    ]);
    const preview = fs.readFileSync(path.join(TEMPLATE_WORKFLOWS, "preview.yml"), "utf8");
    expect(actionInputFindings("preview.yml", preview.replace("          script: |", "          scrip: |"))).toEqual([
      expect.stringContaining('has no input "scrip"'),
      expect.stringContaining('needs the input "script"'),
    ]);
    expect(actionInputFindings("deploy.yml", deploy.replace(/actions\/checkout@\w+/, "actions/checkout@v7"))[0]).toMatch(
      /actions\/checkout@v7 is not in tools\/action-inputs\.json/,
    );
  });

  it("reports every run: script that GitHub would start without pipefail because no shell is set", async () => {
    const unset = deploy.replace(/^ {4}shell: bash.*\n/m, "");
    expect(unset).not.toMatch(/shell:/);
    const findings = (await lintWorkflow("deploy.yml", unset)).filter((f) => f.includes("[shell]"));
    expect(findings).toHaveLength(runScripts("deploy.yml", deploy).length);
    expect(findings[0]).toMatch(/^deploy\.yml:\d+:\d+: no shell is set, so GitHub runs this with bash -e and without pipefail/);
  });
});

describe("the images workflow (images.yml)", () => {
  it("builds and tests every image of services/, each in the build context its Dockerfile names", () => {
    const images = YAML.parse(fs.readFileSync(path.join(REPO_WORKFLOWS, "images.yml"), "utf8"));
    const rows = images.jobs.test.strategy.matrix.include as { service: string; context: string }[];
    const services = path.join(REPO_ROOT, "services");
    const expected = fs
      .readdirSync(services)
      .filter((d) => fs.existsSync(path.join(services, d, "Dockerfile")))
      .map((service) => {
        const context = /^# Build context: (services\/?[a-z]*)/.exec(fs.readFileSync(path.join(services, service, "Dockerfile"), "utf8"))?.[1];
        expect(context, `services/${service}/Dockerfile names its build context`).toBeDefined();
        return { service, context: context!.replace(/\/$/, "") };
      });
    expect(expected.map((r) => r.service)).toContain("guard");
    expect([...rows].sort((a, b) => a.service.localeCompare(b.service))).toEqual(expected.sort((a, b) => a.service.localeCompare(b.service)));
  });
});
