/** Artifact Registry: the image versions its cleanup keeps, less the free storage per billing account. */
import prices from "../prices.json";
import { round, usd, type CostInput, type Pricing } from "./items";

/** Artifact Registry storage that is free per billing account (https://cloud.google.com/artifact-registry/pricing). */
export const REGISTRY_FREE_GB = 0.5;

export const REPOSITORY = "gcp:artifactregistry/repository:Repository";
export const IMAGE = "docker:index/image:Image";

/** Versions of each image the repository's cleanup keeps (1 without a keep policy). */
export function keptVersions(resources: CostInput[]): number {
  const repository = resources.find((r) => r.type === REPOSITORY);
  const keep = (repository?.inputs.cleanupPolicies as Array<{ mostRecentVersions?: { keepCount?: number } }> | undefined)?.find((p) => p.mostRecentVersions)
    ?.mostRecentVersions?.keepCount;
  return keep ?? 1;
}

export const REGISTRY_PRICING: Record<string, Pricing> = {
  // Priced through its images: the estimate reads only its cleanup, for the versions each image keeps.
  [REPOSITORY]: { fields: ["cleanupPolicies"] },
  [IMAGE]: {
    fields: [],
    estimate: (r, { keepRecent: versions, images, assume }) => {
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
  },
};
