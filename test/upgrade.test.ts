import { describe, expect, it } from "vitest";
import { stackFiles } from "../plan";
import { readGolden, type Inventory } from "../tools/golden";
import { plannedStackFile } from "./helpers";
import { REPO_ROOT } from "./repo";

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

const urn = (name: string, typeChain: string) => `${typeChain}::${name}`;

describe.each(stackFiles(REPO_ROOT).filter((f) => f.example && readGolden(f.stack)))("upgrading $stack", ({ stack, file }) => {
  it("keeps the URN of every protected resource of its reviewed golden", async () => {
    const before = (readGolden(stack) as Inventory).protected;
    const result = await plannedStackFile(file);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const chainOf = (name: string) => typeChainOf(name, result.plan.resources);
    const current = new Set(result.plan.resources.map((r) => urn(r.name, chainOf(r.name))));
    // An alias keeps the resource's type and parent and names its old name.
    const aliased = new Set(result.plan.resources.flatMap((r) => (r.aliases ?? []).map((old) => urn(old, chainOf(r.name)))));
    expect(Object.keys(before).length).toBeGreaterThan(0);
    const lost = Object.entries(before).map(([name, chain]) => urn(name, chain)).filter((u) => !current.has(u));
    const unaliased = lost.filter((u) => !aliased.has(u));
    expect(unaliased, "protected resources whose URN changed with no alias (Pulumi would refuse to delete them)").toEqual([]);
    expect(lost.map((u) => u.slice(u.lastIndexOf("::") + 2)).filter((name) => !MAY_MOVE[name]), "protected resources that moved without a reviewed reason").toEqual([]);
    for (const r of result.plan.resources.filter((x) => x.aliases?.length)) expect(r.protect, `${r.name} replaces a protected resource: it must not be protected itself`).toBe(false);
  });
});

/** The types of a resource and its parents, outermost first: its URN without the stack and project. */
function typeChainOf(name: string, resources: Array<{ name: string; type: string; parent: string }>): string {
  const chain: string[] = [];
  for (let r = resources.find((x) => x.name === name); r; r = resources.find((x) => x.name === r?.parent)) chain.unshift(r.type);
  return chain.join("$");
}
