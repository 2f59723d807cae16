import { describe, expect, it } from "vitest";
import { stackFiles } from "../plan";
import { readGolden, type Inventory } from "../tools/golden";
import { plannedStackFile } from "./helpers";
import { REPO_ROOT } from "./repo";

// An upgrade of the package must never replace data: every protected resource of a reviewed golden keeps
// its URN (type chain through its parents, and name). A component or resource rename that would replace a
// bucket fails here; such a rename needs `aliases` pointing at the old URN, listed below with the release
// that made it.
const ALIASED: Record<string, string> = {};

const urn = (name: string, typeChain: string) => `${typeChain}::${name}`;

describe.each(stackFiles(REPO_ROOT).filter((f) => f.example && readGolden(f.stack)))("upgrading $stack", ({ stack, file }) => {
  it("keeps the URN of every protected resource of its reviewed golden", async () => {
    const before = (readGolden(stack) as Inventory).protected;
    const result = await plannedStackFile(file);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const current = new Set(result.plan.resources.map((r) => urn(r.name, typeChainOf(r.name, result.plan.resources))));
    expect(Object.keys(before).length).toBeGreaterThan(0);
    const lost = Object.entries(before).map(([name, chain]) => urn(name, chain)).filter((u) => !current.has(u) && !ALIASED[u]);
    expect(lost, "protected resources whose URN changed (they would be replaced: data lost)").toEqual([]);
  });
});

/** The types of a resource and its parents, outermost first: its URN without the stack and project. */
function typeChainOf(name: string, resources: Array<{ name: string; type: string; parent: string }>): string {
  const chain: string[] = [];
  for (let r = resources.find((x) => x.name === name); r; r = resources.find((x) => x.name === r?.parent)) chain.unshift(r.type);
  return chain.join("$");
}
