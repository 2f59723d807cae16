/**
 * The stack as one function of a validated config. index.ts calls it under Pulumi; the tests and the plan
 * tool call it under mocks, once per stack file, in one process. Each step is a component, or a small
 * function in wiring/ that maps its part of the config to the component's args.
 */
import * as random from "@pulumi/random";
import { registryImages } from "./components/container-image";
import { SUFFIX_LENGTH, type StackConfig } from "./config";
import { declaredSecrets, imageRegistry, storageBuckets, workloadNeeds } from "./wiring/data";
import { atTheCap, budgetTopic, creditGuard, tripGate } from "./wiring/guard";
import { observability } from "./wiring/monitoring";
import { recordCostInputs, stackOutputs, type StackOutputs } from "./wiring/outputs";
import { githubCi, projectApis, workloadIdentities } from "./wiring/project";
import { cloudRunServices, platformRefs, type Platform } from "./wiring/serving";
import { pausedTraining, trainingRun } from "./wiring/training";

export type { StackOutputs };

export function createStack(config: StackConfig): StackOutputs {
  const costInputs = recordCostInputs();
  const apis = projectApis(config);
  // Makes bucket and workload identity ids globally unique; protected, or new names would replace the data.
  const suffix = new random.RandomId("suffix", { byteLength: SUFFIX_LENGTH / 2 }, { protect: config.protectData });
  const identities = workloadIdentities(config, apis);
  const ci = githubCi(config, { apis, identities, suffix });

  const needs = workloadNeeds(config, identities);
  const buckets = storageBuckets(config, { apis, suffix, needs, ci });
  const registry = imageRegistry(config, { apis, identities, ci });
  const secrets = declaredSecrets(config, { apis, needs, identities, ci });
  const image = registryImages({ registryHost: registry.host, repositoryUrl: registry.imagePrefix, registry });
  const platform: Platform = { apis, identities, buckets, registry, secrets, image };

  // Paused: nothing that costs money while idle or running; data, images, secrets and identities stay.
  const services = config.paused ? undefined : cloudRunServices(config, platform, tripGate(config, buckets));
  // Training costs nothing between runs, so a pause keeps it: a run in progress keeps its network and grants.
  const training = pausedTraining(config)
    ? undefined
    : config.training && trainingRun(config, config.training, platform, services?.refs ?? platformRefs(config, platform));

  const topic = budgetTopic(config, apis);
  const monitoring = observability(config, apis, { services: services?.watched ?? [], budgetTopic: topic?.id });
  // The credit guard stays through a pause: training survives it, and the guard costs nothing while idle.
  const guard = creditGuard(config, { platform, topic, monitoring, services: services?.watched ?? [], ci });
  return stackOutputs(config, {
    apis,
    identities,
    ci,
    buckets,
    registry,
    secrets,
    workloads: { ...services?.outputs, ...training?.outputs },
    monitoring,
    guard: guard && topic && monitoring.budget && { guard, atTheCap: atTheCap(config) ?? "", topic: topic.id, budget: monitoring.budget.name },
    costInputs,
  });
}
