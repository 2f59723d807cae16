/**
 * docs/ci.md's split of who applies what, checked against the grants in the plan: every change that
 * `needs-owner` lets CI apply must be one ci-deploy holds a role for, on the project or on that very
 * resource, and everything else must be flagged. A resource type nobody has decided about fails here.
 */
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./repo";
import { GRANTABLE_ROLES, PROJECT_IAM_ADMIN } from "../components/ci-access";
import { REGISTRY_ADMIN_ROLE } from "../components/artifact-registry";
import { SECRET_ADMIN_ROLE } from "../components/secrets";
import { BUCKET_ADMIN_ROLE } from "../components/storage";
import { stackFiles, type Plan, type PlannedResource } from "../plan";
import { ownerReason } from "../cli/needs-owner";
import { byName, planFileWith, planOf } from "./helpers";

type Check = (r: PlannedResource, plan: Plan, deploy: string) => string | undefined;

const grantsOf = (plan: Plan, member: string) => plan.resources.filter((r) => /IAMMember|IamMember/.test(r.type) && r.inputs.member === member);
const projectRole =
  (role: string): Check =>
  (_r, plan, deploy) =>
    grantsOf(plan, deploy).some((g) => g.type === "gcp:projects/iAMMember:IAMMember" && g.inputs.role === role)
      ? undefined
      : `ci-deploy lacks ${role} on the project`;
const onBucket =
  (bucket: (r: PlannedResource) => unknown): Check =>
  (r, plan, deploy) =>
    grantsOf(plan, deploy).some(
      (g) => g.type === "gcp:storage/bucketIAMMember:BucketIAMMember" && g.inputs.bucket === bucket(r) && g.inputs.role === BUCKET_ADMIN_ROLE,
    )
      ? undefined
      : `ci-deploy lacks ${BUCKET_ADMIN_ROLE} on bucket ${String(bucket(r))}`;
const onSecret =
  (secretId: (r: PlannedResource, plan: Plan) => unknown): Check =>
  (r, plan, deploy) =>
    grantsOf(plan, deploy).some(
      (g) => g.type === "gcp:secretmanager/secretIamMember:SecretIamMember" && g.inputs.secretId === secretId(r, plan) && g.inputs.role === SECRET_ADMIN_ROLE,
    )
      ? undefined
      : `ci-deploy lacks ${SECRET_ADMIN_ROLE} on secret ${String(secretId(r, plan))}`;
const onRegistry: Check = (_r, plan, deploy) =>
  grantsOf(plan, deploy).some((g) => g.type === "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember" && g.inputs.role === REGISTRY_ADMIN_ROLE)
    ? undefined
    : "ci-deploy lacks admin on the registry";
const nothing: Check = () => undefined;

/** What ci-deploy needs to create, change or delete each type of resource the stack manages (CI's side of the table). */
const NEEDS: Record<string, Check> = {
  "gcp:cloudrunv2/service:Service": projectRole("roles/run.admin"),
  "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": projectRole("roles/run.admin"),
  "gcp:monitoring/alertPolicy:AlertPolicy": projectRole("roles/monitoring.editor"),
  "gcp:monitoring/dashboard:Dashboard": projectRole("roles/monitoring.editor"),
  "gcp:monitoring/notificationChannel:NotificationChannel": projectRole("roles/monitoring.editor"),
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": projectRole("roles/monitoring.editor"),
  "gcp:projects/service:Service": projectRole("roles/serviceusage.serviceUsageAdmin"),
  "gcp:compute/network:Network": projectRole("roles/compute.networkAdmin"),
  "gcp:compute/subnetwork:Subnetwork": projectRole("roles/compute.networkAdmin"),
  "gcp:compute/router:Router": projectRole("roles/compute.networkAdmin"),
  "gcp:compute/routerNat:RouterNat": projectRole("roles/compute.networkAdmin"),
  "gcp:storage/bucket:Bucket": onBucket((r) => r.inputs.name),
  "gcp:storage/bucketObject:BucketObject": onBucket((r) => r.inputs.bucket),
  "gcp:storage/bucketIAMMember:BucketIAMMember": onBucket((r) => r.inputs.bucket),
  "gcp:secretmanager/secret:Secret": onSecret((r) => r.inputs.secretId),
  "gcp:secretmanager/secretVersion:SecretVersion": onSecret(
    (r, plan) => plan.resources.find((s) => s.type === "gcp:secretmanager/secret:Secret" && r.dependsOn.includes(s.name))?.inputs.secretId,
  ),
  "gcp:secretmanager/secretIamMember:SecretIamMember": onSecret((r) => r.inputs.secretId),
  "gcp:artifactregistry/repository:Repository": onRegistry,
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": onRegistry,
  "docker:index/image:Image": onRegistry,
  "gcp:projects/iAMMember:IAMMember": (r, plan, deploy) =>
    (GRANTABLE_ROLES.roles as readonly string[]).includes(String(r.inputs.role)) && grantsOf(plan, deploy).some((g) => g.inputs.role === PROJECT_IAM_ADMIN)
      ? undefined
      : `ci-deploy may not grant ${String(r.inputs.role)}`,
  "random:index/randomId:RandomId": nothing,
  // The credit guard's topic, its publisher grant and its push subscription.
  "gcp:pubsub/topic:Topic": projectRole("roles/pubsub.admin"),
  "gcp:pubsub/topicIAMMember:TopicIAMMember": projectRole("roles/pubsub.admin"),
  "gcp:pubsub/subscription:Subscription": projectRole("roles/pubsub.admin"),
};

const examples = stackFiles(REPO_ROOT)
  .filter((f) => f.example)
  .map((f) => f.stack);
const withBudget = { "mlops:budget": { billingAccount: "012345-6789AB-CDEF01", amount: 50 }, "mlops:alerts": { emails: ["a@example.org"] } };

describe.each(
  examples.flatMap((stack) => [
    { stack, guard: false },
    { stack, guard: true },
  ]),
)("Pulumi.$stack.yaml (credit guard: $guard): who applies a change", ({ stack, guard }) => {
  it("CI applies exactly the changes ci-deploy holds a role for; needs-owner flags the rest", async () => {
    const budget = { "mlops:budget": { ...withBudget["mlops:budget"], ...(guard && { stopAt: 1 }) } };
    const { plan, config } = await planFileWith(stack, (raw) => ({ ...raw, ...budget, "mlops:alerts": raw["mlops:alerts"] ?? withBudget["mlops:alerts"] }));
    if (!config.github) return;
    const deploy = `serviceAccount:${config.names.serviceAccountEmail("ci-deploy")}`;
    const problems: string[] = [];
    for (const r of plan.resources.filter((x) => !x.type.startsWith("mlops:") && !x.type.startsWith("pulumi:"))) {
      for (const op of ["update", "delete"] as const) {
        if (ownerReason({ op, urn: r.urn, newState: { type: r.type, inputs: r.inputs }, oldState: { type: r.type, inputs: r.inputs } })) continue;
        const check = NEEDS[r.type];
        const why = check ? check(r, plan, deploy) : `no one has decided who applies a ${r.type}`;
        if (why) problems.push(`${op} ${r.name}: CI would apply it, but ${why}`);
      }
    }
    expect(problems).toEqual([]);
    expect(ownerReason({ op: "update", urn: byName(plan, "monitoring-budget").urn, newState: { type: "gcp:billing/budget:Budget" } })).toBe(
      "a budget on the billing account",
    );
  });
});

it("lets ci-deploy act as the credit guard's two accounts, on those accounts alone, and leaves its roles to an Owner", async () => {
  const plan = await planOf({
    "mlops:github": { repository: "o/r" },
    ...withBudget,
    "mlops:budget": { ...withBudget["mlops:budget"], stopAt: 1 },
    "mlops:training": { kind: "vm", machineType: "n1-standard-4" },
    "mlops:services": { backend: {} },
  });
  const deploy = "serviceAccount:g140-ci-deploy@dtu-mlops-140.iam.gserviceaccount.com";
  const actAs = plan.resources.filter(
    (r) => r.type === "gcp:serviceaccount/iAMMember:IAMMember" && r.inputs.member === deploy && r.name.startsWith("credit-guard"),
  );
  expect(actAs.map((r) => [r.inputs.serviceAccountId, r.inputs.role])).toEqual([
    ["projects/dtu-mlops-140/serviceAccounts/g140-guard-push@dtu-mlops-140.iam.gserviceaccount.com", "roles/iam.serviceAccountUser"],
    ["projects/dtu-mlops-140/serviceAccounts/g140-guard@dtu-mlops-140.iam.gserviceaccount.com", "roles/iam.serviceAccountUser"],
  ]);
  const step = (name: string) => ({
    op: "create",
    urn: byName(plan, name).urn,
    newState: { type: byName(plan, name).type, inputs: byName(plan, name).inputs },
  });
  expect(ownerReason(step("credit-guard-jobs-role"))).toBe("a custom role");
  expect(ownerReason(step("credit-guard-jobs"))).toBe("a project grant of a custom role");
  expect(ownerReason(step("credit-guard-runtime"))).toBe("identity or federation");
  // After a trip, `pulumi up --refresh` recreates the services the guard deleted: CI may.
  expect(ownerReason(step("backend-service"))).toBeUndefined();
  expect(ownerReason({ ...step("backend-service"), op: "refresh" })).toBeUndefined();
});

it("flags a budget change as an Owner's: ci-deploy holds nothing on the billing account", async () => {
  const plan = await planOf({ "mlops:github": { repository: "o/r" }, ...withBudget });
  const budget = plan.resources.find((r) => r.type === "gcp:billing/budget:Budget")!;
  expect(ownerReason({ op: "update", urn: budget.urn })).toBe("a budget on the billing account");
  expect(plan.resources.some((r) => r.type.includes("billing") && /IAMMember|IamMember/.test(r.type))).toBe(false);
});
