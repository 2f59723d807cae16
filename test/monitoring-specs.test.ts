/**
 * The raw API JSON the monitoring component writes, checked against Google's published API definitions
 * (google-proto-files): the dashboard's dashboardJson as google.monitoring.dashboard.v1.Dashboard, and each
 * alert condition as google.monitoring.v3.AlertPolicy.Condition (its aggregation enums and durations).
 */
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type Plan } from "../plan";
import { ofType, plannedStackFile } from "./helpers";
import { checkSpec, loadType } from "./proto-check";
import { stackFiles } from "../plan";
import { REPO_ROOT } from "./repo";

const DASHBOARD = loadType("google/monitoring/dashboard/v1/dashboard.proto", "google.monitoring.dashboard.v1.Dashboard");
const CONDITION = loadType("google/monitoring/v3/alert.proto", "google.monitoring.v3.AlertPolicy.Condition");
const COMBINER = CONDITION.parent?.lookupEnum("ConditionCombinerType");

/** A monitoring filter: `a.b="value"` comparisons joined by AND, each value quoted. */
const FILTER = /^[a-z_]+(\.[a-z_*]+)+="[^"]*"( AND [a-z_]+(\.[a-z_*]+)+="[^"]*")*$/;

describe("the checker", () => {
  it("refuses a misspelt field and an aligner that does not exist", () => {
    const { problems } = checkSpec(CONDITION, { displayName: "x", conditionThreshold: { filtre: "", aggregations: [{ perSeriesAligner: "ALIGN_AVERAGE" }] } });
    expect(problems).toEqual([
      expect.stringMatching(/^conditionThreshold\.filtre: MetricThreshold has no field filtre/),
      expect.stringMatching(/^conditionThreshold\.aggregations\[0\]\.perSeriesAligner: "ALIGN_AVERAGE" is not a value of Aligner/),
    ]);
  });
});

describe.each(
  stackFiles(REPO_ROOT)
    .map((f) => f.file)
    .map((f) => [path.basename(f), f]),
)("%s: monitoring JSON Google accepts", (_name, file) => {
  let plan: Plan;
  beforeAll(async () => {
    const r = await plannedStackFile(file);
    if (!r.ok) throw new Error(r.problems.join("\n"));
    plan = r.plan;
  });

  it("has a dashboardJson that is a valid Dashboard, with well-formed filters", () => {
    for (const d of ofType(plan, "gcp:monitoring/dashboard:Dashboard")) {
      const spec = JSON.parse(String(d.inputs.dashboardJson));
      expect(checkSpec(DASHBOARD, spec).problems).toEqual([]);
      const filters = JSON.stringify(spec).match(/"filter":"((?:[^"\\]|\\.)*)"/g) ?? [];
      for (const f of filters) expect(JSON.parse(`{${f}}`).filter).toMatch(FILTER);
    }
  });

  it("has alert conditions that are valid Conditions, with a combiner Google knows", () => {
    for (const p of ofType(plan, "gcp:monitoring/alertPolicy:AlertPolicy")) {
      if (p.inputs.combiner !== undefined) expect(Object.keys(COMBINER?.values ?? {})).toContain(p.inputs.combiner);
      for (const condition of p.inputs.conditions as object[]) {
        expect(checkSpec(CONDITION, condition).problems, p.name).toEqual([]);
        const threshold = (condition as { conditionThreshold?: { filter: string; denominatorFilter?: string } }).conditionThreshold;
        for (const f of [threshold?.filter, threshold?.denominatorFilter].filter(Boolean)) expect(f).toMatch(FILTER);
      }
    }
  });
});
