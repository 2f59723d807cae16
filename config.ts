/**
 * The typed stack config: one schema for every `mlops:` key (and the `gcp:` keys the stack reads), its
 * defaults, its validation and the names derived from it. Only this file and index.ts read Pulumi config.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { z } from "zod";
import * as gcp from "./lib/gcp";
import * as gpus from "./lib/gpus";
import { formatIssue, genericMessage, intIn, unique } from "./lib/validation";

/** A config value stored encrypted (`pulumi config set --secret`). `value` is absent when the stack file is
 * read offline without its passphrase or key. */
export class SecretValue {
  constructor(readonly value: string | undefined) {}
  toJSON(): string {
    return "[secret]";
  }
}

/** Namespaces of providers this program uses; their keys are theirs to check, not ours. */
const PROVIDER_NAMESPACES = new Set(["gcp", "docker", "random", "pulumi"]);
/** The `gcp:` keys the stack itself reads; the rest of `gcp:` belongs to the provider. */
const GCP_KEYS = new Set(["gcp:project", "gcp:region", "gcp:zone"]);

const label = z.string().regex(gcp.LABEL_VALUE, {
  error: "is not a valid label value; lowercase letters, digits, '_' and '-', at most 63 characters",
});

const groupId = z
  .union([z.string(), z.number()], { error: "must be a string such as \"140\" or \"flowers\"" })
  .transform(String)
  .pipe(
    z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
      error: "must be lowercase letters, digits and hyphens, starting and ending with a letter or digit",
    }),
  );

/** Secret names are environment-variable names, so a container sees the secret under the same name. */
export const SECRET_NAME = /^[A-Z][A-Z0-9_]*$/;
const MEMBER = /^(user|group|serviceAccount):[^\s@]+@[^\s@]+\.[^\s@]+$/;
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "is not an environment variable name" });
/** Google's public Cloud Run sample, so a service deploys before the group has a Dockerfile. */
export const SAMPLE_IMAGE = "us-docker.pkg.dev/cloudrun/container/hello";
/** Image references: [host[:port]/]path[:tag][@sha256:digest]. */
export const IMAGE_REF = /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9._-]+(?:\/[a-z0-9._-]+)*(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

const imageSource = z
  .strictObject({
    build: z.string().min(1).optional().describe("Directory (from the project root) with the Dockerfile."),
    dockerfile: z.string().min(1).optional().describe("Dockerfile path, relative to the project root; default DIR/Dockerfile."),
    buildArgs: z.record(z.string(), z.string()).optional().describe("Docker build arguments."),
    ref: z.string().regex(IMAGE_REF, { error: "is not an image reference such as us-docker.pkg.dev/cloudrun/container/hello" }).optional()
      .describe("A prebuilt image; its tag is resolved to a digest at deploy time."),
  })
  .refine((i) => (i.build === undefined) !== (i.ref === undefined), { error: "needs exactly one of build (a directory with a Dockerfile) or ref (a prebuilt image)" });

const bucketAccess = z.partialRecord(
  z.enum(["data", "models", "predictions"], { error: "is not a bucket; data, models or predictions" }),
  z.enum(["read", "write"], { error: "must be read or write" }),
);

/** The whole stack config, keyed by the config keys as they appear in `Pulumi.<stack>.yaml`. */
export const StackConfigSchema = z.strictObject({
  "gcp:project": z
    .string({ error: (iss) => (iss.input === undefined ? "is required; set it with `pulumi config set gcp:project <project-id>`" : "must be a string") })
    .regex(gcp.PROJECT_ID, {
      error: "is not a valid project id; 6–30 lowercase letters, digits and hyphens, starting with a letter",
    })
    .refine((p) => !p.includes("google"), { error: "must not contain \"google\"" })
    .describe("Google Cloud project id the stack deploys into."),
  "gcp:region": z
    .enum(gcp.REGIONS, { error: (iss) => `"${String(iss.input)}" is not a Google Cloud region; for example europe-west1, us-central1` })
    .default("europe-west1")
    .describe("Region of every regional resource (buckets, registry, Cloud Run, Vertex AI)."),
  "gcp:zone": z
    .string()
    .regex(gcp.ZONE, { error: "is not a zone; a region plus a letter, e.g. europe-west1-b" })
    .optional()
    .describe("Default zone for zonal resources (the training VM); must lie in gcp:region."),
  "mlops:group": groupId
    .meta({ defaultText: "stack name without `group-`" })
    .describe("Group id used in resource names and labels."),
  "mlops:github": z
    .strictObject({
      repository: z
        .string({ error: "is required; the GitHub repository as owner/name" })
        .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/, {
          error: "must be a GitHub repository as owner/name, e.g. Klakawaka/Car-Image-Classification-using-CNN",
        })
        .describe("GitHub repository (owner/name) whose Actions may deploy the stack keylessly."),
      branch: z
        .string()
        .regex(/^[A-Za-z0-9._/-]+$/, { error: "must be a branch name such as main" })
        .default("main")
        .describe("Only workflows on this branch may impersonate the deploy account."),
    })
    .optional()
    .describe("GitHub Actions access through Workload Identity Federation; omit for no CI access."),
  "mlops:protectData": z
    .boolean({ error: "must be true or false" })
    .default(true)
    .describe("Protect buckets, registry, secrets and CI identity from `pulumi destroy`; false allows a full teardown."),
  "mlops:paused": z
    .boolean({ error: "must be true or false" })
    .default(false)
    .describe("Remove everything that costs money (VM, services, alerts) on `pulumi up`, keep the data."),
  "mlops:labels": z
    .record(
      z.string().regex(gcp.LABEL_KEY, {
        error: "is not a valid label key; start with a lowercase letter, then lowercase letters, digits, '_' or '-'",
      }),
      label,
    )
    .default({})
    .describe("Extra labels on every resource that takes labels (group, stack and managed-by are always set)."),
  "mlops:storage": z
    .strictObject({
      keepVersions: intIn(1, 100, "versions")
        .default(5)
        .describe("Noncurrent versions kept per object in the data and models buckets (DVC's version_aware remote reads them); older ones are deleted."),
      predictionsDays: intIn(1, 3650, "days")
        .default(90)
        .describe("Days a logged prediction stays in the predictions bucket before it is deleted."),
    })
    .prefault({})
    .describe("The data, models and predictions buckets."),
  "mlops:registry": z
    .strictObject({
      keepRecent: intIn(1, 100, "versions")
        .default(5)
        .describe("Most recent versions of each image that cleanup never deletes."),
      untaggedDays: intIn(1, 365, "days").default(7).describe("Untagged image versions are deleted after this many days."),
      olderThanDays: intIn(1, 3650, "days")
        .default(30)
        .describe("Tagged versions older than this are deleted unless they are among the most recent keepRecent."),
    })
    .prefault({})
    .describe("The Artifact Registry Docker repository and its cleanup policies."),
  "mlops:secrets": z
    .array(z.string().regex(SECRET_NAME, { error: "is not a secret name; use an environment-variable name such as WANDB_API_KEY" }), {
      error: "must be a list of secret names, e.g. [WANDB_API_KEY]",
    })
    .default([])
    .describe("Secrets in Secret Manager, by name; workloads list the ones they read. Set each value with `pulumi config set --secret NAME <value>`; a value in plain text is rejected."),
  "mlops:team": z
    .strictObject({
      members: z
        .array(z.string().regex(MEMBER, { error: "must be user:EMAIL, group:EMAIL or serviceAccount:EMAIL" }), { error: "must be a list of members" })
        .min(1, { error: "must name at least one member" })
        .describe("The group's people, as user:EMAIL or group:EMAIL."),
      roles: z
        .array(z.string().regex(/^roles\/[A-Za-z0-9_.]+$/, { error: "must be a predefined role such as roles/editor" }), { error: "must be a list of roles" })
        .min(1, { error: "must name at least one role, e.g. roles/editor" })
        .describe("Project roles every member gets."),
    })
    .optional()
    .describe("People of the group and the project roles they get."),
  "mlops:training": z
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
      spot: z.boolean({ error: "must be true or false" }).default(false).describe("Spot capacity: about a third of the price, may be stopped at any time."),
      maxRunHours: intIn(1, 72, "hours").default(4).describe("The VM is stopped (or the job cancelled) after this many hours, whatever it is doing."),
      zone: z
        .string()
        .regex(gcp.ZONE, { error: "is not a zone; a region plus a letter, e.g. europe-west1-b" })
        .optional()
        .describe("VM only: zone of the VM; defaults to gcp:zone, else the region's zone b."),
      bootDiskGb: intIn(20, 2000, "GB").default(50).describe("VM only: boot disk size; images and data sets live here."),
      imageFamily: z.string().regex(/^[a-z][a-z0-9-]*$/, { error: "is not an image family name" }).optional()
        .describe("VM only: OS image family; defaults to a Deep Learning VM family with a GPU, Container-Optimized OS without."),
      imageProject: z.string().regex(/^[a-z][a-z0-9-]*$/, { error: "is not a project id" }).optional()
        .describe("VM only: project of imageFamily."),
      powerOffWhenDone: z.boolean({ error: "must be true or false" }).default(true).describe("VM only: power the VM off when the training container exits."),
      running: z.boolean({ error: "must be true or false" }).default(true)
        .describe("VM only: false keeps the VM defined but stopped; true starts it once when created (it stops itself when done)."),
      image: imageSource.prefault({ build: "services/trainer" }).describe("The training image: { build: DIR } or { ref: IMAGE }."),
      args: z.array(z.string(), { error: "must be a list of strings" }).default([]).describe("Arguments passed to the training container."),
      env: z.record(envName, z.string({ error: "must be a string" })).default({}).describe("Environment variables of the training container."),
      buckets: bucketAccess.default({ data: "read", models: "write" }).describe("Bucket access of the trainer account: read or write per bucket."),
      secrets: z.array(z.string(), { error: "must be a list of secret names" }).default([]).describe("Secrets (from mlops:secrets) the trainer reads."),
    })
    .prefault({})
    .describe("Training on a Compute Engine VM or as a Vertex AI custom job."),
  "mlops:services": z
    .record(
      z.string().regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, { error: "is not a service name; lowercase letters, digits and hyphens, starting with a letter" }),
      z.strictObject({
        image: imageSource.prefault({ ref: SAMPLE_IMAGE }).describe("{ build: DIR } or { ref: IMAGE }; default Google's sample image."),
        port: z.number({ error: "must be a port number from 1 to 65535" }).int({ error: "must be a port number from 1 to 65535" }).min(1, { error: "must be a port number from 1 to 65535" }).max(65535, { error: "must be a port number from 1 to 65535" }).default(8080).describe("Port the container listens on (the course's API template uses 8000)."),
        cpu: z
          .union([z.enum(["1", "2", "4", "8"]), z.literal(1), z.literal(2), z.literal(4), z.literal(8)], { error: "must be 1, 2, 4 or 8 CPUs" })
          .transform(String)
          .default("1")
          .describe("CPUs per instance: 1, 2, 4 or 8."),
        memory: z
          .string({ error: "must be a size such as 512Mi or 2Gi" })
          .regex(/^\d+(Mi|Gi)$/, { error: "must be a size such as 512Mi or 2Gi" })
          .default("512Mi")
          .describe("Memory per instance, e.g. 512Mi or 2Gi; Cloud Run bounds it by the CPUs."),
        minInstances: intIn(0, 10, "instances").default(0).describe("Instances kept warm; 0 scales to zero and costs nothing idle."),
        maxInstances: intIn(1, 10, "instances").default(3).describe("Upper bound on instances, which caps what a traffic spike can cost (the policy pack allows at most 10)."),
        concurrency: intIn(1, 1000, "requests").default(80).describe("Requests one instance serves at once."),
        timeoutSeconds: intIn(1, 3600, "seconds").default(300).describe("Request timeout."),
        healthPath: z.string().regex(/^\/[\w./-]*$/, { error: "must be a path such as /health" }).optional()
          .describe("HTTP path for the startup and liveness probes (and the uptime check of a public service)."),
        env: z.record(envName, z.string({ error: "must be a string" })).default({})
          .describe("Environment variables; values may use ${services.NAME.url}, ${buckets.NAME.name}, ${project}, ${region}."),
        secrets: z.array(z.string(), { error: "must be a list of secret names" }).default([]).describe("Secrets (from mlops:secrets) the service reads, as env vars of the same name."),
        buckets: bucketAccess.default({}).describe("Bucket access of the service's account: read or write per bucket."),
        public: z.boolean({ error: "must be true or false" }).default(false).describe("Reachable by anyone on the internet; otherwise only by its callers."),
        callers: z.array(z.string(), { error: "must be a list of service names" }).default([]).describe("Private services only: the services whose accounts may invoke this one."),
        metrics: z
          .strictObject({
            port: z.number({ error: "must be a port number from 1 to 65535" }).int({ error: "must be a port number from 1 to 65535" })
              .min(1, { error: "must be a port number from 1 to 65535" }).max(65535, { error: "must be a port number from 1 to 65535" })
              .describe("Port of the Prometheus endpoint inside the container."),
            path: z.string().regex(/^\/[\w./-]*$/, { error: "must be a path such as /metrics" }).default("/metrics").describe("Path of the Prometheus endpoint."),
          })
          .optional()
          .describe("A Prometheus endpoint to scrape: adds the Managed Prometheus sidecar, so the metrics reach Cloud Monitoring."),
      }),
    )
    .default({})
    .describe("Cloud Run services, keyed by name (backend, frontend, monitor, …)."),
  "mlops:alerts": z
    .strictObject({
      emails: z
        .array(z.email({ error: "must be an email address" }), { error: "must be a list of email addresses" })
        .default([])
        .describe("Who gets alerts (one email notification channel each); without any, no alert policies are created."),
      errorRatio: z
        .number({ error: "must be a fraction such as 0.05" })
        .gt(0, { error: "must be above 0 and at most 1, e.g. 0.05 for 5 %" })
        .max(1, { error: "must be above 0 and at most 1, e.g. 0.05 for 5 %" })
        .default(0.05)
        .describe("Alert when more than this share of a service's requests fail with 5xx for 5 minutes."),
      latencyP95Ms: intIn(100, 60000, "ms").default(2000).describe("Alert when a service's 95th percentile latency stays above this for 5 minutes."),
      trainingHours: intIn(1, 71, "hours").optional()
        .describe("Alert when the training VM has run this long; default half of training.maxRunHours, rounded up."),
    })
    .prefault({})
    .describe("Alert policies: uptime of public services, 5xx share, p95 latency, long-running training VM."),
  "mlops:budget": z
    .strictObject({
      billingAccount: z.string().regex(/^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/, { error: "must be a billing account id such as 012345-6789AB-CDEF01" })
        .describe("Billing account the project is billed to (needs Billing Account Administrator or Costs Manager)."),
      amount: z.number({ error: "must be an amount such as 50" }).positive({ error: "must be above 0" }).describe("Monthly budget."),
      currency: z.string().regex(/^[A-Z]{3}$/, { error: "must be a currency code such as USD or EUR" }).default("USD")
        .describe("Currency of the amount; must be the billing account's currency."),
      thresholds: z
        .array(z.number().gt(0, { error: "must be above 0" }).max(2, { error: "must be at most 2 (200 %)" }), { error: "must be a list of fractions" })
        .min(1, { error: "must name at least one threshold" })
        .default([0.5, 0.9, 1])
        .describe("Fractions of the amount at which the alert emails go out."),
    })
    .optional()
    .describe("A billing budget on the project, off by default (it needs rights on the billing account, see README)."),
  "mlops:publicInvoker": z
    .enum(["allUsers", "invokerIamDisabled"], { error: "must be allUsers or invokerIamDisabled" })
    .default("allUsers")
    .describe("How public services admit everyone: an allUsers invoker, or invokerIamDisabled where an organisation policy forbids allUsers."),
});

type Parsed = z.output<typeof StackConfigSchema>;

/** Resource names derived from the project and group; every one is checked against Google's limits. */
export interface Names {
  /** Prefix of per-stack names: the group, with a leading "g" when the group starts with a digit. */
  prefix: string;
  serviceAccountId(workload: string): string;
  /** Bucket name before its random suffix. */
  bucketBase(bucket: string): string;
  wifPoolBase: string;
  wifProviderBase: string;
  repositoryId: string;
  secretId(name: string): string;
  /** Cloud Run service name for a service key. */
  serviceName(key: string): string;
  trainerInstance: string;
}

/** Length of the random suffix (hex of a 3-byte RandomId) that makes global names unique. */
export const SUFFIX_LENGTH = 6;
export const BUCKETS = ["data", "models", "predictions"] as const;
export const CI_WORKLOADS = ["ci-preview", "ci-deploy"] as const;

export function deriveNames(project: string, group: string): Names {
  const prefix = /^[a-z]/.test(group) ? group : `g${group}`;
  return {
    prefix,
    serviceAccountId: (workload) => `${prefix}-${workload}`,
    bucketBase: (bucket) => `${project}-${bucket}`,
    wifPoolBase: `${prefix}-github`,
    wifProviderBase: `${prefix}-gh`,
    repositoryId: `${prefix}-images`,
    secretId: (name) => `${prefix}-${name.toLowerCase().replace(/_/g, "-")}`,
    serviceName: (key) => `${prefix}-${key}`,
    trainerInstance: `${prefix}-trainer`,
  };
}

export type BucketName = (typeof BUCKETS)[number];
export type Access = "read" | "write";
export type ImageSource = { build: string; dockerfile?: string; buildArgs?: Record<string, string> } | { ref: string };

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

/** A Cloud Run service as the stack runs it. */
export interface ServiceConfig {
  /** The key in mlops:services; the name in the plan and in outputs. */
  key: string;
  /** The Cloud Run service name, `<prefix>-<key>`. */
  name: string;
  image: ImageSource;
  port: number;
  cpu: string;
  memory: string;
  minInstances: number;
  maxInstances: number;
  concurrency: number;
  timeoutSeconds: number;
  healthPath?: string;
  env: Record<string, string>;
  secrets: string[];
  buckets: Partial<Record<BucketName, Access>>;
  public: boolean;
  callers: string[];
  metrics?: { port: number; path: string };
}

/** The validated config the stack is built from. */
export interface StackConfig {
  stack: string;
  project: string;
  region: string;
  zone?: string;
  group: string;
  github?: { repository: string; branch: string };
  protectData: boolean;
  paused: boolean;
  /** Labels for every resource that takes labels, the group's own merged with ours. */
  labels: Record<string, string>;
  names: Names;
  storage: { keepVersions: number; predictionsDays: number };
  registry: { keepRecent: number; untaggedDays: number; olderThanDays: number };
  /** Declared secrets; `value` is absent until the group sets it. */
  secrets: Array<{ name: string; value?: SecretValue }>;
  team?: { members: string[]; roles: string[] };
  training?: TrainingConfig;
  /** Services in an order where every service comes after the services its env refers to. */
  services: ServiceConfig[];
  publicInvoker: "allUsers" | "invokerIamDisabled";
  alerts: { emails: string[]; errorRatio: number; latencyP95Ms: number; trainingHours?: number };
  budget?: { billingAccount: string; amount: number; currency: string; thresholds: number[] };
  /** The workloads the config runs, each with its own service account: the trainer, then each service. */
  workloads: string[];
}

/** Workload names the stack keeps for itself. */
const RESERVED_WORKLOADS = ["trainer", ...CI_WORKLOADS];

/** The workloads a config runs (the trainer, each Cloud Run service), from its valid keys. */
function workloadsFrom(f: Fields): string[] {
  const training = f["mlops:training"];
  return [...(training && training.kind !== "none" ? ["trainer"] : []), ...Object.keys(f["mlops:services"] ?? {})];
}

export type ParseResult = { ok: true; config: StackConfig } | { ok: false; problems: string[] };

/** Validates raw config (keys as in the stack file) and reports every problem at once, one line each. */
export function parseStackConfig(raw: Record<string, unknown>, stack: string): ParseResult {
  const input: Record<string, unknown> = {};
  const secretValues: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const namespace = key.split(":")[0];
    if (PROVIDER_NAMESPACES.has(namespace) && !GCP_KEYS.has(key)) continue;
    const secretName = /^mlops:([A-Z][A-Z0-9_]*)$/.exec(key)?.[1];
    if (secretName) secretValues[secretName] = value;
    else input[key] = value;
  }
  if (!("mlops:group" in input)) input["mlops:group"] = stack.replace(/^group-/, "");

  const result = StackConfigSchema.safeParse(input, { error: genericMessage });
  const problems = result.success ? [] : result.error.issues.flatMap((iss) => formatIssue(iss, StackConfigSchema));
  // Rules across keys still run on the keys that are valid on their own, so every problem shows at once.
  const fields = validFields(input);
  problems.push(
    ...crossChecks(fields),
    ...trainingChecks(fields, input["mlops:training"]),
    ...serviceChecks(fields),
    ...secretChecks(fields["mlops:secrets"], secretValues),
  );
  if (!result.success || problems.length) return { ok: false, problems: unique(problems) };
  return { ok: true, config: toStackConfig(result.data, stack, secretValues) };
}

/** Secret values live in their own keys (`mlops:NAME`), set with `pulumi config set --secret NAME`. */
function secretChecks(declared: string[] | undefined, values: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (declared && !declared.includes(name)) {
      problems.push(`mlops:${name}: a value for a secret that mlops:secrets does not declare; declare it there or remove the key`);
    } else if (!(value instanceof SecretValue)) {
      problems.push(
        `mlops:${name}: stored in plain text; remove it from the stack file and run \`pulumi config set --secret ${name} <value>\``,
      );
    }
  }
  return problems;
}

type Fields = { [K in keyof Parsed]?: Parsed[K] };

function validFields(input: Record<string, unknown>): Fields {
  const fields: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(StackConfigSchema.shape)) {
    const r = (schema as z.ZodType).safeParse(input[key]);
    if (r.success) fields[key] = r.data;
  }
  return fields as Fields;
}

/** Where the stack's relative paths (image build contexts) start: the Pulumi project folder. */
export const PROJECT_ROOT = __dirname;

function toStackConfig(p: Parsed, stack: string, secretValues: Record<string, unknown>): StackConfig {
  const group = p["mlops:group"];
  const names = deriveNames(p["gcp:project"], group);
  const t = p["mlops:training"];
  const services = p["mlops:services"];
  return {
    stack,
    project: p["gcp:project"],
    region: p["gcp:region"],
    zone: p["gcp:zone"],
    group,
    github: p["mlops:github"],
    protectData: p["mlops:protectData"],
    paused: p["mlops:paused"],
    labels: { ...p["mlops:labels"], group, stack: sanitizeLabel(stack), "managed-by": "pulumi" },
    names,
    storage: p["mlops:storage"],
    registry: p["mlops:registry"],
    secrets: p["mlops:secrets"].map((name) => ({ name, value: secretValues[name] as SecretValue | undefined })),
    team: p["mlops:team"],
    training:
      t.kind === "none"
        ? undefined
        : {
            ...t,
            kind: t.kind,
            zone: trainingZone(t.zone, p["gcp:zone"], p["gcp:region"]),
            imageFamily: t.imageFamily ?? (t.gpu ? gpus.GPU_IMAGE.family : gpus.CPU_IMAGE.family),
            imageProject: t.imageProject ?? (t.gpu ? gpus.GPU_IMAGE.project : gpus.CPU_IMAGE.project),
            image: t.image as ImageSource,
          },
    services: dependencyOrder(services).map((key) => ({
      ...services[key],
      key,
      name: names.serviceName(key),
      image: services[key].image as ImageSource,
    })),
    publicInvoker: p["mlops:publicInvoker"],
    alerts: {
      ...p["mlops:alerts"],
      trainingHours: t.kind === "vm" ? (p["mlops:alerts"].trainingHours ?? Math.ceil(t.maxRunHours / 2)) : undefined,
    },
    budget: p["mlops:budget"],
    workloads: workloadsFrom(p),
  };
}

function trainingZone(zone: string | undefined, stackZone: string | undefined, region: string | undefined): string {
  return zone ?? stackZone ?? `${region}-b`;
}

/** Rules that span keys: zone inside region, secrets that exist, every derived name within Google's limits. */
function crossChecks(f: Fields): string[] {
  const problems: string[] = [];
  const region = f["gcp:region"];
  const zone = f["gcp:zone"];
  if (zone && region && gcp.regionOfZone(zone) !== region) {
    problems.push(`gcp:zone: "${zone}" is not in region ${region}; use a zone such as ${region}-b`);
  }
  const declared = f["mlops:secrets"];
  if (declared) {
    const seen = new Set<string>();
    declared.forEach((name, i) => {
      if (seen.has(name)) problems.push(`mlops:secrets[${i}]: "${name}" is listed twice`);
      seen.add(name);
    });
    const uses: Array<[string, string[] | undefined]> = [
      ["mlops:training.secrets", f["mlops:training"]?.secrets],
      ...Object.entries(f["mlops:services"] ?? {}).map(([k, s]): [string, string[]] => [`mlops:services.${k}.secrets`, s.secrets]),
    ];
    for (const [key, names] of uses) {
      names?.forEach((name, i) => {
        if (!declared.includes(name)) {
          problems.push(`${key}[${i}]: "${name}" is not declared in mlops:secrets; declared: ${declared.join(", ") || "none"}`);
        }
      });
    }
  }

  const project = f["gcp:project"];
  const group = f["mlops:group"];
  if (!project || !group) return problems;
  const names = deriveNames(project, group);
  const suffix = "x".repeat(SUFFIX_LENGTH);
  const derived: Array<{ key: string; what: string; name: string; rule: gcp.NameRule }> = [
    ...[...CI_WORKLOADS, ...workloadsFrom(f)].map((w) => ({
      key: RESERVED_WORKLOADS.includes(w) ? "mlops:group" : `mlops:services.${w}`,
      what: "service-account id",
      name: names.serviceAccountId(w),
      rule: gcp.SERVICE_ACCOUNT_ID,
    })),
    ...Object.keys(f["mlops:services"] ?? {}).map((k) => ({ key: `mlops:services.${k}`, what: "Cloud Run service name", name: names.serviceName(k), rule: gcp.CLOUD_RUN_NAME })),
    ...BUCKETS.map((b) => ({ key: "gcp:project", what: "bucket name", name: `${names.bucketBase(b)}-${suffix}`, rule: gcp.BUCKET_NAME })),
    { key: "mlops:group", what: "repository id", name: names.repositoryId, rule: gcp.REPOSITORY_ID },
  ];
  if (f["mlops:github"]) {
    derived.push(
      { key: "mlops:group", what: "workload identity pool id", name: `${names.wifPoolBase}-${suffix}`, rule: gcp.WIF_ID },
      { key: "mlops:group", what: "workload identity provider id", name: `${names.wifProviderBase}-${suffix}`, rule: gcp.WIF_ID },
    );
  }
  for (const { key, what, name, rule } of derived) {
    const why = gcp.nameProblem(name, rule);
    if (why) problems.push(`${key}: derived ${what} "${name}" ${why}; choose a shorter ${key.startsWith("mlops:services.") ? "service name" : key.split(":")[1]}`);
  }
  return unique(problems);
}

/** VM-only settings, GPU against machine family and zone, and the image to build. */
function trainingChecks(f: Fields, raw: unknown): string[] {
  const t = f["mlops:training"];
  const problems: string[] = [];
  const alertHours = f["mlops:alerts"]?.trainingHours;
  if (alertHours !== undefined && t?.kind !== "vm") {
    problems.push("mlops:alerts.trainingHours: applies to training on a VM (training.kind: vm) only");
  } else if (alertHours !== undefined && t && alertHours >= t.maxRunHours) {
    problems.push(`mlops:alerts.trainingHours: ${alertHours} would never fire, the VM stops after training.maxRunHours (${t.maxRunHours}); use fewer hours`);
  }
  if (!t || t.kind === "none") return problems;
  const key = "mlops:training";
  if (t.kind === "vertex" && raw && typeof raw === "object") {
    for (const vmOnly of ["zone", "bootDiskGb", "imageFamily", "imageProject", "powerOffWhenDone", "running"]) {
      if (vmOnly in raw) problems.push(`${key}.${vmOnly}: applies to kind vm only; remove it for a Vertex AI job`);
    }
  }
  if (t.imageProject && !t.imageFamily) problems.push(`${key}.imageProject: needs imageFamily; set both or neither`);
  problems.push(...gpus.machineProblems(key, t.machineType, t.gpu));
  const region = f["gcp:region"];
  if (t.kind === "vm" && region) {
    const zone = trainingZone(t.zone, f["gcp:zone"], region);
    const where = t.zone ? `${key}.zone` : f["gcp:zone"] ? "gcp:zone" : `${key}.zone`;
    if (gcp.regionOfZone(zone) !== region) {
      problems.push(`${where}: "${zone}" is not in region ${region}; use a zone such as ${region}-b`);
    } else if (t.gpu && !gpus.zonesOf(t.gpu.type).includes(zone)) {
      const inRegion = gpus.zonesOf(t.gpu.type).filter((z) => gcp.regionOfZone(z) === region);
      problems.push(
        `${where}: ${zone} offers no ${t.gpu.type}; ${inRegion.length ? `zones of ${region} that do: ${inRegion.join(", ")}` : `no zone of ${region} does; choose another region`}`,
      );
    }
  }
  const services = Object.keys(f["mlops:services"] ?? {});
  for (const [env, value] of Object.entries(t.env)) {
    for (const ref of references(value)) {
      const why = referenceProblem(ref, services);
      if (why) problems.push(`${key}.env.${env}: \${${ref}} ${why}`);
    }
  }
  problems.push(...imageChecks(`${key}.image`, t.image as ImageSource));
  return problems;
}

/** A build context must exist with its Dockerfile; a prebuilt image must come from a registry Cloud Run accepts. */
function imageChecks(key: string, image: ImageSource, forCloudRun = false): string[] {
  if ("build" in image) {
    const dockerfile = image.dockerfile ?? path.join(image.build, "Dockerfile");
    if (!fs.existsSync(path.join(PROJECT_ROOT, image.build))) return [`${key}.build: directory "${image.build}" does not exist in the project`];
    if (!fs.existsSync(path.join(PROJECT_ROOT, dockerfile))) return [`${key}${image.dockerfile ? ".dockerfile" : ".build"}: no Dockerfile at "${dockerfile}"`];
    return [];
  }
  const first = image.ref.split("/")[0];
  const host = image.ref.includes("/") && /[.:]|^localhost$/.test(first) ? first : "docker.io";
  if (forCloudRun && !/docker\.pkg\.dev$|(^|\.)gcr\.io$|^docker\.io$/.test(host)) {
    return [`${key}.ref: Cloud Run runs images from *-docker.pkg.dev, gcr.io or docker.io only; push it to the group's Artifact Registry`];
  }
  return [];
}

/** Cloud Run limits, callers, references between services. */
function serviceChecks(f: Fields): string[] {
  const services = f["mlops:services"];
  if (!services) return [];
  const problems: string[] = [];
  const keys = Object.keys(services);
  for (const [name, s] of Object.entries(services)) {
    const key = `mlops:services.${name}`;
    if (RESERVED_WORKLOADS.includes(name)) problems.push(`${key}: "${name}" is reserved for the stack's own accounts; choose another service name`);
    const memoryProblem = gcp.cloudRunMemoryProblem(s.cpu, s.memory);
    if (memoryProblem) problems.push(`${key}.memory: ${memoryProblem}`);
    if (s.minInstances > s.maxInstances) problems.push(`${key}.minInstances: ${s.minInstances} is above maxInstances ${s.maxInstances}`);
    s.callers.forEach((caller, i) => {
      if (s.public) problems.push(`${key}.callers: a public service admits everyone; callers apply to private services only`);
      else if (caller === name) problems.push(`${key}.callers[${i}]: a service does not need to call itself`);
      else if (!keys.includes(caller)) problems.push(`${key}.callers[${i}]: "${caller}" is not a service; services: ${keys.join(", ")}`);
    });
    for (const [env, value] of Object.entries(s.env)) {
      for (const ref of references(value)) {
        const why = referenceProblem(ref, keys);
        if (why) problems.push(`${key}.env.${env}: \${${ref}} ${why}`);
      }
    }
    problems.push(...imageChecks(`${key}.image`, s.image as ImageSource, true));
  }
  const cycle = findCycle(services);
  if (cycle) {
    const [first, second] = cycle;
    const env = Object.entries(services[first].env).find(([, v]) => references(v).includes(`services.${second}.url`))?.[0];
    problems.push(`mlops:services.${first}.env.${env}: reference cycle ${cycle.join(" → ")}; a service cannot wait for a service that waits for it`);
  }
  return problems;
}

/** The `${…}` references in an env value. */
export function references(value: string): string[] {
  return [...value.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]);
}

function referenceProblem(ref: string, services: string[]): string | undefined {
  if (ref === "project" || ref === "region") return undefined;
  const service = /^services\.([^.]+)\.url$/.exec(ref);
  if (service) return services.includes(service[1]) ? undefined : `names no service; services: ${services.join(", ")}`;
  const bucket = /^buckets\.([^.]+)\.name$/.exec(ref);
  if (bucket) return (BUCKETS as readonly string[]).includes(bucket[1]) ? undefined : `names no bucket; buckets: ${BUCKETS.join(", ")}`;
  return "is not a reference; use ${services.NAME.url}, ${buckets.NAME.name}, ${project} or ${region}";
}

type ServiceRefs = Record<string, { env: Record<string, string> }>;

const dependenciesOf = (services: ServiceRefs, key: string): string[] =>
  Object.values(services[key].env)
    .flatMap(references)
    .flatMap((r) => /^services\.([^.]+)\.url$/.exec(r)?.[1] ?? [])
    .filter((s) => s in services);

/** A cycle of services that refer to each other's URLs, as [a, b, …, a], if there is one. */
function findCycle(services: ServiceRefs): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const visit = (key: string, trail: string[]): string[] | undefined => {
    if (state.get(key) === "visiting") return [...trail.slice(trail.indexOf(key)), key];
    if (state.get(key) === "done") return undefined;
    state.set(key, "visiting");
    for (const dep of dependenciesOf(services, key)) {
      const cycle = visit(dep, [...trail, key]);
      if (cycle) return cycle;
    }
    state.set(key, "done");
    return undefined;
  };
  for (const key of Object.keys(services)) {
    const cycle = visit(key, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Service keys ordered so each comes after the services it refers to (the config has no cycles). */
function dependencyOrder(services: ServiceRefs): string[] {
  const order: string[] = [];
  const add = (key: string): void => {
    if (order.includes(key)) return;
    dependenciesOf(services, key).forEach(add);
    order.push(key);
  };
  Object.keys(services).forEach(add);
  return order;
}

function sanitizeLabel(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_-]/g, "-").slice(0, 63);
}

// ---- sources of raw config ----------------------------------------------------------------------------

/** Raw config of the running Pulumi program: structured values arrive as JSON text, secrets decrypted. */
export function rawConfigFromPulumi(): Record<string, unknown> {
  // isConfigSecret is exported by the SDK but not typed; it is how the SDK itself tells secret keys apart.
  const { isConfigSecret } = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
    raw[key] = isConfigSecret(key) ? new SecretValue(text) : parseConfigText(text);
  }
  return raw;
}

function parseConfigText(text: string): unknown {
  if (!/^[[{]|^(true|false)$|^-?\d+(\.\d+)?$/.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export type StackFileResult = { ok: true; raw: Record<string, unknown> } | { ok: false; problems: string[] };

/** Raw config of a stack file read offline; encrypted values become SecretValue without a value. */
export function readStackFile(path: string): StackFileResult {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch {
    return { ok: false, problems: [`${path}: cannot read the stack file`] };
  }
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) {
    return { ok: false, problems: doc.errors.map((e) => `${path}: YAML syntax error at line ${e.linePos?.[0].line ?? "?"}: ${e.message.split("\n")[0]}`) };
  }
  const content = (doc.toJS() ?? {}) as Record<string, unknown>;
  const config = content.config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) {
    return { ok: false, problems: [`${path}: config: must be a map of config keys`] };
  }
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    raw[key.includes(":") ? key : `mlops:${key}`] = decodeSecure(value);
  }
  return { ok: true, raw };
}

function decodeSecure(value: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0][0] === "secure") return new SecretValue(undefined);
    return Object.fromEntries(entries.map(([k, v]) => [k, decodeSecure(v)]));
  }
  if (Array.isArray(value)) return value.map(decodeSecure);
  return value;
}

/** The stack name of a file named `Pulumi.<stack>.yaml`. */
export function stackNameOfFile(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/^Pulumi\./, "").replace(/\.ya?ml$/, "");
}
