import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** What a run's VM needs to report its task to Batch; granted on the project to the trainer account. */
export const BATCH_AGENT_ROLE = "roles/batch.agentReporter";

/** Batch's exit code for a task whose Spot VM was preempted (cloud.google.com/batch/docs/troubleshooting). */
export const PREEMPTED_EXIT_CODE = 50001;
/** Retries of a preempted run; any other failure ends the run at once. */
export const PREEMPTION_RETRIES = 2;
/** The spec's maxRetryCount: a spot run may be preempted and is retried, an on-demand run never. */
export const retriesOf = (spot: boolean): number => (spot ? PREEMPTION_RETRIES : 0);

export interface BatchJobSpecArgs {
  machineType: string;
  /** Accelerators to attach; undefined for CPU, and for G2/A2 machine types, which bring their own. */
  accelerators?: { type: string; count: number };
  /** Whether the machine has a GPU at all, so Batch installs the driver. */
  hasGpu: boolean;
  spot: boolean;
  maxRunHours: number;
  bootDiskGb: number;
  /** Boot disk type the machine family takes (N4, C4 and C3 only Hyperdisk; Batch's default is pd-balanced). */
  bootDiskType: string;
  /** `zones/Z` or `regions/R`. */
  locations: string[];
  image: string;
  /** The container's `commands`: Batch appends them to the image's ENTRYPOINT, in place of its CMD. */
  args: string[];
  env: Record<string, string>;
  /** Env name → Secret Manager version resource name; Batch reads the value on the VM, the spec holds no value. */
  secrets: Record<string, string>;
  serviceAccount: string;
  network: string;
  subnetwork: string;
  labels: Record<string, string>;
}

/** A Cloud Batch Job (REST JSON, camelCase as the API names it): one task, one container, one VM per run. */
export function batchJobSpec(a: BatchJobSpecArgs): object {
  return {
    taskGroups: [
      {
        taskCount: 1,
        parallelism: 1,
        taskSpec: {
          runnables: [{ displayName: "trainer", container: { imageUri: a.image, ...(a.args.length && { commands: a.args }) } }],
          maxRunDuration: `${a.maxRunHours * 3600}s`,
          maxRetryCount: retriesOf(a.spot),
          // RETRY_TASK on these exit codes only: every other failure fails the run without a retry.
          lifecyclePolicies: a.spot ? [{ action: "RETRY_TASK", actionCondition: { exitCodes: [PREEMPTED_EXIT_CODE] } }] : [],
          environment: { variables: a.env, secretVariables: a.secrets },
        },
      },
    ],
    allocationPolicy: {
      location: { allowedLocations: a.locations },
      instances: [
        {
          installGpuDrivers: a.hasGpu,
          policy: {
            machineType: a.machineType,
            provisioningModel: a.spot ? "SPOT" : "STANDARD",
            ...(a.accelerators && { accelerators: [a.accelerators] }),
            bootDisk: { type: a.bootDiskType, sizeGb: a.bootDiskGb },
          },
        },
      ],
      serviceAccount: { email: a.serviceAccount },
      network: { networkInterfaces: [{ network: a.network, subnetwork: a.subnetwork, noExternalIpAddress: true }] },
      labels: a.labels,
    },
    labels: a.labels,
    logsPolicy: { destination: "CLOUD_LOGGING" },
  };
}

export interface BatchJobArgs extends Omit<BatchJobSpecArgs, "image" | "env" | "secrets" | "serviceAccount" | "network" | "subnetwork"> {
  project: string;
  image: pulumi.Input<string>;
  env: pulumi.Input<Record<string, pulumi.Input<string>>>;
  secrets: pulumi.Input<Record<string, pulumi.Input<string>>>;
  serviceAccountEmail: pulumi.Input<string>;
  network: pulumi.Input<string>;
  subnetwork: pulumi.Input<string>;
  /** The models bucket: the spec is stored there, next to what runs write. */
  bucket: pulumi.Input<string>;
  /** Object name of the stored spec. */
  specObject: string;
}

/**
 * Training runs on Cloud Batch: the stack keeps the job spec (stored in the models bucket and exported) and
 * lets the trainer account report to Batch; each run is one Batch job, submitted by the train command. Batch
 * creates the VM, installs the GPU driver, runs the container, sends its output to Cloud Logging and deletes
 * the VM when the task ends, on success, failure or maxRunDuration.
 */
export class BatchJob extends pulumi.ComponentResource {
  readonly spec: pulumi.Output<object>;
  readonly specUri: pulumi.Output<string>;

  constructor(name: string, args: BatchJobArgs, opts?: pulumi.ComponentResourceOptions) {
    const cost = {
      machineType: args.machineType,
      gpus: args.accelerators ? [args.accelerators] : [],
      spot: args.spot,
      maxRunHours: args.maxRunHours,
      // What the worst case counts: each retry may run maxRunHours again.
      maxRetryCount: retriesOf(args.spot),
    };
    super("mlops:training:BatchJob", name, cost, opts);
    const child = { parent: this, dependsOn: opts?.dependsOn };
    const member = pulumi.interpolate`serviceAccount:${args.serviceAccountEmail}`;
    new gcp.projects.IAMMember(`${name}-agent-reporter`, { project: args.project, role: BATCH_AGENT_ROLE, member }, child);
    this.spec = pulumi
      .all([args.image, args.env, args.secrets, args.serviceAccountEmail, args.network, args.subnetwork])
      .apply(([image, env, secrets, serviceAccount, network, subnetwork]) =>
        batchJobSpec({ ...args, image, env, secrets, serviceAccount, network, subnetwork }),
      );
    const object = new gcp.storage.BucketObject(
      `${name}-spec`,
      { bucket: args.bucket, name: args.specObject, contentType: "application/json", content: this.spec.apply((s) => `${JSON.stringify(s, null, 2)}\n`) },
      child,
    );
    this.specUri = pulumi.interpolate`gs://${args.bucket}/${object.name}`;
    this.registerOutputs({ spec: this.spec, specUri: this.specUri });
  }
}
