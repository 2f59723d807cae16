/**
 * What training and the services share: the image a workload runs, its environment and its references to
 * other resources, the secrets it reads, and the workload names the stack keeps for itself.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { bucketEnvName, bucketOfEnvName } from "../lib/wiring";
import { CI_WORKLOADS } from "./identities";
import type { Fields } from "./schema";
import { BUCKETS } from "./storage";

/** The sample trainer of this repository's services/, the training image when the stack file names none. */
export const SAMPLE_TRAINER = { build: "services", dockerfile: "services/trainer/Dockerfile" } as const;
/** Google's public Cloud Run sample, so a service deploys before the group has a Dockerfile. */
export const SAMPLE_IMAGE = "us-docker.pkg.dev/cloudrun/container/hello";
/** Image references: [host[:port]/]path[:tag][@sha256:digest]. */
export const IMAGE_REF = /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9._-]+(?:\/[a-z0-9._-]+)*(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export type ImageSource = { build: string; dockerfile?: string; buildArgs?: Record<string, string> } | { ref: string };

export const imageSource = z
  .strictObject({
    build: z.string().min(1).optional().describe("Build context: a folder relative to the Pulumi project folder (`..` is the repository when the project is in infra/)."),
    dockerfile: z.string().min(1).optional().describe("Dockerfile path, relative to the Pulumi project folder; default BUILD/Dockerfile."),
    buildArgs: z.record(z.string(), z.string()).optional().describe("Docker build arguments."),
    ref: z.string().regex(IMAGE_REF, { error: "is not an image reference such as us-docker.pkg.dev/cloudrun/container/hello" }).optional()
      .describe("A prebuilt image; its tag is resolved to a digest at deploy time."),
  })
  .refine((i) => (i.build === undefined) !== (i.ref === undefined), { error: "needs exactly one of build (a directory with a Dockerfile) or ref (a prebuilt image)" });

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "is not an environment variable name" });
/** Environment variables of a workload's container. */
export const envVars = () => z.record(envName, z.string({ error: "must be a string" })).default({});
/** The secrets (from mlops:secrets) a workload reads. */
export const secretNames = () => z.array(z.string(), { error: "must be a list of secret names" }).default([]);

/** Workload names the stack keeps for itself. */
export const RESERVED_WORKLOADS: readonly string[] = ["trainer", ...CI_WORKLOADS];

/** The workloads a config runs (the trainer, each Cloud Run service), from its valid keys. */
export function workloadsFrom(f: Fields): string[] {
  const training = f["mlops:training"];
  return [...(training && training.kind !== "none" ? ["trainer"] : []), ...Object.keys(f["mlops:services"] ?? {})];
}

/** A prebuilt image must come from a registry Cloud Run accepts (build contexts: `buildContextChecks`). */
export function imageChecks(key: string, image: ImageSource, forCloudRun = false): string[] {
  if ("build" in image) return [];
  const first = image.ref.split("/")[0];
  const host = image.ref.includes("/") && /[.:]|^localhost$/.test(first) ? first : "docker.io";
  if (forCloudRun && !/docker\.pkg\.dev$|(^|\.)gcr\.io$|^docker\.io$/.test(host)) {
    return [`${key}.ref: Cloud Run runs images from *-docker.pkg.dev, gcr.io or docker.io only; push it to the group's Artifact Registry`];
  }
  return [];
}

/** The `${…}` references in an env value. */
export function references(value: string): string[] {
  return [...value.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]);
}

/**
 * Every reference in a workload's env names a service, a bucket, the project or the region; and no entry
 * takes a `<NAME>_BUCKET` name, which the stack sets itself from the workload's grants (docs/wiring.md).
 */
export function envChecks(key: string, env: Record<string, string>, services: string[]): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    const bucket = bucketOfEnvName(name, BUCKETS);
    if (bucket) {
      problems.push(
        `${key}.env.${name}: the stack sets ${bucketEnvName(bucket)} to the ${bucket} bucket's name when the workload is granted it; ` +
          `remove this entry and grant access instead, e.g. ${key}.buckets: { ${bucket}: read }`,
      );
    }
    for (const ref of references(value)) {
      const why = referenceProblem(ref, services);
      if (why) problems.push(`${key}.env.${name}: \${${ref}} ${why}`);
    }
  }
  return problems;
}

function referenceProblem(ref: string, services: string[]): string | undefined {
  if (ref === "project" || ref === "region") return undefined;
  const service = /^services\.([^.]+)\.url$/.exec(ref);
  if (service) return services.includes(service[1]) ? undefined : `names no service; services: ${services.join(", ")}`;
  const bucket = /^buckets\.([^.]+)\.name$/.exec(ref);
  if (bucket) return (BUCKETS as readonly string[]).includes(bucket[1]) ? undefined : `names no bucket; buckets: ${BUCKETS.join(", ")}`;
  return "is not a reference; use ${services.NAME.url}, ${buckets.NAME.name}, ${project} or ${region}";
}

/**
 * Every build context exists with its Dockerfile. Paths are relative to the Pulumi project folder (where
 * `pulumi up` runs and Docker resolves them), so a stack in a group's `infra/` folder builds `..`.
 */
export function buildContextChecks(f: Fields, projectDir: string): string[] {
  const training = f["mlops:training"];
  const images: Array<[string, ImageSource | undefined]> = [
    ["mlops:training.image", training && training.kind !== "none" ? (training.image as ImageSource) : undefined],
    ...Object.entries(f["mlops:services"] ?? {}).map(([k, s]): [string, ImageSource] => [`mlops:services.${k}.image`, s.image as ImageSource]),
  ];
  return images.flatMap(([key, image]) => {
    if (!image || !("build" in image)) return [];
    if (key === "mlops:training.image" && image.build === SAMPLE_TRAINER.build && !fs.existsSync(path.resolve(projectDir, image.dockerfile ?? ""))) {
      return [`${key}: not set, and the sample trainer (${SAMPLE_TRAINER.dockerfile}) is not in this project; set it to your training image, e.g. { build: .., dockerfile: ../dockerfiles/train.dockerfile }`];
    }
    const dockerfile = image.dockerfile ?? path.join(image.build, "Dockerfile");
    if (!fs.existsSync(path.resolve(projectDir, image.build))) {
      return [`${key}.build: directory "${image.build}" does not exist in the project folder ${projectDir} (paths start there)`];
    }
    if (!fs.existsSync(path.resolve(projectDir, dockerfile))) return [`${key}${image.dockerfile ? ".dockerfile" : ".build"}: no Dockerfile at "${dockerfile}"`];
    return [];
  });
}
