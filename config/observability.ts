/** Alert policies and who receives them. */
import { z } from "zod";
import { intIn } from "../lib/validation";
import type { Fields, Parsed } from "./schema";

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
    trainingHours: intIn(1, 71, "hours").optional()
      .describe("Alert when the training VM has run this long; default half of training.maxRunHours, rounded up."),
  })
  .prefault({})
  .describe("Alert policies: uptime of public services, 5xx share, p95 latency, long-running training VM.");

export type AlertsConfig = { emails: string[]; errorRatio: number; latencyP95Ms: number; trainingHours?: number };

/** The long-training alert needs a VM, and must fire before the VM stops itself. */
export function alertChecks(f: Fields): string[] {
  const t = f["mlops:training"];
  const alertHours = f["mlops:alerts"]?.trainingHours;
  if (alertHours !== undefined && t?.kind !== "vm") {
    return ["mlops:alerts.trainingHours: applies to training on a VM (training.kind: vm) only"];
  }
  if (alertHours !== undefined && t && alertHours >= t.maxRunHours) {
    return [`mlops:alerts.trainingHours: ${alertHours} would never fire, the VM stops after training.maxRunHours (${t.maxRunHours}); use fewer hours`];
  }
  return [];
}

/** The alerts, with the training alert's default (half of maxRunHours) on a VM and none elsewhere. */
export function resolveAlerts(p: Parsed): AlertsConfig {
  const t = p["mlops:training"];
  return {
    ...p["mlops:alerts"],
    trainingHours: t.kind === "vm" ? (p["mlops:alerts"].trainingHours ?? Math.ceil(t.maxRunHours / 2)) : undefined,
  };
}
