import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

export interface VertexJobArgs {
  region: string;
  displayName: string;
  machineType: string;
  /** Vertex AI accelerator, e.g. { type: "NVIDIA_TESLA_T4", count: 1 }. */
  accelerator?: { type: string; count: number };
  spot: boolean;
  maxRunHours: number;
  image: pulumi.Input<string>;
  /** `containerSpec.args`: passed to the image's ENTRYPOINT in place of its CMD (`command` stays unset). */
  args: string[];
  /** Plain env, and for each secret NAME an env `NAME_SECRET` naming its Secret Manager version. */
  env: pulumi.Input<Record<string, pulumi.Input<string>>>;
  serviceAccountEmail: pulumi.Input<string>;
  /** The models bucket: the job writes under gs://BUCKET/vertex/, the spec is stored there too. */
  bucket: pulumi.Input<string>;
}

/** The CustomJobSpec `gcloud ai custom-jobs create --config` reads (camelCase keys, as the API names them). */
export function customJobSpec(a: {
  machineType: string;
  accelerator?: { type: string; count: number };
  spot: boolean;
  maxRunHours: number;
  image: string;
  args: string[];
  env: Record<string, string>;
  serviceAccount: string;
  outputUri: string;
}): object {
  return {
    workerPoolSpecs: [
      {
        machineSpec: {
          machineType: a.machineType,
          ...(a.accelerator && { acceleratorType: a.accelerator.type, acceleratorCount: a.accelerator.count }),
        },
        replicaCount: 1,
        containerSpec: {
          imageUri: a.image,
          ...(a.args.length && { args: a.args }),
          env: Object.entries(a.env).map(([name, value]) => ({ name, value })),
        },
      },
    ],
    serviceAccount: a.serviceAccount,
    baseOutputDirectory: { outputUriPrefix: a.outputUri },
    scheduling: { timeout: `${a.maxRunHours * 3600}s`, ...(a.spot && { strategy: "SPOT" }) },
  };
}

/**
 * Vertex AI has no CustomJob resource in Pulumi or Terraform, so the stack provisions what the job needs
 * and produces the job's spec, stored in the models bucket; the train command submits it.
 */
export class VertexJob extends pulumi.ComponentResource {
  readonly spec: pulumi.Output<object>;
  readonly specUri: pulumi.Output<string>;

  constructor(name: string, args: VertexJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      "mlops:training:VertexJob",
      name,
      { machineType: args.machineType, accelerator: args.accelerator, spot: args.spot, maxRunHours: args.maxRunHours },
      opts,
    );
    this.spec = pulumi
      .all([args.image, args.env, args.serviceAccountEmail, args.bucket])
      .apply(([image, env, serviceAccount, bucket]) =>
        customJobSpec({ ...args, image, env, serviceAccount, outputUri: `gs://${bucket}/vertex/${args.displayName}` }),
      );
    const object = new gcp.storage.BucketObject(
      `${name}-spec`,
      {
        bucket: args.bucket,
        name: `vertex/${args.displayName}.yaml`,
        contentType: "application/yaml",
        content: this.spec.apply((spec) => YAML.stringify(spec)),
      },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.specUri = pulumi.interpolate`gs://${args.bucket}/${object.name}`;
    this.registerOutputs({ spec: this.spec, specUri: this.specUri });
  }
}
