/** The validated config the stack is built from, every default resolved and every name derived. */
import type { Assumptions } from "../lib/cost";
import type { BudgetConfig } from "./budget";
import type { SecretValue } from "./identities";
import { deriveNames, type Names } from "./names";
import { resolveAlerts, type AlertsConfig } from "./observability";
import { stackLabels } from "./project";
import type { Parsed } from "./schema";
import { resolveServices, type ServiceConfig } from "./services";
import { resolveTraining, type TrainingConfig } from "./training";
import { workloadsFrom } from "./workload";

/** The validated config the stack is built from. */
export interface StackConfig {
  stack: string;
  project: string;
  region: string;
  zone?: string;
  group: string;
  github?: { repository: string; branch: string; repositoryId?: string; repositoryOwnerId?: string; stateBucket?: string };
  protectData: boolean;
  paused: boolean;
  /** Labels for every resource that takes labels, the group's own merged with ours. */
  labels: Record<string, string>;
  names: Names;
  storage: { keepVersions: number; predictionsDays: number; expectedGb: number };
  registry: { keepRecent: number; untaggedDays: number; olderThanDays: number; imageGb: number };
  /** Declared secrets; `value` is absent until the group sets it. */
  secrets: Array<{ name: string; value?: SecretValue }>;
  team?: { members: string[]; roles: string[] };
  training?: TrainingConfig;
  /** Services in an order where every service comes after the services its env refers to. */
  services: ServiceConfig[];
  publicInvoker: "allUsers" | "invokerIamDisabled";
  alerts: AlertsConfig;
  budget?: BudgetConfig;
  /** The workloads the config runs, each with its own service account: the trainer, then each service. */
  workloads: string[];
}

export function toStackConfig(p: Parsed, stack: string, secretValues: Record<string, unknown>): StackConfig {
  const group = p["mlops:group"];
  const names = deriveNames(p["gcp:project"], group);
  return {
    stack,
    project: p["gcp:project"],
    region: p["gcp:region"],
    zone: p["gcp:zone"],
    group,
    github: p["mlops:github"],
    protectData: p["mlops:protectData"],
    paused: p["mlops:paused"],
    labels: stackLabels(p["mlops:labels"], group, stack),
    names,
    storage: p["mlops:storage"],
    registry: p["mlops:registry"],
    secrets: p["mlops:secrets"].map((name) => ({ name, value: secretValues[name] as SecretValue | undefined })),
    team: p["mlops:team"],
    training: resolveTraining(p),
    services: resolveServices(p, names),
    publicInvoker: p["mlops:publicInvoker"],
    alerts: resolveAlerts(p),
    budget: p["mlops:budget"],
    workloads: workloadsFrom(p),
  };
}

/** What the cost estimate assumes this stack will store, from the stack file. */
export function costAssumptions(config: StackConfig): Assumptions {
  return { imageGb: config.registry.imageGb, bucketGb: config.storage.expectedGb };
}
