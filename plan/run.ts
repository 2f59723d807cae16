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
  pulumi.runtime.setMockOptions(monitor, "mlops", ctx.stack, ctx.preview ?? false);
  // Pulumi records a stack trace for every promise and resource (debuggable.ts, resource.ts); formatting them
  // makes up a third to a half of a plan's CPU and a plan reads none of them, so none are taken.
  const traceLimit = Error.stackTraceLimit;
  const sourceMaps = process.sourceMapsEnabled;
  Error.stackTraceLimit = 0;
  process.setSourceMapsEnabled(false);
  // A registration that fails (an input or dependency that rejects, like the credit guard's trip check) rejects
  // where the program cannot catch it; `pulumi up` ends the program with its message (a RunError's alone), and so
  // does the plan, instead of the process. Plans run one at a time, so nothing else's rejection lands here.
  const others = process.listeners("unhandledRejection");
  let failure: unknown;
  let fail: (reason: unknown) => void = () => undefined;
  // A failed registration never settles what waits for it: the plan ends with the first failure.
  const failedRun = new Promise<never>((_resolve, reject) => (fail = reject));
  failedRun.catch(() => undefined);
  const failed = (reason: unknown) => {
    failure ??= reason;
    fail(reason);
  };
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", failed);
  try {
    await Promise.race([
      (async () => {
        await pulumi.runtime.runInPulumiStack(async () => program());
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
        // Rejections are reported after the microtasks that made them.
        await new Promise((resolve) => setImmediate(resolve));
      })(),
      failedRun,
    ]);
  } catch (err) {
    failure ??= err;
  } finally {
    Error.stackTraceLimit = traceLimit;
    process.setSourceMapsEnabled(sourceMaps);
    process.off("unhandledRejection", failed);
    for (const listener of others) process.on("unhandledRejection", listener);
  }
  if (failure !== undefined) throw failure instanceof Error ? new Error(failure.message) : new Error(String(failure));
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
