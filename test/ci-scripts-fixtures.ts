/**
 * What the tests of the CI scripts share: a runner with stand-in commands, the sample `pulumi preview --json`
 * and a sample `pulumi stack export` of group 43.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ExportedResource } from "../cli/teardown-targets";
import { packageCli, TEMPLATE_SCRIPTS } from "./workflow-files";

const ROOT = path.resolve(__dirname, "..");
/** The template's scripts (laid into a group's .github/scripts) and this repository's own (the e2e workflow's). */
const scriptPath = (script: string) => path.join(script.startsWith("e2e-") ? path.join(ROOT, ".github", "scripts") : TEMPLATE_SCRIPTS, script);
export const PREVIEW = path.join(__dirname, "fixtures", "pulumi-preview.json");
export const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/**
 * Runs a script in an empty folder (as in STACK_DIR: nothing of this repository at hand) with stand-in
 * commands: each stub is a bash body that sees the arguments as "$@"; every call is recorded as `name arg arg …`.
 * `npx --no-install mlops-gcp-stack` runs the package's command line from source, unrecorded.
 */
export function runScript(script: string, args: string[], stubs: Record<string, string>, env: Record<string, string> = {}) {
  const bin = tmp("stubs-");
  const calls = path.join(bin, "calls");
  for (const [name, body] of Object.entries(stubs)) {
    fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> "${calls}"\n${body}\n`, { mode: 0o755 });
  }
  packageCli(bin);
  const run = spawnSync("bash", [scriptPath(script), ...args], {
    cwd: tmp("stack-dir-"),
    encoding: "utf8",
    env: { PATH: `${bin}:${process.env.PATH}`, RUNNER_TEMP: bin, TRIES: "2", WAIT: "0", ...env },
  });
  const recorded = fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : [];
  return { code: run.status, out: run.stdout + run.stderr, calls: recorded };
}

export const urn = (type: string, name: string, parent = "mlops:storage:Buckets") => `urn:pulumi:group-43::mlops::${parent}$${type}::${name}`;
export const resource = (type: string, name: string, extra: Partial<ExportedResource> = {}, parent?: string): ExportedResource => ({
  urn: urn(type, name, parent),
  type,
  custom: true,
  protect: false,
  inputs: {},
  ...extra,
});
/** A stack export of group 43: data and ci-deploy's admin on it, a service, an identity, a CI grant and the pool, protected or not. */
export const exported = (protect: boolean): ExportedResource[] => [
  { urn: "urn:pulumi:group-43::mlops::pulumi:pulumi:Stack::mlops-group-43", type: "pulumi:pulumi:Stack", custom: false },
  resource("pulumi:providers:gcp", "default"),
  resource("random:index/randomId:RandomId", "suffix", { protect }),
  resource("gcp:storage/bucket:Bucket", "buckets-data", { protect, inputs: { forceDestroy: !protect } }),
  resource("gcp:storage/bucketIAMMember:BucketIAMMember", "buckets-data-ci-deploy-admin", {
    protect,
    inputs: { role: "roles/storage.admin" },
    deletedWith: urn("gcp:storage/bucket:Bucket", "buckets-data"),
    dependencies: [urn("gcp:storage/bucket:Bucket", "buckets-data")],
  }),
  resource("gcp:cloudrunv2/service:Service", "backend-service", {}, "mlops:run:CloudRunService"),
  resource("gcp:serviceaccount/account:Account", "identities-backend", { protect }, "mlops:identity:Identities"),
  resource("gcp:projects/iAMMember:IAMMember", "github-deploy-run.admin", { protect, inputs: { role: "roles/run.admin" } }, "mlops:ci:GithubCi"),
  resource("gcp:iam/workloadIdentityPool:WorkloadIdentityPool", "github-pool", { protect }, "mlops:ci:GithubCi"),
];
