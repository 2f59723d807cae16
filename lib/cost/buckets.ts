/** Cloud Storage buckets: Standard storage per GB-month of what each bucket is assumed to hold. */
import storage from "../catalog/storage.json";
import { round, usd, type CostInput, type CostItem, type Pricing } from "./items";

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

export const BUCKET_PRICING: Record<string, Pricing> = {
  "gcp:storage/bucket:Bucket": {
    fields: [],
    estimate: (r, { region, assume }) => [bucketItem(r, perGbMonth(storage.buckets, "standard", region), region, assume.bucketGb)],
  },
};
