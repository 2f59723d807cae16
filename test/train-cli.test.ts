/** `mlops-gcp-stack train` (`npm run train` here): quota first, then one submit with the stack's spec, under stubbed Google clients. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { protos as batchProtos } from "@google-cloud/batch";
import { protos as aiProtos } from "@google-cloud/aiplatform";
import { describe, expect, it } from "vitest";
import { runId, withDurationObjects, type TrainDeps } from "../lib/train/run";
import { main as cli } from "../cli/cli";
import { main } from "../cli/train";
import { planFile } from "./helpers";
import { fileOf, REPO_ROOT } from "./workflow-files";

interface Calls {
  gets: string[];
  batch: Array<Parameters<TrainDeps["submitBatch"]>[0]>;
  vertex: Array<Parameters<TrainDeps["submitVertex"]>[0]>;
}

/** Stubbed Google: Compute Engine quotas as given, submits recorded. */
function stub(regionQuotas: object[], projectQuotas: object[] = [{ metric: "GPUS_ALL_REGIONS", limit: 1, usage: 0 }]): { deps: TrainDeps; calls: Calls } {
  const calls: Calls = { gets: [], batch: [], vertex: [] };
  const deps: TrainDeps = {
    async getJson(url) {
      calls.gets.push(url);
      return { quotas: url.includes("/regions/") ? regionQuotas : projectQuotas };
    },
    async submitBatch(req) {
      calls.batch.push(req);
      return { name: `${req.parent}/jobs/${req.jobId}`, uid: "uid-123" };
    },
    async submitVertex(req) {
      calls.vertex.push(req);
      return { name: `${req.parent}/customJobs/42` };
    },
    now: () => new Date("2026-11-30T12:34:56Z"),
  };
  return { deps, calls };
}

/** Runs the CLI on a stack's planned outputs, written to a file as `pulumi stack output --json` would print them. */
async function train(stack: string, deps: TrainDeps) {
  const { plan } = await planFile(stack);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "train-")), "outputs.json");
  fs.writeFileSync(file, JSON.stringify(plan.outputs));
  let out = "";
  let err = "";
  const code = await main(
    ["--outputs", file],
    deps,
    { write: (t: string) => ((out += t), true) } as never,
    { write: (t: string) => ((err += t), true) } as never,
  );
  return { code, out, err, plan };
}

describe("npm run train", () => {
  it("stops before submitting when the region has no T4 quota, and says how to request it", async () => {
    const { deps, calls } = stub([
      { metric: "NVIDIA_T4_GPUS", limit: 0, usage: 0 },
      { metric: "PREEMPTIBLE_NVIDIA_T4_GPUS", limit: 0, usage: 0 },
    ]);
    const { code, err, out } = await train("group-140", deps);
    expect(code).toBe(3);
    expect(out).toBe("");
    expect(calls.gets).toEqual([
      "https://compute.googleapis.com/compute/v1/projects/dtu-mlops-140/regions/europe-west1",
      "https://compute.googleapis.com/compute/v1/projects/dtu-mlops-140",
    ]);
    expect(calls.batch).toEqual([]);
    expect(err).toContain(
      "not enough GPU quota for 1 × nvidia-tesla-t4 in project dtu-mlops-140: PREEMPTIBLE_NVIDIA_T4_GPUS or NVIDIA_T4_GPUS in europe-west1 has 0 free.",
    );
    expect(err).toContain("https://console.cloud.google.com/iam-admin/quotas?project=dtu-mlops-140");
    expect(err).toContain("Nothing was submitted.");
  });

  it("names the project-wide GPU quota when that one is zero", async () => {
    const { deps } = stub([{ metric: "NVIDIA_T4_GPUS", limit: 4, usage: 0 }], [{ metric: "GPUS_ALL_REGIONS", limit: 0, usage: 0 }]);
    const { code, err } = await train("group-140", deps);
    expect(code).toBe(3);
    expect(err).toContain("GPUS_ALL_REGIONS (the whole project) has 0 free");
  });

  it("submits the stack's Batch spec once, under a unique job id, and prints how to follow it and where the model lands", async () => {
    const { deps, calls } = stub([{ metric: "PREEMPTIBLE_NVIDIA_T4_GPUS", limit: 1, usage: 0 }]);
    const { code, out, plan } = await train("group-140", deps);
    expect(code).toBe(0);
    expect(calls.batch).toEqual([
      { parent: "projects/dtu-mlops-140/locations/europe-west1", jobId: "g140-train-20261130-123456", job: withDurationObjects(plan.outputs.batchJobSpec) },
    ]);
    expect(out).toContain("gcloud batch jobs describe g140-train-20261130-123456 --location europe-west1 --project dtu-mlops-140");
    expect(out).toContain('labels.job_uid="uid-123"');
    expect(out).toMatch(/gs:\/\/dtu-mlops-140-models-[0-9a-f]{6}\/models\/latest\//);
  });

  it("submits a CPU run without asking for GPU quota", async () => {
    const { deps, calls } = stub([]);
    expect((await train("group-flowers", deps)).code).toBe(0);
    expect(calls.gets).toEqual([]);
    expect(calls.batch).toHaveLength(1);
  });

  it("submits a Vertex AI job: the stack's spec with its display name and labels, on the region's endpoint", async () => {
    const { deps, calls } = stub([]);
    const { code, out, plan } = await train("group-43", deps);
    expect(code).toBe(0);
    expect(calls.vertex).toEqual([
      {
        region: "europe-west1",
        parent: "projects/dtu-mlops-43/locations/europe-west1",
        customJob: {
          displayName: "g43-train-20261130-123456",
          labels: expect.objectContaining({ group: "43" }),
          jobSpec: withDurationObjects(plan.outputs.vertexJobSpec),
        },
      },
    ]);
    expect(out).toContain("gcloud ai custom-jobs stream-logs projects/dtu-mlops-43/locations/europe-west1/customJobs/42");
  });

  it("explains a stack without training, and bad usage", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "train-")), "outputs.json");
    fs.writeFileSync(file, JSON.stringify({ project: "p" }));
    let err = "";
    const sink = { write: (t: string) => ((err += t), true) } as never;
    expect(await main(["--outputs", file], stub([]).deps, sink, sink)).toBe(2);
    expect(err).toContain("the stack has no trainingJob output");
    expect(await main([], stub([]).deps, sink, sink)).toBe(2);
    expect(err).toContain("mlops-gcp-stack train: give exactly one of --stack NAME, --outputs FILE (mlops-gcp-stack train --help)\n");
    expect(await main(["--outputs", "/nonexistent.json"], stub([]).deps, sink, sink)).toBe(2);
    expect(err).toContain("mlops-gcp-stack train: --outputs: cannot read /nonexistent.json as the JSON of pulumi stack output --json (ENOENT)");
  });

  it("hands the client libraries messages their own protos accept, Durations as seconds", async () => {
    const { deps, calls } = stub([{ metric: "PREEMPTIBLE_NVIDIA_T4_GPUS", limit: 1, usage: 0 }]);
    await train("group-140", deps);
    await train("group-43", deps);
    const Job = batchProtos.google.cloud.batch.v1.Job;
    const job = Job.fromObject(calls.batch[0].job);
    expect(Job.verify(job)).toBeNull();
    expect(Number(job.taskGroups?.[0]?.taskSpec?.maxRunDuration?.seconds)).toBe(4 * 3600);
    expect(job.taskGroups?.[0]?.taskSpec?.lifecyclePolicies?.[0]?.action).toBe(batchProtos.google.cloud.batch.v1.LifecyclePolicy.Action.RETRY_TASK);
    const CustomJob = aiProtos.google.cloud.aiplatform.v1.CustomJob;
    const custom = CustomJob.fromObject(calls.vertex[0].customJob);
    expect(CustomJob.verify(custom)).toBeNull();
    expect(Number(custom.jobSpec?.scheduling?.timeout?.seconds)).toBe(2 * 3600);
  });

  it("job ids stay within Batch's 63 lowercase characters", () => {
    expect(runId("g140-train", new Date("2026-01-02T03:04:05Z"))).toBe("g140-train-20260102-030405");
    expect(runId("x".repeat(70), new Date())).toHaveLength(63);
  });
});

describe("the train workflow (the template's) and the package command it runs", () => {
  const workflow = YAML.parse(fs.readFileSync(fileOf("train"), "utf8"));
  const steps = workflow.jobs.train.steps as Array<{ uses?: string; run?: string; with?: Record<string, unknown> }>;

  it("runs only by hand, for one stack, with the command the stack prints, in STACK_DIR", () => {
    expect(Object.keys(workflow.on)).toEqual(["workflow_dispatch"]);
    expect(workflow.jobs.train.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(steps.map((s) => s.run).filter(Boolean)).toContain('npx --no-install mlops-gcp-stack train --stack "$STACK"');
    expect(workflow.defaults.run["working-directory"]).toBe(workflow.env.STACK_DIR);
  });

  it("pins every action by commit and uses Node 22", () => {
    for (const s of steps.filter((x) => x.uses)) expect(s.uses).toMatch(/^[\w-]+\/[\w-]+@[0-9a-f]{40}$/);
    expect(steps.find((s) => s.uses?.startsWith("actions/setup-node@"))?.with?.["node-version"]).toBe(22);
  });

  it("`mlops-gcp-stack train` is the package's command, and `npm run train` stays this repository's", async () => {
    const saved = process.stderr.write;
    let err = "";
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    try {
      expect(await cli(["train"])).toBe(2);
    } finally {
      process.stderr.write = saved;
    }
    expect(err).toBe("mlops-gcp-stack train: give exactly one of --stack NAME, --outputs FILE (mlops-gcp-stack train --help)\n");
    expect(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).scripts.train).toBe("tsx cli/train.ts");
    expect(fs.readFileSync(path.join(REPO_ROOT, "tsconfig.build.json"), "utf8")).toContain('"cli/*.ts"');
  });
});
