/** Training: the image, the trainer's env, secrets and grants, and the run spec (Cloud Batch or Vertex AI). */
import * as pulumi from "@pulumi/pulumi";
import { BatchJob } from "../components/batch-job";
import type { ContainerImage } from "../components/container-image";
import { PrivateNetwork } from "../components/private-network";
import { secretRefs, type SecretRef } from "../components/secrets";
import { VertexJob } from "../components/vertex-job";
import type { StackConfig, TrainingConfig } from "../config";
import { BUNDLED_GPUS, GPUS } from "../lib/gpus";
import { bootDiskType } from "../lib/machines";
import type { TrainingJob, TrainingOutputs } from "./outputs";
import { resolveEnv, type Platform, type References } from "./serving";

/** The training subnet's range; the stack's VPC holds nothing else. */
const TRAINING_CIDR = "10.20.0.0/24";

export interface Training {
  outputs: TrainingOutputs;
}

/** What the trainer runs with, whichever engine runs it. */
interface TrainerRun {
  image: ContainerImage;
  env: Record<string, pulumi.Output<string>>;
  secrets: Record<string, SecretRef>;
  /** Grants and secret versions a run needs. */
  waitFor: pulumi.Resource[];
}

/**
 * The one command that starts a run, as the stack prints it for the group's Pulumi folder (where the package
 * is installed): no `&&`, the stack named, the rest read from its outputs.
 */
export const trainCommand = (stack: string): string => `npx mlops-gcp-stack train --stack ${stack}`;

export function trainingRun(config: StackConfig, training: TrainingConfig, p: Platform, refs: References): Training {
  const image = p.image("trainer", training.image);
  const secrets = secretRefs(p.secrets, training.secrets);
  const run: TrainerRun = {
    image,
    env: { ...p.buckets.envOf(training.buckets), ...resolveEnv(training.env, refs) },
    secrets: secrets.refs,
    waitFor: [...p.buckets.grantsOf("trainer"), ...p.identities.grantsOf("trainer"), ...secrets.waitFor],
  };
  const where = training.kind === "vm" ? batchJob(config, training, p, run) : vertexJob(config, training, p, run);
  const job: TrainingJob = {
    kind: training.kind === "vm" ? "batch" : "vertex",
    project: config.project,
    region: config.region,
    name: config.names.trainJob,
    labels: config.labels,
    gpu: training.gpu ?? null,
    spec: where.spec,
    specUri: where.specUri,
    modelsUri: pulumi.interpolate`gs://${p.buckets.names.models}/`,
  };
  return { outputs: { trainingImage: image.ref, ...where.outputs, trainingJob: job, trainCommand: trainCommand(config.stack) } };
}

interface Engine {
  spec: pulumi.Output<object>;
  specUri: pulumi.Output<string>;
  outputs: Pick<TrainingOutputs, "batchJobSpec" | "batchJobSpecUri" | "trainingNetwork" | "vertexJobSpec" | "vertexJobSpecUri">;
}

function batchJob(config: StackConfig, training: TrainingConfig, p: Platform, run: TrainerRun): Engine {
  const { names } = config;
  const network = new PrivateNetwork(
    "network",
    { project: config.project, region: config.region, names: names.network, cidr: TRAINING_CIDR, internet: training.internet },
    { dependsOn: p.apis.need("compute") },
  );
  const bundled = BUNDLED_GPUS[training.machineType] !== undefined;
  const job = new BatchJob(
    "training",
    {
      project: config.project,
      machineType: training.machineType,
      accelerators: training.gpu && !bundled ? training.gpu : undefined,
      hasGpu: training.gpu !== undefined,
      spot: training.spot,
      maxRunHours: training.maxRunHours,
      bootDiskGb: training.bootDiskGb,
      bootDiskType: bootDiskType(training.machineType),
      locations: training.locations,
      image: run.image.ref,
      args: training.args,
      env: pulumi.all(run.env),
      secrets: Object.fromEntries(Object.entries(run.secrets).map(([name, r]) => [name, r.versionName])),
      serviceAccountEmail: p.identities.accounts.trainer.email,
      network: network.network.id,
      subnetwork: network.subnet.id,
      bucket: p.buckets.names.models,
      specObject: `batch/${names.trainJob}.json`,
      labels: config.labels,
    },
    { dependsOn: [...p.apis.need("batch", "logging"), ...run.waitFor, ...p.registry.grants] },
  );
  return { spec: job.spec, specUri: job.specUri, outputs: { batchJobSpec: job.spec, batchJobSpecUri: job.specUri, trainingNetwork: network.subnet.id } };
}

function vertexJob(config: StackConfig, training: TrainingConfig, p: Platform, run: TrainerRun): Engine {
  // The container reads each secret through the version named in NAME_SECRET; the trainer account may.
  const secretEnv = Object.fromEntries(Object.entries(run.secrets).map(([name, r]) => [`${name}_SECRET`, r.versionName]));
  const job = new VertexJob(
    "training",
    {
      region: config.region,
      displayName: config.names.trainJob,
      machineType: training.machineType,
      accelerator: training.gpu && { type: GPUS[training.gpu.type].vertex, count: training.gpu.count },
      spot: training.spot,
      maxRunHours: training.maxRunHours,
      image: run.image.ref,
      args: training.args,
      env: pulumi.all({ ...run.env, ...secretEnv }),
      serviceAccountEmail: p.identities.accounts.trainer.email,
      bucket: p.buckets.names.models,
    },
    { dependsOn: [...p.apis.need("aiplatform"), ...run.waitFor] },
  );
  return { spec: job.spec, specUri: job.specUri, outputs: { vertexJobSpec: job.spec, vertexJobSpecUri: job.specUri } };
}

/**
 * Whether a pause has to drop training: only when the trainer's env names a service URL, which a paused
 * stack does not have. Everything else of training costs nothing between runs and stays.
 */
export function pausedTraining(config: StackConfig): boolean {
  const training = config.training;
  if (!config.paused || !training) return false;
  const needsService = training.calls.length > 0;
  if (needsService) pulumi.log.warn("paused: training is removed too, because its env names a service URL; a run in progress loses its grants");
  return needsService;
}
