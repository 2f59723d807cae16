/**
 * What the cost estimators share: a priced resource in, an item of the estimate out, the context of the
 * whole stack, and how a figure is rounded and written.
 */
export interface CostInput {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

export interface CostItem {
  /** Logical name of the resource the item stands for. */
  resource: string;
  /** idle: per month; active: per hour; run: the worst case of one training run (not in either sum). */
  kind: "idle" | "active" | "run";
  /** The priced part; when `unknown` is present the true figure is higher by an unknown amount. */
  usd: number;
  /** How the figure was computed, with the prices used and their source. */
  basis: string;
  /** What has no price in the catalogs for this region (present only when something has none). */
  unknown?: string[];
}

/** What the estimate assumes about what the stack will store (mlops:registry.imageGb, mlops:storage.expectedGb). */
export interface Assumptions {
  /** Compressed size of one stored image version, GB. */
  imageGb: number;
  /** Data each bucket holds, GB. */
  bucketGb: number;
}

/** What an estimator knows of the stack beyond its own resource. */
export interface Context {
  region: string;
  assume: Assumptions;
  /** Versions of each image the registry's cleanup keeps. */
  keepRecent: number;
  /** Images in the stack, which share the registry's free storage. */
  images: number;
}

/** How one resource type is priced: the inputs the estimate reads (paths, nothing else), and its items. */
export interface Pricing {
  fields: string[];
  estimate?: (r: CostInput, ctx: Context) => CostItem[];
}

export const HOURS_PER_MONTH = 730;

/** Dollar figures of the estimate, to a hundredth of a cent. */
export const round = (n: number) => Math.round(n * 10_000) / 10_000;

export const usd = (n: number, digits = 4) => `$${n.toFixed(digits)}`;
