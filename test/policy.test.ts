import { describe, expect, it } from "vitest";
import { policies } from "../policy/pack";
import { evaluate, RULES, type CheckedResource } from "../policy/rules";
import { CI_OK, CI_VIOLATING } from "./ci-policy-fixtures";
import { planViolations, stackFilePath, stackFiles } from "../plan";
import { plannedStackFile } from "./helpers";
import { REPO_ROOT } from "./repo";

const labels = { group: "140", stack: "group-140", "managed-by": "pulumi" };
const digest = `europe-west1-docker.pkg.dev/p/r/api@sha256:${"a".repeat(64)}`;
const sa = (id: string) => `serviceAccount:${id}@dtu-mlops-140.iam.gserviceaccount.com`;

/** Compliant resources, one per type the rules look at; each violating fixture changes one thing. */
const ok = {
  bucket: {
    type: "gcp:storage/bucket:Bucket",
    name: "buckets-data",
    props: { publicAccessPrevention: "enforced", uniformBucketLevelAccess: true, versioning: { enabled: true }, labels: { ...labels, bucket: "data" } },
  },
  bucketIam: {
    type: "gcp:storage/bucketIAMMember:BucketIAMMember",
    name: "grant",
    props: { bucket: "b", role: "roles/storage.objectViewer", member: sa("g140-backend") },
  },
  projectIam: { type: "gcp:projects/iAMMember:IAMMember", name: "role", props: { project: "p", role: "roles/logging.logWriter", member: sa("g140-backend") } },
  provider: {
    type: "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
    name: "github-provider",
    props: { attributeCondition: "assertion.repository == 'owner/repo'", oidc: { issuerUri: "https://token.actions.githubusercontent.com" } },
  },
  run: {
    type: "gcp:cloudrunv2/service:Service",
    name: "backend-service",
    props: {
      deletionProtection: false,
      labels,
      template: {
        serviceAccount: "g140-backend@dtu-mlops-140.iam.gserviceaccount.com",
        scaling: { minInstanceCount: 0, maxInstanceCount: 3 },
        containers: [
          {
            image: digest,
            envs: [
              { name: "API_URL", value: "https://x" },
              { name: "WANDB_API_KEY", valueSource: { secretKeyRef: { secret: "s", version: "1" } } },
            ],
          },
        ],
      },
    },
  },
  repo: {
    type: "gcp:artifactregistry/repository:Repository",
    name: "registry-repository",
    props: {
      labels,
      cleanupPolicyDryRun: false,
      cleanupPolicies: [
        { id: "delete-untagged", action: "DELETE" },
        { id: "keep", action: "KEEP" },
      ],
    },
  },
} satisfies Record<string, CheckedResource>;

type Fixture = keyof typeof ok;
const change = (base: Fixture, props: Record<string, unknown>, type?: string): CheckedResource => ({
  ...ok[base],
  type: type ?? ok[base].type,
  props: { ...ok[base].props, ...props },
});

/** For every rule: the one change that breaks it. */
const violating: Record<string, CheckedResource> = {
  "bucket-public-access-prevention": change("bucket", { publicAccessPrevention: "inherited" }),
  "bucket-uniform-access": change("bucket", { uniformBucketLevelAccess: false }),
  "bucket-not-public": change("bucketIam", { member: "allUsers" }),
  "bucket-versioning": change("bucket", { versioning: { enabled: false } }),
  "no-service-account-keys": { type: "gcp:serviceaccount/key:Key", name: "key", props: { serviceAccountId: "x" } },
  "no-basic-roles": change("projectIam", { role: "roles/editor" }),
  "no-basic-roles-for-people": change("projectIam", { role: "roles/editor", member: "user:ana@example.org" }),
  "no-project-level-impersonation": change("projectIam", { role: "roles/iam.serviceAccountUser" }),
  "no-default-compute-account": change("run", { template: { ...ok.run.props.template, serviceAccount: "123-compute@developer.gserviceaccount.com" } }),
  // A missing condition also trips wif-condition-no-bypass; a foreign issuer trips only this rule.
  "wif-provider-restricted": change("provider", { oidc: { issuerUri: "https://gitlab.com" } }),
  "cloud-run-destroyable": change("run", { deletionProtection: true }),
  "cloud-run-instance-cap": change("run", { template: { ...ok.run.props.template, scaling: { maxInstanceCount: 100 } } }),
  "cloud-run-image-digest": change("run", { template: { ...ok.run.props.template, containers: [{ image: "europe-west1-docker.pkg.dev/p/r/api:latest" }] } }),
  "cloud-run-no-plain-secrets": change("run", {
    template: { ...ok.run.props.template, containers: [{ image: digest, envs: [{ name: "WANDB_API_KEY", value: "abc" }] }] },
  }),
  "registry-cleanup": change("repo", { cleanupPolicies: [{ id: "keep", action: "KEEP" }] }),
  "labels-for-cost": change("bucket", { labels: { bucket: "data" } }),
  // The credit guard's own record grant, without the condition that keeps it to credit-guard/.
  "credit-guard-least-privilege": change("bucketIam", { member: sa("g140-guard"), role: "roles/storage.objectCreator" }),
  ...CI_VIOLATING,
};

describe("the policy rules", () => {
  it("pass every compliant fixture", () => {
    expect(evaluate([...Object.values(ok), ...CI_OK])).toEqual([]);
  });

  it("have a violating fixture each, and nothing else", () => {
    expect(Object.keys(violating).sort()).toEqual(RULES.map((r) => r.name).sort());
  });

  it.each(RULES.map((r) => [r.name, r.level] as const))("%s: the violating fixture produces exactly that violation (%s)", (name, level) => {
    const found = evaluate([violating[name]]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ policy: name, level, resource: violating[name].name });
    expect(found[0].message.length).toBeGreaterThan(20);
  });

  it("let no service account hold a basic role, the deploy account included", () => {
    expect(evaluate([change("projectIam", { role: "roles/owner", member: sa("g140-ci-deploy") })]).map((v) => v.policy)).toEqual(["no-basic-roles"]);
    expect(evaluate([change("projectIam", { role: "roles/owner", member: sa("g140-trainer") })]).map((v) => v.policy)).toEqual(["no-basic-roles"]);
  });

  it("accept a repository condition by numeric id, and reject one that names no repository", () => {
    expect(evaluate([change("provider", { attributeCondition: "assertion.repository_id == '123456'" })])).toEqual([]);
    expect(evaluate([change("provider", { attributeCondition: "assertion.repository_owner == 'owner'" })]).map((v) => v.policy)).toEqual([
      "wif-provider-restricted",
      "wif-condition-no-bypass",
    ]);
    expect(evaluate([change("provider", { oidc: { issuerUri: "https://gitlab.com" } })])[0].message).toContain("https://token.actions.githubusercontent.com");
  });

  it.each([
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.serviceAccountOpenIdTokenCreator",
    "roles/iam.workloadIdentityUser",
    "roles/iam.serviceAccountKeyAdmin",
  ])("refuse %s on the whole project", (role) => {
    expect(evaluate([change("projectIam", { role })]).map((v) => v.policy)).toContain("no-project-level-impersonation");
  });

  it("flag a Cloud Run service without its own account as running on the default compute account", () => {
    const noAccount = change("run", { template: { ...ok.run.props.template, serviceAccount: undefined } });
    expect(evaluate([noAccount]).map((v) => v.policy)).toEqual(["no-default-compute-account"]);
  });
});

describe("the credit guard rule", () => {
  const guard = sa("g140-guard");
  const push = sa("g140-guard-push");
  const record = { title: "t", description: "d", expression: 'resource.name.startsWith("projects/_/buckets/b-1/objects/credit-guard/")' };
  const runIam = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember";
  const policiesOf = (r: CheckedResource) => evaluate([r]).map((v) => v.policy);

  it("admits exactly the guard's grants: its record under a condition, its job role, its run role per service, the push account's invoker", () => {
    expect(policiesOf(change("bucketIam", { member: guard, role: "roles/storage.objectViewer", condition: record }))).toEqual([]);
    expect(policiesOf(change("projectIam", { member: guard, role: "projects/p/roles/g140_guard_jobs_abc123" }))).toEqual([]);
    expect(policiesOf({ type: runIam, name: "run", props: { name: "g140-backend", role: "projects/p/roles/g140_guard_run_abc123", member: guard } })).toEqual(
      [],
    );
    expect(policiesOf({ type: runIam, name: "inv", props: { name: "g140-credit-guard", role: "roles/run.invoker", member: push } })).toEqual([]);
  });

  it.each([
    ["a predefined role on the project", change("projectIam", { member: guard, role: "roles/run.admin" })],
    ["the run role on the project", change("projectIam", { member: guard, role: "projects/p/roles/g140_guard_run_abc123" })],
    [
      "a record grant reaching the whole bucket",
      change("bucketIam", {
        member: guard,
        role: "roles/storage.objectViewer",
        condition: { ...record, expression: 'resource.name.startsWith("projects/_/buckets/b-1/")' },
      }),
    ],
    ["objectUser on the bucket", change("bucketIam", { member: guard, role: "roles/storage.objectUser", condition: record })],
    [
      "IAM on a service account",
      { type: "gcp:serviceaccount/iAMMember:IAMMember", name: "actas", props: { serviceAccountId: "x", role: "roles/iam.serviceAccountUser", member: guard } },
    ],
    [
      "a secret",
      {
        type: "gcp:secretmanager/secretIamMember:SecretIamMember",
        name: "s",
        props: { secretId: "s", role: "roles/secretmanager.secretAccessor", member: guard },
      },
    ],
    ["the push account beyond invoking", change("projectIam", { member: push, role: "roles/run.invoker" })],
    [
      "a custom role with more",
      {
        type: "gcp:projects/iAMCustomRole:IAMCustomRole",
        name: "r",
        props: { roleId: "g140_guard_run_abc123", permissions: ["run.services.get", "run.services.update"] },
      },
    ],
  ])("refuses %s", (_what, r) => {
    expect(policiesOf(r)).toContain("credit-guard-least-privilege");
  });
});

describe("the policy pack", () => {
  it("serves every rule with its name, level and a description citing CIS or Checkov where one exists", () => {
    const pack = policies();
    expect(pack.map((p) => [p.name, p.enforcementLevel])).toEqual(RULES.map((r) => [r.name, r.level]));
    expect(pack.find((p) => p.name === "bucket-uniform-access")?.description).toContain("CIS 5.2, Checkov CKV_GCP_29");
  });

  it("reports through the engine's callback what evaluate reports, and reads the instance cap from policy config", () => {
    const pack = policies();
    const run = (name: string, r: CheckedResource, config: object = {}) => {
      const reported: string[] = [];
      const validate = pack.find((p) => p.name === name)!.validateResource as (args: unknown, report: (m: string) => void) => void;
      validate({ ...r, urn: "urn", opts: {}, getConfig: () => config, isType: () => true, asType: () => undefined, stackTags: new Map() }, (m) =>
        reported.push(m),
      );
      return reported;
    };
    expect(run("bucket-uniform-access", violating["bucket-uniform-access"])).toEqual([evaluate([violating["bucket-uniform-access"]])[0].message]);
    expect(run("bucket-uniform-access", ok.bucket)).toEqual([]);
    const five = change("run", { template: { ...ok.run.props.template, scaling: { maxInstanceCount: 5 } } });
    expect(run("cloud-run-instance-cap", five)).toEqual([]);
    expect(run("cloud-run-instance-cap", five, { maxInstances: 4 })).toEqual([expect.stringContaining("allows 5 instances; at most 4")]);
  });
});

describe("every stack file in the repository", () => {
  const stacks = stackFiles(REPO_ROOT).map((f) => f.stack);
  it.each(stacks)("Pulumi.%s.yaml plans with no mandatory violation", async (stack) => {
    const r = await plannedStackFile(stackFilePath(stack, REPO_ROOT));
    if (!r.ok) throw new Error(r.problems.join("\n"));
    expect(planViolations(r.plan).filter((v) => v.level === "mandatory")).toEqual([]);
  });
});
