/** Every training spec the stacks generate, checked against Google's published API definitions. */
import { describe, expect, it } from "vitest";
import { parseStackConfig, readStackFile } from "../config";
import type { TrainingJobOutput } from "../lib/train/run";
import { stackFilePath, stackFiles } from "../plan";
import { planFile, planOf } from "./helpers";
import { checkSpec, loadType } from "./proto-check";
import { REPO_ROOT } from "./repo";

const BATCH_JOB = loadType("google/cloud/batch/v1/job.proto", "google.cloud.batch.v1.Job");
const CUSTOM_JOB_SPEC = loadType("google/cloud/aiplatform/v1/custom_job.proto", "google.cloud.aiplatform.v1.CustomJobSpec");
const CUSTOM_JOB = loadType("google/cloud/aiplatform/v1/custom_job.proto", "google.cloud.aiplatform.v1.CustomJob");

/** Example stacks that train, by the engine that runs them. */
const TRAINING_STACKS = stackFiles(REPO_ROOT)
  .map((f) => f.stack)
  .filter((stack) => {
    const file = readStackFile(stackFilePath(stack, REPO_ROOT));
    const parsed = file.ok ? parseStackConfig(file.raw, stack) : undefined;
    return parsed?.ok && parsed.config.training !== undefined;
  });

describe("the checker itself", () => {
  it("rejects unknown field names, unknown enum values, wrong scalar types and deprecated fields, with their path", () => {
    const { problems } = checkSpec(BATCH_JOB, {
      taskGroups: [{ taskSpec: { maxRunDuration: "4h", maxRetries: 2 } }],
      allocationPolicy: {
        instances: [{ policy: { provisioningModel: "SPOTTY", machineType: 4, accelerators: [{ type: "nvidia-tesla-t4", installGpuDrivers: true }] } }],
      },
      logsPolicy: { destination: "CLOUD_LOGGING" },
    });
    expect(problems).toEqual([
      'taskGroups[0].taskSpec.maxRunDuration: "4h" is not a Duration such as "3600s"',
      expect.stringMatching(/^taskGroups\[0\]\.taskSpec\.maxRetries: TaskSpec has no field maxRetries/),
      expect.stringMatching(/^allocationPolicy\.instances\[0\]\.policy\.provisioningModel: "SPOTTY" is not a value of ProvisioningModel/),
      "allocationPolicy.instances[0].policy.machineType: 4 is not a string",
      "allocationPolicy.instances[0].policy.accelerators[0].installGpuDrivers: deprecated in Accelerator",
    ]);
  });
});

describe("every example stack's training spec is valid for Google's API", () => {
  it("covers the stacks that train with both engines", () => {
    expect(TRAINING_STACKS).toEqual(expect.arrayContaining(["group-140", "group-flowers", "group-43", "group-xray"]));
  });

  it.each(TRAINING_STACKS)("%s", async (stack) => {
    const { plan } = await planFile(stack);
    const job = plan.outputs.trainingJob as TrainingJobOutput;
    if (job.kind === "batch") {
      expect(job.spec).toEqual(plan.outputs.batchJobSpec);
      const { problems, message } = checkSpec(BATCH_JOB, job.spec);
      expect(problems).toEqual([]);
      expect(BATCH_JOB.toObject(message!, { enums: String, longs: Number }).taskGroups[0].taskSpec.maxRunDuration.seconds).toBeGreaterThan(0);
    } else {
      expect(job.spec).toEqual(plan.outputs.vertexJobSpec);
      expect(checkSpec(CUSTOM_JOB_SPEC, job.spec).problems).toEqual([]);
      // What the train command submits: the spec inside a CustomJob with its display name and labels.
      expect(checkSpec(CUSTOM_JOB, { displayName: "g-train-20261130-120000", labels: job.labels, jobSpec: job.spec }).problems).toEqual([]);
    }
  });

  it.each([
    [
      "an L4 on G2, spot, with args and a secret",
      { kind: "vm", machineType: "g2-standard-4", gpu: { type: "nvidia-l4" }, spot: true, args: ["--epochs", "1"] },
    ],
    ["two T4s on demand in one zone", { kind: "vm", gpu: { type: "nvidia-tesla-t4", count: 2 }, zone: "europe-west1-c", internet: true }],
    ["a spot Vertex AI job with a T4", { kind: "vertex", gpu: { type: "nvidia-tesla-t4" }, spot: true, args: ["--lr", "0.1"] }],
  ])("%s", async (_what, training) => {
    const plan = await planOf({ "mlops:training": training });
    const job = plan.outputs.trainingJob as TrainingJobOutput;
    expect(checkSpec(job.kind === "batch" ? BATCH_JOB : CUSTOM_JOB_SPEC, job.spec).problems).toEqual([]);
  });
});
