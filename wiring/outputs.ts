/** The stack's outputs in one place: what a group copies into its repository, CI and terminal. */
import * as pulumi from "@pulumi/pulumi";
import type { ArtifactRegistry } from "../components/artifact-registry";
import type { CreditGuard } from "../components/credit-guard";
import type { GithubCi } from "../components/github-ci";
import type { Identities } from "../components/identities";
import type { Monitoring } from "../components/monitoring";
import type { ProjectServices } from "../components/project-services";
import type { Secrets } from "../components/secrets";
import type { BucketName, Buckets } from "../components/storage";
import { costAssumptions, type StackConfig } from "../config";
import { costFields, estimateCost, type CostEstimate, type CostInput } from "../lib/cost";
import type { TrainingJobOutput } from "../lib/train/run";

/** The `trainingJob` output as the stack exports it (the spec as its engine builds it); the train command reads it back as a `TrainingJobOutput`. */
export type TrainingJob = { [K in Exclude<keyof TrainingJobOutput, "spec">]: pulumi.Input<TrainingJobOutput[K]> } & { spec: pulumi.Output<object> };

/** What the Cloud Run services export, per service key. */
export interface ServingOutputs {
  serviceUrls: Record<string, pulumi.Output<string>>;
  serviceImages: Record<string, pulumi.Output<string>>;
  /** A public service's readiness check, as a command. */
  curlCommands: Record<string, pulumi.Output<string>>;
}

/** What training exports: the image, the job the train command submits and the spec of its engine. */
export interface TrainingOutputs {
  trainingImage: pulumi.Output<string>;
  trainingJob: TrainingJob;
  trainCommand: string;
  batchJobSpec?: pulumi.Output<object>;
  batchJobSpecUri?: pulumi.Output<string>;
  trainingNetwork?: pulumi.Output<string>;
  vertexJobSpec?: pulumi.Output<object>;
  vertexJobSpecUri?: pulumi.Output<string>;
}

/** The stack's outputs (`pulumi stack output`); services and training export theirs only when the stack has them. */
export interface StackOutputs extends Partial<ServingOutputs>, Partial<TrainingOutputs> {
  project: string;
  region: string;
  group: string;
  paused: boolean;
  enabledApis: pulumi.Output<string>[];
  buckets: Record<BucketName, pulumi.Output<string>>;
  dvcRemoteCommand: pulumi.Output<string>;
  imagePrefix: pulumi.Output<string>;
  serviceAccounts: Record<string, pulumi.Output<string>>;
  secrets: Record<string, pulumi.Output<string>>;
  workloadIdentityProvider?: pulumi.Output<string>;
  ciPreviewServiceAccount?: pulumi.Output<string>;
  ciDeployServiceAccount?: pulumi.Output<string>;
  ciTrainServiceAccount?: pulumi.Output<string>;
  githubAuthStep?: pulumi.Output<string>;
  dashboard?: pulumi.Output<string>;
  costEstimate?: pulumi.Output<CostEstimate>;
  /** The credit guard, when mlops:budget.stopAt is set: what it does at the cap, and its service. */
  creditGuard?: {
    atTheCap: string;
    service: pulumi.Output<string>;
    runtimeAccount: pulumi.Output<string>;
    pushAccount: pulumi.Output<string>;
    /** The topic the budget publishes to, and the budget (`billingAccounts/A/budgets/ID`): what a test publishes with. */
    topic: pulumi.Output<string>;
    budget: pulumi.Output<string>;
  };
}

export interface StackParts {
  apis: ProjectServices;
  identities: Identities;
  ci?: GithubCi;
  buckets: Buckets;
  registry: ArtifactRegistry;
  secrets?: Secrets;
  /** Outputs of the workloads: services, then training. */
  workloads: Partial<ServingOutputs & TrainingOutputs>;
  monitoring: Monitoring;
  /** The credit guard, with what it does at the cap in words. */
  guard?: { guard: CreditGuard; atTheCap: string; topic: pulumi.Output<string>; budget: pulumi.Output<string> };
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
      ciTrainServiceAccount: ci.trainAccount.email,
      githubAuthStep: ci.authStep,
    }),
    ...parts.workloads,
    ...(monitoring.dashboard && { dashboard: dashboardUrl(monitoring.dashboard.id, config.project) }),
    ...(parts.guard && {
      creditGuard: {
        atTheCap: parts.guard.atTheCap,
        service: parts.guard.guard.url,
        runtimeAccount: parts.guard.guard.runtimeAccount.email,
        pushAccount: parts.guard.guard.pushAccount.email,
        topic: parts.guard.topic,
        budget: parts.guard.budget,
      },
    }),
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
