/** Checks of the services across keys: Cloud Run limits, callers, reserved names, references between services. */
import type { ImageSource } from "../components/container-image";
import * as gcp from "../lib/gcp";
import type { Fields } from "./schema";
import { findCycle, references } from "./service-graph";
import type { Service } from "./services";
import { RESERVED_WORKLOADS } from "./workload";
import { envChecks, imageChecks } from "./workload-checks";

/** Cloud Run limits, callers, references between services. */
export function serviceChecks(f: Fields): string[] {
  const all = f["mlops:services"];
  if (!all) return [];
  const keys = Object.keys(all);
  const problems = Object.entries(all).flatMap(([name, s]) => oneServiceChecks(name, s, keys));
  const cycle = findCycle(all);
  if (cycle) {
    const [first, second] = cycle;
    const env = Object.entries(all[first].env).find(([, v]) => references(v).includes(`services.${second}.url`))?.[0];
    problems.push(`mlops:services.${first}.env.${env}: reference cycle ${cycle.join(" → ")}; a service cannot wait for a service that waits for it`);
  }
  return problems;
}

function oneServiceChecks(name: string, s: Service, keys: string[]): string[] {
  const key = `mlops:services.${name}`;
  const problems: string[] = [];
  if (RESERVED_WORKLOADS.includes(name)) problems.push(`${key}: "${name}" is reserved for the stack's own accounts; choose another service name`);
  const memoryProblem = gcp.cloudRunMemoryProblem(s.cpu, s.memory);
  if (memoryProblem) problems.push(`${key}.memory: ${memoryProblem}`);
  if (s.minInstances > s.maxInstances) problems.push(`${key}.minInstances: ${s.minInstances} is above maxInstances ${s.maxInstances}`);
  s.callers.forEach((caller, i) => {
    if (s.public) problems.push(`${key}.callers: a public service admits everyone; callers apply to private services only`);
    else if (caller === name) problems.push(`${key}.callers[${i}]: a service does not need to call itself`);
    else if (!keys.includes(caller)) problems.push(`${key}.callers[${i}]: "${caller}" is not a service; services: ${keys.join(", ")}`);
  });
  problems.push(...envChecks(key, s.env, keys));
  problems.push(...imageChecks(`${key}.image`, s.image as ImageSource, true));
  return problems;
}
