/** Training on a Compute Engine VM or as a Vertex AI custom job. */
import { z } from "zod";
import * as gcp from "../lib/gcp";
import * as gpus from "../lib/gpus";
import { intIn } from "../lib/validation";
import { flag, zone } from "./project";
import type { Fields, Parsed } from "./schema";
import { bucketAccess, type Access, type BucketName } from "./storage";
import { envChecks, envVars, imageChecks, imageSource, secretNames, type ImageSource } from "./workload";

const VM_ONLY = ["zone", "bootDiskGb", "imageFamily", "imageProject", "powerOffWhenDone", "running"];

export const training = z
  .strictObject({
    kind: z
      .enum(["vm", "vertex", "none"], { error: "must be vm (a Compute Engine VM), vertex (a Vertex AI custom job) or none" })
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
    maxRunHours: intIn(1, 72, "hours").default(4).describe("The VM is stopped (or the job cancelled) after this many hours, whatever it is doing."),
    zone: zone()
      .optional()
      .describe("VM only: zone of the VM; defaults to gcp:zone, else the region's zone b."),
    bootDiskGb: intIn(20, 2000, "GB").default(50).describe("VM only: boot disk size; images and data sets live here."),
    imageFamily: z.string().regex(/^[a-z][a-z0-9-]*$/, { error: "is not an image family name" }).optional()
      .describe("VM only: OS image family; defaults to a Deep Learning VM family with a GPU, Container-Optimized OS without."),
    imageProject: z.string().regex(/^[a-z][a-z0-9-]*$/, { error: "is not a project id" }).optional()
      .describe("VM only: project of imageFamily."),
    powerOffWhenDone: flag().default(true).describe("VM only: power the VM off when the training container exits."),
    running: flag().default(true)
      .describe("VM only: false keeps the VM defined but stopped; true starts it once when created (it stops itself when done)."),
    image: imageSource.prefault({ build: "services", dockerfile: "services/trainer/Dockerfile" }).describe("The training image: { build: DIR } or { ref: IMAGE }."),
    args: z.array(z.string(), { error: "must be a list of strings" }).default([]).describe("Arguments passed to the training container."),
    env: envVars().describe("Environment variables of the training container."),
    buckets: bucketAccess.default({ data: "read", models: "write" }).describe("Bucket access of the trainer account: read or write per bucket."),
    secrets: secretNames().describe("Secrets (from mlops:secrets) the trainer reads."),
  })
  .prefault({})
  .describe("Training on a Compute Engine VM or as a Vertex AI custom job.");

/** Training as the stack runs it, with every default resolved. */
export interface TrainingConfig {
  kind: "vm" | "vertex";
  machineType: string;
  gpu?: { type: gpus.GpuType; count: number };
  spot: boolean;
  maxRunHours: number;
  /** VM zone (resolved: training.zone, gcp:zone, or the region's zone b). */
  zone: string;
  bootDiskGb: number;
  imageFamily: string;
  imageProject: string;
  powerOffWhenDone: boolean;
  running: boolean;
  image: ImageSource;
  args: string[];
  env: Record<string, string>;
  buckets: Partial<Record<BucketName, Access>>;
  secrets: string[];
}

function trainingZone(zone: string | undefined, stackZone: string | undefined, region: string | undefined): string {
  return zone ?? stackZone ?? `${region}-b`;
}

/** VM-only settings, GPU against machine family and zone, env references and the image to build. */
export function trainingChecks(f: Fields, raw: unknown): string[] {
  const t = f["mlops:training"];
  if (!t || t.kind === "none") return [];
  const key = "mlops:training";
  const problems: string[] = [];
  if (t.kind === "vertex" && raw && typeof raw === "object") {
    for (const vmOnly of VM_ONLY) {
      if (vmOnly in raw) problems.push(`${key}.${vmOnly}: applies to kind vm only; remove it for a Vertex AI job`);
    }
  }
  if (t.imageProject && !t.imageFamily) problems.push(`${key}.imageProject: needs imageFamily; set both or neither`);
  problems.push(...gpus.machineProblems(key, t.machineType, t.gpu));
  problems.push(...vmZoneChecks(f));
  problems.push(...envChecks(key, t.env, Object.keys(f["mlops:services"] ?? {})));
  problems.push(...imageChecks(`${key}.image`, t.image as ImageSource));
  return problems;
}

/** The VM's zone lies in the region and offers the GPU. */
function vmZoneChecks(f: Fields): string[] {
  const t = f["mlops:training"];
  const region = f["gcp:region"];
  if (t?.kind !== "vm" || !region) return [];
  const key = "mlops:training";
  const zone = trainingZone(t.zone, f["gcp:zone"], region);
  const where = t.zone ? `${key}.zone` : f["gcp:zone"] ? "gcp:zone" : `${key}.zone`;
  if (gcp.regionOfZone(zone) !== region) {
    return [`${where}: "${zone}" is not in region ${region}; use a zone such as ${region}-b`];
  }
  if (t.gpu && !gpus.zonesOf(t.gpu.type).includes(zone)) {
    const inRegion = gpus.zonesOf(t.gpu.type).filter((z) => gcp.regionOfZone(z) === region);
    return [
      `${where}: ${zone} offers no ${t.gpu.type}; ${inRegion.length ? `zones of ${region} that do: ${inRegion.join(", ")}` : `no zone of ${region} does; choose another region`}`,
    ];
  }
  return [];
}

/** Training with its zone and OS image resolved, or undefined when the stack trains nowhere. */
export function resolveTraining(p: Parsed): TrainingConfig | undefined {
  const t = p["mlops:training"];
  if (t.kind === "none") return undefined;
  return {
    ...t,
    kind: t.kind,
    zone: trainingZone(t.zone, p["gcp:zone"], p["gcp:region"]),
    imageFamily: t.imageFamily ?? (t.gpu ? gpus.GPU_IMAGE.family : gpus.CPU_IMAGE.family),
    imageProject: t.imageProject ?? (t.gpu ? gpus.GPU_IMAGE.project : gpus.CPU_IMAGE.project),
    image: t.image as ImageSource,
  };
}
