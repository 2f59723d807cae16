/** Rules for identities: no keys, no basic roles for workloads, no project-wide impersonation, WIF pinned to a repository. */
import { forType, is, membersOf, T, type CheckedResource, type Props, type Rule } from "./rule";

const PROJECT_IAM = ["gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding"];
const BASIC_ROLES = ["roles/owner", "roles/editor", "roles/viewer"];
const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
const DEFAULT_COMPUTE_ACCOUNT = /-compute@developer\.gserviceaccount\.com$/;

/** The members a project-level grant of a basic role gives it to, of those `wanted` selects (none for other resources). */
function basicRoleMembers(r: CheckedResource, wanted: (member: string) => boolean): string[] {
  if (!PROJECT_IAM.includes(r.type) || !BASIC_ROLES.includes(String(r.props.role))) return [];
  return membersOf(r.props).filter(wanted);
}

export const IDENTITY_RULES: Rule[] = [
  {
    name: "no-service-account-keys",
    level: "mandatory",
    why: "A key file is a password that never expires and ends up in repositories and reports; workloads use their attached account, CI uses Workload Identity Federation.",
    reference: "CIS 1.4, Checkov CKV2_GCP_3",
    check: forType(
      T.saKey,
      (r) => `${r.name} creates a service-account key; remove it and use Workload Identity Federation (GitHub) or the attached account (VM, Cloud Run)`,
    ),
  },
  {
    name: "no-basic-roles",
    level: "mandatory",
    why: "owner, editor and viewer grant thousands of permissions; no service account may hold one, CI included. People of the group get an advisory.",
    reference: "CIS 1.5, Checkov CKV_GCP_117",
    check: (r) => {
      const accounts = basicRoleMembers(r, (m) => m.startsWith("serviceAccount:"));
      return accounts.length
        ? `${r.name} grants the basic role ${r.props.role} to ${accounts.join(", ")}; grant the predefined roles it needs on the resources it uses`
        : undefined;
    },
  },
  {
    name: "no-basic-roles-for-people",
    level: "advisory",
    why: "Basic roles for people are common in a course project, but predefined roles are safer.",
    reference: "CIS 1.5, Checkov CKV_GCP_117",
    check: (r) => {
      const people = basicRoleMembers(r, (m) => m.startsWith("user:") || m.startsWith("group:"));
      return people.length ? `${r.name} grants the basic role ${r.props.role} to ${people.join(", ")}; consider predefined roles` : undefined;
    },
  },
  {
    name: "no-project-level-impersonation",
    level: "mandatory",
    why: "A role that acts as, mints tokens for or keys a service account, granted on the project, lets a member act as every service account in it.",
    reference: "CIS 1.6, Checkov CKV_GCP_41",
    check: (r) =>
      PROJECT_IAM.includes(r.type) && IMPERSONATING_ROLES.includes(String(r.props.role))
        ? `${r.name} grants ${r.props.role} on the whole project; grant it on the one service account that is needed`
        : undefined,
  },
  {
    name: "no-default-compute-account",
    level: "mandatory",
    why: "The Compute Engine default account is shared by everything in the project and often holds editor.",
    reference: "CIS 4.1, Checkov CKV_GCP_30",
    check: (r) => {
      if (!is(r, T.run)) return undefined;
      // Values not known yet in a preview throw inside the policy SDK, which then skips the check.
      const email = (r.props.template as Props | undefined)?.serviceAccount;
      if (email === undefined) return `Cloud Run service ${r.name} sets no service account, so it runs as the default compute account; give it its own`;
      return DEFAULT_COMPUTE_ACCOUNT.test(String(email)) ? `Cloud Run service ${r.name} runs as the default compute account; give it its own` : undefined;
    },
  },
  {
    name: "wif-provider-restricted",
    level: "mandatory",
    why: "Without a condition naming the repository, any GitHub repository could exchange its token in the pool.",
    reference: "Checkov CKV_GCP_118",
    check: forType(T.provider, (r) => {
      const condition = String(r.props.attributeCondition ?? "");
      if (!/assertion\.repository(_id)?\s*==\s*['"][^'"]+['"]|assertion\.sub\.startsWith\('repo:[^']+'\)/.test(condition)) {
        return `${r.name} must set attributeCondition to admit one repository, e.g. assertion.repository == 'owner/name'`;
      }
      const issuer = (r.props.oidc as Props | undefined)?.issuerUri;
      return issuer !== GITHUB_ISSUER ? `${r.name} must use GitHub's issuer ${GITHUB_ISSUER} (it has ${issuer ?? "none"})` : undefined;
    }),
  },
];

/** Roles that let a member act as a service account (actAs, access or ID tokens, federation, keys). */
const IMPERSONATING_ROLES = [
  "roles/iam.serviceAccountUser",
  "roles/iam.serviceAccountTokenCreator",
  "roles/iam.serviceAccountOpenIdTokenCreator",
  "roles/iam.workloadIdentityUser",
  "roles/iam.serviceAccountKeyAdmin",
];

/** The credit guard's accounts (`<prefix>-guard`, `<prefix>-guard-push`, config/names.ts). */
const GUARD_MEMBER = /^serviceAccount:[^@]+-guard@/;
const GUARD_PUSH_MEMBER = /^serviceAccount:[^@]+-guard-push@/;
const CUSTOM_ROLE = /^projects\/[^/]+\/roles\/[\w.]+_guard_(jobs|run)_[0-9a-f]+$/;
/** Its record: the models bucket's `credit-guard/` folder, by the condition `recordCondition` of components/credit-guard.ts. */
const RECORD_CONDITION = /^resource\.name\.startsWith\("projects\/_\/buckets\/[a-z0-9._-]+\/objects\/credit-guard\/"\)$/;
/** What the guard's custom roles may hold: find and stop runs, read and delete services (services/guard/README.md). */
const GUARD_PERMISSIONS = /^(batch\.jobs\.(list|get|delete)|aiplatform\.customJobs\.(list|get|cancel)|run\.services\.(get|delete))$/;
const ANY_GRANT = /iammember:|iambinding:/i;

/** Why a grant to the guard or its push account is beyond what they need, or undefined. */
function guardGrantProblem(r: CheckedResource): string | undefined {
  if (!ANY_GRANT.test(r.type)) return undefined;
  const role = String(r.props.role ?? "");
  const members = membersOf(r.props);
  if (members.some((m) => GUARD_PUSH_MEMBER.test(m))) {
    return r.type === "gcp:cloudrunv2/serviceIamMember:ServiceIamMember" && role === "roles/run.invoker"
      ? undefined
      : `${r.name} grants ${role} to the credit guard's push account, which may only invoke the guard (roles/run.invoker on its service)`;
  }
  if (!members.some((m) => GUARD_MEMBER.test(m))) return undefined;
  if (r.type === "gcp:storage/bucketIAMMember:BucketIAMMember" && ["roles/storage.objectViewer", "roles/storage.objectCreator"].includes(role)) {
    const expression = (r.props.condition as Props | undefined)?.expression;
    return RECORD_CONDITION.test(String(expression ?? ""))
      ? undefined
      : `${r.name} grants ${role} to the credit guard beyond its record; limit it with the condition on objects under credit-guard/`;
  }
  if (r.type === "gcp:projects/iAMMember:IAMMember" && /_guard_jobs_/.test(role) && CUSTOM_ROLE.test(role)) return undefined;
  if (r.type === "gcp:cloudrunv2/serviceIamMember:ServiceIamMember" && /_guard_run_/.test(role) && CUSTOM_ROLE.test(role)) return undefined;
  return `${r.name} grants ${role} on ${r.type.split(":")[1]} to the credit guard, which may only stop jobs (its jobs role on the project), delete services (its run role on each) and write its record`;
}

IDENTITY_RULES.push({
  name: "credit-guard-least-privilege",
  level: "mandatory",
  why: "The credit guard acts unattended on the stack's compute: it may stop runs, delete the stack's services and write its record, and never change IAM, billing, data, secrets or images.",
  check: (r) => {
    if (r.type === "gcp:projects/iAMCustomRole:IAMCustomRole" && /_guard_/.test(String(r.props.roleId ?? ""))) {
      const extra = ((r.props.permissions as unknown[] | undefined) ?? []).map(String).filter((p) => !GUARD_PERMISSIONS.test(p));
      return extra.length
        ? `${r.name} gives the credit guard ${extra.join(", ")}; its roles hold only the permissions that find and stop runs and delete services`
        : undefined;
    }
    return guardGrantProblem(r);
  },
});
