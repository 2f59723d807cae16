/**
 * Who may act as the CI accounts, and what ci-deploy may grant, as plain strings: the provider's attribute
 * mapping and condition, the (workflow, event) pairs bound to each account, and the IAM conditions that limit
 * ci-deploy's project IAM admin to a fixed list of runtime roles. Pure functions, so tests and the policy pack
 * read the same text the stack registers.
 */

/** Where GitHub keeps a repository's workflows. */
export const WORKFLOW_DIR = ".github/workflows";

/** A workflow file of the repository and an event that starts it. */
export interface WorkflowRun {
  file: string;
  event: string;
}

/** The runs that act as ci-deploy, each on the deploy branch: deploys, the nightly pause and the hand-run teardown. */
export const DEPLOY_RUNS: readonly WorkflowRun[] = [
  { file: "deploy.yml", event: "push" },
  { file: "deploy.yml", event: "workflow_dispatch" },
  { file: "pause.yml", event: "schedule" },
  { file: "pause.yml", event: "workflow_dispatch" },
  { file: "teardown.yml", event: "workflow_dispatch" },
];

/** The run that acts as ci-train, on the deploy branch: starts one training run by hand (the stack's trainCommand). */
export const TRAIN_RUN: WorkflowRun = { file: "train.yml", event: "workflow_dispatch" };

/** The run that acts as ci-preview, from any pull-request branch. */
export const PREVIEW_RUN: WorkflowRun = { file: "preview.yml", event: "pull_request" };

/** Every workflow file some CI account trusts. */
export const TRUSTED_FILES: readonly string[] = [...new Set([...DEPLOY_RUNS, TRAIN_RUN, PREVIEW_RUN].map((r) => r.file))];

/** The role whose grant to ci-deploy carries the grantable-roles condition. */
export const PROJECT_IAM_ADMIN = "roles/resourcemanager.projectIamAdmin";

/**
 * Google's limits on what the provider and the IAM conditions may hold.
 * - subject: "Mapped subject — 127 bytes" (https://cloud.google.com/iam/quotas, attribute mapping);
 * - attributeCondition: "The maximum length of the attribute condition expression is 4096 characters", and
 *   a mapping expression at most 2048 (WorkloadIdentityPoolProvider, IAM REST reference);
 * - hasOnlyRoles: "You can include up to 10 values in the list of allowed roles"
 *   (https://cloud.google.com/iam/docs/setting-limits-on-granting-roles);
 * - logicalOperators: "Logic operators in a role binding's condition expression — 12" (IAM quotas);
 * - conditionalBindings: "Role bindings … that include the same role and the same principal, but different
 *   condition expressions — 20" (IAM quotas).
 */
export const GOOGLE_LIMITS = {
  subjectBytes: 127,
  attributeConditionChars: 4096,
  mappingExpressionChars: 2048,
  hasOnlyRoles: 10,
  logicalOperators: 12,
  conditionalBindings: 20,
} as const;

/** The longest event name GitHub sends (`pull_request_review_comment`), and the longest numeric id (int64). */
const MAX_EVENT_CHARS = 27;
const MAX_ID_DIGITS = 19;

/**
 * The subject names the run identity: the repository by id, the workflow file when it is one the stack
 * trusts (`other` otherwise), and the event. Built from parts of bounded length, so it stays under Google's
 * 127 bytes whatever the names, branch or environment are (GitHub's `sub` can exceed it).
 */
const SUBJECT =
  `'repo:' + assertion.repository_id + ':' + (assertion.job_workflow_ref.extract('/${WORKFLOW_DIR}/{file}@') in [${TRUSTED_FILES.map((f) => `'${f}'`).join(", ")}] ` +
  `? assertion.job_workflow_ref.extract('/${WORKFLOW_DIR}/{file}@') : 'other') + ':' + assertion.event_name`;

/** The longest subject SUBJECT can map to: every part at its maximum. */
export const MAX_SUBJECT_BYTES = "repo:".length + MAX_ID_DIGITS + 1 + Math.max("other".length, ...TRUSTED_FILES.map((f) => f.length)) + 1 + MAX_EVENT_CHARS;

/**
 * GitHub's OIDC claims as attributes. `workflow_event` names the file that defines the job, its ref and the
 * event (`OWNER/NAME/.github/workflows/deploy.yml@refs/heads/main:push`); `workflow_file_event` the same
 * without the ref, for pull requests whose ref changes with each one. job_workflow_ref, not workflow_ref:
 * a reusable workflow called from elsewhere carries its own file there. None of these claims changes with
 * GitHub's immutable subject format, which changes `sub` alone.
 */
export const ATTRIBUTE_MAPPING: Record<string, string> = {
  "google.subject": SUBJECT,
  "attribute.repository": "assertion.repository",
  "attribute.repository_owner": "assertion.repository_owner",
  "attribute.repository_id": "assertion.repository_id",
  "attribute.repository_owner_id": "assertion.repository_owner_id",
  "attribute.ref": "assertion.ref",
  "attribute.event_name": "assertion.event_name",
  "attribute.workflow_ref": "assertion.workflow_ref",
  "attribute.job_workflow_ref": "assertion.job_workflow_ref",
  "attribute.workflow_event": "assertion.job_workflow_ref + ':' + assertion.event_name",
  "attribute.workflow_file_event": "assertion.job_workflow_ref.extract('{file}@') + ':' + assertion.event_name",
};

export interface RepositoryPin {
  /** owner/name */
  repository: string;
  repositoryId?: string;
  repositoryOwnerId?: string;
}

/**
 * Admits tokens of one repository only, whichever subject format GitHub gives it (`repo:OWNER/NAME:…` or,
 * for repositories created since 2026, `repo:OWNER@OWNER_ID/NAME@REPO_ID:…`): by the `repository` claim,
 * which both formats carry unchanged, and by the immutable ids where known, so a deleted and recreated
 * repository of the same name is refused. Only conjunctions of equalities: no prefix that `NAME-evil`
 * shares, nothing an alternative or a negation can bypass.
 */
export function providerCondition(pin: RepositoryPin): string {
  const parts = [`assertion.repository == '${pin.repository}'`];
  if (pin.repositoryId) parts.push(`assertion.repository_id == '${pin.repositoryId}'`);
  if (pin.repositoryOwnerId) parts.push(`assertion.repository_owner_id == '${pin.repositoryOwnerId}'`);
  return parts.join(" && ");
}

/** The attribute path and value a principalSet binding names for a run (after `/attribute.`). */
export function runPrincipal(repository: string, run: WorkflowRun, branch?: string): string {
  const file = `${repository}/${WORKFLOW_DIR}/${run.file}`;
  return branch === undefined ? `workflow_file_event/${file}:${run.event}` : `workflow_event/${file}@refs/heads/${branch}:${run.event}`;
}

/**
 * Every project role ci-deploy may grant or revoke, whatever the stack file says: what a runtime account
 * holds project-wide (logs, metrics, a Batch run's agent). Fixed per package release, so no config change
 * touches ci-deploy's conditional grant; a release that changes the list bumps the version, and that grant
 * is then a change an Owner applies (`needs-owner` says so). Never basic, admin, impersonation, federation
 * or token roles, nor ci-deploy's or ci-preview's own roles, nor any role holding setIamPolicy (Google's
 * warning on "Set limits on granting roles").
 */
export const GRANTABLE_ROLES = {
  version: 2,
  roles: ["roles/batch.agentReporter", "roles/logging.logWriter", "roles/monitoring.metricWriter"],
} as const;

export interface GrantCondition {
  title: string;
  description: string;
  expression: string;
}

/**
 * The conditions of ci-deploy's project IAM admin grants: one binding per list of at most 10 roles. Google
 * allows 10 roles per `hasOnly` list and advises against joining `hasOnly` calls with `||` or `&&` ("requests
 * that grant or revoke multiple roles might fail"), so each list is its own binding; Pulumi changes one role
 * per request, which one binding always admits.
 */
export function grantableConditions(roles: readonly string[] = GRANTABLE_ROLES.roles, version: number = GRANTABLE_ROLES.version): GrantCondition[] {
  const sorted = [...new Set(roles)].sort();
  if (sorted.includes(PROJECT_IAM_ADMIN)) throw new Error(`${PROJECT_IAM_ADMIN} must never be grantable`);
  const lists: string[][] = [];
  for (let i = 0; i < sorted.length; i += GOOGLE_LIMITS.hasOnlyRoles) lists.push(sorted.slice(i, i + GOOGLE_LIMITS.hasOnlyRoles));
  if (lists.length > GOOGLE_LIMITS.conditionalBindings)
    throw new Error(`${sorted.length} grantable roles need more than ${GOOGLE_LIMITS.conditionalBindings} conditional bindings`);
  return lists.map((list, i) => ({
    title: `runtime roles v${version}${lists.length > 1 ? ` (${i + 1}/${lists.length})` : ""}`,
    description: `Grants and revokes only the runtime roles of mlops-gcp-stack's list v${version}`,
    expression: `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${list.map((r) => `'${r}'`).join(", ")}])`,
  }));
}

/** Permissions of ci-train's custom role: submit, read and cancel one kind of training run, and read GPU quota. */
export const TRAIN_PERMISSIONS = {
  // Cloud Batch has no cancel permission; deleting a job stops it (roles/batch.jobsEditor's permissions).
  vm: ["batch.jobs.create", "batch.jobs.delete", "batch.jobs.get", "batch.jobs.list", "compute.projects.get", "compute.regions.get"],
  vertex: ["aiplatform.customJobs.cancel", "aiplatform.customJobs.create", "aiplatform.customJobs.get", "aiplatform.customJobs.list"],
} as const satisfies Record<string, readonly string[]>;
