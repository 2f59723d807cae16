import { describe, expect, it } from "vitest";
import { planStackFile, readGolden, stackFiles, type Inventory } from "../plan";

type Entry = { type: string; parent: string; protect?: boolean };

/** A resource's identity in Pulumi's URN: its type chain through its parents, and its name. */
function urnOf(name: string, entries: Record<string, Entry>): string {
  const chain: string[] = [];
  for (let at: string | undefined = name; at && entries[at]; at = entries[at].parent) chain.unshift(entries[at].type);
  return `${chain.join("$")}::${name}`;
}

// An upgrade of the package must never lose a protected resource: every protected resource of a reviewed
// golden keeps its URN (type, name and parents), or a resource of the program names it in `aliases` (read
// from the plan: Pulumi then updates or replaces it, which protection allows when the new one is not
// protected). Only these may move, each with the release that moved it; anything else fails here.
const MAY_MOVE: Record<string, string> = {
  "github-deploy-wif-train-workflow-dispatch": "0.3.0: train.yml acts as ci-train (github-train-wif)",
  "github-deploy-batch.jobsEditor": "0.3.0: ci-train's custom role submits Batch runs (github-train-runs)",
  "github-deploy-aiplatform.user": "0.3.0: ci-train's custom role submits Vertex AI jobs (github-train-runs)",
  "github-deploy-actas-trainer": "0.3.0: ci-train acts as the trainer, ci-deploy no longer (github-train-actas-trainer)",
};

describe.each(stackFiles().filter((f) => f.example && readGolden(f.stack)))("upgrading $stack", ({ stack, file }) => {
  it("keeps the URN of every protected resource of its reviewed golden", async () => {
    const golden = readGolden(stack) as Inventory;
    const before = golden.values as Record<string, Entry>;
    const result = await planStackFile(file);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const now: Record<string, Entry> = Object.fromEntries(result.plan.resources.map((r) => [r.name, { type: r.type, parent: r.parent, protect: r.protect }]));
    const current = new Set(result.plan.resources.map((r) => urnOf(r.name, now)));
    // An alias keeps the resource's type and parent and names its old name.
    const aliased = new Set(result.plan.resources.flatMap((r) => (r.aliases ?? []).map((old) => `${urnOf(r.name, now).replace(/::[^:]+$/, "")}::${old}`)));
    const protectedBefore = Object.keys(before).filter((name) => before[name].protect);
    expect(protectedBefore.length).toBeGreaterThan(0);
    const lost = protectedBefore.map((name) => urnOf(name, before)).filter((urn) => !current.has(urn));
    const unaliased = lost.filter((urn) => !aliased.has(urn));
    expect(unaliased, "protected resources whose URN changed with no alias (Pulumi would refuse to delete them)").toEqual([]);
    expect(lost.map((urn) => urn.slice(urn.lastIndexOf("::") + 2)).filter((name) => !MAY_MOVE[name]), "protected resources that moved without a reviewed reason").toEqual([]);
    for (const r of result.plan.resources.filter((x) => x.aliases?.length)) expect(r.protect, `${r.name} replaces a protected resource: it must not be protected itself`).toBe(false);
  });
});
