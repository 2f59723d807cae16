import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { projectDirOf, stackFilePath, stackFiles } from "../plan";
import { compareInventory, goldenStacks, inventoryOf, readGolden, regenerateCommand } from "../tools/golden";
import { plannedStackFile } from "./helpers";
import { REPO_ROOT } from "./repo";

// Found, not listed: a stack file a group adds beside Pulumi.yaml is planned and checked like the others.
const files = stackFiles(REPO_ROOT);
/** The reviewed goldens belong to this repository's dev stack and the examples, not to stacks groups add. */
const hasGolden = (f: (typeof files)[number]) => goldenStacks().includes(f.stack);

describe("the stack files in the repository", () => {
  it("include the dev stack at the root and the seed groups' examples", () => {
    expect(files.filter((f) => !f.example).map((f) => f.stack)).toContain("dev");
    expect(files.filter((f) => f.example).length).toBeGreaterThanOrEqual(5);
  });

  describe.each(files.map((f) => [path.relative(REPO_ROOT, f.file), f] as const))("%s", (_, f) => {
    const { stack, file } = f;
    it("validates and plans", async () => {
      const result = await plannedStackFile(file);
      if (!result.ok) throw new Error(`invalid config:\n${result.problems.join("\n")}`);
      expect(result.plan.resources.length).toBeGreaterThan(0);
    });

    it.runIf(hasGolden(f))("matches its reviewed golden inventory", async () => {
      const result = await plannedStackFile(file);
      if (!result.ok) throw new Error(`invalid config:\n${result.problems.join("\n")}`);
      const golden = readGolden(stack);
      if (!golden) throw new Error(`no golden inventory; create it with: ${regenerateCommand(stack)}`);
      const problems = compareInventory(golden, inventoryOf(result.plan));
      if (problems.length) {
        throw new Error(`plan differs from test/golden/${stack}.yaml:\n  ${problems.join("\n  ")}\nIf the change is intended: ${regenerateCommand(stack)}`);
      }
    });

    it("builds every image from a context with a .dockerignore, so nothing stray reaches the builder", async () => {
      const result = await plannedStackFile(file);
      if (!result.ok) throw new Error(result.problems.join("\n"));
      for (const r of result.plan.resources.filter((r) => r.type === "docker:index/image:Image")) {
        const context = (r.inputs.build as { context: string }).context;
        expect(fs.existsSync(path.join(projectDirOf(file), context, ".dockerignore")), `${r.name}: ${context}/.dockerignore`).toBe(true);
      }
    });

    it("labels every resource that takes labels with its group, stack and managed-by", async () => {
      const result = await plannedStackFile(file);
      if (!result.ok) throw new Error(result.problems.join("\n"));
      for (const r of result.plan.resources) {
        // A notification channel's `labels` configure the channel; its resource labels are userLabels.
        const labels = (
          r.type === "gcp:monitoring/notificationChannel:NotificationChannel" ? r.inputs.userLabels : (r.inputs.labels ?? r.inputs.userLabels)
        ) as Record<string, string> | undefined;
        if (labels) expect(labels, r.name).toMatchObject({ group: result.config.group, stack, "managed-by": "pulumi" });
      }
    });
  });
});

describe("the golden comparison", () => {
  it("fails on a changed value, a missing resource, a wrong count, a value that must be absent, a grant or protection gained or lost", async () => {
    const result = await plannedStackFile(stackFilePath("dev", REPO_ROOT));
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const actual = inventoryOf(result.plan);
    const [firstGrant, ...otherGrants] = actual.iam;
    const { "buckets-data": data, ...otherProtected } = actual.protected;
    const problems = compareInventory(
      {
        counts: { "gcp:projects/service:Service": 99, "gcp:compute/instance:Instance": 0 },
        protected: { ...otherProtected, "apis-storage": "mlops:project:Services$gcp:projects/service:Service" },
        iam: [...otherGrants, "allUsers roles/owner on projects my-mlops-project"],
        values: {
          "apis-storage": { disableOnDestroy: true },
          "no-such-resource": { name: "x" },
          "apis-iam": { service: "__missing__" },
        },
        outputs: {},
      },
      actual,
    );
    expect(problems).toEqual([
      `counts.gcp:projects/service:Service: expected 99, got ${actual.counts["gcp:projects/service:Service"]}`,
      "protected: missing apis-storage (mlops:project:Services$gcp:projects/service:Service)",
      `protected: unexpected buckets-data (${data})`,
      "iam: missing allUsers roles/owner on projects my-mlops-project",
      `iam: unexpected ${firstGrant}`,
      "values.apis-storage.disableOnDestroy: expected true, got false",
      'values.no-such-resource: expected {"name":"x"}, got undefined',
      'values.apis-iam.service: expected absent, got "iam.googleapis.com"',
    ]);
  });
});
