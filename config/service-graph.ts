/** Workloads refer to resources in their env (`${services.NAME.url}`, …); the services each calls, and the graph of those calls. */

type ServiceRefs = Record<string, { env: Record<string, string> }>;

/** The `${…}` references in an env value. */
export function references(value: string): string[] {
  return [...value.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]);
}

/** The services an env calls: those of `services` whose URL (`${services.NAME.url}`) one of its values names, once each. */
export function serviceCalls(env: Record<string, string>, services: readonly string[]): string[] {
  const named = Object.values(env)
    .flatMap(references)
    .flatMap((r) => /^services\.([^.]+)\.url$/.exec(r)?.[1] ?? [])
    .filter((s) => services.includes(s));
  return [...new Set(named)];
}

const dependenciesOf = (services: ServiceRefs, key: string): string[] => serviceCalls(services[key].env, Object.keys(services));

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
