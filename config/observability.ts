/** Alert policies and who receives them. */
import { z } from "zod";
import { intIn } from "./fields";

export const alerts = z
  .strictObject({
    emails: z
      .array(z.email({ error: "must be an email address" }), { error: "must be a list of email addresses" })
      .default([])
      .describe("Who gets alerts (one email notification channel each); without any, no alert policies are created."),
    errorRatio: z
      .number({ error: "must be a fraction such as 0.05" })
      .gt(0, { error: "must be above 0 and at most 1, e.g. 0.05 for 5 %" })
      .max(1, { error: "must be above 0 and at most 1, e.g. 0.05 for 5 %" })
      .default(0.05)
      .describe("Alert when more than this share of a service's requests fail with 5xx for 5 minutes."),
    latencyP95Ms: intIn(100, 60000, "ms").default(2000).describe("Alert when a service's 95th percentile latency stays above this for 5 minutes."),
  })
  .prefault({})
  .describe("Alert policies: uptime of public services, 5xx share, p95 latency.");

export type AlertsConfig = { emails: string[]; errorRatio: number; latencyP95Ms: number };
