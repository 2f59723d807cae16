/**
 * `npx mlops-gcp-stack train --stack NAME` (`npm run train -- --stack NAME` in this repository) starts one
 * training run of a deployed stack: it reads the stack's outputs (`pulumi stack output --json`), checks the
 * region's GPU quota, submits the stack's Cloud Batch job or Vertex AI custom job with Application Default
 * Credentials, and prints how to follow it. `--outputs FILE`
 * reads the outputs from a file (what `pulumi stack output --json` printed) instead. Exit 2 on bad usage,
 * 3 when the quota stops the run, 1 when a call fails.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { startRun, type TrainDeps, type TrainingJobOutput } from "../lib/train/run";

const USAGE = "usage: mlops-gcp-stack train --stack NAME | --outputs FILE   (npm run train -- … in this repository)";

export function readOutputs(args: { stack?: string; outputs?: string }): Record<string, unknown> {
  if (args.outputs) return JSON.parse(fs.readFileSync(args.outputs, "utf8")) as Record<string, unknown>;
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

export async function main(argv = process.argv.slice(2), deps?: TrainDeps, out = process.stdout, err = process.stderr): Promise<number> {
  let args: { stack?: string; outputs?: string };
  try {
    args = parseArgs({ args: argv, options: { stack: { type: "string" }, outputs: { type: "string" } } }).values;
  } catch (e) {
    err.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  if (!args.stack === !args.outputs) {
    err.write(`${USAGE}  (exactly one of --stack, --outputs)\n`);
    return 2;
  }
  const outputs = readOutputs(args);
  const job = outputs.trainingJob as TrainingJobOutput | undefined;
  if (!job || typeof job !== "object") {
    err.write(`the stack has no trainingJob output: set mlops:training (kind vm or vertex), run pulumi up, then try again; a paused stack trains nothing\n`);
    return 2;
  }
  const result = await startRun(job, deps ?? (await import("../lib/train/google")).googleDeps());
  if (!result.ok) {
    err.write(`${result.message}\n`);
    return 3;
  }
  out.write(`${result.lines.join("\n")}\n`);
  return 0;
}

if (require.main === module) {
  const failed = (e: unknown) => {
    process.stderr.write(`train failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  };
  main().then((code) => process.exit(code), failed);
}
