/**
 * Monitoring that a second `pulumi up` leaves alone: a dashboard without the fields the Monitoring API drops
 * (else the provider sees a diff on every preview, terraform-provider-google#16173).
 */
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./repo";
import { withoutDefaults } from "../components/monitoring";
import { planStackFile, stackFiles, type Plan } from "../plan";
import { ofType } from "./helpers";

/** Every place in a JSON value where it holds what proto3 JSON output omits: a 0, "", false, [] or {}. */
function defaultsIn(value: unknown, at = "$"): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => defaultsIn(v, `${at}[${i}]`));
  if (!value || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const where = `${at}.${k}`;
    const empty = Array.isArray(v) ? v.length === 0 : typeof v === "object" && v !== null && Object.keys(v).length === 0;
    return v === 0 || v === "" || v === false || empty ? [`${where} = ${JSON.stringify(v)}`] : defaultsIn(v, where);
  });
}

describe("defaults the Monitoring API drops", () => {
  it("are found in a dashboard that has them: zero positions and empty labels", () => {
    const planted = {
      displayName: "d",
      labels: {},
      mosaicLayout: { tiles: [{ xPos: 0, yPos: 0, width: 6, widget: { title: "t", xyChart: { dataSets: [] } } }] },
    };
    expect(defaultsIn(planted)).toEqual([
      "$.labels = {}",
      "$.mosaicLayout.tiles[0].xPos = 0",
      "$.mosaicLayout.tiles[0].yPos = 0",
      "$.mosaicLayout.tiles[0].widget.xyChart.dataSets = []",
    ]);
  });

  it("are left out, and nothing else is", () => {
    const tile = { xPos: 6, yPos: 0, width: 6, height: 4, widget: { title: "t", xyChart: { dataSets: [{ plotType: "LINE" }], thresholds: [] } } };
    expect(withoutDefaults({ displayName: "d", labels: {}, mosaicLayout: { columns: 12, tiles: [tile] } })).toEqual({
      displayName: "d",
      mosaicLayout: { columns: 12, tiles: [{ xPos: 6, width: 6, height: 4, widget: { title: "t", xyChart: { dataSets: [{ plotType: "LINE" }] } } }] },
    });
  });
});

describe.each(stackFiles(REPO_ROOT).map((f) => [path.basename(f.file), f.file]))("%s: a dashboard with no perpetual diff", (_name, file) => {
  let plan: Plan;
  beforeAll(async () => {
    const r = await planStackFile(file);
    if (!r.ok) throw new Error(r.problems.join("\n"));
    plan = r.plan;
  });

  it("carries no zero position, empty map or empty list the API would drop", () => {
    const dashboards = ofType(plan, "gcp:monitoring/dashboard:Dashboard");
    for (const d of dashboards) {
      const json = JSON.parse(String(d.inputs.dashboardJson));
      expect(defaultsIn(json), d.name).toEqual([]);
      // The tile at the top left keeps its place by leaving its position out (0 is the default).
      expect(json.mosaicLayout.tiles[0]).not.toHaveProperty("xPos");
      expect(json.mosaicLayout.tiles[1]).toMatchObject({ xPos: 6 });
    }
  });
});
