/**
 * Plans a stack offline: runs the real program (createStack) under Pulumi's mocks and records every
 * resource it registers. The tests and `npm run plan` both use planStackFile/planConfig from here.
 */
import * as pulumi from "@pulumi/pulumi";
import { projectDirOf } from "./paths";
import { parseStackConfig, readStackFile, stackNameOfFile, type StackConfig } from "../config";
import { createStack } from "../stack";
import { gcpMocks, type MockContext } from "./mocks";
import { RecordingMonitor, type Plan } from "./record";

export type PlanResult = { ok: true; plan: Plan; config: StackConfig } | { ok: false; problems: string[] };

let queue: Promise<unknown> = Promise.resolve();

/** Runs plans one at a time: Pulumi's runtime state is per process. */
function inTurn<T>(plan: () => Promise<T>): Promise<T> {
  const run = queue.then(plan);
  queue = run.catch(() => undefined);
  return run;
}

/** Plans a validated config. */
export function planConfig(config: StackConfig): Promise<Plan> {
  return inTurn(() => runProgram({ stack: config.stack, project: config.project, region: config.region }, () => createStack(config)));
}

/** Runs any program (a component alone, in tests) under the mocks and records what it registers. */
export function planProgram(ctx: MockContext, program: () => Record<string, unknown>): Promise<Plan> {
  return inTurn(() => runProgram(ctx, program));
}

async function runProgram(ctx: MockContext, program: () => object): Promise<Plan> {
  const monitor = new RecordingMonitor(gcpMocks(ctx));
  pulumi.runtime.setMockOptions(monitor, "mlops", ctx.stack, false);
  // Pulumi records a stack trace for every promise and resource (debuggable.ts, resource.ts); formatting them
  // makes up a third to a half of a plan's CPU and a plan reads none of them, so none are taken.
  const traceLimit = Error.stackTraceLimit;
  const sourceMaps = process.sourceMapsEnabled;
  Error.stackTraceLimit = 0;
  process.setSourceMapsEnabled(false);
  try {
    await pulumi.runtime.runInPulumiStack(async () => program());
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  } finally {
    Error.stackTraceLimit = traceLimit;
    process.setSourceMapsEnabled(sourceMaps);
  }
  return monitor.plan(ctx.stack);
}

/** Validates and plans a config given as raw keys (as in a stack file). */
export async function planRaw(raw: Record<string, unknown>, stack: string, projectDir?: string | null): Promise<PlanResult> {
  const parsed = parseStackConfig(raw, stack, projectDir);
  if (!parsed.ok) return parsed;
  return { ok: true, plan: await planConfig(parsed.config), config: parsed.config };
}

/** Reads, validates and plans a stack file `Pulumi.<stack>.yaml`. */
export async function planStackFile(file: string): Promise<PlanResult> {
  const read = readStackFile(file);
  if (!read.ok) return read;
  return planRaw(read.raw, stackNameOfFile(file), projectDirOf(file));
}
