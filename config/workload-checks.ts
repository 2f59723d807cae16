/**
 * Checks of what training and the services share: the images they run (a registry Cloud Run accepts, a build
 * context that exists) and their env's references to other resources.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ImageSource } from "../components/container-image";
import { bucketEnvName, bucketOfEnvName } from "../lib/wiring";
import type { Fields } from "./schema";
import { references } from "./service-graph";
import { BUCKETS } from "./storage";
import { SAMPLE_TRAINER } from "./workload";

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
      return [
        `${key}: not set, and the sample trainer (${SAMPLE_TRAINER.dockerfile}) is not in this project; set it to your training image, e.g. { build: .., dockerfile: ../dockerfiles/train.dockerfile }`,
      ];
    }
    const dockerfile = image.dockerfile ?? path.join(image.build, "Dockerfile");
    if (!fs.existsSync(path.resolve(projectDir, image.build))) {
      return [`${key}.build: directory "${image.build}" does not exist in the project folder ${projectDir} (paths start there)`];
    }
    if (!fs.existsSync(path.resolve(projectDir, dockerfile))) return [`${key}${image.dockerfile ? ".dockerfile" : ".build"}: no Dockerfile at "${dockerfile}"`];
    return [];
  });
}
