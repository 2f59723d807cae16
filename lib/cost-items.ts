/** The shapes the cost estimators share: a priced resource in, an item of the estimate out. */
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
