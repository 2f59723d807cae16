/**
 * Plans a stack offline: runs the real program (createStack) under Pulumi's mocks and records every
 * resource it registers. The tests and `npm run plan` both use planStackFile/planConfig from here.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { parseStackConfig, readStackFile, stackNameOfFile, type StackConfig } from "../config";
import { costFields, estimateCost, type CostEstimate } from "../lib/cost";
import { evaluate, type Violation } from "../policy/rules";
import { createStack } from "../stack";
import { gcpMocks, type MockContext } from "./mocks";

export interface PlannedResource {
  /** Pulumi type token, e.g. gcp:storage/bucket:Bucket. */
  type: string;
  /** Logical name. */
  name: string;
  /** Logical name of the parent: a component, or the stack itself (`mlops-<stack>`). */
  parent: string;
  protect: boolean;
  /** Registered inputs; secrets show as "[secret]". */
  inputs: Record<string, unknown>;
  /** Logical names of the resources this one waits for. */
  dependsOn: string[];
}

export interface Plan {
  stack: string;
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
}

/** The policy pack's rules over a plan's resources (what `pulumi preview --policy-pack policy` checks). */
export function planViolations(plan: Plan): Violation[] {
  return evaluate(plan.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs })));
}

/** The cost estimate over a plan's resources (the same estimator the stack exports as costEstimate). */
export function planCost(plan: Plan, region: string): CostEstimate {
  const inputs = plan.resources.flatMap((r) => {
    const fields = costFields(r.type, r.inputs);
    return fields ? [{ type: r.type, name: r.name, inputs: fields }] : [];
  });
  return estimateCost(inputs, region);
}

export type PlanResult = { ok: true; plan: Plan; config: StackConfig } | { ok: false; problems: string[] };

const ROOT_TYPE = "pulumi:pulumi:Stack";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Serialized property values as a reader wants them: secrets hidden, references by URN. */
function readable(value: unknown): unknown {
  if (value === UNKNOWN) return "[unknown]";
  if (Array.isArray(value)) return value.map(readable);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) return "[secret]";
    if (obj[SIG_KEY] === RESOURCE_SIG) return obj.urn;
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, readable(v)]));
  }
  return value;
}

const nameOfUrn = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

interface Recorded extends Omit<PlannedResource, "parent"> {
  urn: string;
  parentUrn: string;
}

/** The mock monitor, also keeping what the SDK sends it: parent, protect, dependencies, raw inputs. */
class RecordingMonitor extends MockMonitor {
  readonly recorded: Recorded[] = [];
  rootOutputs: Record<string, unknown> = {};
  rootUrn = "";

  override async registerResource(req: any, callback: (err: any, response: any) => void): Promise<void> {
    await super.registerResource(req, (err: any, response: any) => {
      if (!err) {
        const urn: string = response.getUrn();
        if (req.getType() === ROOT_TYPE) this.rootUrn = urn;
        else {
          this.recorded.push({
            urn,
            type: req.getType(),
            name: req.getName(),
            parentUrn: req.getParent(),
            protect: req.getProtect() === true,
            inputs: readable(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
            dependsOn: (req.getDependenciesList() as string[]).map(nameOfUrn).sort(),
          });
        }
      }
      callback(err, response);
    });
  }

  override registerResourceOutputs(req: any, callback: (err: any, response: any) => void): void {
    if (req.getUrn() === this.rootUrn) {
      this.rootOutputs = readable(req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>;
    }
    super.registerResourceOutputs(req, callback);
  }
}

let queue: Promise<unknown> = Promise.resolve();

/** Plans a validated config. Plans run one at a time: Pulumi's runtime state is per process. */
export function planConfig(config: StackConfig): Promise<Plan> {
  const run = queue.then(() => planNow(config));
  queue = run.catch(() => undefined);
  return run;
}

async function planNow(config: StackConfig): Promise<Plan> {
  return runProgram({ stack: config.stack, project: config.project, region: config.region }, () => createStack(config));
}

/** Runs any program (a component alone, in tests) under the mocks and records what it registers. */
export function planProgram(ctx: MockContext, program: () => Record<string, unknown>): Promise<Plan> {
  const run = queue.then(() => runProgram(ctx, program));
  queue = run.catch(() => undefined);
  return run;
}

async function runProgram(ctx: MockContext, program: () => Record<string, unknown>): Promise<Plan> {
  const monitor = new RecordingMonitor(gcpMocks(ctx));
  pulumi.runtime.setMockOptions(monitor, "mlops", ctx.stack, false);
  // Pulumi records a stack trace for every promise and resource; source-mapped deep traces make up half a
  // plan's time and a plan needs none of them (a roster of 150 groups must plan in well under a minute).
  const traceLimit = Error.stackTraceLimit;
  const sourceMaps = process.sourceMapsEnabled;
  Error.stackTraceLimit = 3;
  process.setSourceMapsEnabled(false);
  try {
    await pulumi.runtime.runInPulumiStack(async () => program());
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  } finally {
    Error.stackTraceLimit = traceLimit;
    process.setSourceMapsEnabled(sourceMaps);
  }

  const names = new Map(monitor.recorded.map((r) => [r.urn, r.name]));
  const byUrn = new Map(monitor.recorded.map((r) => [r.urn, r]));
  const treePath = (r: Recorded): string => {
    const parent = byUrn.get(r.parentUrn);
    return parent ? `${treePath(parent)}/${r.name}` : r.name;
  };
  const resources = [...monitor.recorded]
    .sort((a, b) => treePath(a).localeCompare(treePath(b)))
    .map(({ urn: _urn, parentUrn, ...r }) => ({ ...r, parent: names.get(parentUrn) ?? nameOfUrn(monitor.rootUrn) }));
  return { stack: ctx.stack, resources, outputs: monitor.rootOutputs };
}

/** Validates and plans a config given as raw keys (as in a stack file). */
export async function planRaw(raw: Record<string, unknown>, stack: string): Promise<PlanResult> {
  const parsed = parseStackConfig(raw, stack);
  if (!parsed.ok) return parsed;
  return { ok: true, plan: await planConfig(parsed.config), config: parsed.config };
}

/** Reads, validates and plans a stack file `Pulumi.<stack>.yaml`. */
export async function planStackFile(file: string): Promise<PlanResult> {
  const read = readStackFile(file);
  if (!read.ok) return read;
  return planRaw(read.raw, stackNameOfFile(file));
}

/** The repository's top folder, where the stack files live. */
export const REPO_ROOT = path.resolve(__dirname, "..");

export function stackFilePath(stack: string): string {
  return path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
}
