import { describe, expect, it } from "vitest";
import { readGolden, stackFiles, type Inventory } from "../plan";
import { plannedStackFile } from "./helpers";

type Entry = { type: string; parent: string; protect?: boolean };

/** A resource's identity in Pulumi's URN: its type chain through its parents, and its name. */
function urnOf(name: string, entries: Record<string, Entry>): string {
  const chain: string[] = [];
  for (let at: string | undefined = name; at && entries[at]; at = entries[at].parent) chain.unshift(entries[at].type);
  return `${chain.join("$")}::${name}`;
}

// An upgrade of the package must never replace data: every protected resource of a reviewed golden keeps
// its URN (type, name and parents). A component or resource rename that would replace a bucket fails here;
// such a rename needs `aliases` pointing at the old URN, listed below with the release that made it.
const ALIASED: Record<string, string> = {};

describe.each(stackFiles().filter((f) => f.example && readGolden(f.stack)))("upgrading $stack", ({ stack, file }) => {
  it("keeps the URN of every protected resource of its reviewed golden", async () => {
    const golden = readGolden(stack) as Inventory;
    const before = golden.values as Record<string, Entry>;
    const result = await plannedStackFile(file);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const now: Record<string, Entry> = Object.fromEntries(result.plan.resources.map((r) => [r.name, { type: r.type, parent: r.parent, protect: r.protect }]));
    const current = new Set(result.plan.resources.map((r) => urnOf(r.name, now)));
    const protectedBefore = Object.keys(before).filter((name) => before[name].protect);
    expect(protectedBefore.length).toBeGreaterThan(0);
    const lost = protectedBefore.map((name) => urnOf(name, before)).filter((urn) => !current.has(urn) && !ALIASED[urn]);
    expect(lost, "protected resources whose URN changed (they would be replaced: data lost)").toEqual([]);
  });
});
