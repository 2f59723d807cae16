/**
 * `npx mlops-gcp-stack train --stack NAME` (`npm run train -- --stack NAME` in this repository) starts one
 * training run of a deployed stack: it reads the stack's outputs (`pulumi stack output --json`), checks the
 * region's GPU quota, submits the stack's Cloud Batch job or Vertex AI custom job with Application Default
 * Credentials, and prints how to follow it. `--outputs FILE`
 * reads the outputs from a file (what `pulumi stack output --json` printed) instead. Exit 2 on bad usage or a
 * stack without training, 3 when the quota stops the run or a call fails.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { startRun, type TrainDeps, type TrainingJobOutput } from "../lib/train/run";
import { runAsProcess, runCommand, UsageError, type Command, type Io } from "./command";

export function readOutputs(args: { stack?: string; outputs?: string }): Record<string, unknown> {
  if (args.outputs) {
    try {
      return JSON.parse(fs.readFileSync(args.outputs, "utf8")) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(
        `--outputs: cannot read ${args.outputs} as the JSON of pulumi stack output --json (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
  }
  try {
    // --show-secrets: an output built from a secret input is masked as a whole otherwise; nothing here prints it.
    const argv = ["stack", "output", "--json", "--show-secrets", "--stack", args.stack as string];
    return JSON.parse(execFileSync("pulumi", argv, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error("the Pulumi CLI is needed to read the stack's outputs (https://www.pulumi.com/docs/install/); or pass --outputs FILE", { cause: e });
    }
    throw e;
  }
}

/** The command, with the Google clients a test may replace. */
export function trainCommand(deps?: TrainDeps): Command {
  return {
    name: "train",
    usage: ["--stack NAME | --outputs FILE"],
    about: [
      "Reads the stack's outputs (pulumi stack output --json, or --outputs FILE with what it printed), checks the",
      "region's GPU quota, submits the stack's Cloud Batch job or Vertex AI custom job with Application Default",
      "Credentials, and prints how to follow it. In this repository: npm run train -- --stack NAME.",
    ].join("\n"),
    options: { stack: { type: "string" }, outputs: { type: "string" } },
    exits: { 0: "the run was submitted", 3: "the GPU quota stops the run (nothing submitted), or a call failed" },
    run: ({ values }, io) => train(values as { stack?: string; outputs?: string }, deps, io),
  };
}

export function main(
  argv = process.argv.slice(2),
  deps?: TrainDeps,
  out: Pick<NodeJS.WritableStream, "write"> = process.stdout,
  err: Pick<NodeJS.WritableStream, "write"> = process.stderr,
): number | Promise<number> {
  return runCommand(trainCommand(deps), argv, { out: (t) => void out.write(t), err: (t) => void err.write(t) });
}

async function train(args: { stack?: string; outputs?: string }, deps: TrainDeps | undefined, io: Io): Promise<number> {
  if (!args.stack === !args.outputs) throw new UsageError("give exactly one of --stack NAME, --outputs FILE");
  const outputs = readOutputs(args);
  const job = outputs.trainingJob as TrainingJobOutput | undefined;
  if (!job || typeof job !== "object") {
    io.err(`the stack has no trainingJob output: set mlops:training (kind vm or vertex), run pulumi up, then try again; a paused stack trains nothing\n`);
    return 2;
  }
  const result = await startRun(job, deps ?? (await import("../lib/train/google")).googleDeps());
  if (!result.ok) {
    io.err(`${result.message}\n`);
    return 3;
  }
  io.out(`${result.lines.join("\n")}\n`);
  return 0;
}

if (require.main === module) void runAsProcess((argv) => main(argv));
