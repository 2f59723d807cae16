/**
 * Google Cloud's own naming rules and limits, as pure data and predicates.
 * Each rule cites the page that states it, so a reviewer can check it.
 */

/** Compute Engine regions (https://cloud.google.com/compute/docs/regions-zones, read 2026-11). */
export const REGIONS = [
  "africa-south1",
  "asia-east1",
  "asia-east2",
  "asia-northeast1",
  "asia-northeast2",
  "asia-northeast3",
  "asia-south1",
  "asia-south2",
  "asia-southeast1",
  "asia-southeast2",
  "australia-southeast1",
  "australia-southeast2",
  "europe-central2",
  "europe-north1",
  "europe-north2",
  "europe-southwest1",
  "europe-west1",
  "europe-west2",
  "europe-west3",
  "europe-west4",
  "europe-west6",
  "europe-west8",
  "europe-west9",
  "europe-west10",
  "europe-west12",
  "me-central1",
  "me-central2",
  "me-west1",
  "northamerica-northeast1",
  "northamerica-northeast2",
  "northamerica-south1",
  "southamerica-east1",
  "southamerica-west1",
  "us-central1",
  "us-east1",
  "us-east4",
  "us-east5",
  "us-south1",
  "us-west1",
  "us-west2",
  "us-west3",
  "us-west4",
] as const;

/** Project ids: 6–30 chars, lowercase letters, digits and hyphens, start with a letter, no trailing hyphen
 * (https://cloud.google.com/resource-manager/docs/creating-managing-projects). */
export const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** A zone is its region plus a one-letter suffix, e.g. europe-west1-b. */
export const ZONE = /^([a-z]+-[a-z]+[0-9]+)-([a-z])$/;

export function regionOfZone(zone: string): string | undefined {
  return ZONE.exec(zone)?.[1];
}

/** Service-account ids: 6–30 chars, lowercase letters, digits, hyphens, start with a letter
 * (https://cloud.google.com/iam/docs/service-accounts-create). */
export const SERVICE_ACCOUNT_ID = { pattern: /^[a-z][a-z0-9-]*[a-z0-9]$/, min: 6, max: 30 };

/** The email Google gives a project's service account (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts). */
export function serviceAccountEmail(accountId: string, project: string): string {
  return `${accountId}@${project}.iam.gserviceaccount.com`;
}

/** Bucket names: 3–63 chars, lowercase letters, digits, hyphens, dots; start and end alphanumeric; no "goog"
 * prefix and no "google" inside (https://cloud.google.com/storage/docs/buckets#naming). */
export const BUCKET_NAME = { pattern: /^[a-z0-9][a-z0-9._-]*[a-z0-9]$/, min: 3, max: 63 };

/** Workload identity pool and provider ids: 4–32 chars, lowercase letters, digits, hyphens; the prefix
 * "gcp-" is reserved (https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines). */
export const WIF_ID = { pattern: /^[a-z0-9-]+$/, min: 4, max: 32, reservedPrefix: "gcp-" };

/** Artifact Registry repository ids: lowercase letters, digits, hyphens, start with a letter, at most 63
 * (https://cloud.google.com/artifact-registry/docs/repositories/create-repos). */
export const REPOSITORY_ID = { pattern: /^[a-z][a-z0-9-]*[a-z0-9]$/, min: 2, max: 63 };

/** Cloud Run service names: lowercase letters, digits, hyphens, start with a letter, at most 49
 * (https://cloud.google.com/run/docs/deploying#service). */
export const CLOUD_RUN_NAME = { pattern: /^[a-z]([a-z0-9-]*[a-z0-9])?$/, min: 1, max: 49 };

/** Label keys and values (https://cloud.google.com/resource-manager/docs/labels-overview#requirements). */
export const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
export const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
export const MAX_LABELS = 64;

/** Secret Manager secret ids: letters, digits, '_' and '-', at most 255 characters
 * (https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/create). */
export const SECRET_ID = { pattern: /^[A-Za-z0-9_-]+$/, min: 1, max: 255 };

/** Custom role ids: letters, digits, `_` and `.`, 3 to 64 (https://cloud.google.com/iam/docs/reference/rest/v1/projects.roles/create). */
export const CUSTOM_ROLE_ID = { pattern: /^[A-Za-z0-9_.]+$/, min: 3, max: 64 };

export interface NameRule {
  pattern: RegExp;
  min: number;
  max: number;
  reservedPrefix?: string;
}

/** Why `name` breaks `rule`, or undefined when it fits. */
export function nameProblem(name: string, rule: NameRule): string | undefined {
  if (name.length < rule.min || name.length > rule.max) {
    return `is ${name.length} characters; ${rule.min}–${rule.max} allowed`;
  }
  if (!rule.pattern.test(name)) return `has characters or an ending that are not allowed`;
  if (rule.reservedPrefix && name.startsWith(rule.reservedPrefix)) {
    return `must not start with "${rule.reservedPrefix}"`;
  }
  if (name.includes("google") || name.startsWith("goog")) return `must not contain "google" or start with "goog"`;
  return undefined;
}

/** Cloud Run memory bounds per CPU count, in MiB, for the second-generation execution environment the stack
 * always uses (at least 512 MiB) (https://cloud.google.com/run/docs/configuring/services/memory-limits,
 * https://cloud.google.com/run/docs/configuring/services/cpu). */
export const CLOUD_RUN_MEMORY: Record<string, { min: number; max: number }> = {
  "1": { min: 512, max: 4096 },
  "2": { min: 512, max: 8192 },
  "4": { min: 2048, max: 16384 },
  "8": { min: 4096, max: 32768 },
};

/** A memory size as Cloud Run takes it and the stack file writes it: 512Mi, 2Gi. */
export const MEMORY = /^(\d+)(Mi|Gi)$/;

/** The MiB of a MEMORY size; NaN when it is not one. */
export function mebibytes(size: string): number {
  const m = MEMORY.exec(size);
  if (!m) return Number.NaN;
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}

const showSize = (mib: number) => (mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`);

/** Why `memory` does not fit `cpu` CPUs on Cloud Run, or undefined. */
export function cloudRunMemoryProblem(cpu: string, memory: string): string | undefined {
  const bounds = CLOUD_RUN_MEMORY[cpu];
  const mib = mebibytes(memory);
  if (!bounds || Number.isNaN(mib)) return undefined;
  if (mib < bounds.min || mib > bounds.max) {
    return `${memory} does not fit ${cpu} CPU${cpu === "1" ? "" : "s"}; Cloud Run allows ${showSize(bounds.min)}–${showSize(bounds.max)} with ${cpu} CPU${cpu === "1" ? "" : "s"}`;
  }
  return undefined;
}

/** Google's default and minimum soft-delete retention of a bucket (0 would turn it off): 7 days
 * (https://cloud.google.com/storage/docs/soft-delete). */
export const SOFT_DELETE_SECONDS = 7 * 86_400;
