/** Small helpers the feature tests share: plan a config or a stack file, find resources, collect problems. */
import { parseStackConfig, readStackFile } from "../config";
import { planRaw, planStackFile, projectDirOf, stackFilePath, type Plan, type PlannedResource } from "../plan";

/** The project and stack the feature tests plan in, unless a test says otherwise. */
const BASE = { "gcp:project": "dtu-mlops-140" };

export const ofType = (plan: Plan, type: string): PlannedResource[] => plan.resources.filter((r) => r.type === type);

export function byName(plan: Plan, name: string): PlannedResource {
  const r = plan.resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name}`);
  return r;
}

/** Plans raw config keys (as in a stack file) for group 140's project; fails the test on invalid config. */
export async function planOf(raw: Record<string, unknown>, region = "europe-west1"): Promise<Plan> {
  const r = await planRaw({ ...BASE, "gcp:region": region, ...raw }, "group-140");
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r.plan;
}

/** Plans a stack file of the repository after a change to its config keys (the day-two view); fails on invalid config. */
export async function planFileWith(stack: string, change: (raw: Record<string, unknown>) => Record<string, unknown>) {
  const file = stackFilePath(stack);
  const read = readStackFile(file);
  if (!read.ok) throw new Error(read.problems.join("\n"));
  const r = await planRaw(change(read.raw), stack, projectDirOf(file));
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r;
}

/** Plans a stack file of the repository; fails the test on invalid config. */
export async function planFile(stack: string) {
  const r = await planStackFile(stackFilePath(stack));
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r;
}

/** The validation problems of raw config keys for group 140's project (none when it is valid). */
export function problemsOf(raw: Record<string, unknown>, stack = "group-140"): string[] {
  const r = parseStackConfig({ ...BASE, "gcp:region": "europe-west1", ...raw }, stack);
  return r.ok ? [] : r.problems;
}
