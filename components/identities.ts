import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** Writing log entries through the Logging API: a training run's VM needs it, Cloud Run sends stdout by itself. */
export const LOG_WRITER = "roles/logging.logWriter";
/** Writing metrics: a training run's VM, and a service's Managed Prometheus sidecar. */
export const METRIC_WRITER = "roles/monitoring.metricWriter";

export interface IdentitiesArgs {
  project: string;
  /** Service-account id per workload (trainer, each Cloud Run service). */
  accountIds: Record<string, string>;
  /** The project roles each workload's code needs, of LOG_WRITER and METRIC_WRITER; none when it needs none. */
  projectRoles: Record<string, readonly string[]>;
  /** The group's people and the project roles they get. */
  team?: { members: string[]; roles: string[] };
}

/**
 * One service account per workload, so each can be granted exactly the resources it uses (on the bucket,
 * repository or secret, by the component that owns it). No keys are ever created: workloads use the
 * account they run as, CI uses Workload Identity Federation.
 *
 * Not protected, unlike CI's accounts: a workload's account follows the stack file (removing a service or
 * training takes it away, which Pulumi refuses for a protected resource), and the stack recreates it and its
 * grants under the same email (Google treats it as a new identity; a grant made by hand does not return).
 */
export class Identities extends pulumi.ComponentResource {
  readonly accounts: Record<string, gcp.serviceaccount.Account> = {};
  private readonly roles: Record<string, gcp.projects.IAMMember[]> = {};

  constructor(name: string, args: IdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:identity:Identities", name, {}, opts);
    const child = { parent: this, dependsOn: opts?.dependsOn };
    for (const [workload, accountId] of Object.entries(args.accountIds)) {
      const account = new gcp.serviceaccount.Account(
        `${name}-${workload}`,
        { project: args.project, accountId, displayName: `mlops ${workload}`, description: `Runs the ${workload} workload` },
        child,
      );
      this.accounts[workload] = account;
      this.roles[workload] = (args.projectRoles[workload] ?? []).map(
        (role) => new gcp.projects.IAMMember(`${name}-${workload}-${role.split("/")[1]}`, { project: args.project, role, member: account.member }, child),
      );
    }
    for (const member of args.team?.members ?? []) {
      for (const role of args.team?.roles ?? []) {
        new gcp.projects.IAMMember(`${name}-team-${member.split(":")[1]}-${role.split("/")[1]}`, { project: args.project, role, member }, child);
      }
    }
    this.registerOutputs({ emails: Object.fromEntries(Object.entries(this.accounts).map(([w, a]) => [w, a.email])) });
  }

  /** A workload's project roles (logs, metrics), for what must not start before them. */
  grantsOf(workload: string): gcp.projects.IAMMember[] {
    return this.roles[workload] ?? [];
  }
}
