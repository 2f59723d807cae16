/** Training runs: a Compute Engine VM per run (created by Cloud Batch) or a Vertex AI custom job. */
import { z } from "zod";
import * as gcp from "../lib/gcp";
import * as gpus from "../lib/gpus";
import { intIn } from "../lib/validation";
import { flag, zone } from "./project";
import type { Fields, Parsed } from "./schema";
import { bucketAccess, type Access, type BucketName } from "./storage";
import { envChecks, envVars, imageChecks, imageSource, SAMPLE_TRAINER, secretNames, type ImageSource } from "./workload";

const VM_ONLY = ["zone", "bootDiskGb", "internet"];
/** Keys of the standing VM that runs replaced; each is named with what to do instead. */
const RETIRED: Record<string, string> = {
  imageFamily: "Batch boots its own image and installs the GPU driver; remove it",
  imageProject: "Batch boots its own image and installs the GPU driver; remove it",
  powerOffWhenDone: "every run's VM is deleted when training ends; remove it",
  running: "nothing runs on pulumi up any more; start a run with the stack's trainCommand and remove the key",
};

export const training = z
  .strictObject({
    kind: z
      .enum(["vm", "vertex", "none"], { error: "must be vm (a Compute Engine VM per run, through Cloud Batch), vertex (a Vertex AI custom job) or none" })
      .default("none")
      .describe("Where training runs: vm, vertex or none."),
    machineType: z
      .string()
      .regex(/^[a-z][a-z0-9]*-[a-z0-9-]+$/, { error: "is not a machine type such as n1-standard-4" })
      .default("n1-standard-4")
      .describe("Compute Engine machine type (also for Vertex AI)."),
    gpu: z
      .strictObject({
        type: z.enum(gpus.GPU_TYPES, { error: `must be one of ${gpus.GPU_TYPES.join(", ")}` }).describe("GPU type, e.g. nvidia-tesla-t4."),
        count: intIn(1, 16, "GPUs").default(1).describe("Number of GPUs."),
      })
      .optional()
      .describe("A GPU; omit to train on CPU. Needs GPU quota in the region (see README)."),
    spot: flag().default(false).describe("Spot capacity: about a third of the price, may be stopped at any time."),
    maxRunHours: intIn(1, 72, "hours").default(4).describe("A run is ended (its VM deleted, or the job cancelled) after this many hours, whatever it is doing."),
    zone: zone()
      .optional()
      .describe("VM only: the one zone runs may use; defaults to gcp:zone, else every zone of the region that offers the GPU."),
    bootDiskGb: intIn(20, 2000, "GB").default(50).describe("VM only: boot disk of each run's VM; the image is pulled onto it."),
    internet: flag().optional()
      .meta({ defaultText: "true with a GPU, else false" })
      .describe("VM only: true adds Cloud NAT so runs reach the internet (W&B, pip, and Batch's NVIDIA driver download for a GPU); Google APIs are reached privately either way."),
    image: imageSource.prefault({ ...SAMPLE_TRAINER }).describe("The training image: { build: DIR } or { ref: IMAGE }."),
    args: z.array(z.string(), { error: "must be a list of strings" }).default([]).describe("Arguments passed to the training container."),
    env: envVars().describe("Environment variables of the training container."),
    buckets: bucketAccess.default({ data: "read", models: "write" }).describe("Bucket access of the trainer account: read or write per bucket."),
    secrets: secretNames().describe("Secrets (from mlops:secrets) the trainer reads."),
  })
  .prefault({})
  .describe("Training runs, started by command: a VM per run through Cloud Batch (vm), or a Vertex AI custom job.");

/** Training as the stack runs it, with every default resolved. */
export interface TrainingConfig {
  kind: "vm" | "vertex";
  machineType: string;
  gpu?: { type: gpus.GpuType; count: number };
  spot: boolean;
  maxRunHours: number;
  /** Where a run's VM may start: `zones/Z` or, without a zone, every zone of the region offering the GPU. */
  locations: string[];
  bootDiskGb: number;
  internet: boolean;
  image: ImageSource;
  args: string[];
  env: Record<string, string>;
  buckets: Partial<Record<BucketName, Access>>;
  secrets: string[];
}

/** VM-only settings, retired keys, GPU against machine family and zone, env references and the image to build. */
export function trainingChecks(f: Fields, raw: unknown): string[] {
  const key = "mlops:training";
  const set = raw && typeof raw === "object" ? Object.keys(raw) : [];
  const problems = set.filter((k) => k in RETIRED).map((k) => `${key}.${k}: ${RETIRED[k]}`);
  const t = f["mlops:training"];
  if (!t || t.kind === "none") return problems;
  if (t.kind === "vertex") {
    problems.push(...set.filter((k) => VM_ONLY.includes(k)).map((k) => `${key}.${k}: applies to kind vm only; remove it for a Vertex AI job`));
  }
  problems.push(...gpus.machineProblems(key, t.machineType, t.gpu));
  problems.push(...vmZoneChecks(f));
  problems.push(...envChecks(key, t.env, Object.keys(f["mlops:services"] ?? {})));
  problems.push(...imageChecks(`${key}.image`, t.image as ImageSource));
  return problems;
}

/** The zone (set, or gcp:zone) lies in the region and offers the GPU; without one, some zone of the region does. */
function vmZoneChecks(f: Fields): string[] {
  const t = f["mlops:training"];
  const region = f["gcp:region"];
  if (t?.kind !== "vm" || !region) return [];
  const key = "mlops:training";
  const zone = t.zone ?? f["gcp:zone"];
  const where = t.zone ? `${key}.zone` : "gcp:zone";
  if (zone && gcp.regionOfZone(zone) !== region) {
    return [`${where}: "${zone}" is not in region ${region}; use a zone such as ${region}-b`];
  }
  if (!t.gpu) return [];
  if (t.internet === false) {
    return [`${key}.internet: a GPU run downloads its NVIDIA driver from outside Google (Batch's installGpuDrivers); remove internet: false`];
  }
  const inRegion = gpus.zonesOf(t.gpu.type).filter((z) => gcp.regionOfZone(z) === region);
  if (!inRegion.length) {
    const regions = [...new Set(gpus.zonesOf(t.gpu.type).map(gcp.regionOfZone))].sort();
    return [`${key}.gpu.type: no zone of ${region} offers ${t.gpu.type}; choose another GPU, or a region that has it: ${regions.join(", ")}`];
  }
  if (zone && !inRegion.includes(zone)) return [`${where}: ${zone} offers no ${t.gpu.type}; zones of ${region} that do: ${inRegion.join(", ")}`];
  return [];
}

/** Where a run may start: the zone the stack names, else the region's zones that offer the GPU, else the region. */
function runLocations(zone: string | undefined, region: string, gpu: TrainingConfig["gpu"]): string[] {
  if (zone) return [`zones/${zone}`];
  if (!gpu) return [`regions/${region}`];
  return gpus.zonesOf(gpu.type).filter((z) => gcp.regionOfZone(z) === region).map((z) => `zones/${z}`);
}

/** Training with its locations resolved, or undefined when the stack trains nowhere. */
export function resolveTraining(p: Parsed): TrainingConfig | undefined {
  const t = p["mlops:training"];
  if (t.kind === "none") return undefined;
  return {
    ...t,
    kind: t.kind,
    locations: runLocations(t.zone ?? p["gcp:zone"], p["gcp:region"], t.gpu),
    internet: t.internet ?? t.gpu !== undefined,
    image: t.image as ImageSource,
  };
}
