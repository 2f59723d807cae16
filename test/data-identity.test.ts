import { describe, expect, it } from "vitest";
import { ATTRIBUTE_MAPPING, DEPLOY_RUNS } from "../components/ci-access";
import { AUTH_ACTION } from "../components/github-ci";
import { parseStackConfig, SecretValue } from "../config";
import { planConfig, stackFilePath, stackFiles } from "../plan";
import { byName, ofType, plannedStackFile, planOf, problemsOf } from "./helpers";
import { REPO_ROOT } from "./repo";

const stacks = stackFiles(REPO_ROOT).map((f) => f.stack);
const BASIC_ROLES = ["roles/owner", "roles/editor", "roles/viewer"];
const IAM_TYPES = /IAMMember|IamMember/;

describe.each(stacks)("Pulumi.%s.yaml, as an auditor reads it", (stack) => {
  const planned = plannedStackFile(stackFilePath(stack, REPO_ROOT)).then((r) => {
    if (!r.ok) throw new Error(r.problems.join("\n"));
    return r;
  });

  it("has three private buckets: uniform access, public access prevention enforced, labelled", async () => {
    const { plan } = await planned;
    const buckets = ofType(plan, "gcp:storage/bucket:Bucket");
    expect(buckets.map((b) => b.name).sort()).toEqual(["buckets-data", "buckets-models", "buckets-predictions"]);
    for (const b of buckets) {
      expect(b.inputs, b.name).toMatchObject({ uniformBucketLevelAccess: true, publicAccessPrevention: "enforced" });
      expect(b.inputs.labels, b.name).toMatchObject({ "managed-by": "pulumi" });
    }
  });

  it("grants nothing to allUsers or allAuthenticatedUsers on any bucket, and creates no service-account key", async () => {
    const { plan } = await planned;
    for (const r of plan.resources.filter((x) => IAM_TYPES.test(x.type))) {
      if (r.type.startsWith("gcp:storage/")) expect(String(r.inputs.member), r.name).not.toMatch(/^allUsers$|^allAuthenticatedUsers$/);
    }
    expect(ofType(plan, "gcp:serviceaccount/key:Key")).toHaveLength(0);
  });

  it("gives no runtime account a basic role or a project-level storage role", async () => {
    const { plan, config } = await planned;
    const runtime = config.workloads.map((w) => `serviceAccount:${config.names.serviceAccountEmail(w)}`);
    for (const r of ofType(plan, "gcp:projects/iAMMember:IAMMember").filter((x) => runtime.includes(String(x.inputs.member)))) {
      expect(BASIC_ROLES, r.name).not.toContain(r.inputs.role);
      expect(String(r.inputs.role), r.name).not.toMatch(/^roles\/storage\./);
    }
    for (const r of ofType(plan, "gcp:projects/iAMMember:IAMMember")) {
      if (String(r.inputs.member).startsWith("serviceAccount:")) expect(BASIC_ROLES, r.name).not.toContain(r.inputs.role);
    }
  });

  // Cloud Run sends a container's stdout to Cloud Logging itself (cloud.google.com/run/docs/logging); a service
  // that could write log entries through the API could forge any workload's, the credit guard's trip included.
  it("gives a Cloud Run service's account no project role but metricWriter for its Prometheus sidecar, and the trainer log and metric writing", async () => {
    const { plan, config } = await planned;
    const projectRoles = (w: string) =>
      ofType(plan, "gcp:projects/iAMMember:IAMMember")
        .filter((r) => r.inputs.member === `serviceAccount:${config.names.serviceAccountEmail(w)}`)
        .map((r) => String(r.inputs.role))
        .sort();
    const expected = (w: string) =>
      w === "trainer"
        ? ["roles/batch.agentReporter", "roles/logging.logWriter", "roles/monitoring.metricWriter"].filter(
            (r) => config.training?.kind === "vm" || !r.includes("batch"),
          )
        : config.services.find((s) => s.key === w)?.metrics
          ? ["roles/monitoring.metricWriter"]
          : [];
    expect(Object.fromEntries(config.workloads.map((w) => [w, projectRoles(w)]))).toEqual(Object.fromEntries(config.workloads.map((w) => [w, expected(w)])));
  });

  it("admits only the group's repository into its workload identity pool, and the deploy account only from its workflows on one branch", async () => {
    const { plan, config } = await planned;
    const providers = ofType(plan, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider");
    if (!config.github) {
      expect(providers).toHaveLength(0);
      return;
    }
    expect(providers).toHaveLength(1);
    // The example stacks give no repository ids: they are never invented, so the name alone pins them.
    expect(providers[0].inputs.attributeCondition).toBe(`assertion.repository == '${config.github.repository}'`);
    expect(providers[0].inputs.oidc).toEqual({ issuerUri: "https://token.actions.githubusercontent.com" });

    const deployEmail = config.names.serviceAccountEmail("ci-deploy");
    const deployAccountName = `projects/${config.project}/serviceAccounts/${deployEmail}`;
    const impersonation = ofType(plan, "gcp:serviceaccount/iAMMember:IAMMember").filter(
      (r) => r.inputs.serviceAccountId === deployAccountName && r.inputs.role === "roles/iam.workloadIdentityUser",
    );
    expect(
      impersonation.map((r) =>
        String(r.inputs.member).replace(/^principalSet:\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/[a-z0-9-]+\//, ""),
      ),
    ).toEqual(
      DEPLOY_RUNS.map(
        (run) => `attribute.workflow_event/${config.github!.repository}/.github/workflows/${run.file}@refs/heads/${config.github!.branch}:${run.event}`,
      ),
    );
  });

  it("shows every secret value only as [secret]", async () => {
    const { plan } = await planned;
    for (const v of ofType(plan, "gcp:secretmanager/secretVersion:SecretVersion")) expect(v.inputs.secretData, v.name).toBe("[secret]");
  });
});

describe("buckets", () => {
  it("keep the configured number of noncurrent versions in data and models, and expire predictions", async () => {
    const plan = await planOf({ "mlops:storage": { keepVersions: 3, predictionsDays: 30 } });
    for (const name of ["buckets-data", "buckets-models"]) {
      const b = byName(plan, name);
      expect(b.inputs.versioning).toEqual({ enabled: true });
      expect(b.inputs.lifecycleRules).toEqual([
        { action: { type: "Delete" }, condition: { numNewerVersions: 3, withState: "ARCHIVED" } },
        { action: { type: "AbortIncompleteMultipartUpload" }, condition: { age: 1 } },
      ]);
    }
    const predictions = byName(plan, "buckets-predictions");
    expect(predictions.inputs.versioning).toEqual({ enabled: false });
    expect(predictions.inputs.lifecycleRules).toContainEqual({ action: { type: "Delete" }, condition: { age: 30 } });
  });

  it("are protected and never force-destroyed while protectData is on", async () => {
    const plan = await planOf({});
    for (const b of ofType(plan, "gcp:storage/bucket:Bucket")) {
      expect(b.protect, b.name).toBe(true);
      expect(b.inputs.forceDestroy, b.name).toBe(false);
      expect(b.inputs.softDeletePolicy, b.name).toEqual({ retentionDurationSeconds: 604800 });
    }
  });

  it("can be torn down with their objects when protectData is off, and still keep deleted data restorable for 7 days", async () => {
    const plan = await planOf({ "mlops:protectData": false, "mlops:github": { repository: "o/r" } });
    for (const b of ofType(plan, "gcp:storage/bucket:Bucket")) {
      expect(b.inputs, b.name).toMatchObject({ forceDestroy: true, softDeletePolicy: { retentionDurationSeconds: 604800 } });
    }
    expect(plan.resources.filter((r) => r.protect).map((r) => r.name)).toEqual([]);
  });

  it("have globally unique names from the project and the stack's random suffix, and wait for the storage API", async () => {
    const plan = await planOf({});
    const suffix = String(plan.outputs.buckets && (plan.outputs.buckets as Record<string, string>).data)
      .split("-")
      .pop();
    expect(suffix).toMatch(/^[0-9a-f]{6}$/);
    expect(plan.outputs.buckets).toEqual({
      data: `dtu-mlops-140-data-${suffix}`,
      models: `dtu-mlops-140-models-${suffix}`,
      predictions: `dtu-mlops-140-predictions-${suffix}`,
    });
    expect(byName(plan, "buckets-data").dependsOn).toContain("apis-storage");
  });

  it("export the exact DVC remote command, version-aware", async () => {
    const plan = await planOf({});
    const data = (plan.outputs.buckets as Record<string, string>).data;
    expect(plan.outputs.dvcRemoteCommand).toBe(`dvc remote add -d remote gs://${data} && dvc remote modify remote version_aware true`);
  });
});

describe("Artifact Registry", () => {
  it("is one protected DOCKER repository whose cleanup really deletes, with durations in seconds", async () => {
    const plan = await planOf({ "mlops:registry": { keepRecent: 3 } });
    const [repo] = ofType(plan, "gcp:artifactregistry/repository:Repository");
    expect(repo.protect).toBe(true);
    expect(repo.inputs).toMatchObject({ format: "DOCKER", repositoryId: "g140-images", location: "europe-west1", cleanupPolicyDryRun: false });
    expect(repo.inputs.cleanupPolicies).toEqual([
      { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: "604800s" } },
      { id: "delete-old", action: "DELETE", condition: { tagState: "ANY", olderThan: "2592000s" } },
      { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: 3 } },
    ]);
    expect(plan.outputs.imagePrefix).toBe("europe-west1-docker.pkg.dev/dtu-mlops-140/g140-images");
  });
});

describe("keyless CI through Workload Identity Federation", () => {
  it("is absent without a GitHub repository", async () => {
    const plan = await planOf({});
    expect(plan.resources.filter((r) => r.type.startsWith("gcp:iam/workloadIdentity"))).toHaveLength(0);
    expect(plan.outputs.workloadIdentityProvider).toBeUndefined();
  });

  it("maps the claims the bindings and audit logs need, gives pool and provider ids a random suffix, and protects them", async () => {
    const plan = await planOf({ "mlops:github": { repository: "Klakawaka/Car-Image-Classification-using-CNN" } });
    const pool = byName(plan, "github-pool");
    const provider = byName(plan, "github-provider");
    expect(pool.inputs.workloadIdentityPoolId).toMatch(/^g140-github-[0-9a-f]{6}$/);
    expect(provider.inputs.workloadIdentityPoolProviderId).toMatch(/^g140-gh-[0-9a-f]{6}$/);
    expect(provider.inputs.attributeMapping).toEqual(ATTRIBUTE_MAPPING);
    expect(provider.inputs.attributeMapping).toMatchObject({
      "google.subject": expect.stringMatching(/^'repo:' \+ assertion\.repository_id \+ /),
      "attribute.workflow_event": "assertion.job_workflow_ref + ':' + assertion.event_name",
      "attribute.workflow_file_event": "assertion.job_workflow_ref.extract('{file}@') + ':' + assertion.event_name",
    });
    for (const name of [
      "github-pool",
      "github-provider",
      "github-preview",
      "github-deploy",
      "github-train",
      "github-preview-wif",
      "github-deploy-wif-deploy-push",
    ]) {
      expect(byName(plan, name).protect, name).toBe(true);
    }
  });

  it("lets ci-preview in from the preview workflow on pull requests only, with read-only roles", async () => {
    const plan = await planOf({ "mlops:github": { repository: "owner/repo" } });
    expect(byName(plan, "github-preview-wif").inputs.member).toMatch(
      /workloadIdentityPools\/g140-github-[0-9a-f]{6}\/attribute\.workflow_file_event\/owner\/repo\/\.github\/workflows\/preview\.yml:pull_request$/,
    );
    const roles = ofType(plan, "gcp:projects/iAMMember:IAMMember")
      .filter((r) => r.inputs.member === "serviceAccount:g140-ci-preview@dtu-mlops-140.iam.gserviceaccount.com")
      .map((r) => String(r.inputs.role));
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) expect(role).toMatch(/viewer|Viewer|reader|securityReviewer/);
  });

  it("lets ci-deploy in only from its workflows on the configured branch, and deploy as the runtime accounts only per account", async () => {
    const plan = await planOf({ "mlops:github": { repository: "owner/repo", branch: "release" } });
    expect(byName(plan, "github-deploy-wif-deploy-push").inputs.member).toMatch(
      /\/attribute\.workflow_event\/owner\/repo\/\.github\/workflows\/deploy\.yml@refs\/heads\/release:push$/,
    );
    const projectRoles = ofType(plan, "gcp:projects/iAMMember:IAMMember").map((r) => r.inputs.role);
    expect(projectRoles).not.toContain("roles/iam.serviceAccountUser");
    expect(projectRoles).not.toContain("roles/iam.serviceAccountTokenCreator");
  });

  it("exports the provider's full name, both emails and a ready-to-paste auth step", async () => {
    const plan = await planOf({ "mlops:github": { repository: "owner/repo" } });
    const provider = String(plan.outputs.workloadIdentityProvider);
    expect(provider).toMatch(/^projects\/\d+\/locations\/global\/workloadIdentityPools\/g140-github-[0-9a-f]{6}\/providers\/g140-gh-[0-9a-f]{6}$/);
    expect(plan.outputs.ciPreviewServiceAccount).toBe("g140-ci-preview@dtu-mlops-140.iam.gserviceaccount.com");
    expect(plan.outputs.ciDeployServiceAccount).toBe("g140-ci-deploy@dtu-mlops-140.iam.gserviceaccount.com");
    expect(plan.outputs.githubAuthStep).toBe(
      `- uses: ${AUTH_ACTION}\n  with:\n    workload_identity_provider: ${provider}\n    service_account: g140-ci-deploy@dtu-mlops-140.iam.gserviceaccount.com`,
    );
  });
});

describe("secrets", () => {
  it("create a protected secret and a version whose value stays secret", async () => {
    const plan = await planOf({ "mlops:secrets": ["WANDB_API_KEY"], "mlops:WANDB_API_KEY": new SecretValue("wandb-123") });
    const secret = byName(plan, "secrets-WANDB_API_KEY");
    expect(secret.inputs).toMatchObject({ secretId: "g140-wandb-api-key", replication: { auto: {} } });
    expect(secret.protect).toBe(true);
    const version = byName(plan, "secrets-WANDB_API_KEY-version");
    expect(version.inputs.secretData).toBe("[secret]");
    expect(JSON.stringify(plan)).not.toContain("wandb-123");
    expect(byName(plan, "apis-secretmanager").inputs.service).toBe("secretmanager.googleapis.com");
  });

  it("are readable by exactly the workloads that list them, each on the secret itself", async () => {
    const plan = await planOf({
      "mlops:secrets": ["WANDB_API_KEY"],
      "mlops:WANDB_API_KEY": new SecretValue("k"),
      "mlops:training": { kind: "vertex" },
      "mlops:services": { backend: { secrets: ["WANDB_API_KEY"] }, frontend: {} },
    });
    const accessors = ofType(plan, "gcp:secretmanager/secretIamMember:SecretIamMember");
    expect(accessors.map((a) => [a.inputs.secretId, a.inputs.role, a.inputs.member])).toEqual([
      ["g140-wandb-api-key", "roles/secretmanager.secretAccessor", "serviceAccount:g140-backend@dtu-mlops-140.iam.gserviceaccount.com"],
    ]);
  });

  it("without a value yet: the secret exists, no version, and the group is told how to set it", async () => {
    const plan = await planOf({ "mlops:secrets": ["HF_TOKEN"] });
    expect(byName(plan, "secrets-HF_TOKEN")).toBeDefined();
    expect(plan.resources.find((r) => r.name === "secrets-HF_TOKEN-version")).toBeUndefined();
  });
});

describe("team members", () => {
  it("get exactly the project roles the config names", async () => {
    const plan = await planOf({ "mlops:team": { members: ["user:ana@example.org", "group:g140@example.org"], roles: ["roles/editor"] } });
    const grants = ofType(plan, "gcp:projects/iAMMember:IAMMember").filter((r) => !String(r.inputs.member).startsWith("serviceAccount:"));
    expect(grants.map((g) => [g.inputs.member, g.inputs.role]).sort()).toEqual([
      ["group:g140@example.org", "roles/editor"],
      ["user:ana@example.org", "roles/editor"],
    ]);
  });
});

describe("invalid data and identity settings", () => {
  it.each([
    [
      "a repository not of the form owner/name",
      { "mlops:github": { repository: "owner/name/extra" } },
      "mlops:github.repository: must be a GitHub repository as owner/name",
    ],
    [
      "a secret value in plain text",
      { "mlops:secrets": ["WANDB_API_KEY"], "mlops:WANDB_API_KEY": "abc123" },
      "mlops:WANDB_API_KEY: stored in plain text; remove it from the stack file and run `pulumi config set --secret WANDB_API_KEY <value>`",
    ],
    ["a secret value nobody declared", { "mlops:HF_TOKEN": new SecretValue("x") }, "mlops:HF_TOKEN: a value for a secret that mlops:secrets does not declare"],
    [
      "a secret name that is not an environment-variable name",
      { "mlops:secrets": ["wandb-key"] },
      "mlops:secrets[0]: is not a secret name; use an environment-variable name such as WANDB_API_KEY",
    ],
    [
      "a secret a workload reads but nobody declared",
      { "mlops:services": { backend: { secrets: ["WANDB_API_KEY"] } } },
      'mlops:services.backend.secrets[0]: "WANDB_API_KEY" is not declared in mlops:secrets; declared: none',
    ],
    ["a secret listed twice", { "mlops:secrets": ["HF_TOKEN", "HF_TOKEN"] }, 'mlops:secrets[1]: "HF_TOKEN" is listed twice'],
    ["zero noncurrent versions", { "mlops:storage": { keepVersions: 0 } }, "mlops:storage.keepVersions: must be at least 1 versions; allowed 1–100"],
    [
      "predictions kept for ten years and a day",
      { "mlops:storage": { predictionsDays: 3651 } },
      "mlops:storage.predictionsDays: must be at most 3650 days; allowed 1–3650",
    ],
    [
      "a fractional number of kept images",
      { "mlops:registry": { keepRecent: 2.5 } },
      "mlops:registry.keepRecent: must be a whole number of versions from 1 to 100",
    ],
    [
      "a team member without a kind",
      { "mlops:team": { members: ["ana@example.org"], roles: ["roles/editor"] } },
      "mlops:team.members[0]: must be user:EMAIL, group:EMAIL or serviceAccount:EMAIL",
    ],
    [
      "a team role that is not a role",
      { "mlops:team": { members: ["user:ana@example.org"], roles: ["editor"] } },
      "mlops:team.roles[0]: must be a predefined role such as roles/editor",
    ],
  ])("rejects %s", (_what, raw, message) => {
    const found = problemsOf(raw);
    expect(
      found.some((p) => p.startsWith(message)),
      found.join("\n"),
    ).toBe(true);
  });
});

describe("one plan after another", () => {
  it("keeps each stack's random suffix its own and stable", async () => {
    const a = await planConfig(parseOk({ "gcp:project": "dtu-mlops-140" }, "group-140"));
    const b = await planConfig(parseOk({ "gcp:project": "dtu-mlops-140" }, "group-140"));
    const c = await planConfig(parseOk({ "gcp:project": "dtu-mlops-140" }, "group-141"));
    expect(a.outputs.buckets).toEqual(b.outputs.buckets);
    expect(a.outputs.buckets).not.toEqual(c.outputs.buckets);
  });
});

function parseOk(raw: Record<string, unknown>, stack: string) {
  const r = parseStackConfig(raw, stack);
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r.config;
}
