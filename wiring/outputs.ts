/** The stack's outputs in one place: what a group copies into its repository, CI and terminal. */
import * as pulumi from "@pulumi/pulumi";
import type { ArtifactRegistry } from "../components/artifact-registry";
import type { GithubCi } from "../components/github-ci";
import type { Identities } from "../components/identities";
import type { Monitoring } from "../components/monitoring";
import type { ProjectServices } from "../components/project-services";
import type { Secrets } from "../components/secrets";
import type { Buckets } from "../components/storage";
import { costAssumptions, type StackConfig } from "../config";
import { costFields, estimateCost, type CostInput } from "../lib/cost";

export type StackOutputs = Record<string, pulumi.Input<unknown>>;

export interface StackParts {
  apis: ProjectServices;
  identities: Identities;
  ci?: GithubCi;
  buckets: Buckets;
  registry: ArtifactRegistry;
  secrets?: Secrets;
  /** Outputs of the workloads: services, then training. */
  workloads: StackOutputs;
  monitoring: Monitoring;
  /** What the cost estimate reads, when there is a stack to observe. */
  costInputs?: pulumi.Output<CostInput>[];
}

export function stackOutputs(config: StackConfig, parts: StackParts): StackOutputs {
  const { ci, monitoring, costInputs } = parts;
  return {
    project: config.project,
    region: config.region,
    group: config.group,
    paused: config.paused,
    enabledApis: Object.values(parts.apis.services).map((s) => s.service),
    buckets: parts.buckets.names,
    dvcRemoteCommand: parts.buckets.dvcRemoteCommand,
    imagePrefix: parts.registry.imagePrefix,
    serviceAccounts: Object.fromEntries(Object.entries(parts.identities.accounts).map(([w, a]) => [w, a.email])),
    secrets: Object.fromEntries(Object.entries(parts.secrets?.secrets ?? {}).map(([n, s]) => [n, s.secret.name])),
    ...(ci && {
      workloadIdentityProvider: ci.providerName,
      ciPreviewServiceAccount: ci.previewAccount.email,
      ciDeployServiceAccount: ci.deployAccount.email,
      githubAuthStep: ci.authStep,
    }),
    ...parts.workloads,
    ...(monitoring.dashboard && { dashboard: dashboardUrl(monitoring.dashboard.id, config.project) }),
    ...(costInputs && { costEstimate: pulumi.all(costInputs).apply((inputs) => estimateCost(inputs, config.region, costAssumptions(config))) }),
  };
}

/** The dashboard's page in the Cloud console; its id is `projects/NUMBER/dashboards/ID`. */
export function dashboardUrl(id: pulumi.Input<string>, project: string): pulumi.Output<string> {
  return pulumi.output(id).apply((full) => `https://console.cloud.google.com/monitoring/dashboards/builder/${full.split("/").pop()}?project=${project}`);
}

/**
 * Watches what the stack registers and keeps the fields the cost estimate reads, so the stack can export
 * the same estimate `npm run plan` computes from the planned resources. It only observes; it changes nothing.
 */
export function recordCostInputs(): pulumi.Output<CostInput>[] | undefined {
  // Programs imported outside a stack (Pulumi's plain setMocks pattern) have nothing to observe through.
  if (!pulumi.runtime.getStackResource()) return undefined;
  const recorded: pulumi.Output<CostInput>[] = [];
  pulumi.runtime.registerStackTransformation(({ type, name, props }) => {
    const fields = costFields(type, props);
    if (fields) recorded.push(pulumi.output(fields).apply((inputs) => ({ type, name, inputs: inputs as Record<string, unknown> })));
    return undefined;
  });
  return recorded;
}
