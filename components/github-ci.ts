import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  ATTRIBUTE_MAPPING,
  DEPLOY_RUNS,
  grantableConditions,
  PREVIEW_RUN,
  PROJECT_IAM_ADMIN,
  providerCondition,
  runPrincipal,
  TRAIN_PERMISSIONS,
  TRAIN_RUN,
  type RepositoryPin,
} from "./ci-access";

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
/** The auth action the README and the workflows use (google-github-actions/auth), pinned by commit. */
export const AUTH_ACTION = "google-github-actions/auth@7c6bc770dae815cd3e89ee6cdf493a5fab2cc093 # v3.0.0";
// ci-train reads the stack's outputs (`pulumi stack output`), which takes no lock.
export const STATE_ROLES = { deploy: "roles/storage.objectUser", preview: "roles/storage.objectViewer", train: "roles/storage.objectViewer" } as const;

export interface GithubCiArgs extends RepositoryPin {
  project: string;
  /** Only workflows on this branch may act as the deploy account. */
  branch: string;
  poolId: pulumi.Input<string>;
  providerId: pulumi.Input<string>;
  previewAccountId: string;
  deployAccountId: string;
  trainAccountId: string;
  /** Training the stack runs, if any: ci-train may then submit, read and cancel runs of this kind as the trainer. */
  training?: { kind: keyof typeof TRAIN_PERMISSIONS; trainerAccount: pulumi.Input<string>; roleIdBase: string };
  /** Project roles that let `pulumi preview` read what the stack manages, and nothing else. */
  previewRoles: string[];
  /** Project roles that let `pulumi up` manage what the stack manages (storage and secrets come per resource). */
  deployRoles: string[];
  /** Those of the preview and deploy roles that every stack needs; the others follow the stack file (its APIs). */
  foundationRoles: string[];
  /** Runtime accounts the deploy account deploys workloads as (serviceAccountUser on each, never project-wide). */
  runtimeAccounts: Record<string, pulumi.Input<string>>;
  /** The Pulumi state bucket, when the stack knows it: read-write for deploy, read-only for preview. */
  stateBucket?: string;
  /** The pool, provider, CI accounts and their grants stay when the stack is paused, so CI keeps working. */
  protect: boolean;
}

/**
 * Keyless GitHub Actions access through Workload Identity Federation: a pool, a GitHub OIDC provider that
 * admits only the group's repository (in either subject format), a read-only `ci-preview` account for the
 * preview workflow, a `ci-deploy` account for the deploy, pause and teardown workflows on the default branch,
 * and a `ci-train` account for the train workflow there. ci-deploy cannot change identities or federation
 * (that is bootstrap, by an Owner) and may grant only the package's fixed list of runtime roles.
 */
export class GithubCi extends pulumi.ComponentResource {
  readonly pool: gcp.iam.WorkloadIdentityPool;
  readonly provider: gcp.iam.WorkloadIdentityPoolProvider;
  readonly previewAccount: gcp.serviceaccount.Account;
  readonly deployAccount: gcp.serviceaccount.Account;
  readonly trainAccount: gcp.serviceaccount.Account;
  /** Full resource name of the provider, the `workload_identity_provider` input of the auth action. */
  readonly providerName: pulumi.Output<string>;
  /** A ready-to-paste auth step for deploy workflows. */
  readonly authStep: pulumi.Output<string>;
  private readonly name: string;
  private readonly kept: pulumi.CustomResourceOptions;

  constructor(name: string, args: GithubCiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:ci:GithubCi", name, {}, opts);
    this.name = name;
    const kept = (this.kept = { parent: this, dependsOn: opts?.dependsOn, protect: args.protect });

    this.pool = new gcp.iam.WorkloadIdentityPool(
      `${name}-pool`,
      { project: args.project, workloadIdentityPoolId: args.poolId, displayName: "GitHub Actions", description: `Workflows of ${args.repository}` },
      kept,
    );
    this.provider = new gcp.iam.WorkloadIdentityPoolProvider(
      `${name}-provider`,
      {
        project: args.project,
        workloadIdentityPoolId: this.pool.workloadIdentityPoolId,
        workloadIdentityPoolProviderId: args.providerId,
        displayName: "GitHub OIDC",
        attributeMapping: ATTRIBUTE_MAPPING,
        // Without a condition any GitHub repository could exchange its token in this pool.
        attributeCondition: providerCondition(args),
        oidc: { issuerUri: GITHUB_ISSUER },
      },
      kept,
    );

    const account = (role: "preview" | "deploy" | "train", accountId: string, description: string) =>
      new gcp.serviceaccount.Account(`${name}-${role}`, { project: args.project, accountId, displayName: `mlops CI ${role}`, description }, kept);
    this.previewAccount = account("preview", args.previewAccountId, `pulumi preview from ${PREVIEW_RUN.file} of ${args.repository}`);
    this.deployAccount = account(
      "deploy",
      args.deployAccountId,
      `pulumi up from ${DEPLOY_RUNS.map((r) => r.file)
        .filter((f, i, all) => all.indexOf(f) === i)
        .join(", ")} of ${args.repository}@${args.branch}`,
    );
    this.trainAccount = account("train", args.trainAccountId, `training runs from ${TRAIN_RUN.file} of ${args.repository}@${args.branch}`);
    this.bindRuns(args);
    this.grantProjectRoles(args);
    this.grantTraining(args);

    // Not protected: each goes with its workload's account, which the stack file can take away.
    for (const [workload, accountName] of Object.entries(args.runtimeAccounts)) {
      new gcp.serviceaccount.IAMMember(
        `${name}-deploy-actas-${workload}`,
        { serviceAccountId: accountName, role: "roles/iam.serviceAccountUser", member: this.deployAccount.member },
        { ...kept, protect: false },
      );
    }
    if (args.stateBucket) {
      for (const who of ["deploy", "preview", "train"] as const) {
        const member = { deploy: this.deployAccount, preview: this.previewAccount, train: this.trainAccount }[who].member;
        new gcp.storage.BucketIAMMember(`${name}-${who}-state`, { bucket: args.stateBucket, role: STATE_ROLES[who], member }, kept);
      }
    }

    this.providerName = this.provider.name;
    this.authStep = pulumi.interpolate`- uses: ${AUTH_ACTION}
  with:
    workload_identity_provider: ${this.provider.name}
    service_account: ${this.deployAccount.email}`;
    this.registerOutputs({
      providerName: this.providerName,
      previewAccount: this.previewAccount.email,
      deployAccount: this.deployAccount.email,
      trainAccount: this.trainAccount.email,
      authStep: this.authStep,
    });
  }

  /** Each account is usable only by the runs of its own workflows, files and events named in the binding. */
  private bindRuns(args: GithubCiArgs): void {
    const principal = (path: string) => pulumi.interpolate`principalSet://iam.googleapis.com/${this.pool.name}/attribute.${path}`;
    const bind = (resourceName: string, account: gcp.serviceaccount.Account, path: string, opts: pulumi.CustomResourceOptions = this.kept) =>
      new gcp.serviceaccount.IAMMember(resourceName, { serviceAccountId: account.name, role: "roles/iam.workloadIdentityUser", member: principal(path) }, opts);
    bind(`${this.name}-preview-wif`, this.previewAccount, runPrincipal(args.repository, PREVIEW_RUN));
    DEPLOY_RUNS.forEach((run, i) => {
      const runName = `${run.file.replace(/\.yml$/, "")}-${run.event.replace(/_/g, "-")}`;
      // Until 0.3.0 the first binding (a push to the branch) was the only one, named without its run.
      const formerly = i === 0 ? { aliases: [{ name: `${this.name}-deploy-wif` }] } : {};
      bind(`${this.name}-deploy-wif-${runName}`, this.deployAccount, runPrincipal(args.repository, run, args.branch), { ...this.kept, ...formerly });
    });
    // Until 0.3.0 the train workflow acted as ci-deploy: the alias turns that protected binding into this one
    // by a replacement, which Pulumi allows when the new resource is not protected (a plain delete it refuses).
    bind(`${this.name}-train-wif`, this.trainAccount, runPrincipal(args.repository, TRAIN_RUN, args.branch), {
      ...this.kept,
      protect: false,
      aliases: [{ name: `${this.name}-deploy-wif-train-workflow-dispatch` }],
    });
  }

  private grantProjectRoles(args: GithubCiArgs): void {
    // A role that follows the stack file (training's kind, services, secrets) is not protected: the stack file
    // can take it away, and protection would make Pulumi refuse that change.
    const grant = (who: "preview" | "deploy", account: gcp.serviceaccount.Account, role: string) =>
      new gcp.projects.IAMMember(
        `${this.name}-${who}-${role.split("/")[1]}`,
        { project: args.project, role, member: account.member },
        { ...this.kept, protect: this.kept.protect && args.foundationRoles.includes(role) },
      );
    for (const role of args.previewRoles) grant("preview", this.previewAccount, role);
    for (const role of args.deployRoles.filter((r) => r !== PROJECT_IAM_ADMIN)) grant("deploy", this.deployAccount, role);
    if (!args.deployRoles.includes(PROJECT_IAM_ADMIN)) return;
    // Not protected: replacing it (a new list version) needs an Owner anyway, and needs-owner says so.
    grantableConditions().forEach(
      (condition, i) =>
        new gcp.projects.IAMMember(
          `${this.name}-deploy-${PROJECT_IAM_ADMIN.split("/")[1]}${i ? `-${i + 1}` : ""}`,
          { project: args.project, role: PROJECT_IAM_ADMIN, member: this.deployAccount.member, condition },
          { ...this.kept, protect: false },
        ),
    );
  }

  /**
   * ci-train submits, reads and cancels runs of the stack's training kind, as the trainer only: a custom role
   * (no predefined Vertex AI role creates custom jobs without much more), actAs on the trainer account. None of
   * it is protected: it follows mlops:training, and Google keeps a deleted custom role's id for up to 37 days,
   * so the id carries a suffix that is new whenever the role is.
   */
  private grantTraining(args: GithubCiArgs): void {
    if (!args.training) return;
    const { kind, trainerAccount, roleIdBase } = args.training;
    const opts = { ...this.kept, protect: false };
    const suffix = new random.RandomId(`${this.name}-train-role-suffix`, { byteLength: 3 }, opts);
    const role = new gcp.projects.IAMCustomRole(
      `${this.name}-train-role`,
      {
        project: args.project,
        roleId: pulumi.interpolate`${roleIdBase}_${suffix.hex}`,
        title: "mlops training runs",
        description: `Submit, read and cancel ${kind === "vm" ? "Cloud Batch jobs" : "Vertex AI custom jobs"} (ci-train, ${TRAIN_RUN.file})`,
        permissions: [...TRAIN_PERMISSIONS[kind]],
      },
      opts,
    );
    // Until 0.3.0 ci-deploy held the predefined role: the alias replaces that protected grant with this one.
    const predefined = kind === "vm" ? "batch.jobsEditor" : "aiplatform.user";
    new gcp.projects.IAMMember(
      `${this.name}-train-runs`,
      { project: args.project, role: role.name, member: this.trainAccount.member },
      { ...opts, aliases: [{ name: `${this.name}-deploy-${predefined}` }] },
    );
    // Until 0.3.0 ci-deploy could act as the trainer: the alias hands that grant to ci-train by a replacement.
    new gcp.serviceaccount.IAMMember(
      `${this.name}-train-actas-trainer`,
      { serviceAccountId: trainerAccount, role: "roles/iam.serviceAccountUser", member: this.trainAccount.member },
      { ...opts, aliases: [{ name: `${this.name}-deploy-actas-trainer` }] },
    );
  }
}
