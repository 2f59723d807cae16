/** The validated config the stack is built from, every default resolved and every name derived: the resolution of each area. */
import type { ImageSource } from "../components/container-image";
import type { Assumptions } from "../lib/cost";
import * as gcp from "../lib/gcp";
import * as gpus from "../lib/gpus";
import type { BudgetConfig } from "./budget";
import { deriveNames, type Names } from "./names";
import type { AlertsConfig } from "./observability";
import type { Parsed } from "./schema";
import type { SecretValue } from "./secrets";
import { dependencyOrder, serviceCalls } from "./service-graph";
import type { ServiceConfig } from "./services";
import type { TrainingConfig } from "./training";
import { workloadsFrom } from "./workload-checks";

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
  const serviceOrder = dependencyOrder(p["mlops:services"]);
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
    training: resolveTraining(p, serviceOrder),
    services: resolveServices(p, names, serviceOrder),
    publicInvoker: p["mlops:publicInvoker"],
    alerts: p["mlops:alerts"],
    budget: p["mlops:budget"],
    workloads: workloadsFrom(p),
  };
}

/** What the cost estimate assumes this stack will store, from the stack file. */
export function costAssumptions(config: StackConfig): Assumptions {
  return { imageGb: config.registry.imageGb, bucketGb: config.storage.expectedGb };
}

/** Labels for every resource that takes labels: the group's own, merged with ours. */
function stackLabels(own: Record<string, string>, group: string, stack: string): Record<string, string> {
  return { ...own, group, stack: sanitizeLabel(stack), "managed-by": "pulumi" };
}

function sanitizeLabel(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "-")
    .slice(0, 63);
}

/** Where a run may start: the zone the stack names, else the region's zones that offer the GPU, else the region. */
function runLocations(zone: string | undefined, region: string, gpu: TrainingConfig["gpu"]): string[] {
  if (zone) return [`zones/${zone}`];
  if (!gpu) return [`regions/${region}`];
  return gpus
    .zonesOf(gpu.type)
    .filter((z) => gcp.regionOfZone(z) === region)
    .map((z) => `zones/${z}`);
}

/** Training with its locations resolved, or undefined when the stack trains nowhere. */
function resolveTraining(p: Parsed, serviceOrder: string[]): TrainingConfig | undefined {
  const t = p["mlops:training"];
  if (t.kind === "none") return undefined;
  return {
    ...t,
    kind: t.kind,
    locations: runLocations(t.zone ?? p["gcp:zone"], p["gcp:region"], t.gpu),
    internet: t.internet ?? t.gpu !== undefined,
    image: t.image as ImageSource,
    calls: callsOf(t.env, serviceOrder),
  };
}

/** The services, each after the services its env refers to, with their Cloud Run names. */
function resolveServices(p: Parsed, names: Names, order: string[]): ServiceConfig[] {
  const all = p["mlops:services"];
  return order.map((key) => ({
    ...all[key],
    key,
    name: names.serviceName(key),
    image: all[key].image as ImageSource,
    calls: callsOf(all[key].env, order),
  }));
}

/** The services an env calls, in the stack's order of services. */
function callsOf(env: Record<string, string>, order: string[]): string[] {
  const calls = serviceCalls(env, order);
  return order.filter((key) => calls.includes(key));
}
