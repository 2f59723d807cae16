/**
 * The CI identities as a security review reads them in the plan of every stack file (issue 14): what
 * ci-deploy may grant, where it holds admin roles, who may act as each CI account, and that ci-preview only
 * reads. Every claim here is read from the planned resources, not from the code that makes them.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEPLOY_RUNS, GOOGLE_LIMITS, GRANTABLE_ROLES, PREVIEW_RUN, PROJECT_IAM_ADMIN, TRAIN_RUN } from "../components/ci-access";
import { REGISTRY_ADMIN_ROLE } from "../components/artifact-registry";
import { SECRET_ADMIN_ROLE } from "../components/secrets";
import { BUCKET_ADMIN_ROLE } from "../components/storage";
import { GUARD_ACCOUNTS } from "../config";
import { serviceAccountEmail } from "../lib/gcp";
import { NEVER_GRANTABLE, PROJECT_WIDE_ADMIN } from "../policy/rules/ci";
import { stackFiles, type Plan, type PlannedResource } from "../plan";
import { byName, ofType, planAnew, planFile, planOf, problemsOf } from "./helpers";
import { REPO_ROOT } from "./repo";

/** The stack files that set up GitHub Actions access (found, not listed: the root's and the examples). */
const stacks = stackFiles(REPO_ROOT)
  .filter((f) => fs.readFileSync(f.file, "utf8").includes("mlops:github:"))
  .map((f) => f.stack);
const PROJECT_IAM = "gcp:projects/iAMMember:IAMMember";
const SA_IAM = "gcp:serviceaccount/iAMMember:IAMMember";
const HAS_ONLY = /^api\.getAttribute\('iam\.googleapis\.com\/modifiedGrantsByRole', \[\]\)\.hasOnly\(\[(.*)\]\)$/;
/** Project-level roles that impersonate, manage accounts or federation, or reach all data or secrets. */
const NEVER_PROJECT_WIDE = [...new Set([...PROJECT_WIDE_ADMIN, ...NEVER_GRANTABLE.filter((r) => r !== PROJECT_IAM_ADMIN)])];

const member = (plan: Plan, who: "ci-deploy" | "ci-preview") => {
  const account = ofType(plan, "gcp:serviceaccount/account:Account").find((a) => String(a.inputs.accountId).endsWith(who))!;
  return `serviceAccount:${serviceAccountEmail(String(account.inputs.accountId), String(account.inputs.project))}`;
};
const grantsTo = (plan: Plan, m: string) => plan.resources.filter((r) => /IAMMember|IamMember/.test(r.type) && r.inputs.member === m);
/** The roles of each of ci-deploy's project IAM admin grants, one list per grant. */
const grantableLists = (plan: Plan): string[][] =>
  grantsTo(plan, member(plan, "ci-deploy"))
    .filter((r) => r.type === PROJECT_IAM && r.inputs.role === PROJECT_IAM_ADMIN)
    .map((admin) => {
      const expression = String((admin.inputs.condition as { expression?: string } | undefined)?.expression);
      const list = HAS_ONLY.exec(expression);
      if (!list) throw new Error(`${admin.name} has no grantable-roles condition: ${expression}`);
      return [...list[1].matchAll(/'([^']+)'/g)].map((m) => m[1]);
    });
/** Every project role the plan grants to a runtime account (CI's own and the team's are bootstrap, by a person). */
const stackProjectRoles = (plan: Plan) =>
  [
    ...new Set(
      ofType(plan, PROJECT_IAM)
        .filter((r) => !r.name.startsWith("github-") && String(r.inputs.member).startsWith("serviceAccount:"))
        // A custom role's project grant (the credit guard's) is an Owner's to apply: needs-owner says so.
        .filter((r) => !String(r.inputs.role).startsWith("projects/"))
        .map((r) => String(r.inputs.role)),
    ),
  ].sort();
const principal = (r: PlannedResource) =>
  String(r.inputs.member).replace(/^principalSet:\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/[a-z0-9-]+\//, "");

it("some stack files set up CI", () => expect(stacks.length).toBeGreaterThan(2));

describe.each(stacks)("Pulumi.%s.yaml: the CI identities", (stack) => {
  const planned = planFile(stack);

  it("ci-deploy's admin grant on each bucket, the registry and each secret lives beside that resource, protected and deleted with it, so a teardown never revokes it first", async () => {
    const { plan } = await planned;
    const admins = [BUCKET_ADMIN_ROLE, REGISTRY_ADMIN_ROLE, SECRET_ADMIN_ROLE];
    const grants = plan.resources.filter((r) => admins.includes(String(r.inputs.role)));
    expect(grants.length).toBeGreaterThanOrEqual(4);
    for (const g of grants) {
      expect(String(g.inputs.member), g.name).toMatch(/^serviceAccount:[a-z0-9-]+-ci-deploy@/);
      // On the resource it is for, as its component's child, and deleted with that very resource.
      const target = byName(plan, g.deletedWith ?? "");
      expect(target?.type, g.name).toMatch(/storage\/bucket:Bucket|artifactregistry\/repository:Repository|secretmanager\/secret:Secret/);
      expect(g.parent, g.name).toBe(target.parent);
      expect(g.protect, g.name).toBe(target.protect);
      const on = { BucketIAMMember: target.inputs.name, RepositoryIamMember: target.inputs.repositoryId, SecretIamMember: target.inputs.secretId }[
        g.type.split(":")[2]
      ];
      expect(g.inputs.bucket ?? g.inputs.repository ?? g.inputs.secretId, g.name).toBe(on);
    }
  });

  it("ci-deploy holds project IAM admin only under conditions listing the package's runtime roles (each list within Google's 10), covering every runtime role the stack grants", async () => {
    const { plan } = await planned;
    const lists = grantableLists(plan);
    expect(lists.length).toBeGreaterThan(0);
    for (const list of lists) expect(list.length).toBeLessThanOrEqual(GOOGLE_LIMITS.hasOnlyRoles);
    expect(lists.flat().sort()).toEqual([...GRANTABLE_ROLES.roles].sort());
    for (const role of stackProjectRoles(plan)) expect(GRANTABLE_ROLES.roles, role).toContain(role);
    for (const role of lists.flat())
      expect(role).not.toMatch(/admin|Admin|owner|editor|serviceAccount|workloadIdentity|aiplatform|securityReviewer|viewer|Viewer|reader/);
    const admins = plan.resources.filter((r) => r.type === PROJECT_IAM && r.inputs.role === PROJECT_IAM_ADMIN);
    for (const a of admins) expect(a.protect, `${a.name}: an Owner replaces it; protection would block every preview`).toBeFalsy();
    for (const role of [...NEVER_GRANTABLE, ...NEVER_PROJECT_WIDE]) expect(lists.flat()).not.toContain(role);
  });

  it("ci-deploy and ci-preview hold no project-level role that impersonates, manages accounts or federation, or reaches all data or secrets", async () => {
    const { plan } = await planned;
    for (const who of ["ci-deploy", "ci-preview"] as const) {
      const roles = grantsTo(plan, member(plan, who))
        .filter((r) => r.type === PROJECT_IAM)
        .map((r) => String(r.inputs.role));
      expect(
        roles.filter((r) => NEVER_PROJECT_WIDE.includes(r)),
        who,
      ).toEqual([]);
    }
  });

  it("ci-deploy acts as each service's account on that account only (never the trainer's), and manages only the stack's own buckets, registry and secrets", async () => {
    const { plan, config } = await planned;
    const deploy = grantsTo(plan, member(plan, "ci-deploy"));
    const actAs = deploy.filter((r) => r.type === SA_IAM);
    // And the credit guard's two accounts: deploying its service and its push subscription acts as them. So
    // ci-deploy could run code as the guard, whose job role it lacks: stopping runs, nothing more (docs/ci.md).
    const guard = config.budget?.stopAt === undefined ? [] : Object.values(GUARD_ACCOUNTS);
    expect(actAs.map((r) => r.inputs.serviceAccountId).sort()).toEqual(
      [...config.workloads.filter((w) => w !== "trainer"), ...guard]
        .map((w) => `projects/${config.project}/serviceAccounts/${config.names.serviceAccountEmail(w)}`)
        .sort(),
    );
    expect(new Set(actAs.map((r) => r.inputs.role))).toEqual(new Set(["roles/iam.serviceAccountUser"]));
    const buckets = ofType(plan, "gcp:storage/bucket:Bucket").map((b) => b.inputs.name);
    expect(
      deploy
        .filter((r) => r.type === "gcp:storage/bucketIAMMember:BucketIAMMember")
        .map((r) => r.inputs.bucket)
        .sort(),
    ).toEqual([...buckets].sort());
    const [repository] = ofType(plan, "gcp:artifactregistry/repository:Repository");
    expect(deploy.filter((r) => r.type === "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember").map((r) => r.inputs.repository)).toEqual([
      repository.inputs.repositoryId,
    ]);
    const secrets = ofType(plan, "gcp:secretmanager/secret:Secret").map((s) => s.inputs.secretId);
    expect(
      deploy
        .filter((r) => r.type === "gcp:secretmanager/secretIamMember:SecretIamMember")
        .map((r) => r.inputs.secretId)
        .sort(),
    ).toEqual([...secrets].sort());
  });

  it("ci-preview only reads: viewer and reader roles, no secret values", async () => {
    const { plan } = await planned;
    const roles = grantsTo(plan, member(plan, "ci-preview")).map((r) => String(r.inputs.role));
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) expect(role).toMatch(/(viewer|Viewer|reader|securityReviewer)$/);
  });

  it("binds ci-deploy to deploy, pause and teardown runs on the branch, and ci-preview to the preview workflow on pull requests", async () => {
    const { plan, config } = await planned;
    const repo = config.github!.repository;
    const wif = ofType(plan, SA_IAM).filter((r) => r.inputs.role === "roles/iam.workloadIdentityUser");
    const bound = (who: string) =>
      wif
        .filter((r) => String(r.inputs.serviceAccountId).includes(`-${who}@`))
        .map(principal)
        .sort();
    expect(bound("ci-deploy")).toEqual(
      DEPLOY_RUNS.map((r) => `attribute.workflow_event/${repo}/.github/workflows/${r.file}@refs/heads/${config.github!.branch}:${r.event}`).sort(),
    );
    expect(bound("ci-preview")).toEqual([`attribute.workflow_file_event/${repo}/.github/workflows/${PREVIEW_RUN.file}:${PREVIEW_RUN.event}`]);
    expect(bound("ci-train")).toEqual([
      `attribute.workflow_event/${repo}/.github/workflows/${TRAIN_RUN.file}@refs/heads/${config.github!.branch}:${TRAIN_RUN.event}`,
    ]);
  });

  it("keeps deleted bucket data restorable for at least 7 days, also with protectData off", async () => {
    const { config } = await planned;
    const raw = { ...(config.github && { "mlops:github": { repository: config.github.repository } }), "mlops:protectData": false };
    for (const plan of [(await planned).plan, await planOf(raw)]) {
      for (const b of ofType(plan, "gcp:storage/bucket:Bucket"))
        expect(Number((b.inputs.softDeletePolicy as { retentionDurationSeconds: number }).retentionDurationSeconds)).toBeGreaterThanOrEqual(604800);
    }
  });
});

describe("the provider condition and the repository ids", () => {
  afterEach(() => vi.restoreAllMocks());

  it("pins the repository by name (both subject formats carry it) and, when given, by its immutable ids, with no alternative or negation", async () => {
    const plan = await planOf({ "mlops:github": { repository: "owner/repo", repositoryId: 123456789, repositoryOwnerId: "987654" } });
    const condition = String(byName(plan, "github-provider").inputs.attributeCondition);
    expect(condition).toBe("assertion.repository == 'owner/repo' && assertion.repository_id == '123456789' && assertion.repository_owner_id == '987654'");
    expect(condition).not.toMatch(/\|\||!/);
  });

  it("warns in the plan when the ids are missing, naming the command that looks them up", async () => {
    const warn = vi.spyOn(pulumi.log, "warn");
    await planAnew({ "mlops:github": { repository: "owner/repo" } });
    expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => m.startsWith("mlops:github:"))).toEqual([
      expect.stringContaining("gh api repos/owner/repo --jq '.id, .owner.id'"),
    ]);
    warn.mockClear();
    await planAnew({ "mlops:github": { repository: "owner/repo", repositoryId: 1, repositoryOwnerId: 2 } });
    expect(warn.mock.calls.filter((c) => String(c[0]).startsWith("mlops:github:"))).toEqual([]);
  });

  it("rejects an id that is not GitHub's number, saying how to look it up", () => {
    expect(problemsOf({ "mlops:github": { repository: "o/r", repositoryId: "owner/repo" } })).toEqual([
      "mlops:github.repositoryId: must be GitHub's numeric id; look it up with `gh api repos/OWNER/NAME --jq .id`",
    ]);
  });
});

describe("the state bucket, when the stack knows it", () => {
  it("gives ci-deploy objectUser and ci-preview objectViewer on that bucket only", async () => {
    const plan = await planOf({ "mlops:github": { repository: "owner/repo", stateBucket: "dtu-mlops-140-pulumi-state" } });
    expect(byName(plan, "github-deploy-state").inputs).toMatchObject({
      bucket: "dtu-mlops-140-pulumi-state",
      role: "roles/storage.objectUser",
      member: member(plan, "ci-deploy"),
    });
    expect(byName(plan, "github-preview-state").inputs).toMatchObject({
      bucket: "dtu-mlops-140-pulumi-state",
      role: "roles/storage.objectViewer",
      member: member(plan, "ci-preview"),
    });
  });

  it("leaves team grants out of what CI may grant: they are bootstrap, by a person", async () => {
    const plan = await planOf({ "mlops:github": { repository: "owner/repo" }, "mlops:team": { members: ["user:ana@example.org"], roles: ["roles/editor"] } });
    expect(ofType(plan, PROJECT_IAM).some((r) => r.inputs.role === "roles/editor")).toBe(true);
    expect(grantableLists(plan).flat()).not.toContain("roles/editor");
    expect(grantableLists(plan).flat().sort()).toEqual([...GRANTABLE_ROLES.roles].sort());
  });
});
