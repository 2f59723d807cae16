/** Training runs: a Compute Engine VM per run (created by Cloud Batch) or a Vertex AI custom job. */
import { z } from "zod";
import type { ImageSource } from "../components/container-image";
import type { Access, BucketName } from "../components/storage";
import * as gpus from "../lib/gpus";
import { flag, intIn, zone } from "./fields";
import { bucketAccess } from "./storage";
import { envVars, imageSource, SAMPLE_TRAINER, secretNames } from "./workload";

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
    maxRunHours: intIn(1, 72, "hours")
      .default(4)
      .describe("A run is ended (its VM deleted, or the job cancelled) after this many hours, whatever it is doing."),
    zone: zone().optional().describe("VM only: the one zone runs may use; defaults to gcp:zone, else every zone of the region that offers the GPU."),
    bootDiskGb: intIn(20, 2000, "GB").default(50).describe("VM only: boot disk of each run's VM; the image is pulled onto it."),
    internet: flag()
      .optional()
      .meta({ defaultText: "true with a GPU, else false" })
      .describe(
        "VM only: true adds Cloud NAT so runs reach the internet (W&B, pip, and Batch's NVIDIA driver download for a GPU); Google APIs are reached privately either way.",
      ),
    image: imageSource.prefault({ ...SAMPLE_TRAINER }).describe("The training image: { build: DIR } or { ref: IMAGE }."),
    args: z
      .array(z.string(), { error: "must be a list of strings" })
      .default([])
      .describe(
        "Arguments appended to the training image's ENTRYPOINT; they replace its CMD. The sample trainer's ENTRYPOINT is python train.py, which takes --data, --min-accuracy, --min-test-rows, --C and --max-iter and refuses any other; an image that starts its program through CMD alone needs an ENTRYPOINT for args (see docs/training.md).",
      ),
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
  /** The services whose URL the trainer's env names. */
  calls: string[];
}
