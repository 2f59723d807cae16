/**
 * What training and the services share: the image a workload runs, its environment, the secrets it reads,
 * and the workload names the stack keeps for itself (workload-checks.ts checks them across keys).
 */
import { z } from "zod";
import { CI_WORKLOADS } from "./github";

/** The sample trainer of this repository's services/, the training image when the stack file names none. */
export const SAMPLE_TRAINER = { build: "services", dockerfile: "services/trainer/Dockerfile" } as const;
/** Google's public Cloud Run sample, so a service deploys before the group has a Dockerfile. */
export const SAMPLE_IMAGE = "us-docker.pkg.dev/cloudrun/container/hello";
/** Image references: [host[:port]/]path[:tag][@sha256:digest]. */
export const IMAGE_REF = /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9._-]+(?:\/[a-z0-9._-]+)*(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export const imageSource = z
  .strictObject({
    build: z
      .string()
      .min(1)
      .optional()
      .describe("Build context: a folder relative to the Pulumi project folder (`..` is the repository when the project is in infra/)."),
    dockerfile: z.string().min(1).optional().describe("Dockerfile path, relative to the Pulumi project folder; default BUILD/Dockerfile."),
    buildArgs: z.record(z.string(), z.string()).optional().describe("Docker build arguments."),
    ref: z
      .string()
      .regex(IMAGE_REF, { error: "is not an image reference such as us-docker.pkg.dev/cloudrun/container/hello" })
      .optional()
      .describe("A prebuilt image; its tag is resolved to a digest at deploy time."),
  })
  .refine((i) => (i.build === undefined) !== (i.ref === undefined), {
    error: "needs exactly one of build (a directory with a Dockerfile) or ref (a prebuilt image)",
  });

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "is not an environment variable name" });
/** Environment variables of a workload's container. */
export const envVars = () => z.record(envName, z.string({ error: "must be a string" })).default({});
/** The secrets (from mlops:secrets) a workload reads. */
export const secretNames = () => z.array(z.string(), { error: "must be a list of secret names" }).default([]);

/** Workload names the stack keeps for itself. */
export const RESERVED_WORKLOADS: readonly string[] = ["trainer", ...CI_WORKLOADS];
