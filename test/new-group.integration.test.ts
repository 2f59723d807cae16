/** `npm run new-group -- --roster` as a TA runs it, a process of its own, on a course of 150 groups. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

import { rosterOf } from "../tools/bench";
import { planWrittenStackFile } from "./helpers";
import { REPO_ROOT } from "./repo";

const tsx = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");

describe("npm run new-group -- --roster, as a process", () => {
  it("writes 150 stack files for a roster of 150 groups, each planned by the tool before it is written; the first, a middle and the last plan again here", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "new-group-"));
    fs.writeFileSync(path.join(dir, "roster.csv"), rosterOf(150));
    const run = spawnSync(tsx, [path.join(REPO_ROOT, "cli", "new-group.ts"), "--roster", "roster.csv", "--out", dir], {
      cwd: dir,
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr.split("\n").filter((l) => l && !l.startsWith("npm warn") && !l.startsWith("warning: "))).toEqual([]);
    expect(fs.readdirSync(dir).filter((f) => /^Pulumi\..+\.yaml$/.test(f))).toHaveLength(150);
    for (const n of [1, 75, 150]) await planWrittenStackFile(path.join(dir, `Pulumi.group-${n}.yaml`));
  });
});
