/**
 * What the workflows call: the Owner-change check of deploy and pause and the teardown's targets (in this
 * process), the stale-lock step and the scripts of the end-to-end workflow (run for real with stand-ins for
 * pulumi, gcloud and curl). The scripts that start the package's command line, and the workflow schema
 * check, are in ci-scripts.integration.test.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { REGISTRY_ADMIN_ROLE } from "../components/artifact-registry";
import { SECRET_ADMIN_ROLE } from "../components/secrets";
import { BUCKET_ADMIN_ROLE } from "../components/storage";
import type { TrainingJobOutput } from "../lib/train/run";
import { main as needsOwner, ownerChanges, type PreviewStep } from "../cli/needs-owner";
import { teardownTargets } from "../cli/teardown-targets";
import { exported, PREVIEW, runScript, tmp, urn } from "./ci-scripts-fixtures";
import { planOf } from "./helpers";

const ROOT = path.resolve(__dirname, "..");

describe("the Owner-change check (cli/needs-owner.ts) on a sample `pulumi preview --json`", () => {
  const preview = JSON.parse(fs.readFileSync(PREVIEW, "utf8")) as { steps: PreviewStep[] };

  it("names identities, CI grants, team grants and new secrets, and lets CI apply services, runtime grants and monitoring", () => {
    expect(ownerChanges(preview)).toEqual([
      "create identities-monitor (identity or federation)",
      "replace github-deploy-resourcemanager.projectIamAdmin (ci-deploy's grantable roles, now runtime roles v2)",
      "create identities-team-ana@example.org-editor (a team grant)",
      "create secrets-HF_TOKEN (a new bucket, secret or registry)",
    ]);
    const ciOnly = { steps: preview.steps.filter((s) => /backend-service|logWriter|uptime|buckets-data/.test(s.urn)) };
    expect(ownerChanges(ciOnly)).toEqual([]);
  });

  it("fails with one line naming the command to run by hand, and passes a change CI may apply", () => {
    const lines: string[] = [];
    expect(needsOwner(["--stack", "group-43", PREVIEW], (l) => lines.push(l))).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^::error title=group-43 needs an Owner::This change needs the Owner role \(create identities-monitor .*\); someone with Owner runs `pulumi up --stack group-43` once from a laptop/,
    );
    const file = path.join(tmp("preview-"), "p.json");
    fs.writeFileSync(file, JSON.stringify({ steps: preview.steps.slice(0, 2) }));
    expect(needsOwner(["--stack", "group-43", file], () => undefined)).toBe(0);
    expect(needsOwner(["--stack", "group-43", "/nonexistent.json"], () => undefined)).toBe(2);
  });

  it("leaves ci-deploy's admin grants, which live on the buckets, registry and secrets, to an Owner, and CI the workloads' grants beside them", () => {
    const step = (op: string, type: string, name: string, parent: string, role: string): PreviewStep => ({
      op,
      urn: urn(type, name, parent),
      newState: { type, inputs: { role } },
    });
    const bucketGrant = "gcp:storage/bucketIAMMember:BucketIAMMember";
    expect(
      ownerChanges({
        steps: [
          step("delete", bucketGrant, "buckets-data-ci-deploy-admin", "mlops:storage:Buckets", BUCKET_ADMIN_ROLE),
          step(
            "create",
            "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
            "registry-ci-deploy-admin",
            "mlops:registry:ArtifactRegistry",
            REGISTRY_ADMIN_ROLE,
          ),
          step("replace", "gcp:secretmanager/secretIamMember:SecretIamMember", "secrets-HF_TOKEN-ci-deploy-admin", "mlops:secrets:Secrets", SECRET_ADMIN_ROLE),
          step("create", bucketGrant, "buckets-data-trainer-write", "mlops:storage:Buckets", "roles/storage.objectUser"),
          // The 0.3.0 upgrade moves each admin grant from the CI component by an alias: no change in the cloud.
          step("same", bucketGrant, "buckets-models-ci-deploy-admin", "mlops:storage:Buckets", BUCKET_ADMIN_ROLE),
        ],
      }),
    ).toEqual([
      "delete buckets-data-ci-deploy-admin (ci-deploy's admin on a bucket, registry or secret)",
      "create registry-ci-deploy-admin (ci-deploy's admin on a bucket, registry or secret)",
      "replace secrets-HF_TOKEN-ci-deploy-admin (ci-deploy's admin on a bucket, registry or secret)",
    ]);
  });

  it("takes the type from the URN when a step carries no state", () => {
    expect(
      ownerChanges({
        steps: [
          { op: "delete", urn: "urn:pulumi:s::mlops::mlops:ci:GithubCi$gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider::github-provider" },
        ],
      }),
    ).toEqual(["delete github-provider (identity or federation)"]);
  });
});

describe("the teardown's targets", () => {
  it("targets the data and what CI manages, never identities, federation or CI grants; ci-deploy's admin goes with its bucket", () => {
    expect(teardownTargets("group-43", exported(false))).toEqual({
      ok: true,
      urns: [urn("gcp:storage/bucket:Bucket", "buckets-data"), urn("gcp:cloudrunv2/service:Service", "backend-service", "mlops:run:CloudRunService")],
    });
  });

  it("refuses while protectData is on, saying what to do", () => {
    const result = teardownTargets("group-43", exported(true));
    expect(result).toEqual({
      ok: false,
      message: expect.stringMatching(
        /^::error title=group-43 is protected::buckets-data would survive a teardown; set mlops:protectData: false in Pulumi\.group-43\.yaml/,
      ),
    });
  });
});

describe("the stale lock step (template/scripts/clear-lock.sh)", () => {
  it("removes the stack's lock objects from a state bucket", () => {
    const run = runScript("clear-lock.sh", ["group-43"], { gcloud: "exit 0" }, { PULUMI_BACKEND_URL: "gs://dtu-mlops-43-pulumi-state" });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual([
      "gcloud storage ls gs://dtu-mlops-43-pulumi-state/.pulumi/locks/organization/mlops/group-43/*.json",
      "gcloud storage rm gs://dtu-mlops-43-pulumi-state/.pulumi/locks/organization/mlops/group-43/*.json",
    ]);
  });

  it("says so when there is no lock, and cancels the update on Pulumi Cloud", () => {
    const none = runScript("clear-lock.sh", ["group-43"], { gcloud: "exit 1" }, { PULUMI_BACKEND_URL: "gs://b" });
    expect([none.code, none.out.trim()]).toEqual([0, "no lock on group-43"]);
    const cloud = runScript("clear-lock.sh", ["group-43"], { pulumi: "exit 0" }, { PULUMI_BACKEND_URL: "https://api.pulumi.com" });
    expect(cloud.calls).toEqual(["pulumi cancel --stack group-43 --yes"]);
  });
});

describe("the end-to-end workflow's scripts", () => {
  const urls = JSON.stringify({ hello: "https://hello-abc.run.app", private: "https://private-abc.run.app" });
  const pulumiOutputs = `echo '${urls}'`;
  // curl: -w (status probe without a token) prints the status; a GET fails unless it is public or carries the token.
  const curl = (privateWithoutToken: string) =>
    `if [[ "$*" == *"%{http_code}"* ]]; then printf ${privateWithoutToken}; exit 0; fi\nif [[ "$*" == *private* && "$*" != *"Bearer tok"* ]]; then exit 22; fi\nexit 0`;

  it("smoke: curls the public service plainly and the private one with an ID token for its URL, which refuses a call without one", () => {
    const run = runScript("e2e-smoke.sh", ["e2e-1"], { pulumi: pulumiOutputs, gcloud: "echo tok", curl: curl("403"), sleep: "exit 0" }, { PRIVATE: "private" });
    expect(run.code, run.out).toBe(0);
    expect(run.calls).toContain("gcloud auth print-identity-token --audiences=https://private-abc.run.app");
    expect(run.calls).toContain("curl -fsS -o /dev/null --max-time 20 -H Authorization: Bearer tok https://private-abc.run.app");
    expect(run.out).toContain("ok: hello (public) https://hello-abc.run.app");
    expect(run.out).toContain("ok: private (private) https://private-abc.run.app");
  });

  it("smoke: fails when a private service answers without a token, or a service never answers", () => {
    const open = runScript(
      "e2e-smoke.sh",
      ["e2e-1"],
      { pulumi: pulumiOutputs, gcloud: "echo tok", curl: curl("200"), sleep: "exit 0" },
      { PRIVATE: "private" },
    );
    expect(open.code).toBe(1);
    expect(open.out).toContain("private service private answered 200 without a token");
    const down = runScript("e2e-smoke.sh", ["e2e-1"], { pulumi: pulumiOutputs, gcloud: "echo tok", curl: "exit 7", sleep: "exit 0" }, { PRIVATE: "private" });
    expect(down.code).toBe(1);
    expect(down.out).toContain("https://hello-abc.run.app did not answer after 2 tries");
  });

  it("after the pause: passes when no labelled service, VM, job or uptime check is left and the marker survived", () => {
    const gcloud = (left: string) => `if [ "$1 $2" = "storage cat" ]; then printf marker-1; elif [ "$1" = run ]; then printf '${left}'; fi`;
    const args = ["e2e-1", "sandbox", "europe-west1", "sandbox-data-abc", "marker-1"];
    const clean = runScript("e2e-assert-clean.sh", args, { gcloud: gcloud("") });
    expect(clean.code, clean.out).toBe(0);
    expect(clean.calls).toContain(
      "gcloud run services list --project sandbox --region europe-west1 --filter metadata.labels.stack=e2e-1 --format value(metadata.name)",
    );
    expect(clean.calls).toContain("gcloud storage cat gs://sandbox-data-abc/e2e/marker");
    const billing = runScript("e2e-assert-clean.sh", args, { gcloud: gcloud("hello") });
    expect(billing.code).toBe(1);
    expect(billing.out).toContain("still billing after the pause: hello");
    const lost = runScript("e2e-assert-clean.sh", [...args.slice(0, 4), "other"], { gcloud: gcloud("") });
    expect(lost.code).toBe(1);
    expect(lost.out).toContain("the data bucket lost its marker (found: marker-1)");
  });

  it("cleanup: unprotects with nothing costly coming back, then destroys and forgets the stack", () => {
    const run = runScript("e2e-cleanup.sh", ["e2e-1"], { pulumi: "exit 0" });
    expect(run.calls.slice(0, 2)).toEqual(["pulumi config set mlops:protectData false --stack e2e-1", "pulumi config set mlops:paused true --stack e2e-1"]);
    expect(run.calls.map((c) => c.split(" ").slice(0, 4).join(" "))).toEqual([
      "pulumi config set mlops:protectData",
      "pulumi config set mlops:paused",
      "pulumi up --stack e2e-1",
      "pulumi destroy --stack e2e-1",
      "pulumi stack rm e2e-1",
    ]);
  });

  it("train: starts a run with the stack's train command, waits for the Batch job, and checks its logs and model", () => {
    const job = JSON.stringify({ project: "sandbox", region: "europe-west1", modelsUri: "gs://sandbox-models-abc/" });
    const train = "printf 'submitted Cloud Batch job x\\nstatus:  gcloud batch jobs describe e2e-train-1 --location europe-west1 --project sandbox\\n'";
    const gcloud = (states: string) =>
      [
        `if [[ "$*" == *"value(status.state)"* ]]; then n=$(cat "$RUNNER_TEMP/n" 2>/dev/null || echo 0); echo $((n+1)) > "$RUNNER_TEMP/n"; s=(${states}); echo "\${s[$n]:-\${s[-1]}}"; exit 0; fi`,
        `if [[ "$*" == *"value(uid)"* ]]; then echo uid-1; exit 0; fi`,
        `if [ "$1 $2" = "logging read" ]; then echo "epoch 1 accuracy 0.93"; exit 0; fi`,
        `if [ "$1 $2" = "storage ls" ]; then echo gs://sandbox-models-abc/models/latest/model.joblib; exit 0; fi`,
      ].join("\n");
    const stubs = (states: string) => ({ pulumi: `echo '${job}'`, trainer: train, gcloud: gcloud(states), sleep: "exit 0" });
    const ok = runScript("e2e-train.sh", ["e2e-1"], stubs("RUNNING SUCCEEDED"), { TRAIN: "trainer", TRIES: "3" });
    expect(ok.code, ok.out).toBe(0);
    expect(ok.calls).toContain("trainer --stack e2e-1");
    expect(ok.calls).toContain("gcloud batch jobs describe e2e-train-1 --location europe-west1 --project sandbox --format value(status.state)");
    expect(ok.calls.some((c) => c.startsWith("gcloud logging read") && c.includes('labels.job_uid="uid-1"'))).toBe(true);
    expect(ok.calls).toContain("gcloud storage ls gs://sandbox-models-abc/models/latest/");
    const failed = runScript("e2e-train.sh", ["e2e-1"], stubs("RUNNING FAILED"), { TRAIN: "trainer", TRIES: "3" });
    expect(failed.code).toBe(1);
    expect(failed.out).toContain("training job e2e-train-1 ended FAILED");
    const slow = runScript("e2e-train.sh", ["e2e-1"], stubs("RUNNING"), { TRAIN: "trainer", TRIES: "2" });
    expect(slow.code).toBe(1);
    expect(slow.out).toContain("is still RUNNING after 2 checks");
  });

  it("the throwaway stack file plans: one public and one private service, a CPU training run, data protected", async () => {
    const raw = (YAML.parse(fs.readFileSync(path.join(ROOT, ".github", "e2e", "Pulumi.e2e.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
    const plan = await planOf(raw);
    const invokers = plan.resources.filter((r) => r.type === "gcp:cloudrunv2/serviceIamMember:ServiceIamMember").map((r) => `${r.name} ${r.inputs.member}`);
    expect(invokers.some((i) => i.includes("allUsers") && i.startsWith("hello"))).toBe(true);
    expect(invokers.some((i) => i.includes("allUsers") && i.startsWith("private"))).toBe(false);
    expect(plan.resources.filter((r) => r.type === "gcp:storage/bucket:Bucket").every((b) => b.protect)).toBe(true);
    expect((plan.outputs.trainingJob as TrainingJobOutput).kind).toBe("batch");
  });
});
