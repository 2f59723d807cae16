/** A teaching assistant's roster of groups, and the facts `new-group` takes for one group. */
import * as fs from "node:fs";
import { parse } from "csv-parse/sync";

/** One group as given on the command line or in a roster row; empty values are undefined. */
export interface GroupSpec {
  group?: string;
  project?: string;
  repo?: string;
  /** Alert addresses; several separated by `;` in a roster cell. */
  email?: string | string[];
  region?: string;
  training?: string;
  gpu?: string;
  "backend-dockerfile"?: string;
  "frontend-dockerfile"?: string;
  "train-dockerfile"?: string;
  /** GitHub's immutable ids of the repository and its owner (`gh api repos/OWNER/NAME --jq '.id, .owner.id'`). */
  repository_id?: string;
  owner_id?: string;
}

export const COLUMNS = ["group", "project", "repo", "email", "region", "training", "gpu", "repository_id", "owner_id"] as const;
export const REQUIRED = { group: "mlops:group", project: "gcp:project", repo: "mlops:github.repository", email: "mlops:alerts.emails" } as const;

export interface RosterRow {
  line: number;
  spec: GroupSpec;
  /** What is wrong with the row itself, before its values are checked. */
  problems: string[];
}

/** Reads a roster: a header row naming the columns, then one group per line; blank and `#` lines are skipped. */
export function readRoster(file: string): { ok: true; rows: RosterRow[] } | { ok: false; problems: string[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return { ok: false, problems: [`${file}: cannot read the roster`] };
  }
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // info.lines is the line a record ends on, so problems name the line a teaching assistant sees.
    records = parse(text, {
      bom: true,
      comment: "#",
      comment_no_infix: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
    }) as unknown as typeof records;
  } catch (err) {
    return { ok: false, problems: [`${file}: not a CSV file: ${(err as Error).message}`] };
  }
  if (!records.length) return { ok: false, problems: [`${file}: empty; the header row is ${COLUMNS.join(",")}`] };
  const header = records[0].record.map((c) => c.toLowerCase());
  const problems = [
    ...header
      .filter((c) => !(COLUMNS as readonly string[]).includes(c))
      .map((c) => `${file}:${records[0].info.lines}: unknown column "${c}"; the columns are ${COLUMNS.join(",")}`),
    ...Object.keys(REQUIRED)
      .filter((c) => !header.includes(c))
      .map((c) => `${file}:${records[0].info.lines}: missing column "${c}"; the header row is ${COLUMNS.join(",")}`),
  ];
  if (problems.length) return { ok: false, problems };

  const rows: RosterRow[] = records.slice(1).map(({ record: values, info }) => ({
    line: info.lines,
    spec: Object.fromEntries(header.flatMap((column, c) => (values[c] ? [[column, values[c]]] : []))),
    problems: values.length > header.length ? [`has ${values.length} cells; the header row has ${header.length}`] : [],
  }));
  const linesOf = new Map<string, number[]>();
  for (const { line, spec } of rows) if (spec.group) linesOf.set(spec.group, [...(linesOf.get(spec.group) ?? []), line]);
  for (const row of rows) {
    const same = linesOf.get(row.spec.group ?? "") ?? [];
    if (same.length > 1) row.problems.push(`mlops:group: group ${row.spec.group} is on lines ${same.join(", ")}; one row per group`);
  }
  return { ok: true, rows };
}
