/**
 * Components on their own, as pulumi-awsx tests them: each built alone under the mocks from typed args,
 * its registered resources found by type and name. The whole-stack tests show how config wires them.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ArtifactRegistry, type ArtifactRegistryArgs } from "../components/artifact-registry";
import { secretRefs, Secrets, type SecretsArgs } from "../components/secrets";
import { Buckets, type BucketsArgs } from "../components/storage";
import { SOFT_DELETE_SECONDS } from "../lib/gcp";
import { planProgram, type Plan } from "../plan";
import { byName, ofType } from "./helpers";

const ctx = { stack: "unit", project: "dtu-mlops-140", region: "europe-west1" };
const trainer = "serviceAccount:g140-trainer@dtu-mlops-140.iam.gserviceaccount.com";
const backend = "serviceAccount:g140-backend@dtu-mlops-140.iam.gserviceaccount.com";

/** The component's own children: everything it registered but itself. */
const childrenOf = (plan: Plan, component: string) => plan.resources.filter((r) => r.parent === component);

describe("Secrets, alone", () => {
  const args = (protect: boolean): SecretsArgs => ({
    project: ctx.project,
    labels: { group: "140" },
    protect,
    admins: [],
    secrets: [
      {
        name: "WANDB_API_KEY",
        secretId: "g140-wandb-api-key",
        value: pulumi.secret("wandb-value"),
        accessors: [
          { who: "trainer", member: trainer },
          { who: "backend", member: backend },
        ],
      },
      { name: "HF_TOKEN", secretId: "g140-hf-token", accessors: [{ who: "trainer", member: trainer }] },
    ],
  });
  const plan = (protect = true) => planProgram(ctx, () => (new Secrets("secrets", args(protect)), {}));

  it("creates one secret per spec, replicated automatically, labelled, and protected only when asked", async () => {
    const [kept, loose] = await Promise.all([plan(true), plan(false)]);
    for (const [p, protect] of [
      [kept, true],
      [loose, false],
    ] as const) {
      const secrets = ofType(p, "gcp:secretmanager/secret:Secret");
      expect(secrets.map((s) => [s.name, s.inputs.secretId, s.protect])).toEqual([
        ["secrets-HF_TOKEN", "g140-hf-token", protect],
        ["secrets-WANDB_API_KEY", "g140-wandb-api-key", protect],
      ]);
      for (const s of secrets) expect(s.inputs).toMatchObject({ project: ctx.project, replication: { auto: {} }, labels: { group: "140" } });
    }
  });

  it("stores a version only for a secret with a value, its data kept secret, and never protected (a new value replaces it)", async () => {
    const p = await plan(true);
    const versions = ofType(p, "gcp:secretmanager/secretVersion:SecretVersion");
    expect(versions.map((v) => v.name)).toEqual(["secrets-WANDB_API_KEY-version"]);
    expect(versions[0]).toMatchObject({ protect: false, inputs: { secretData: "[secret]" } });
    expect(JSON.stringify(p)).not.toContain("wandb-value");
  });

  it("lets each accessor read its secret and nothing else, with secretAccessor only", async () => {
    const grants = ofType(await plan(), "gcp:secretmanager/secretIamMember:SecretIamMember");
    expect(grants.map((g) => [g.name, g.inputs.secretId, g.inputs.role, g.inputs.member])).toEqual([
      ["secrets-HF_TOKEN-trainer", "g140-hf-token", "roles/secretmanager.secretAccessor", trainer],
      ["secrets-WANDB_API_KEY-backend", "g140-wandb-api-key", "roles/secretmanager.secretAccessor", backend],
      ["secrets-WANDB_API_KEY-trainer", "g140-wandb-api-key", "roles/secretmanager.secretAccessor", trainer],
    ]);
  });

  it("registers every child under the component, and the secret's former names as aliases", async () => {
    const formerly = { parent: "urn:pulumi:unit::mlops::pulumi:pulumi:Stack::mlops-unit", name: "secret-WANDB_API_KEY" };
    const moved = { ...args(true), secrets: [{ ...args(true).secrets[0], accessors: [{ who: "trainer", member: trainer }], formerly }] };
    const p = await planProgram(ctx, () => (new Secrets("secrets", moved), {}));
    expect(childrenOf(p, "secrets")).toHaveLength(p.resources.length - 1);
    expect(byName(p, "secrets-WANDB_API_KEY").aliases).toEqual(["secret-WANDB_API_KEY"]);
    expect(byName(p, "secrets-WANDB_API_KEY-version").aliases).toEqual(["secret-WANDB_API_KEY-version"]);
    expect(byName(p, "secrets-WANDB_API_KEY-trainer").aliases).toEqual(["secret-WANDB_API_KEY-access"]);
  });

  it("gives a workload its version to pin and makes it wait for the version and the read grants", async () => {
    let refs: ReturnType<typeof secretRefs> | undefined;
    await planProgram(ctx, () => {
      refs = secretRefs(new Secrets("secrets", args(true)), ["WANDB_API_KEY"]);
      return {};
    });
    expect(Object.keys(refs?.refs ?? {})).toEqual(["WANDB_API_KEY"]);
    expect(refs?.waitFor.map((r) => (r as unknown as { __name: string }).__name)).toEqual([
      "secrets-WANDB_API_KEY-version",
      "secrets-WANDB_API_KEY-trainer",
      "secrets-WANDB_API_KEY-backend",
    ]);
    await planProgram(ctx, () => {
      const secrets = new Secrets("secrets", args(true));
      expect(() => secretRefs(secrets, ["HF_TOKEN"])).toThrow("secret HF_TOKEN is used but has no value");
      expect(() => secretRefs(secrets, ["OPENAI_KEY"])).toThrow("secret OPENAI_KEY is used but not declared");
      return {};
    });
  });
});

describe("ArtifactRegistry, alone", () => {
  const args: ArtifactRegistryArgs = {
    project: ctx.project,
    location: "europe-west1",
    repositoryId: "g140-images",
    labels: { group: "140" },
    protect: true,
    admins: [],
    keepRecent: 5,
    untaggedDays: 7,
    olderThanDays: 30,
    grants: [
      { who: "trainer", member: trainer, access: "read" },
      { who: "ci-deploy", member: "serviceAccount:g140-ci-deploy@dtu-mlops-140.iam.gserviceaccount.com", access: "write" },
    ],
  };
  const plan = (a: ArtifactRegistryArgs = args) =>
    planProgram(ctx, () => {
      const registry = new ArtifactRegistry("registry", a);
      return { imagePrefix: registry.imagePrefix, host: registry.host };
    });

  it("is one protected Docker repository whose cleanup really deletes untagged and old versions but keeps the newest", async () => {
    const repository = byName(await plan(), "registry-repository");
    expect(repository).toMatchObject({ type: "gcp:artifactregistry/repository:Repository", protect: true, parent: "registry" });
    expect(repository.inputs).toMatchObject({ format: "DOCKER", repositoryId: "g140-images", location: "europe-west1", cleanupPolicyDryRun: false });
    expect(repository.inputs.cleanupPolicies).toEqual([
      { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: `${7 * 86_400}s` } },
      { id: "delete-old", action: "DELETE", condition: { tagState: "ANY", olderThan: `${30 * 86_400}s` } },
      { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: 5 } },
    ]);
    expect(byName(await plan({ ...args, protect: false }), "registry-repository").protect).toBe(false);
  });

  it("grants reader or writer on this repository only, one binding per grant", async () => {
    const grants = ofType(await plan(), "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember");
    expect(grants.map((g) => [g.name, g.inputs.repository, g.inputs.role, g.inputs.member])).toEqual([
      ["registry-ci-deploy-write", "g140-images", "roles/artifactregistry.writer", "serviceAccount:g140-ci-deploy@dtu-mlops-140.iam.gserviceaccount.com"],
      ["registry-trainer-read", "g140-images", "roles/artifactregistry.reader", trainer],
    ]);
    expect(grants.every((g) => g.parent === "registry" && g.inputs.location === "europe-west1")).toBe(true);
  });

  it("names the host Docker logs in to and the prefix of every image", async () => {
    const p = await plan();
    expect(p.outputs).toEqual({ host: "europe-west1-docker.pkg.dev", imagePrefix: "europe-west1-docker.pkg.dev/dtu-mlops-140/g140-images" });
  });
});

describe("Buckets, alone", () => {
  const args = (protect = true): BucketsArgs => ({
    project: ctx.project,
    location: "europe-west1",
    baseNames: { data: "dtu-mlops-140-data", models: "dtu-mlops-140-models", predictions: "dtu-mlops-140-predictions" },
    suffix: "a1b2c3",
    labels: { group: "140" },
    protect,
    admins: [],
    keepVersions: 3,
    predictionsDays: 30,
    grants: {
      data: [{ who: "trainer", member: trainer, access: "read" }],
      models: [
        { who: "trainer", member: trainer, access: "write" },
        { who: "backend", member: backend, access: "read" },
      ],
      predictions: [{ who: "backend", member: backend, access: "write", createOnly: true }],
    },
  });
  const plan = (a = args()) =>
    planProgram(ctx, () => {
      const buckets = new Buckets("storage", a);
      return { backendEnv: buckets.envOf({ models: "read", predictions: "write" }), dvc: buckets.dvcRemoteCommand };
    });

  it("are three private buckets, named base-suffix, restorable for 7 days, protected and kept through destroy when asked", async () => {
    const [kept, loose] = await Promise.all([plan(), plan(args(false))]);
    for (const [p, protect] of [
      [kept, true],
      [loose, false],
    ] as const) {
      const buckets = ofType(p, "gcp:storage/bucket:Bucket");
      expect(buckets.map((b) => [b.name, b.inputs.name, b.protect, b.inputs.forceDestroy])).toEqual([
        ["storage-data", "dtu-mlops-140-data-a1b2c3", protect, !protect],
        ["storage-models", "dtu-mlops-140-models-a1b2c3", protect, !protect],
        ["storage-predictions", "dtu-mlops-140-predictions-a1b2c3", protect, !protect],
      ]);
      for (const b of buckets) {
        expect(b.inputs).toMatchObject({
          uniformBucketLevelAccess: true,
          publicAccessPrevention: "enforced",
          softDeletePolicy: { retentionDurationSeconds: SOFT_DELETE_SECONDS },
        });
      }
    }
    expect(SOFT_DELETE_SECONDS).toBe(7 * 86_400);
  });

  it("version data and models, keeping the newest noncurrent versions, and let prediction logs expire", async () => {
    const p = await plan();
    for (const name of ["storage-data", "storage-models"]) {
      expect(byName(p, name).inputs).toMatchObject({
        versioning: { enabled: true },
        lifecycleRules: [
          { action: { type: "Delete" }, condition: { numNewerVersions: 3, withState: "ARCHIVED" } },
          { action: { type: "AbortIncompleteMultipartUpload" }, condition: { age: 1 } },
        ],
      });
    }
    expect(byName(p, "storage-predictions").inputs).toMatchObject({
      versioning: { enabled: false },
      lifecycleRules: [
        { action: { type: "Delete" }, condition: { age: 30 } },
        { action: { type: "AbortIncompleteMultipartUpload" }, condition: { age: 1 } },
      ],
    });
  });

  it("grant each account its access on the named bucket only, a create-only write as objectCreator", async () => {
    const grants = ofType(await plan(), "gcp:storage/bucketIAMMember:BucketIAMMember");
    expect(grants.map((g) => [g.name, g.inputs.bucket, g.inputs.role, g.inputs.member])).toEqual([
      ["storage-data-trainer-read", "dtu-mlops-140-data-a1b2c3", "roles/storage.objectViewer", trainer],
      ["storage-models-backend-read", "dtu-mlops-140-models-a1b2c3", "roles/storage.objectViewer", backend],
      ["storage-models-trainer-write", "dtu-mlops-140-models-a1b2c3", "roles/storage.objectUser", trainer],
      ["storage-predictions-backend-write", "dtu-mlops-140-predictions-a1b2c3", "roles/storage.objectCreator", backend],
    ]);
  });

  it("give a workload <NAME>_BUCKET for each bucket it was granted and nothing for the others, and the DVC remote command", async () => {
    const p = await plan();
    expect(p.outputs).toEqual({
      backendEnv: { MODELS_BUCKET: "dtu-mlops-140-models-a1b2c3", PREDICTIONS_BUCKET: "dtu-mlops-140-predictions-a1b2c3" },
      dvc: "dvc remote add -d remote gs://dtu-mlops-140-data-a1b2c3 && dvc remote modify remote version_aware true",
    });
  });
});
