/**
 * The cost estimate of a stack, from its planned resources and the prices in lib/prices.json.
 * `idle` is what the stack costs per month when nothing runs; `active` what it costs per hour while the
 * training machine runs and each service serves at one instance.
 */
import prices from "./prices.json";
import { runItem, TRAINING_COST_FIELDS, trainingEstimators } from "./training-cost";

export interface CostItem {
  /** Logical name of the resource the item stands for. */
  resource: string;
  /** idle: per month; active: per hour; run: the worst case of one training run (not in either sum). */
  kind: "idle" | "active" | "run";
  usd: number;
  /** How the figure was computed, with the prices used and their source. */
  basis: string;
}

export interface CostEstimate {
  idleMonthlyUsd: number;
  activeHourlyUsd: number;
  items: CostItem[];
}

export interface CostInput {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const HOURS_PER_MONTH = 730;
const FALLBACK_REGION = "europe-west1";

type Regional<T> = Record<string, T>;

/** A regional figure, or europe-west1's with a note when the region is not in the table. */
function regional<T>(table: Regional<T>, region: string): { value: T | undefined; note: string } {
  if (table[region] !== undefined) return { value: table[region], note: "" };
  return { value: table[FALLBACK_REGION], note: ` (no ${region} price in lib/prices.json; ${FALLBACK_REGION}'s used)` };
}

const usd = (n: number, digits = 4) => `$${n.toFixed(digits)}`;
const round = (n: number) => Math.round(n * 10_000) / 10_000;

/** Hourly price of a machine type: listed, or scaled by vCPUs from a listed type of the same series and shape. */
export function machinePrice(machineType: string, region: string, spot: boolean): { usd: number; basis: string } | undefined {
  const table = prices.machines.prices as Record<string, Regional<{ onDemand: number; spot?: number }>>;
  const m = /^(.*)-(\d+)$/.exec(machineType);
  const listed = table[machineType] ? machineType : m && Object.keys(table).find((k) => k.startsWith(`${m[1]}-`));
  if (!listed || !m) return undefined;
  const factor = Number(m[2]) / Number(/-(\d+)$/.exec(listed)?.[1] ?? m[2]);
  const { value, note } = regional(table[listed], region);
  if (!value) return undefined;
  const hourly = (spot && value.spot !== undefined ? value.spot : value.onDemand) * factor;
  const scaled = factor === 1 ? "" : ` (${factor} × ${listed})`;
  return { usd: hourly, basis: `${machineType} ${spot ? "spot" : "on demand"} ${usd(hourly)}/h${scaled}${note}` };
}

function gpuPrice(type: string, region: string, spot: boolean): { usd: number; basis: string } | undefined {
  const table = prices.gpus.prices as Record<string, Regional<{ onDemand: number; spot?: number }>>;
  if (!table[type]) return undefined;
  const { value, note } = regional(table[type], region);
  if (!value) return undefined;
  const hourly = spot && value.spot !== undefined ? value.spot : value.onDemand;
  return { usd: hourly, basis: `${type} ${spot && value.spot !== undefined ? "spot" : "on demand"} ${usd(hourly)}/h${note}` };
}

function gib(memory: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(memory);
  return m ? Number(m[1]) / (m[2] === "Gi" ? 1 : 1024) : 0;
}

interface Context {
  region: string;
  /** Versions of each image the registry's cleanup keeps. */
  keepRecent: number;
}

type Estimator = (r: CostInput, ctx: Context) => CostItem[];

const vmItems = (r: CostInput, region: string, machineType: string, spot: boolean, gpus: Array<{ type: string; count: number }>): CostItem => {
  const machine = machinePrice(machineType, region, spot);
  const parts = gpus.map((g) => ({ g, price: gpuPrice(g.type, region, spot) }));
  const onDemand = machinePrice(machineType, region, false);
  const onDemandTotal = (onDemand?.usd ?? 0) + parts.reduce((sum, p) => sum + (gpuPrice(p.g.type, region, false)?.usd ?? 0) * p.g.count, 0);
  const total = (machine?.usd ?? 0) + parts.reduce((sum, p) => sum + (p.price?.usd ?? 0) * p.g.count, 0);
  const missing = [!machine && machineType, ...parts.filter((p) => !p.price).map((p) => p.g.type)].filter(Boolean);
  const basis = [
    machine?.basis,
    ...parts.filter((p) => p.price).map((p) => `${p.g.count} × ${p.price?.basis}`),
    ...(missing.length ? [`no price in lib/prices.json for ${missing.join(", ")}`] : []),
  ].join(" + ");
  return {
    resource: r.name,
    kind: "active",
    usd: round(total),
    basis: `${basis}, ${region}${spot ? `; on demand it would be ${usd(onDemandTotal)}/h` : ""} (prices of ${prices.machines.date})`,
  };
};

const ESTIMATORS: Record<string, Estimator> = {
  "gcp:compute/instance:Instance": (r, { region }) => {
    const scheduling = (r.inputs.scheduling ?? {}) as { provisioningModel?: string };
    const accelerators = (r.inputs.guestAccelerators ?? []) as Array<{ type: string; count: number }>;
    const disk = ((r.inputs.bootDisk as { initializeParams?: { size?: number } } | undefined)?.initializeParams?.size ?? 10) as number;
    const diskPrice = regional(prices.disk.prices as Regional<number>, region);
    return [
      vmItems(r, region, String(r.inputs.machineType), scheduling.provisioningModel === "SPOT", accelerators),
      {
        resource: r.name,
        kind: "idle",
        usd: round(disk * (diskPrice.value ?? 0)),
        basis: `${disk} GB pd-balanced boot disk × ${usd(diskPrice.value ?? 0, 3)}/GB-month, billed while the VM is stopped too${diskPrice.note}`,
      },
    ];
  },
  "mlops:training:VertexJob": (r, { region }) => {
    const accelerator = r.inputs.accelerator as { type: string; count: number } | undefined;
    const vertexToGce: Record<string, string> = { NVIDIA_TESLA_T4: "nvidia-tesla-t4", NVIDIA_TESLA_V100: "nvidia-tesla-v100", NVIDIA_TESLA_P100: "nvidia-tesla-p100", NVIDIA_TESLA_P4: "nvidia-tesla-p4" };
    const gpus = accelerator && vertexToGce[accelerator.type] ? [{ type: vertexToGce[accelerator.type], count: accelerator.count }] : [];
    const item = vmItems(r, region, String(r.inputs.machineType), r.inputs.spot === true, gpus);
    const hourly = { ...item, basis: `Vertex AI job at Compute Engine rates (Vertex AI bills its own, similar rates): ${item.basis}` };
    return [hourly, runItem(hourly, Number(r.inputs.maxRunHours ?? 0))];
  },
  ...Object.fromEntries(Object.entries(trainingEstimators(vmItems)).map(([type, estimate]) => [type, (r: CostInput, ctx: Context) => estimate(r, ctx.region)])),
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
  "gcp:storage/bucket:Bucket": (r, { region }) => {
    const { value, note } = regional(prices.storage.prices as Regional<number>, region);
    const gb = prices.storage.assumedGbPerBucket;
    return [{ resource: r.name, kind: "idle", usd: round(gb * (value ?? 0)), basis: `${usd(value ?? 0, 3)}/GB-month Standard storage, assuming ${gb} GB stored${note}` }];
  },
  "docker:index/image:Image": (r, { keepRecent: versions }) => {
    const gb = prices.registry.assumedGbPerImageVersion * versions;
    return [
      {
        resource: r.name,
        kind: "idle",
        usd: round(gb * prices.registry.price),
        basis: `${versions} kept version(s) × ${prices.registry.assumedGbPerImageVersion} GB assumed × ${usd(prices.registry.price, 2)}/GB-month (first 0.5 GB per billing account free)`,
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
  "gcp:compute/instance:Instance": ["machineType", "guestAccelerators", "scheduling", "bootDisk"],
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

export function estimateCost(resources: CostInput[], region: string): CostEstimate {
  const repository = resources.find((r) => r.type === REPOSITORY);
  const keep = (repository?.inputs.cleanupPolicies as Array<{ mostRecentVersions?: { keepCount?: number } }> | undefined)?.find((p) => p.mostRecentVersions)
    ?.mostRecentVersions?.keepCount;
  const ctx: Context = { region, keepRecent: keep ?? 1 };
  const items = resources
    .flatMap((r) => ESTIMATORS[r.type]?.(r, ctx) ?? [])
    .sort((a, b) => a.resource.localeCompare(b.resource) || a.kind.localeCompare(b.kind));
  const sum = (kind: CostItem["kind"]) => round(items.filter((i) => i.kind === kind).reduce((s, i) => s + i.usd, 0));
  return { idleMonthlyUsd: sum("idle"), activeHourlyUsd: sum("active"), items };
}
