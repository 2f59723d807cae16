/** The Artifact Registry Docker repository and its cleanup policies. */
import { z } from "zod";
import { gbIn, intIn } from "./fields";

export const registry = z
  .strictObject({
    keepRecent: intIn(1, 100, "versions").default(5).describe("Most recent versions of each image that cleanup never deletes."),
    untaggedDays: intIn(1, 365, "days").default(7).describe("Untagged image versions are deleted after this many days."),
    olderThanDays: intIn(1, 3650, "days").default(30).describe("Tagged versions older than this are deleted unless they are among the most recent keepRecent."),
    imageGb: gbIn(0.01, 50)
      .default(1)
      .describe("Cost estimate only: the compressed size of one image version in GB (the registry bills what it stores; course images are often 1–3 GB)."),
  })
  .prefault({})
  .describe("The Artifact Registry Docker repository and its cleanup policies.");
