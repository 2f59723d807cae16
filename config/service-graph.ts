/** Services refer to each other's URLs in their env; the graph of those references. */
import { references } from "./workload";

type ServiceRefs = Record<string, { env: Record<string, string> }>;

const dependenciesOf = (services: ServiceRefs, key: string): string[] =>
  Object.values(services[key].env)
    .flatMap(references)
    .flatMap((r) => /^services\.([^.]+)\.url$/.exec(r)?.[1] ?? [])
    .filter((s) => Object.hasOwn(services, s));

/** A cycle of services that refer to each other's URLs, as [a, b, …, a], if there is one. */
export function findCycle(services: ServiceRefs): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const visit = (key: string, trail: string[]): string[] | undefined => {
    if (state.get(key) === "visiting") return [...trail.slice(trail.indexOf(key)), key];
    if (state.get(key) === "done") return undefined;
    state.set(key, "visiting");
    for (const dep of dependenciesOf(services, key)) {
      const cycle = visit(dep, [...trail, key]);
      if (cycle) return cycle;
    }
    state.set(key, "done");
    return undefined;
  };
  for (const key of Object.keys(services)) {
    const cycle = visit(key, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Service keys ordered so each comes after the services it refers to (the config has no cycles). */
export function dependencyOrder(services: ServiceRefs): string[] {
  const order: string[] = [];
  const add = (key: string): void => {
    if (order.includes(key)) return;
    dependenciesOf(services, key).forEach(add);
    order.push(key);
  };
  Object.keys(services).forEach(add);
  return order;
}
