import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
/** The auth action the README and the workflows use (google-github-actions/auth). */
export const AUTH_ACTION = "google-github-actions/auth@v3.0.0";

export interface GithubCiArgs {
  project: string;
  /** owner/name of the repository whose workflows may authenticate. */
  repository: string;
  /** Only workflows on this branch may act as the deploy account. */
  branch: string;
  poolId: pulumi.Input<string>;
  providerId: pulumi.Input<string>;
  previewAccountId: string;
  deployAccountId: string;
  /** Project roles that let `pulumi preview` read what the stack manages, and nothing else. */
  previewRoles: string[];
  /** Project roles that let `pulumi up` manage what the stack manages. */
  deployRoles: string[];
  /** Runtime accounts the deploy account deploys workloads as (serviceAccountUser on each, never project-wide). */
  runtimeAccounts: Record<string, pulumi.Input<string>>;
  /** The pool, provider, CI accounts and their grants stay when the stack is paused, so CI keeps working. */
  protect: boolean;
}

/**
 * Keyless GitHub Actions access through Workload Identity Federation: a pool, a GitHub OIDC provider that
 * admits only the group's repository, a read-only `ci-preview` account for pull requests and a `ci-deploy`
 * account that only the default branch can use.
 */
export class GithubCi extends pulumi.ComponentResource {
  readonly pool: gcp.iam.WorkloadIdentityPool;
  readonly provider: gcp.iam.WorkloadIdentityPoolProvider;
  readonly previewAccount: gcp.serviceaccount.Account;
  readonly deployAccount: gcp.serviceaccount.Account;
  /** Full resource name of the provider, the `workload_identity_provider` input of the auth action. */
  readonly providerName: pulumi.Output<string>;
  /** A ready-to-paste auth step for deploy workflows. */
  readonly authStep: pulumi.Output<string>;

  constructor(name: string, args: GithubCiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:ci:GithubCi", name, {}, opts);
    const child = { parent: this, dependsOn: opts?.dependsOn };
    const kept = { ...child, protect: args.protect };

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
        attributeMapping: {
          "google.subject": "assertion.sub",
          "attribute.repository": "assertion.repository",
          "attribute.repository_owner": "assertion.repository_owner",
          "attribute.ref": "assertion.ref",
        },
        // Without a condition any GitHub repository could exchange its token in this pool.
        attributeCondition: `assertion.repository == '${args.repository}'`,
        oidc: { issuerUri: GITHUB_ISSUER },
      },
      kept,
    );

    const principals = pulumi.interpolate`principalSet://iam.googleapis.com/${this.pool.name}`;
    const account = (role: "preview" | "deploy", accountId: string, description: string) =>
      new gcp.serviceaccount.Account(`${name}-${role}`, { project: args.project, accountId, displayName: `mlops CI ${role}`, description }, kept);
    this.previewAccount = account("preview", args.previewAccountId, `pulumi preview from any ref of ${args.repository}`);
    this.deployAccount = account("deploy", args.deployAccountId, `pulumi up from ${args.repository}@${args.branch}`);

    new gcp.serviceaccount.IAMMember(
      `${name}-preview-wif`,
      { serviceAccountId: this.previewAccount.name, role: "roles/iam.workloadIdentityUser", member: pulumi.interpolate`${principals}/attribute.repository/${args.repository}` },
      kept,
    );
    // The provider admits only this repository, so a ref binding means "this repository's branch".
    new gcp.serviceaccount.IAMMember(
      `${name}-deploy-wif`,
      { serviceAccountId: this.deployAccount.name, role: "roles/iam.workloadIdentityUser", member: pulumi.interpolate`${principals}/attribute.ref/refs/heads/${args.branch}` },
      kept,
    );

    const grant = (who: "preview" | "deploy", account: gcp.serviceaccount.Account, roles: string[]) => {
      for (const role of roles) {
        new gcp.projects.IAMMember(`${name}-${who}-${role.split("/")[1]}`, { project: args.project, role, member: account.member }, kept);
      }
    };
    grant("preview", this.previewAccount, args.previewRoles);
    grant("deploy", this.deployAccount, args.deployRoles);
    for (const [workload, accountName] of Object.entries(args.runtimeAccounts)) {
      new gcp.serviceaccount.IAMMember(
        `${name}-deploy-actas-${workload}`,
        { serviceAccountId: accountName, role: "roles/iam.serviceAccountUser", member: this.deployAccount.member },
        kept,
      );
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
      authStep: this.authStep,
    });
  }
}
