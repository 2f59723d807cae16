/**
 * `npm run doc-tables -- --write`: the tables in docs/ that state what the code decides, generated from it
 * (as tools/config-docs.ts does for docs/config.md): the policy rules in docs/security.md, and group 140's
 * cost estimate with the dev stack's idle cost in docs/monitoring.md. Each lives between a begin and an end
 * marker in the hand-written page; a test fails when one is stale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { costAssumptions } from "../config";
import type { CostItem } from "../lib/cost";
import { planCost, planStackFile, stackFilePath } from "../plan";
import { RULES } from "../policy/rules";

const ROOT = path.join(__dirname, "..");
const COMMAND = "npm run doc-tables -- --write";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function securityTable(): string {
  return [
    "| rule | why | CIS / Checkov | level |",
    "| --- | --- | --- | --- |",
    ...RULES.map((r) => `| \`${r.name}\` | ${cell(r.why)} | ${r.reference ?? "—"} | ${r.level} |`),
  ].join("\n");
}

const UNIT: Record<CostItem["kind"], string> = { active: "/ h", idle: "/ month", run: "per run" };

async function estimateOf(stack: string) {
  const r = await planStackFile(stackFilePath(stack, ROOT));
  if (!r.ok) throw new Error(`Pulumi.${stack}.yaml does not plan: ${r.problems.join("; ")}`);
  return planCost(r.plan, r.config.region, costAssumptions(r.config));
}

/** Group 140's estimate, items with the same kind, price and basis on one row; then the dev stack's idle cost. */
export async function costTable(): Promise<string> {
  const cost = await estimateOf("group-140");
  const rows = new Map<string, { names: string[]; item: CostItem }>();
  for (const item of cost.items) {
    const key = `${item.kind} ${item.usd} ${item.basis}`;
    const row = rows.get(key) ?? { names: [], item };
    row.names.push(item.resource);
    rows.set(key, row);
  }
  const order = ["active", "run", "idle"];
  const sorted = [...rows.values()].sort((a, b) => order.indexOf(a.item.kind) - order.indexOf(b.item.kind) || b.item.usd - a.item.usd);
  const usd = (n: number, kind: CostItem["kind"]) => `${n.toFixed(kind === "idle" ? 2 : 4)} ${UNIT[kind]}`;
  const dev = await estimateOf("dev");
  return [
    "| item | kind | USD | basis |",
    "| --- | --- | --- | --- |",
    ...sorted.map(
      ({ names, item }) => `| ${names.join(", ")} | ${item.kind} | ${usd(item.usd, item.kind)}${names.length > 1 ? " each" : ""} | ${cell(item.basis)} |`,
    ),
    `| **total** | | **idle $${cost.idleMonthlyUsd.toFixed(2)} / month, active $${cost.activeHourlyUsd.toFixed(2)} / hour** | |`,
    "",
    `The \`dev\` stack idles at $${dev.idleMonthlyUsd.toFixed(2)} a month.`,
  ].join("\n");
}

/** Every generated block: the file it is in, its name, and its text. */
export async function docTables(): Promise<Array<{ file: string; name: string; text: string }>> {
  return [
    { file: "docs/security.md", name: "policy-rules", text: securityTable() },
    { file: "docs/monitoring.md", name: "cost-estimate", text: await costTable() },
  ];
}

const begin = (name: string) => `<!-- begin generated: ${name} (${COMMAND}) -->`;
const end = (name: string) => `<!-- end generated: ${name} -->`;

/** A page with one of its blocks replaced; the page must already carry both markers. */
export function withBlock(page: string, name: string, text: string): string {
  const from = page.indexOf(begin(name));
  const to = page.indexOf(end(name));
  if (from < 0 || to < from) throw new Error(`no "${begin(name)}" … "${end(name)}" in the page`);
  return `${page.slice(0, from)}${begin(name)}\n${text}\n${page.slice(to)}`;
}

/** The blocks whose text in docs/ differs from what the code generates, as `file: block`. */
export async function staleTables(): Promise<string[]> {
  const stale: string[] = [];
  for (const t of await docTables()) {
    const page = fs.readFileSync(path.join(ROOT, t.file), "utf8");
    if (withBlock(page, t.name, t.text) !== page) stale.push(`${t.file}: ${t.name}`);
  }
  return stale;
}

async function main(argv: string[]): Promise<number> {
  if (!argv.includes("--write")) {
    const stale = await staleTables();
    for (const s of stale) process.stderr.write(`${s} is stale; run ${COMMAND}\n`);
    return stale.length ? 1 : 0;
  }
  for (const t of await docTables()) {
    const file = path.join(ROOT, t.file);
    fs.writeFileSync(file, withBlock(fs.readFileSync(file, "utf8"), t.name, t.text));
  }
  return 0;
}

export const regenerate = COMMAND;

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
