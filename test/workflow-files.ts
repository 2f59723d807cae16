/**
 * The GitHub workflows (the template's and this repository's own), parsed once, and a way to run a step's
 * script as GitHub would, with a stand-in pulumi.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "..");

/** The commit of each action's release tag, read from its public git history (`git rev-list -n1 TAG`), 2026-11-30. */
export const PINNED = [
  "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
  "actions/setup-node@820762786026740c76f36085b0efc47a31fe5020 # v7.0.0",
  "google-github-actions/auth@7c6bc770dae815cd3e89ee6cdf493a5fab2cc093 # v3.0.0",
  "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d # v7.0.0",
  "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0",
  "actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c # v8.0.1",
  "actions/github-script@ed597411d8f924073f98dfc5c65a23a2325f34cd # v8.0.0",
];

export const NAMES = ["ci", "preview", "deploy", "pause"] as const;
/** Every workflow: the four above, and the three that run only by hand. */
export const ALL = [...NAMES, "teardown", "train", "e2e"] as const;
export type Name = (typeof ALL)[number];
/** The group-facing workflows: the template's, which `mlops-gcp-stack init` lays into a group's .github/workflows. */
export const TEMPLATE: readonly Name[] = ["preview", "deploy", "pause", "teardown", "train"];
export const TEMPLATE_WORKFLOWS = path.join(REPO_ROOT, "template", "workflows");
export const TEMPLATE_SCRIPTS = path.join(REPO_ROOT, "template", "scripts");
/** This repository's own workflows (ci, e2e, images, release). */
export const REPO_WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");
export const fileOf = (n: Name) => path.join(TEMPLATE.includes(n) ? TEMPLATE_WORKFLOWS : REPO_WORKFLOWS, `${n}.yml`);
export const text = Object.fromEntries(ALL.map((n) => [n, fs.readFileSync(fileOf(n), "utf8")])) as Record<Name, string>;
export const workflows = Object.fromEntries(ALL.map((n) => [n, YAML.parse(text[n])])) as Record<Name, any>;
export const jobs = ALL.flatMap((n) => Object.entries(workflows[n].jobs as Record<string, any>).map(([id, job]) => ({ workflow: n, id, job })));
export const steps = jobs.flatMap(({ workflow, id, job }) => (job.steps as any[]).map((step) => ({ workflow, job: id, step })));

export const PULUMI_VERSION = /^>=(\d+\.\d+\.\d+) <\d/.exec(
  YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")).requiredPulumiVersion,
)?.[1];
export const usesAction = (job: any, action: string) => (job.steps as any[]).find((s) => typeof s.uses === "string" && s.uses.startsWith(`${action}@`));
export const authenticates = (job: any) => usesAction(job, "google-github-actions/auth") !== undefined;
/** The job of a workflow that works on each stack (the matrix job). */
export const stackJob = (n: Name) => jobs.find((j) => j.workflow === n && authenticates(j.job))!.job;
export const pulumiStep = (n: Name) =>
  (stackJob(n).steps as any[]).find((s) => /\bpulumi (preview|up|destroy)\b|\.github\/scripts\/(up|teardown)\.sh|mlops-gcp-stack train\b/.test(s.run ?? ""));

/** A group's repository as `init` leaves it: .github/scripts from the template, the Pulumi project in infra/. */
export function groupRepo(): { root: string; infra: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "group-repo-"));
  const infra = path.join(root, "infra");
  fs.mkdirSync(path.join(root, ".github", "scripts"), { recursive: true });
  fs.mkdirSync(infra);
  for (const f of fs.readdirSync(TEMPLATE_SCRIPTS)) fs.copyFileSync(path.join(TEMPLATE_SCRIPTS, f), path.join(root, ".github", "scripts", f));
  fs.writeFileSync(path.join(infra, "Pulumi.yaml"), "name: mlops\n");
  return { root, infra };
}

/** Where GitHub runs a step of workflow n in a checkout at root: its working-directory, else the workflow's default. */
export const stepCwd = (n: Name, step: any, root: string) =>
  path.join(root, step["working-directory"] ?? workflows[n].defaults?.run?.["working-directory"] ?? ".");

/**
 * A stand-in `npx` in bin: `npx --no-install mlops-gcp-stack ARGS` runs the package's command line from this
 * repository's source, as npm runs the installed package's bin in STACK_DIR.
 */
export function packageCli(bin: string): void {
  const tsx = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
  const body = `if [ "$1" != --no-install ] || [ "$2" != mlops-gcp-stack ]; then echo "unexpected: npx $*" >&2; exit 127; fi\nexec "${tsx}" "${path.join(REPO_ROOT, "cli", "cli.ts")}" "\${@:3}"\n`;
  fs.writeFileSync(path.join(bin, "npx"), `#!/usr/bin/env bash\n${body}`, { mode: 0o755 });
}

/** Runs a step's shell script as GitHub's runner does (bash -eo pipefail) in `cwd`, with `pulumi` and `npx` stubbed. */
export function runStep(script: string, cwd: string, env: Record<string, string>, pulumiExit = 0) {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "bin-"));
  // Records each call (one JSON line), prints an empty preview for --json and a summary otherwise.
  const stub = `#!/usr/bin/env bash\nprintf '%s\\n' "$@" > "${bin}/args"\npwd > "${bin}/cwd"\nnode -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- "$@" >> "${bin}/calls"\n`;
  const out = `if [[ " $* " == *" --json "* ]]; then echo '{"steps":[]}'; else echo "Resources: 3 to create"; fi\nexit ${pulumiExit}\n`;
  fs.writeFileSync(path.join(bin, "pulumi"), stub + out, { mode: 0o755 });
  packageCli(bin);
  const summary = path.join(bin, "summary");
  const output = path.join(bin, "output");
  const run = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
    cwd,
    encoding: "utf8",
    env: { PATH: `${bin}:${process.env.PATH}`, GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output, ...env },
  });
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");
  const calls = read(path.join(bin, "calls"))
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as string[]);
  return {
    code: run.status,
    stdout: run.stdout,
    stderr: run.stderr,
    args: read(path.join(bin, "args")).trim().split("\n"),
    calls,
    cwd: read(path.join(bin, "cwd")).trim(),
    summary: read(summary),
    output: read(output),
  };
}

/** Runs a step of workflow n as GitHub would in a checkout at root: in its working directory, with the workflow's env. */
export const runWorkflowStep = (n: Name, step: any, root: string, env: Record<string, string>, pulumiExit = 0) =>
  runStep(step.run, stepCwd(n, step, root), { ...workflows[n].env, GITHUB_WORKSPACE: root, ...env }, pulumiExit);
