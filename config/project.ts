/** The project-wide keys: where the stack deploys, the group it belongs to, its labels and lifecycle switches. */
import { z } from "zod";
import * as gcp from "../lib/gcp";
import { flag, zone } from "./fields";

const label = z.string().regex(gcp.LABEL_VALUE, {
  error: "is not a valid label value; lowercase letters, digits, '_' and '-', at most 63 characters",
});

const groupId = z
  .union([z.string(), z.number()], { error: 'must be a string such as "140" or "flowers"' })
  .transform(String)
  .pipe(
    z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
      error: "must be lowercase letters, digits and hyphens, starting and ending with a letter or digit",
    }),
  );

export const project = z
  .string({ error: (iss) => (iss.input === undefined ? "is required; set it with `pulumi config set gcp:project <project-id>`" : "must be a string") })
  .regex(gcp.PROJECT_ID, {
    error: "is not a valid project id; 6–30 lowercase letters, digits and hyphens, starting with a letter",
  })
  .refine((p) => !p.includes("google"), { error: 'must not contain "google"' })
  .describe("Google Cloud project id the stack deploys into.");

export const region = z
  .enum(gcp.REGIONS, { error: (iss) => `${JSON.stringify(iss.input) ?? "nothing"} is not a Google Cloud region; for example europe-west1, us-central1` })
  .default("europe-west1")
  .describe("Region of every regional resource (buckets, registry, Cloud Run, Vertex AI).");

export const defaultZone = zone().optional().describe("Zone where training runs start when training.zone is not set; must lie in gcp:region.");

export const group = groupId.meta({ defaultText: "stack name without `group-`" }).describe("Group id used in resource names and labels.");

export const protectData = flag()
  .default(true)
  .describe("Protect buckets, registry, secrets and CI identity from `pulumi destroy`; false allows a full teardown.");

export const paused = flag()
  .default(false)
  .describe("Remove the Cloud Run services with their uptime checks and alerts (and training, if its env names a service URL) on `pulumi up`; keep the data.");

/** The labels the stack sets itself on every resource that takes labels, on top of mlops:labels. */
export const STACK_LABELS = ["group", "stack", "managed-by"];

export const labels = z
  .record(
    z.string().regex(gcp.LABEL_KEY, {
      error: "is not a valid label key; start with a lowercase letter, then lowercase letters, digits, '_' or '-'",
    }),
    label,
  )
  .default({})
  .describe("Extra labels on every resource that takes labels (group, stack and managed-by are always set).");
