/** The data, models and predictions buckets, and the access a workload gets to them. */
import { z } from "zod";
import { gbIn, intIn } from "../lib/validation";

export const BUCKETS = ["data", "models", "predictions"] as const;
export type BucketName = (typeof BUCKETS)[number];
export type Access = "read" | "write";

/** Read or write access per bucket, for a workload's service account. */
export const bucketAccess = z.partialRecord(
  z.enum(BUCKETS, { error: "is not a bucket; data, models or predictions" }),
  z.enum(["read", "write"], { error: "must be read or write" }),
);

export const storage = z
  .strictObject({
    keepVersions: intIn(1, 100, "versions")
      .default(5)
      .describe("Noncurrent versions kept per object in the data and models buckets (DVC's version_aware remote reads them); older ones are deleted."),
    predictionsDays: intIn(1, 3650, "days")
      .default(90)
      .describe("Days a logged prediction stays in the predictions bucket before it is deleted."),
    expectedGb: gbIn(0, 100000).default(1).describe("Cost estimate only: the GB each bucket is expected to hold."),
  })
  .prefault({})
  .describe("The data, models and predictions buckets.");
