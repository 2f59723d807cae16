/**
 * Training args that add to the image's command instead of replacing it. Batch `commands` "Overrides the CMD
 * specified in the container. If there is an ENTRYPOINT … these commands are appended as arguments to the
 * ENTRYPOINT" (google/cloud/batch/v1/task.proto); Vertex AI's `containerSpec.args` do the same with
 * `command` unset (Kubernetes' command/args rules). The sample trainer's Dockerfile is read as built.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { renderView, stackView, type Plan } from "../plan";
import type { StackConfig } from "../config";
import { planRaw } from "../plan";

const ROOT = path.join(__dirname, "..");

/** ENTRYPOINT and CMD of a Dockerfile's last stage, from their exec (JSON) form; none when absent. */
function startOf(dockerfile: string): { entrypoint?: string[]; cmd?: string[] } {
  const stages = fs.readFileSync(dockerfile, "utf8").split(/^FROM\s/m);
  const last = stages[stages.length - 1];
  const instruction = (name: string) => {
    const lines = [...last.matchAll(new RegExp(`^${name}\\s+(.+)$`, "gm"))];
    return lines.length ? (JSON.parse(lines[lines.length - 1][1]) as string[]) : undefined;
  };
  return { entrypoint: instruction("ENTRYPOINT"), cmd: instruction("CMD") };
}

/** What the container runs: an override replaces its part of the image's start, args replace CMD (Docker's rule). */
function argv(image: { entrypoint?: string[]; cmd?: string[] }, run: { entrypoint?: string[]; args?: string[] }): string[] {
  return [...(run.entrypoint ?? image.entrypoint ?? []), ...(run.args ?? image.cmd ?? [])];
}

async function planTraining(kind: "vm" | "vertex", args?: string[]): Promise<{ plan: Plan; config: StackConfig }> {
  const r = await planRaw({ "gcp:project": "dtu-mlops-140", "gcp:region": "europe-west1", "mlops:training": { kind, ...(args && { args }) } }, "group-140");
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r;
}

const trainer = startOf(path.join(ROOT, "services/trainer/Dockerfile"));
const ARGS = ["--epochs", "3"];

describe("the sample trainer's image", () => {
  it("starts train.py through its ENTRYPOINT, with no CMD for args to replace", () => {
    expect(trainer).toEqual({ entrypoint: ["python", "train.py"], cmd: undefined });
  });
});

describe("training args on Batch", () => {
  let container: { imageUri: string; commands?: string[]; entrypoint?: string };
  beforeAll(async () => {
    const { plan } = await planTraining("vm", ARGS);
    container = (plan.outputs.batchJobSpec as any).taskGroups[0].taskSpec.runnables[0].container;
  });

  it("are the container's commands, and the stack sets no entrypoint", () => {
    expect(container.commands).toEqual(ARGS);
    expect(container).not.toHaveProperty("entrypoint");
  });

  it("run after the sample trainer's command: python train.py --epochs 3", () => {
    expect(argv(trainer, { args: container.commands })).toEqual(["python", "train.py", ...ARGS]);
  });

  it("leave the image's start alone when there are none", async () => {
    const { plan } = await planTraining("vm");
    const bare = (plan.outputs.batchJobSpec as any).taskGroups[0].taskSpec.runnables[0].container;
    expect(bare).not.toHaveProperty("commands");
    expect(argv(trainer, { args: bare.commands })).toEqual(["python", "train.py"]);
  });
});

describe("training args on Vertex AI", () => {
  it("are containerSpec.args with no command, so the image's ENTRYPOINT runs with them", async () => {
    const { plan } = await planTraining("vertex", ARGS);
    const spec = (plan.outputs.vertexJobSpec as any).workerPoolSpecs[0].containerSpec;
    expect(spec.args).toEqual(ARGS);
    expect(spec).not.toHaveProperty("command");
    expect(argv(trainer, { args: spec.args })).toEqual(["python", "train.py", ...ARGS]);
  });
});

describe("the plan's training section", () => {
  it("prints the args and what they do to the image's command", async () => {
    const { plan, config } = await planTraining("vm", ARGS);
    expect(renderView(stackView(plan, config))).toMatch(/^ {4}args: {5}\["--epochs","3"\] after the image's ENTRYPOINT, in place of its CMD$/m);
  });

  it("says the image runs as built without args", async () => {
    const { plan, config } = await planTraining("vertex");
    expect(renderView(stackView(plan, config))).toMatch(/^ {4}args: {5}none: the image runs its ENTRYPOINT and CMD as built$/m);
  });
});
