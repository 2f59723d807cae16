/**
 * A machine and the GPUs it carries, for one hour, from the generated catalogs in lib/catalog/ (see
 * tools/generate-catalog.ts), by region and for spot: what a training run pays while it runs.
 */
import { GPU_CATALOG_SOURCE, gpuHourly } from "../gpus";
import { MACHINE_CATALOG_SOURCE, MACHINES, machineHourly } from "../machines";
import { round, usd, type CostInput, type CostItem } from "./items";

interface Priced {
  usd: number;
  basis: string;
}

/** Hourly list price of a machine type in a region, on demand or spot, or undefined when the catalog has none. */
export function machinePrice(machineType: string, region: string, spot: boolean): Priced | undefined {
  const hourly = machineHourly(machineType, region, spot);
  if (hourly === undefined) return undefined;
  const bundled = MACHINES[machineType]?.gpu;
  const gpus = bundled ? ` with ${bundled.count} × ${bundled.type}` : "";
  return { usd: hourly, basis: `${machineType}${gpus} ${spot ? "spot" : "on demand"} ${usd(hourly)}/h` };
}

function gpuPrice(type: string, region: string, spot: boolean): Priced | undefined {
  const price = gpuHourly(type, region);
  const hourly = spot ? price?.spot : price?.onDemand;
  if (hourly === undefined || hourly === null) return undefined;
  return { usd: hourly, basis: `${type} ${spot ? "spot" : "on demand"} ${usd(hourly)}/h` };
}

const pricesOf = (withGpus: boolean) =>
  `prices of ${MACHINE_CATALOG_SOURCE.date}${withGpus ? `; GPU prices from ${GPU_CATALOG_SOURCE.repository}@${GPU_CATALOG_SOURCE.commit.slice(0, 7)}` : ""}`;

/** The machine and the GPUs it carries, for one hour; G2 and A2 prices already include their own GPUs. */
export function vmItem(r: CostInput, region: string, machineType: string, spot: boolean, gpus: Array<{ type: string; count: number }>): CostItem {
  const bundled = MACHINES[machineType]?.gpu?.type;
  const attached = gpus.filter((g) => g.type !== bundled);
  const machine = machinePrice(machineType, region, spot);
  const parts = attached.map((g) => ({ g, price: gpuPrice(g.type, region, spot), onDemand: gpuPrice(g.type, region, false) }));
  const onDemandMachine = machinePrice(machineType, region, false);
  const total = (machine?.usd ?? 0) + parts.reduce((sum, p) => sum + (p.price?.usd ?? 0) * p.g.count, 0);
  const unknown = [
    ...(machine ? [] : [`${machineType} ${spot ? "spot" : "on demand"} in ${region}`]),
    ...parts.filter((p) => !p.price).map((p) => `${p.g.type} ${spot ? "spot" : "on demand"} in ${region}`),
  ];
  const onDemandKnown = onDemandMachine && parts.every((p) => p.onDemand);
  const onDemandTotal = (onDemandMachine?.usd ?? 0) + parts.reduce((sum, p) => sum + (p.onDemand?.usd ?? 0) * p.g.count, 0);
  const basis = [
    ...(machine ? [machine.basis] : []),
    ...parts.filter((p) => p.price).map((p) => `${p.g.count} × ${p.price?.basis}`),
    ...(unknown.length ? [`price unknown for ${unknown.join(", ")}`] : []),
  ].join(" + ");
  const compare = spot ? `; on demand it would be ${onDemandKnown ? `${usd(onDemandTotal)}/h` : "unknown"}` : "";
  return {
    resource: r.name,
    kind: "active",
    usd: round(total),
    basis: `${basis}, ${region}${compare} (${pricesOf(parts.length > 0)})`,
    ...(unknown.length && { unknown }),
  };
}
