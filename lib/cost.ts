/**
 * The cost estimate of a stack, from its planned resources. Machine, GPU, disk and bucket prices come from
 * the generated catalogs in lib/catalog/ (see tools/generate-catalog.ts), by region and for spot; the rest
 * from lib/prices.json. `idle` is what the stack costs per month when nothing runs; `active` what it costs per
 * hour while the training machine runs and each service serves at one instance. A price the catalogs lack is
 * never counted as $0: the item lists it under `unknown`, and so does the estimate.
 */
import storage from "./catalog/storage.json";
import { mebibytes } from "./gcp";
import { GPU_CATALOG_SOURCE, GPU_OF_VERTEX, gpuHourly } from "./gpus";
import { MACHINE_CATALOG_SOURCE, MACHINES, machineHourly } from "./machines";
import prices from "./prices.json";
import type { CostInput, CostItem } from "./cost-items";
import { round, runItem, TRAINING_COST_FIELDS, trainingEstimators } from "./training-cost";

export type { CostInput, CostItem } from "./cost-items";

export interface CostEstimate {
  idleMonthlyUsd: number;
  activeHourlyUsd: number;
  items: CostItem[];
  /** Every unpriced part, as `resource: what` (present only when something has no price). */
  unknown?: string[];
}

const HOURS_PER_MONTH = 730;

/** What the estimate assumes about what the stack will store (mlops:registry.imageGb, mlops:storage.expectedGb). */
export interface Assumptions {
  /** Compressed size of one stored image version, GB. */
  imageGb: number;
  /** Data each bucket holds, GB. */
  bucketGb: number;
}
/** When the stack file says nothing: a typical course image, and a small data set per bucket. */
export const DEFAULT_ASSUMPTIONS: Assumptions = { imageGb: 1, bucketGb: prices.storage.assumedGbPerBucket };
/** Artifact Registry storage that is free per billing account (https://cloud.google.com/artifact-registry/pricing). */
export const REGISTRY_FREE_GB = 0.5;

const usd = (n: number, digits = 4) => `$${n.toFixed(digits)}`;

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

function gib(memory: string): number {
  const mib = mebibytes(memory);
  return Number.isNaN(mib) ? 0 : mib / 1024;
}

interface Context {
  region: string;
  assume: Assumptions;
  /** Versions of each image the registry's cleanup keeps. */
  keepRecent: number;
  /** Images in the stack, which share the registry's free storage. */
  images: number;
}

type Estimator = (r: CostInput, ctx: Context) => CostItem[];

const pricesOf = (withGpus: boolean) =>
  `prices of ${MACHINE_CATALOG_SOURCE.date}${withGpus ? `; GPU prices from ${GPU_CATALOG_SOURCE.repository}@${GPU_CATALOG_SOURCE.commit.slice(0, 7)}` : ""}`;

/** The machine and the GPUs it carries, for one hour; G2 and A2 prices already include their own GPUs. */
function vmItem(r: CostInput, region: string, machineType: string, spot: boolean, gpus: Array<{ type: string; count: number }>): CostItem {
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

/** A per-GB-month figure from lib/catalog/storage.json, or undefined. */
function perGbMonth(table: Record<string, Record<string, number>>, kind: string, region: string): number | undefined {
  return table[kind]?.[region];
}

function gbMonthItem(r: CostInput, gb: number, price: number | undefined, what: string, region: string): CostItem {
  if (price === undefined) {
    return { resource: r.name, kind: "idle", usd: 0, basis: `${gb} GB ${what}: price unknown in ${region}`, unknown: [`${what} in ${region}`] };
  }
  return { resource: r.name, kind: "idle", usd: round(gb * price), basis: `${gb} GB ${what} × ${usd(price, 3)}/GB-month` };
}

function bucketItem(r: CostInput, price: number | undefined, region: string, gb: number): CostItem {
  if (price === undefined) return gbMonthItem(r, gb, price, "Standard storage", region);
  return { resource: r.name, kind: "idle", usd: round(gb * price), basis: `${usd(price, 3)}/GB-month Standard storage, assuming ${gb} GB stored` };
}

const ESTIMATORS: Record<string, Estimator> = {
  "mlops:training:VertexJob": (r, { region }) => {
    const accelerator = r.inputs.accelerator as { type: string; count: number } | undefined;
    const type = accelerator && GPU_OF_VERTEX[accelerator.type];
    const gpus = accelerator ? [{ type: type ?? accelerator.type, count: accelerator.count }] : [];
    const item = vmItem(r, region, String(r.inputs.machineType), r.inputs.spot === true, gpus);
    const hourly = { ...item, basis: `Vertex AI job at Compute Engine rates (Vertex AI bills its own, similar rates): ${item.basis}` };
    return [hourly, runItem(hourly, Number(r.inputs.maxRunHours ?? 0))];
  },
  ...Object.fromEntries(Object.entries(trainingEstimators(vmItem)).map(([type, estimate]) => [type, (r: CostInput, ctx: Context) => estimate(r, ctx.region)])),
  "gcp:cloudrunv2/service:Service": (r, { region }) => {
    const template = (r.inputs.template ?? {}) as {
      scaling?: { minInstanceCount?: number };
      containers?: Array<{ resources?: { limits?: { cpu?: string; memory?: string }; cpuIdle?: boolean } }>;
    };
    const limits = template.containers?.[0]?.resources?.limits ?? {};
    const cpu = Number(limits.cpu ?? 1);
    const memory = gib(limits.memory ?? "512Mi");
    const rates = template.containers?.[0]?.resources?.cpuIdle === false ? prices.cloudRun.instanceBased : prices.cloudRun.requestBased;
    const hourly = (cpu * rates.vcpuSecond + memory * rates.gibSecond) * 3600;
    const min = template.scaling?.minInstanceCount ?? 0;
    const idleHourly = (cpu * prices.cloudRun.instanceBased.vcpuSecond + memory * prices.cloudRun.instanceBased.gibSecond) * 3600;
    const note = region === "europe-west1" || region === "europe-west4" || region === "us-central1" ? "" : ` (${region} may not be a Tier 1 region)`;
    return [
      {
        resource: r.name,
        kind: "active",
        usd: round(hourly),
        basis: `one instance busy for an hour: ${cpu} vCPU × ${rates.vcpuSecond}/s + ${memory} GiB × ${rates.gibSecond}/s${note}`,
      },
      {
        resource: r.name,
        kind: "idle",
        usd: round(min * idleHourly * HOURS_PER_MONTH),
        basis: min ? `${min} warm instance(s) × ${usd(idleHourly)}/h × ${HOURS_PER_MONTH} h (instance-based rate, an upper bound)` : "scales to zero: nothing while idle",
      },
    ];
  },
  "gcp:storage/bucket:Bucket": (r, { region, assume }) => [
    bucketItem(r, perGbMonth(storage.buckets, "standard", region), region, assume.bucketGb),
  ],
  "docker:index/image:Image": (r, { keepRecent: versions, images, assume }) => {
    const gb = assume.imageGb * versions;
    // The free storage is per billing account: shared evenly by this stack's images, so the total nets it once.
    const free = Math.min(gb, REGISTRY_FREE_GB / Math.max(images, 1));
    return [
      {
        resource: r.name,
        kind: "idle",
        usd: round((gb - free) * prices.registry.price),
        basis: `${versions} kept version(s) × ${assume.imageGb} GB assumed, less ${round(free)} GB (its share of the free ${REGISTRY_FREE_GB} GB per billing account) × ${usd(prices.registry.price, 2)}/GB-month`,
      },
    ];
  },
  "gcp:secretmanager/secretVersion:SecretVersion": (r) => [
    { resource: r.name, kind: "idle", usd: prices.secrets.price, basis: `one active version × ${usd(prices.secrets.price, 2)}/month (6 free per billing account)` },
  ],
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": (r) => [
    { resource: r.name, kind: "idle", usd: prices.uptimeChecks.price, basis: "within the free 1,000,000 executions per project and month" },
  ],
};

const REPOSITORY = "gcp:artifactregistry/repository:Repository";

/** The inputs the estimate reads, by type: nothing else (no secrets, no values known only after deploy). */
const COST_FIELDS: Record<string, string[]> = {
  "mlops:training:VertexJob": ["machineType", "accelerator", "spot", "maxRunHours"],
  ...TRAINING_COST_FIELDS,
  "gcp:cloudrunv2/service:Service": ["template.scaling", "template.containers.0.resources"],
  "gcp:storage/bucket:Bucket": [],
  "docker:index/image:Image": [],
  "gcp:secretmanager/secretVersion:SecretVersion": [],
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": [],
  [REPOSITORY]: ["cleanupPolicies"],
};

/** Copies the fields the estimate reads, keeping their paths; works on plain values and on Pulumi inputs. */
export function costFields(type: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined {
  const fields = COST_FIELDS[type];
  if (!fields) return undefined;
  const picked: Record<string, unknown> = {};
  for (const field of fields) {
    const parts = field.split(".");
    let from: unknown = inputs;
    let to: Record<string, unknown> = picked;
    parts.forEach((part, i) => {
      from = (from as Record<string, unknown> | undefined)?.[part];
      if (from === undefined) return;
      const isArrayIndex = /^\d+$/.test(parts[i + 1] ?? "");
      if (i === parts.length - 1) to[part] = from;
      else to = (to[part] ??= isArrayIndex ? [] : {}) as Record<string, unknown>;
    });
  }
  return picked;
}

export function estimateCost(resources: CostInput[], region: string, assume: Assumptions = DEFAULT_ASSUMPTIONS): CostEstimate {
  const repository = resources.find((r) => r.type === REPOSITORY);
  const keep = (repository?.inputs.cleanupPolicies as Array<{ mostRecentVersions?: { keepCount?: number } }> | undefined)?.find((p) => p.mostRecentVersions)
    ?.mostRecentVersions?.keepCount;
  const images = resources.filter((r) => r.type === "docker:index/image:Image").length;
  const ctx: Context = { region, assume, keepRecent: keep ?? 1, images };
  const items = resources
    .flatMap((r) => ESTIMATORS[r.type]?.(r, ctx) ?? [])
    .sort((a, b) => a.resource.localeCompare(b.resource) || a.kind.localeCompare(b.kind));
  const sum = (kind: CostItem["kind"]) => round(items.filter((i) => i.kind === kind).reduce((s, i) => s + i.usd, 0));
  const unknown = items.flatMap((i) => (i.unknown ?? []).map((u) => `${i.resource}: ${u}`));
  return { idleMonthlyUsd: sum("idle"), activeHourlyUsd: sum("active"), items, ...(unknown.length && { unknown }) };
}
