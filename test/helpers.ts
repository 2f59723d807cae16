/** Small helpers the feature tests share: plan a config or a stack file, find resources, collect problems. */
import { parseStackConfig, readStackFile, stackNameOfFile } from "../config";
import { planRaw, planStackFile, projectDirOf, stackFilePath, type Plan, type PlannedResource, type PlanResult } from "../plan";
import { REPO_ROOT } from "./repo";

/** The project and stack the feature tests plan in, unless a test says otherwise. */
const BASE = { "gcp:project": "dtu-mlops-140" };

export const ofType = (plan: Plan, type: string): PlannedResource[] => plan.resources.filter((r) => r.type === type);

export function byName(plan: Plan, name: string): PlannedResource {
  const r = plan.resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name}`);
  return r;
}

/**
 * Plans are deterministic, so each is made once per test worker and shared by every test that asks for it.
 * The recorded plan (plain data) is frozen: a test that changed a shared plan would change what the next test
 * sees, and throws instead.
 */
const plans = new Map<string, Promise<PlanResult>>();

function once(key: string, plan: () => Promise<PlanResult>): Promise<PlanResult> {
  let planned = plans.get(key);
  if (!planned) {
    planned = plan().then((r) => (r.ok ? { ...r, plan: deepFreeze(r.plan) } : r));
    plans.set(key, planned);
  }
  return planned;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Plans raw config keys (as in a stack file) for group 140's project; fails the test on invalid config. */
export async function planOf(raw: Record<string, unknown>, region = "europe-west1"): Promise<Plan> {
  const config = { ...BASE, "gcp:region": region, ...raw };
  return planned(await once(`raw:${JSON.stringify(config)}`, () => planRaw(config, "group-140")));
}

/** planOf, but planned again for this test: for a test that watches what planning does (a warning it logs). */
export async function planAnew(raw: Record<string, unknown>, region = "europe-west1"): Promise<Plan> {
  return planned(await planRaw({ ...BASE, "gcp:region": region, ...raw }, "group-140"));
}

function planned(r: PlanResult): Plan {
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r.plan;
}

/** Plans a stack file of the repository after a change to its config keys (the day-two view); fails on invalid config. */
export async function planFileWith(stack: string, change: (raw: Record<string, unknown>) => Record<string, unknown>) {
  const file = stackFilePath(stack, REPO_ROOT);
  const read = readStackFile(file);
  if (!read.ok) throw new Error(read.problems.join("\n"));
  const r = await planRaw(change(read.raw), stack, projectDirOf(file));
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r;
}

/** Plans a stack file (its path); the result, valid or not, as planStackFile gives it. */
export const plannedStackFile = (file: string): Promise<PlanResult> => once(`file:${file}`, () => planStackFile(file));

/** Plans a stack file of the repository by stack name; fails the test on invalid config. */
export async function planFile(stack: string) {
  const r = await plannedStackFile(stackFilePath(stack, REPO_ROOT));
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r;
}

/** The validation problems of raw config keys for group 140's project (none when it is valid). */
export function problemsOf(raw: Record<string, unknown>, stack = "group-140"): string[] {
  const r = parseStackConfig({ ...BASE, "gcp:region": "europe-west1", ...raw }, stack);
  return r.ok ? [] : r.problems;
}

/** Plans a stack file a tool wrote outside the repository: its Dockerfiles are in the group's repository, not checked here. */
export async function planWrittenStackFile(file: string) {
  const read = readStackFile(file);
  if (!read.ok) throw new Error(read.problems.join("\n"));
  const result = await planRaw(read.raw, stackNameOfFile(file), null);
  if (!result.ok) throw new Error(`${file} does not plan:\n${result.problems.join("\n")}`);
  return result.plan;
}
