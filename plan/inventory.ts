/**
 * Inventories in the style of Cloud Foundation Fabric's tests: a plan summarised as `counts` (type →
 * number), `values` (logical name → type, parent, protect, inputs) and `outputs`, compared with a reviewed
 * golden YAML file as a subset. In a golden file `__missing__` means "must be absent" and a count of 0
 * means "no resource of that type".
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { REPO_ROOT } from "./paths";
import type { Plan } from "./record";

export const MISSING = "__missing__";

export interface Inventory {
  counts: Record<string, number>;
  values: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

export function inventoryOf(plan: Plan): Inventory {
  const counts: Record<string, number> = {};
  const values: Record<string, unknown> = {};
  for (const r of plan.resources) {
    counts[r.type] = (counts[r.type] ?? 0) + 1;
    if (r.name in values) throw new Error(`two resources are named "${r.name}"; logical names must be unique in a stack`);
    values[r.name] = { type: r.type, parent: r.parent, protect: r.protect, inputs: r.inputs };
  }
  return { counts: Object.fromEntries(Object.entries(counts).sort()), values, outputs: plan.outputs };
}

/** Every way `actual` departs from `expected`, each as `path: expected …, got …`. */
export function subsetProblems(expected: unknown, actual: unknown, at = ""): string[] {
  if (expected === MISSING) return actual === undefined ? [] : [`${at}: expected absent, got ${JSON.stringify(actual)}`];
  if (expected && typeof expected === "object") {
    if (!actual || typeof actual !== "object") return [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual) || actual.length !== expected.length) {
        return [`${at}: expected a list of ${expected.length}, got ${JSON.stringify(actual)}`];
      }
      return expected.flatMap((e, i) => subsetProblems(e, actual[i], `${at}[${i}]`));
    }
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
      subsetProblems(v, (actual as Record<string, unknown>)[k], at ? `${at}.${k}` : k),
    );
  }
  return expected === actual ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

/** Counts compare exactly for every type the golden file lists (0: must not exist). */
export function compareInventory(golden: Inventory, actual: Inventory): string[] {
  const counts = Object.entries(golden.counts ?? {}).flatMap(([type, n]) =>
    (actual.counts[type] ?? 0) === n ? [] : [`counts.${type}: expected ${n}, got ${actual.counts[type] ?? 0}`],
  );
  return [
    ...counts,
    ...subsetProblems(golden.values ?? {}, actual.values, "values"),
    ...subsetProblems(golden.outputs ?? {}, actual.outputs, "outputs"),
  ];
}

/** The reviewed inventories are test fixtures: they stay beside the tests that compare them. */
export const GOLDEN_DIR = path.join(REPO_ROOT, "test", "golden");

export function goldenPath(stack: string): string {
  return path.join(GOLDEN_DIR, `${stack}.yaml`);
}

export function readGolden(stack: string): Inventory | undefined {
  const file = goldenPath(stack);
  return fs.existsSync(file) ? (YAML.parse(fs.readFileSync(file, "utf8")) as Inventory) : undefined;
}

export function regenerateCommand(stack: string): string {
  return `npm run golden -- --stack ${stack}   (then review the diff: git diff test/golden/${stack}.yaml)`;
}

export function writeGolden(stack: string, inventory: Inventory): void {
  const header = `# Reviewed inventory of Pulumi.${stack}.yaml, compared as a subset by test/stacks.test.ts.\n# Regenerate: ${regenerateCommand(stack)}\n`;
  fs.writeFileSync(goldenPath(stack), header + YAML.stringify(inventory, { lineWidth: 0, sortMapEntries: false }));
}
