/**
 * Who may act as the CI accounts, and what ci-deploy may grant, as plain strings: the provider's attribute
 * mapping and condition, the (workflow, event) pairs bound to each account, and the IAM condition that limits
 * ci-deploy's project IAM admin to the stack's own roles. Pure functions, so tests and the policy pack read
 * the same text the stack registers.
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
  // Starts a training run by hand (the stack's trainCommand): batch.jobsEditor and actAs on the trainer only.
  { file: "train.yml", event: "workflow_dispatch" },
];

/** The run that acts as ci-preview, from any pull-request branch. */
export const PREVIEW_RUN: WorkflowRun = { file: "preview.yml", event: "pull_request" };

/** The role whose grant to ci-deploy carries the grantable-roles condition. */
export const PROJECT_IAM_ADMIN = "roles/resourcemanager.projectIamAdmin";

/**
 * GitHub's OIDC claims as attributes. `workflow_event` names the file that defines the job, its ref and the
 * event (`OWNER/NAME/.github/workflows/deploy.yml@refs/heads/main:push`); `workflow_file_event` the same
 * without the ref, for pull requests whose ref changes with each one. job_workflow_ref, not workflow_ref:
 * a reusable workflow called from elsewhere carries its own file there.
 */
export const ATTRIBUTE_MAPPING: Record<string, string> = {
  "google.subject": "assertion.sub",
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
 * Admits tokens of one repository only: by the `sub` prefix (every job's sub starts with it, with or without
 * an environment), and by the immutable ids where known. Only conjunctions: nothing here can be bypassed by
 * an alternative or a negation.
 */
export function providerCondition(pin: RepositoryPin): string {
  const parts = [`assertion.sub.startsWith('repo:${pin.repository}:')`];
  if (pin.repositoryId) parts.push(`assertion.repository_id == '${pin.repositoryId}'`);
  if (pin.repositoryOwnerId) parts.push(`assertion.repository_owner_id == '${pin.repositoryOwnerId}'`);
  return parts.join(" && ");
}

/** The attribute path and value a principalSet binding names for a run (after `/attribute.`). */
export function runPrincipal(repository: string, run: WorkflowRun, branch?: string): string {
  const file = `${repository}/${WORKFLOW_DIR}/${run.file}`;
  return branch === undefined ? `workflow_file_event/${file}:${run.event}` : `workflow_event/${file}@refs/heads/${branch}:${run.event}`;
}

/** Fabric's delegated role grants: project IAM admin that may add or remove only these roles. */
export function grantableCondition(roles: readonly string[]): { title: string; description: string; expression: string } {
  return {
    title: "stack roles only",
    description: "Grants and revokes only the project roles the stack itself grants",
    expression: `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${roles.map((r) => `'${r}'`).join(", ")}])`,
  };
}

/** The roles ci-deploy may grant: the stack's project roles, never the admin role that grants them. */
export function grantableRoles(stackRoles: readonly string[]): string[] {
  return [...new Set(stackRoles)].filter((r) => r !== PROJECT_IAM_ADMIN).sort();
}
