/**
 * The worst case of a spot run counts the retries its Batch job spec allows: a preempted attempt may have run
 * its whole maxRunDuration, and the retry starts over (maxRunDuration bounds each attempt, task.proto). The
 * count is read from the spec the stack writes, and must be the same wherever the worst case is shown.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { costAssumptions } from "../config";
import { planCost, planRaw, renderCost } from "../plan";

const ROOT = path.join(__dirname, "..");
type Item = { resource: string; kind: string; usd: number; basis: string };

async function planTraining(training: Record<string, unknown>) {
  const r = await planRaw({ "gcp:project": "dtu-mlops-140", "gcp:region": "europe-west1", "mlops:training": training }, "group-140");
  if (!r.ok) throw new Error(r.problems.join("\n"));
  const cost = planCost(r.plan, r.config.region, costAssumptions(r.config));
  const spec = (r.plan.outputs.batchJobSpec as any).taskGroups[0].taskSpec;
  const items = cost.items.filter((i) => i.resource === "training") as Item[];
  return { plan: r.plan, cost, spec, hourly: items.find((i) => i.kind === "active")!, run: items.find((i) => i.kind === "run")! };
}

const T4_SPOT = { kind: "vm", machineType: "n1-standard-4", gpu: { type: "nvidia-tesla-t4" }, spot: true, maxRunHours: 4 };

describe("the worst case of a spot run on Batch", () => {
  it("is every attempt the job spec allows (maxRetryCount + 1) × maxRunHours at the hourly price", async () => {
    const { spec, hourly, run } = await planTraining(T4_SPOT);
    expect(spec.maxRetryCount).toBeGreaterThan(0);
    expect(spec.maxRunDuration).toBe("14400s");
    expect(run.usd).toBeCloseTo(hourly.usd * 4 * (spec.maxRetryCount + 1), 4);
    expect(run.basis).toContain(`${spec.maxRetryCount + 1} attempts (a preempted run is retried up to ${spec.maxRetryCount} times)`);
  });

  it("is one attempt on demand, where the spec retries nothing", async () => {
    const { spec, hourly, run } = await planTraining({ ...T4_SPOT, spot: false });
    expect(spec.maxRetryCount).toBe(0);
    expect(run.usd).toBeCloseTo(hourly.usd * 4, 4);
    expect(run.basis).not.toContain("attempts");
  });

  it("is the same in the plan's cost table and in the deployed stack's costEstimate", async () => {
    const { plan, cost, run } = await planTraining(T4_SPOT);
    const exported = (plan.outputs.costEstimate as { items: Item[] }).items.find((i) => i.resource === "training" && i.kind === "run");
    expect(exported).toEqual(run);
    expect(renderCost(cost)).toContain(run.basis);
  });

  it("is what docs/training.md and docs/monitoring.md say, for group 140's T4 spot runs", async () => {
    const { spec, hourly, run } = await planTraining(T4_SPOT);
    const row = fs
      .readFileSync(path.join(ROOT, "docs/monitoring.md"), "utf8")
      .split("\n")
      .find((l) => l.startsWith("| training | run |"));
    const training = fs.readFileSync(path.join(ROOT, "docs/training.md"), "utf8");
    expect(training).toContain(`retried up to ${spec.maxRetryCount} times (\`maxRetryCount: ${spec.maxRetryCount}\``);
    expect(training).toContain(`its worst case is ${spec.maxRetryCount + 1} × \`maxRunHours\``);
    expect(row).toBe(
      `| training | run | ${run.usd.toFixed(4)} per run | worst case of one run: ${spec.maxRetryCount + 1} attempts (a preempted run is retried up to ${spec.maxRetryCount} times) × maxRunHours 4 h × $${hourly.usd.toFixed(4)}/h |`,
    );
  });
});
