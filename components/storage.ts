import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { SOFT_DELETE_SECONDS } from "../lib/gcp";
import { adminOptions, type Admin } from "./admins";
import { bucketEnvName } from "../lib/wiring";

/**
 * What an access means on a bucket (docs/wiring.md): `read` lists and reads objects; `write` also creates,
 * overwrites and deletes them (the trainer replacing a model, DVC pushing data).
 */
export const BUCKET_ROLES = { read: "roles/storage.objectViewer", write: "roles/storage.objectUser" } as const;
/** `write` of a create-only grant: new objects only, no read, overwrite or delete (storage.objects.delete). */
export const CREATE_ONLY_ROLE = "roles/storage.objectCreator";
/** What an admin of the stack's buckets (ci-deploy) holds on each, instead of a project-wide storage role. */
export const BUCKET_ADMIN_ROLE = "roles/storage.admin";
/** What a workload may do with a bucket. */
export type Access = keyof typeof BUCKET_ROLES;
/** The group's buckets, by role. */
export type BucketName = "data" | "models" | "predictions";

export interface BucketGrant {
  /** Who, for the resource name: a workload or CI account. */
  who: string;
  member: pulumi.Input<string>;
  access: Access;
  /** `write` creates objects only: for accounts anyone can drive (a public service, or one it calls). */
  createOnly?: boolean;
}

/** The role a grant gives on its bucket. */
export function bucketRole(grant: Pick<BucketGrant, "access" | "createOnly">): string {
  return grant.access === "write" && grant.createOnly ? CREATE_ONLY_ROLE : BUCKET_ROLES[grant.access];
}

export interface BucketsArgs {
  project: string;
  location: string;
  /** Bucket names before the suffix, by bucket (`data`, `models`, `predictions`). */
  baseNames: Record<BucketName, string>;
  /** Random hex that makes the names globally unique. */
  suffix: pulumi.Input<string>;
  labels: Record<string, string>;
  /** Keep data through `pulumi destroy`: protected buckets, no force-destroy. */
  protect: boolean;
  /** Noncurrent versions kept per object in `data` and `models`. */
  keepVersions: number;
  /** Days a prediction log object lives. */
  predictionsDays: number;
  /** Object access per bucket, granted on the bucket. */
  grants: Partial<Record<BucketName, BucketGrant[]>>;
  /** Accounts that administer every bucket (ci-deploy), granted on each; `formerly` is keyed by bucket. */
  admins: Admin[];
}

/** Lifecycle rule shared by every bucket: a failed upload never lingers and bills. */
const ABORT_UPLOADS = { action: { type: "AbortIncompleteMultipartUpload" }, condition: { age: 1 } };

/**
 * The group's buckets: `data` (the DVC remote), `models` and `predictions` (the input/output log that drift
 * monitoring reads). Private by construction: uniform access, public access prevention enforced, IAM only
 * on the bucket.
 */
export class Buckets extends pulumi.ComponentResource {
  readonly buckets: Record<BucketName, gcp.storage.Bucket>;
  readonly names: Record<BucketName, pulumi.Output<string>>;
  private readonly grants: Array<{ who: string; grant: gcp.storage.BucketIAMMember }> = [];
  /** Run once in the repository to make `data` the DVC remote (version-aware: DVC reads object versions). */
  readonly dvcRemoteCommand: pulumi.Output<string>;

  constructor(name: string, args: BucketsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:storage:Buckets", name, {}, opts);
    const child = { parent: this, dependsOn: opts?.dependsOn };
    const versioned = (bucket: string) => ({
      versioning: { enabled: true },
      lifecycleRules: [
        // DVC's version_aware remote keeps old data in noncurrent versions; keep the newest few only.
        { action: { type: "Delete" }, condition: { numNewerVersions: args.keepVersions, withState: "ARCHIVED" } },
        ABORT_UPLOADS,
      ],
      labels: { ...args.labels, bucket },
    });
    const settings = {
      data: versioned("data"),
      models: versioned("models"),
      predictions: {
        versioning: { enabled: false },
        lifecycleRules: [{ action: { type: "Delete" }, condition: { age: args.predictionsDays } }, ABORT_UPLOADS],
        labels: { ...args.labels, bucket: "predictions" },
      },
    };

    const make = (bucket: BucketName) =>
      new gcp.storage.Bucket(
        `${name}-${bucket}`,
        {
          project: args.project,
          name: pulumi.interpolate`${args.baseNames[bucket]}-${args.suffix}`,
          location: args.location,
          storageClass: "STANDARD",
          uniformBucketLevelAccess: true,
          publicAccessPrevention: "enforced",
          forceDestroy: !args.protect,
          // Deleted objects (and the bucket itself) stay restorable for 7 days, also after a full teardown.
          softDeletePolicy: { retentionDurationSeconds: SOFT_DELETE_SECONDS },
          ...settings[bucket],
        },
        { ...child, protect: args.protect },
      );
    this.buckets = { data: make("data"), models: make("models"), predictions: make("predictions") };

    for (const [bucket, grants] of Object.entries(args.grants) as Array<[keyof typeof this.buckets, BucketGrant[]]>) {
      for (const grant of grants) {
        const iam = new gcp.storage.BucketIAMMember(
          `${name}-${bucket}-${grant.who}-${grant.access}`,
          { bucket: this.buckets[bucket].name, role: bucketRole(grant), member: grant.member },
          child,
        );
        this.grants.push({ who: grant.who, grant: iam });
      }
    }

    for (const admin of args.admins) {
      for (const [bucket, resource] of Object.entries(this.buckets)) {
        new gcp.storage.BucketIAMMember(
          `${name}-${bucket}-${admin.who}-admin`,
          { bucket: resource.name, role: BUCKET_ADMIN_ROLE, member: admin.member },
          adminOptions(child, resource, args.protect, admin, bucket),
        );
      }
    }

    this.names = {
      data: this.buckets.data.name,
      models: this.buckets.models.name,
      predictions: this.buckets.predictions.name,
    };
    this.dvcRemoteCommand = pulumi.interpolate`dvc remote add -d remote gs://${this.names.data} && dvc remote modify remote version_aware true`;
    this.registerOutputs({ names: this.names, dvcRemoteCommand: this.dvcRemoteCommand });
  }

  /**
   * The wiring contract (docs/wiring.md), for every workload: `<NAME>_BUCKET` naming each bucket it was
   * granted, in bucket order, and nothing for the others.
   */
  envOf(granted: Partial<Record<BucketName, unknown>>): Record<string, pulumi.Output<string>> {
    return Object.fromEntries((Object.keys(this.names) as BucketName[]).filter((b) => granted[b]).map((b) => [bucketEnvName(b), this.names[b]]));
  }

  /** The bucket grants of one workload, for what must not start before them. */
  grantsOf(who: string): gcp.storage.BucketIAMMember[] {
    return this.grants.filter((g) => g.who === who).map((g) => g.grant);
  }
}
