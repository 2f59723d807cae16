/** Compliant and violating resources for the CI rules (policy/rules/ci.ts), one violating fixture per rule. */
import type { CheckedResource } from "../policy/rules";

const sa = (id: string) => `serviceAccount:${id}@dtu-mlops-140.iam.gserviceaccount.com`;
const POOL = "principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/g140-github-abc123";
export const GRANTABLE = "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/logging.logWriter', 'roles/run.admin'])";

const projectIam = (role: string, member: string, condition?: object): CheckedResource => ({
  type: "gcp:projects/iAMMember:IAMMember",
  name: "github-deploy-role",
  props: { project: "p", role, member, ...(condition && { condition }) },
});
const provider = (attributeCondition: string): CheckedResource => ({
  type: "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
  name: "github-provider",
  props: { attributeCondition, oidc: { issuerUri: "https://token.actions.githubusercontent.com" } },
});
const wif = (member: string): CheckedResource => ({
  type: "gcp:serviceaccount/iAMMember:IAMMember",
  name: "github-deploy-wif-deploy-push",
  props: { serviceAccountId: "projects/p/serviceAccounts/x", role: "roles/iam.workloadIdentityUser", member },
});
const bucket = (softDeletePolicy?: object): CheckedResource => ({
  type: "gcp:storage/bucket:Bucket",
  name: "buckets-predictions",
  props: {
    publicAccessPrevention: "enforced",
    uniformBucketLevelAccess: true,
    labels: { group: "140", "managed-by": "pulumi", bucket: "predictions" },
    softDeletePolicy,
  },
});

/** What the stack registers, each passing every rule. */
export const CI_OK: CheckedResource[] = [
  projectIam("roles/resourcemanager.projectIamAdmin", sa("g140-ci-deploy"), { title: "t", expression: GRANTABLE }),
  projectIam("roles/run.admin", sa("g140-ci-deploy")),
  provider("assertion.repository == 'owner/repo' && assertion.repository_id == '42' && assertion.repository_owner_id == '7'"),
  provider("assertion.repository == 'owner/repo'"),
  projectIam("projects/p/roles/g140_ci_train_abc123", sa("g140-ci-train")),
  wif(`${POOL}/attribute.workflow_event/owner/repo/.github/workflows/deploy.yml@refs/heads/main:push`),
  wif(`${POOL}/attribute.workflow_file_event/owner/repo/.github/workflows/preview.yml:pull_request`),
  {
    type: "gcp:storage/bucketIAMMember:BucketIAMMember",
    name: "github-preview-state",
    props: { bucket: "s", role: "roles/storage.objectViewer", member: sa("g140-ci-preview") },
  },
  bucket({ retentionDurationSeconds: 604800 }),
];

/** For each CI rule: one resource that breaks it and no other rule. */
export const CI_VIOLATING: Record<string, CheckedResource> = {
  "iam-admin-conditioned": projectIam("roles/resourcemanager.projectIamAdmin", sa("g140-ci-deploy")),
  "no-project-admin-roles-for-accounts": projectIam("roles/iam.serviceAccountAdmin", sa("g140-ci-deploy")),
  "wif-condition-no-bypass": provider("assertion.sub.startsWith('repo:owner/repo:') || true"),
  "wif-binding-names-workflow": wif(`${POOL}/attribute.ref/refs/heads/main`),
  "no-vertex-job-roles-for-ci": projectIam("roles/aiplatform.user", sa("g140-ci-deploy")),
  "ci-preview-read-only": {
    type: "gcp:storage/bucketIAMMember:BucketIAMMember",
    name: "github-preview-state",
    props: { bucket: "s", role: "roles/storage.objectUser", member: sa("g140-ci-preview") },
  },
  "bucket-soft-delete": bucket({ retentionDurationSeconds: 0 }),
};

/** More ways to break the CI rules, each with the rule it must trip. */
export const CI_MORE_VIOLATIONS: Array<[string, CheckedResource, string]> = [
  [
    "a grantable list holding Owner",
    projectIam("roles/resourcemanager.projectIamAdmin", sa("g140-ci-deploy"), { expression: GRANTABLE.replace("'roles/run.admin'", "'roles/owner'") }),
    "iam-admin-conditioned",
  ],
  [
    "a grantable list holding project IAM admin itself",
    projectIam("roles/resourcemanager.projectIamAdmin", sa("g140-ci-deploy"), {
      expression: GRANTABLE.replace("'roles/run.admin'", "'roles/resourcemanager.projectIamAdmin'"),
    }),
    "iam-admin-conditioned",
  ],
  [
    "a condition of another kind",
    projectIam("roles/resourcemanager.projectIamAdmin", sa("g140-ci-deploy"), { expression: "request.time < timestamp('2099-01-01T00:00:00Z')" }),
    "iam-admin-conditioned",
  ],
  [
    "a grantable list widened by an alternative",
    projectIam("roles/resourcemanager.projectIamAdmin", sa("g140-ci-deploy"), { expression: `${GRANTABLE} || true` }),
    "iam-admin-conditioned",
  ],
  ["security admin without a condition", projectIam("roles/iam.securityAdmin", sa("g140-ci-deploy")), "iam-admin-conditioned"],
  ["project-wide impersonation admin", projectIam("roles/iam.serviceAccountKeyAdmin", sa("g140-ci-deploy")), "no-project-admin-roles-for-accounts"],
  ["project-wide federation admin", projectIam("roles/iam.workloadIdentityPoolAdmin", sa("g140-ci-deploy")), "no-project-admin-roles-for-accounts"],
  ["project-wide storage admin (the state bucket included)", projectIam("roles/storage.admin", sa("g140-ci-deploy")), "no-project-admin-roles-for-accounts"],
  ["project-wide secret admin", projectIam("roles/secretmanager.admin", sa("g140-ci-deploy")), "no-project-admin-roles-for-accounts"],
  ["a negated pin", provider("!(assertion.sub.startsWith('repo:other/repo:'))"), "wif-condition-no-bypass"],
  ["an inequality", provider("assertion.repository_id != '1'"), "wif-condition-no-bypass"],
  ["a ternary", provider("assertion.repository_id == '1' ? true : true"), "wif-condition-no-bypass"],
  ["a sub prefix that NAME-evil shares", provider("assertion.sub.startsWith('repo:owner/repo')"), "wif-condition-no-bypass"],
  ["the owner only", provider("assertion.repository_owner == 'owner'"), "wif-condition-no-bypass"],
  [
    "a grantable list over Google's 10 roles",
    projectIam("roles/resourcemanager.projectIamAdmin", sa("g140-ci-deploy"), {
      expression: GRANTABLE.replace("'roles/run.admin'", Array.from({ length: 10 }, (_, i) => `'roles/r${i}.viewer'`).join(", ")),
    }),
    "iam-admin-conditioned",
  ],
  [
    "a grantable list that lets anyone submit Vertex AI jobs",
    projectIam("roles/resourcemanager.projectIamAdmin", sa("g140-ci-deploy"), {
      expression: GRANTABLE.replace("'roles/run.admin'", "'roles/aiplatform.user'"),
    }),
    "iam-admin-conditioned",
  ],
  ["Vertex AI admin for ci-train", projectIam("roles/aiplatform.admin", sa("g140-ci-train")), "no-vertex-job-roles-for-ci"],
  ["no condition at all", provider(""), "wif-condition-no-bypass"],
  ["a pin compared with itself", provider("assertion.sub.startsWith('repo:o/n:') == assertion.sub.startsWith('repo:o/n:')"), "wif-condition-no-bypass"],
  ["a pin in [true, false]", provider("assertion.sub.startsWith('repo:o/n:') in [true, false]"), "wif-condition-no-bypass"],
  ["the whole pool", wif(`${POOL}/*`), "wif-binding-names-workflow"],
  ["the repository, any workflow", wif(`${POOL}/attribute.repository/owner/repo`), "wif-binding-names-workflow"],
  ["a workflow but no event", wif(`${POOL}/attribute.workflow_ref/owner/repo/.github/workflows/deploy.yml@refs/heads/main`), "wif-binding-names-workflow"],
  [
    "a secret accessor for preview",
    {
      type: "gcp:secretmanager/secretIamMember:SecretIamMember",
      name: "github-preview-secret",
      props: { secretId: "s", role: "roles/secretmanager.secretAccessor", member: sa("g140-ci-preview") },
    },
    "ci-preview-read-only",
  ],
  ["an editor role for preview", projectIam("roles/run.developer", sa("g140-ci-preview")), "ci-preview-read-only"],
  ["soft delete under 7 days", bucket({ retentionDurationSeconds: 86400 }), "bucket-soft-delete"],
];
