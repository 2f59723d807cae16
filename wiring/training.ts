/** Training: the image, the trainer's env, secrets and grants, and where it runs (a VM or a Vertex AI job). */
import * as pulumi from "@pulumi/pulumi";
import type { ContainerImage } from "../components/container-image";
import type { WatchedVm } from "../components/monitoring";
import { secretRefs, type SecretRef } from "../components/secrets";
import { startupScript, TrainingVm } from "../components/training-vm";
import { VertexJob } from "../components/vertex-job";
import type { StackConfig, TrainingConfig } from "../config";
import { BUNDLED_GPUS, GPUS } from "../lib/gpus";
import type { StackOutputs } from "./outputs";
import { resolveEnv, type Platform, type References } from "./serving";

export interface Training {
  /** The VM, for monitoring; absent for Vertex AI jobs, which the stack does not run itself. */
  vm?: WatchedVm;
  outputs: StackOutputs;
}

/** What the trainer runs with, whichever machine runs it. */
interface TrainerRun {
  image: ContainerImage;
  env: Record<string, pulumi.Output<string>>;
  secrets: Record<string, SecretRef>;
  /** Grants and secret versions the first run needs. */
  waitFor: pulumi.Resource[];
}

export function trainingRun(config: StackConfig, training: TrainingConfig, p: Platform, refs: References): Training {
  const image = p.image("trainer", training.image);
  const secrets = secretRefs(p.secrets, training.secrets);
  const run: TrainerRun = {
    image,
    env: { ...p.buckets.envOf(training.buckets), ...resolveEnv(training.env, refs) },
    secrets: secrets.refs,
    waitFor: [...p.buckets.grantsOf("trainer"), ...p.identities.grantsOf("trainer"), ...secrets.waitFor],
  };
  const where = training.kind === "vm" ? trainingVm(config, training, p, run) : vertexJob(config, training, p, run);
  return { vm: where.vm, outputs: { trainingImage: image.ref, ...where.outputs } };
}

function trainingVm(config: StackConfig, training: TrainingConfig, p: Platform, run: TrainerRun): Training {
  const { names } = config;
  const bundled = BUNDLED_GPUS[training.machineType] !== undefined;
  const secretVersions = Object.fromEntries(Object.entries(run.secrets).map(([name, r]) => [name, r.versionName]));
  const vm = new TrainingVm(
    "training",
    {
      project: config.project,
      zone: training.zone,
      instanceName: names.trainerInstance,
      machineType: training.machineType,
      accelerators: training.gpu && !bundled ? training.gpu : undefined,
      hasGpu: training.gpu !== undefined,
      spot: training.spot,
      maxRunHours: training.maxRunHours,
      bootDiskGb: training.bootDiskGb,
      image: { project: training.imageProject, family: training.imageFamily },
      running: training.running,
      serviceAccountEmail: p.identities.accounts.trainer.email,
      startupScript: pulumi.all([run.image.ref, pulumi.all(run.env), pulumi.all(secretVersions)]).apply(([image, env, secrets]) =>
        startupScript({
          image,
          registryHost: p.registry.host,
          gpu: training.gpu !== undefined,
          env,
          secrets,
          args: training.args,
          powerOff: training.powerOffWhenDone,
        }),
      ),
      labels: config.labels,
    },
    { dependsOn: [...p.apis.need("compute"), ...run.waitFor, ...p.registry.grants] },
  );
  return {
    vm: { instanceName: names.trainerInstance, instanceId: vm.instance.instanceId, zone: training.zone, resource: vm.instance },
    outputs: { trainingInstance: names.trainerInstance, trainingCommands: vm.commands },
  };
}

function vertexJob(config: StackConfig, training: TrainingConfig, p: Platform, run: TrainerRun): Training {
  // The container reads each secret through the version named in NAME_SECRET; the trainer account may.
  const secretEnv = Object.fromEntries(Object.entries(run.secrets).map(([name, r]) => [`${name}_SECRET`, r.versionName]));
  const job = new VertexJob(
    "training",
    {
      region: config.region,
      displayName: `${config.names.prefix}-train`,
      machineType: training.machineType,
      accelerator: training.gpu && { type: GPUS[training.gpu.type].vertex, count: training.gpu.count },
      spot: training.spot,
      maxRunHours: training.maxRunHours,
      image: run.image.ref,
      args: training.args,
      env: pulumi.all({ ...run.env, ...secretEnv }),
      serviceAccountEmail: p.identities.accounts.trainer.email,
      bucket: p.buckets.names.models,
      labels: config.labels,
    },
    { dependsOn: [...p.apis.need("aiplatform"), ...run.waitFor] },
  );
  return { outputs: { vertexJobSpec: job.spec, vertexJobSpecUri: job.specUri, vertexSubmitCommand: job.submitCommand } };
}
