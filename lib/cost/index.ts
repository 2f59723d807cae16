/**
 * The cost estimate of a stack, from its planned resources, priced by one module per resource type in this
 * folder. Machine, GPU, disk and bucket prices come from the generated catalogs in lib/catalog/ (see
 * tools/generate-catalog.ts), by region and for spot; the rest from lib/prices.json. `idle` is what the stack
 * costs per month when nothing runs; `active` what it costs per hour while the training machine runs and each
 * service serves at one instance. A price the catalogs lack is never counted as $0: the item lists it under
 * `unknown`, and so does the estimate.
 */
import prices from "../prices.json";
import { BUCKET_PRICING } from "./buckets";
import { CLOUD_RUN_PRICING } from "./cloud-run";
import { round, type Assumptions, type Context, type CostInput, type CostItem, type Pricing } from "./items";
import { MONITORING_PRICING } from "./monitoring";
import { NAT_PRICING } from "./nat";
import { PUBSUB_PRICING } from "./pubsub";
import { IMAGE, keptVersions, REGISTRY_PRICING } from "./registry";
import { SECRET_PRICING } from "./secrets";
import { TRAINING_PRICING } from "./training";

export type { Assumptions, CostInput, CostItem } from "./items";
export { machinePrice } from "./machines";
export { REGISTRY_FREE_GB } from "./registry";

export interface CostEstimate {
  idleMonthlyUsd: number;
  activeHourlyUsd: number;
  items: CostItem[];
  /** Every unpriced part, as `resource: what` (present only when something has no price). */
  unknown?: string[];
}

/** When the stack file says nothing: a typical course image, and a small data set per bucket. */
export const DEFAULT_ASSUMPTIONS: Assumptions = { imageGb: 1, bucketGb: prices.storage.assumedGbPerBucket };

/** Every priced resource type; a type not here costs nothing the estimate knows of. */
const PRICING: Record<string, Pricing> = {
  ...TRAINING_PRICING,
  ...NAT_PRICING,
  ...CLOUD_RUN_PRICING,
  ...BUCKET_PRICING,
  ...REGISTRY_PRICING,
  ...SECRET_PRICING,
  ...MONITORING_PRICING,
  ...PUBSUB_PRICING,
};

/** Copies the fields the estimate reads, keeping their paths; works on plain values and on Pulumi inputs. */
export function costFields(type: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined {
  const fields = PRICING[type]?.fields;
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
  const images = resources.filter((r) => r.type === IMAGE).length;
  const ctx: Context = { region, assume, keepRecent: keptVersions(resources), images };
  const items = resources
    .flatMap((r) => PRICING[r.type]?.estimate?.(r, ctx) ?? [])
    .sort((a, b) => a.resource.localeCompare(b.resource) || a.kind.localeCompare(b.kind));
  const sum = (kind: CostItem["kind"]) => round(items.filter((i) => i.kind === kind).reduce((s, i) => s + i.usd, 0));
  const unknown = items.flatMap((i) => (i.unknown ?? []).map((u) => `${i.resource}: ${u}`));
  return { idleMonthlyUsd: sum("idle"), activeHourlyUsd: sum("active"), items, ...(unknown.length && { unknown }) };
}
