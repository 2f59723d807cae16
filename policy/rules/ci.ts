/**
 * Rules about the CI identities and about data surviving pause and teardown (issue 14): what ci-deploy may
 * grant, which project roles no service account may hold, federation that cannot be bypassed, bindings that
 * name a workflow, a read-only ci-preview, and soft delete on every bucket. Same shape as the other rule files.
 */
import { SOFT_DELETE_SECONDS } from "../../lib/gcp";
import type { CheckedResource, Rule } from "./rule";

// Rules read provider inputs, which are untyped JSON as the engine sends them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Props = Record<string, any>;

const PROJECT_IAM = ["gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding"];
const PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider";
const SA_IAM = ["gcp:serviceaccount/iAMMember:IAMMember", "gcp:serviceaccount/iAMBinding:IAMBinding"];
const ANY_IAM = /IAMMember:|IAMBinding:|IamMember:|IamBinding:/;
const BUCKET = "gcp:storage/bucket:Bucket";

/** Roles that grant roles: held by a service account only under a grantable-roles condition. */
const IAM_ADMIN = ["roles/resourcemanager.projectIamAdmin", "roles/iam.securityAdmin"];
/** Roles a grantable-roles list must never hold: with one of them CI could make itself Owner. */
export const NEVER_GRANTABLE = [
  "roles/owner",
  "roles/editor",
  "roles/viewer",
  ...IAM_ADMIN,
  "roles/iam.roleAdmin",
  "roles/iam.serviceAccountAdmin",
  "roles/iam.serviceAccountUser",
  "roles/iam.serviceAccountTokenCreator",
  "roles/iam.serviceAccountKeyAdmin",
  "roles/iam.workloadIdentityPoolAdmin",
];
/** Project-wide roles that manage accounts, federation, all data or all secrets: on the resource, never the project. */
export const PROJECT_WIDE_ADMIN = [
  "roles/iam.roleAdmin",
  "roles/iam.serviceAccountAdmin",
  "roles/iam.serviceAccountKeyAdmin",
  "roles/iam.workloadIdentityPoolAdmin",
  "roles/storage.admin",
  "roles/storage.objectAdmin",
  "roles/secretmanager.admin",
  "roles/secretmanager.secretAccessor",
];
const GRANTABLE = /^api\.getAttribute\('iam\.googleapis\.com\/modifiedGrantsByRole', \[\]\)\.hasOnly\(\[((?:'roles\/[\w.]+'(?:, )?)*)\]\)$/;
/** One repository, by name (a claim both of GitHub's subject formats carry) or by immutable id. */
const REPO_PIN = /assertion\.repository == '[\w.-]+\/[\w.-]+'|assertion\.repository_id == '\d+'/;
/** Google: "You can include up to 10 values in the list of allowed roles" (Set limits on granting roles). */
const MAX_GRANTABLE = 10;
/** Predefined roles that create Vertex AI custom jobs, which without a service account run as Vertex AI's Custom Code Service Agent. */
const VERTEX_JOB_ROLES = ["roles/aiplatform.user", "roles/aiplatform.admin", "roles/aiplatform.customCodeServiceAgent"];
const CI_ACCOUNT = /^serviceAccount:[^@]+-ci-(preview|deploy|train)@/;
/** The only atoms a provider condition may join with &&: each compares a claim with one literal. */
const CONDITION_ATOM = /^(assertion\.sub\.startsWith\('[^'\\]*'\)|assertion\.[a-z_]+ == '[^'\\]*')$/;
const BOUND_TO_RUN = /\/attribute\.(workflow_event|workflow_file_event)\/[^/]+\/[^/]+\/\.github\/workflows\/[\w.-]+\.ya?ml(@refs\/heads\/[\w./-]+)?:[a-z_]+$/;
const PREVIEW_ACCOUNT = /^serviceAccount:[^@]+-ci-preview@/;
const READ_ONLY_ROLE = /(viewer|Viewer|reader|Reader|securityReviewer)$/;

const membersOf = (p: Props): string[] =>
  [...(p.member ? [p.member] : []), ...(Array.isArray(p.members) ? p.members : [])].filter((m) => typeof m === "string");
const accountsOf = (p: Props) => membersOf(p).filter((m) => m.startsWith("serviceAccount:"));
const is = (r: CheckedResource, types: string[]) => types.includes(r.type);

/** Why a project IAM admin grant's condition does not confine it to a safe list, or undefined when it does. */
function grantableProblem(condition: Props | undefined): string | undefined {
  const expression = String(condition?.expression ?? "");
  const list = GRANTABLE.exec(expression.trim());
  if (!list) return "no condition limiting the roles it may grant";
  const roles = [...list[1].matchAll(/'(roles\/[\w.]+)'/g)].map((m) => m[1]);
  if (roles.length > MAX_GRANTABLE)
    return `a grantable list of ${roles.length} roles (Google allows at most ${MAX_GRANTABLE} per hasOnly list; split them into one binding per list)`;
  const unsafe = roles.filter((r) => NEVER_GRANTABLE.includes(r) || VERTEX_JOB_ROLES.includes(r));
  return unsafe.length ? `a grantable list holding ${unsafe.join(", ")}` : undefined;
}

export const CI_RULES: Rule[] = [
  {
    name: "iam-admin-conditioned",
    level: "mandatory",
    why: "Project IAM admin without a condition lets a service account grant itself Owner; the condition lists the only roles it may grant (delegated role grants).",
    check: (r) => {
      if (!is(r, PROJECT_IAM) || !IAM_ADMIN.includes(String(r.props.role)) || !accountsOf(r.props).length) return undefined;
      const problem = grantableProblem(r.props.condition as Props | undefined);
      return problem
        ? `${r.name} grants ${r.props.role} to ${accountsOf(r.props).join(", ")} with ${problem}; add condition.expression api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([...the stack's roles])`
        : undefined;
    },
  },
  {
    name: "no-project-admin-roles-for-accounts",
    level: "mandatory",
    why: "Project-wide admin over service accounts, federation, storage or secrets lets an account impersonate, re-key, rewrite its own trust or read all data; grant it on the resource.",
    check: (r) => {
      if (!is(r, PROJECT_IAM) || !PROJECT_WIDE_ADMIN.includes(String(r.props.role)) || !accountsOf(r.props).length) return undefined;
      return `${r.name} grants ${r.props.role} on the whole project to ${accountsOf(r.props).join(", ")}; grant it on the buckets, secrets or accounts that need it, or leave the change to bootstrap`;
    },
  },
  {
    name: "wif-condition-no-bypass",
    level: "mandatory",
    why: "A provider condition must pin one repository (its name claim or immutable id) and hold only conjunctions; an alternative or a negation can admit any repository.",
    check: (r) => {
      if (r.type !== PROVIDER) return undefined;
      const condition = String(r.props.attributeCondition ?? "");
      if (/\|\||!|\?/.test(condition))
        return `${r.name} has an attributeCondition with an alternative or negation (${condition}); use only && of equality and startsWith checks`;
      // Anything but a plain conjunction (`x == x`, `in [true, false]`, parentheses) could always be true.
      if (condition && !condition.split(" && ").every((atom) => CONDITION_ATOM.test(atom.trim()))) {
        return `${r.name} has an attributeCondition that is not a plain && of claim checks (${condition}); use only assertion.CLAIM == 'value'`;
      }
      return REPO_PIN.test(condition)
        ? undefined
        : `${r.name} must pin the repository in attributeCondition: assertion.repository == 'OWNER/NAME' (both of GitHub's subject formats) and, where known, assertion.repository_id == 'ID'`;
    },
  },
  {
    name: "wif-binding-names-workflow",
    level: "mandatory",
    why: "An account bound to the whole pool, a branch or a repository can be used by any workflow or event there; each binding names one workflow file and event.",
    check: (r) => {
      if (!is(r, SA_IAM) || r.props.role !== "roles/iam.workloadIdentityUser") return undefined;
      const loose = membersOf(r.props).filter((m) => m.startsWith("principalSet://") && !BOUND_TO_RUN.test(m));
      return loose.length
        ? `${r.name} lets ${loose.join(", ")} act as the account; bind attribute.workflow_event/OWNER/NAME/.github/workflows/FILE@refs/heads/BRANCH:EVENT instead`
        : undefined;
    },
  },
  {
    name: "no-vertex-job-roles-for-ci",
    level: "mandatory",
    why: "A role that creates Vertex AI custom jobs lets a CI account submit a job without a service account, which runs as the Custom Code Service Agent (project-wide storage); only ci-train's custom role submits jobs, and its workflow names the trainer (the residual risk is in docs/ci.md).",
    check: (r) => {
      if (!is(r, PROJECT_IAM) || !VERTEX_JOB_ROLES.includes(String(r.props.role))) return undefined;
      const ci = membersOf(r.props).filter((m) => CI_ACCOUNT.test(m));
      return ci.length ? `${r.name} grants ${r.props.role} to ${ci.join(", ")}; CI submits training through ci-train's custom role` : undefined;
    },
  },
  {
    name: "ci-preview-read-only",
    level: "mandatory",
    why: "Pull requests run their own workflow files as ci-preview, so it may only read: no write, admin or secret-accessor role anywhere.",
    check: (r) => {
      if (!ANY_IAM.test(r.type) || !membersOf(r.props).some((m) => PREVIEW_ACCOUNT.test(m))) return undefined;
      const role = String(r.props.role);
      return READ_ONLY_ROLE.test(role) ? undefined : `${r.name} grants ${role} to ci-preview; it may hold only viewer or reader roles`;
    },
  },
  {
    name: "bucket-soft-delete",
    level: "mandatory",
    why: "Soft delete keeps deleted objects, and a deleted bucket, restorable for a week, whatever protectData says; a retention of 0 turns it off.",
    check: (r) => {
      if (r.type !== BUCKET) return undefined;
      const seconds = (r.props.softDeletePolicy as Props | undefined)?.retentionDurationSeconds;
      return seconds !== undefined && Number(seconds) < SOFT_DELETE_SECONDS
        ? `bucket ${r.name} keeps deleted objects ${seconds} s; set softDeletePolicy.retentionDurationSeconds to at least ${SOFT_DELETE_SECONDS} (7 days)`
        : undefined;
    },
  },
];
