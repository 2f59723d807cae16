/**
 * The stack as one function of a validated config. index.ts calls it under Pulumi; the tests and the plan
 * tool call it under mocks, once per stack file, in one process.
 */
import * as pulumi from "@pulumi/pulumi";
import { ProjectServices, requiredApis } from "./components/project-services";
import type { StackConfig } from "./config";

export type StackOutputs = Record<string, pulumi.Input<unknown>>;

export function createStack(config: StackConfig): StackOutputs {
  const apis = new ProjectServices("apis", { project: config.project, apis: requiredApis(config) });

  return {
    project: config.project,
    region: config.region,
    group: config.group,
    enabledApis: Object.values(apis.services).map((s) => s.service),
  };
}
