/** The data, models and predictions buckets, and the access a workload gets to them. */
import { z } from "zod";
import type { Access, BucketName } from "../components/storage";
import { gbIn, intIn } from "./fields";

/** Every bucket the storage component makes, in the docs' order (a Record, so the compiler finds one missing). */
const EACH_BUCKET: Record<BucketName, true> = { data: true, models: true, predictions: true };
export const BUCKETS = Object.keys(EACH_BUCKET) as [BucketName, ...BucketName[]];

/** Read or write access per bucket, for a workload's service account. */
export const bucketAccess = z.partialRecord(
  z.enum(BUCKETS, { error: "is not a bucket; data, models or predictions" }),
  z.enum(["read", "write"] as const satisfies readonly Access[], { error: "must be read or write" }),
);

export const storage = z
  .strictObject({
    keepVersions: intIn(1, 100, "versions")
      .default(5)
      .describe("Noncurrent versions kept per object in the data and models buckets (DVC's version_aware remote reads them); older ones are deleted."),
    predictionsDays: intIn(1, 3650, "days").default(90).describe("Days a logged prediction stays in the predictions bucket before it is deleted."),
    expectedGb: gbIn(0, 100000).default(1).describe("Cost estimate only: the GB each bucket is expected to hold."),
  })
  .prefault({})
  .describe("The data, models and predictions buckets.");
