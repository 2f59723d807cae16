import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { StackConfigSchema, costAssumptions } from "../config";
import { CONFIG_DOC, configDoc } from "../tools/config-docs";

import { plannedStackFile } from "./helpers";
import { REPO_ROOT } from "./repo";

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");

describe("Pulumi.yaml", () => {
  const project = YAML.parse(read("Pulumi.yaml"));
  const pkg = JSON.parse(read("package.json"));

  it("names the project mlops on the nodejs runtime with index.ts", () => {
    expect(project.name).toBe("mlops");
    expect(project.runtime.name).toBe("nodejs");
    expect(project.main).toBe("index.ts");
  });

  it("requires the Pulumi version of the pinned SDK", () => {
    expect(pkg.dependencies["@pulumi/pulumi"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(project.requiredPulumiVersion).toBe(`>=${pkg.dependencies["@pulumi/pulumi"]} <4.0.0`);
  });

  it("declares each scalar project key with the default and description of config.ts", () => {
    const shape = StackConfigSchema.shape as Record<string, { parse(v: unknown): unknown; description?: string }>;
    expect(Object.keys(project.config).sort()).toEqual(["paused", "protectData"]);
    for (const [key, decl] of Object.entries(project.config as Record<string, { type: string; default: unknown; description: string }>)) {
      const schema = shape[`mlops:${key}`];
      expect(schema, key).toBeDefined();
      expect(schema.parse(undefined), key).toBe(decl.default);
      expect(typeof decl.default).toBe(decl.type);
      expect(decl.description).toBe(schema.description);
    }
  });
});

describe("package.json", () => {
  it("pins every dependency to an exact version", () => {
    const pkg = JSON.parse(read("package.json"));
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      expect(version, name).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });
});

describe("README", () => {
  const readme = read("README.md");

  it("is a front door: at most 300 lines, none over 400 characters", () => {
    const lines = readme.split("\n");
    expect(lines.length).toBeLessThanOrEqual(300);
    expect(lines.filter((l) => l.length > 400)).toEqual([]);
  });

  it("links the config reference, which is generated from the schema and current (npm run config-docs -- --write)", () => {
    expect(readme).toContain("(docs/config.md)");
    expect(fs.readFileSync(CONFIG_DOC, "utf8")).toBe(configDoc());
  });

  it("names the test command that .ci/run runs", () => {
    const ci = read(".ci/run");
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
    expect(readme).toContain("npm ci\nnpm test\n");
  });
});

describe("links in the README and docs/", () => {
  const files = ["README.md", "CHANGELOG.md", ...fs.readdirSync(path.join(REPO_ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  it.each(files)("%s points only at files of this repository that exist", (file) => {
    const text = read(file);
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/.test(t));
    for (const target of targets) expect(fs.existsSync(path.join(REPO_ROOT, path.dirname(file), target)), `${file} → ${target}`).toBe(true);
    expect(text).not.toMatch(/\.\.\/shared|GROUPS\.md|DESIGN\.md|REFERENCE\.md/);
  });
});

describe("docs/monitoring.md's cost table", () => {
  it("states the totals the estimator computes for group 140 and dev", async () => {
    const { planCost, stackFilePath } = await import("../plan");
    const readme = fs.readFileSync(path.join(REPO_ROOT, "docs", "monitoring.md"), "utf8");
    const g140 = await plannedStackFile(stackFilePath("group-140", REPO_ROOT));
    const dev = await plannedStackFile(stackFilePath("dev", REPO_ROOT));
    if (!g140.ok || !dev.ok) throw new Error("stack files must plan");
    const c = planCost(g140.plan, g140.config.region, costAssumptions(g140.config));
    expect(readme).toContain(`**idle $${c.idleMonthlyUsd.toFixed(2)} / month, active $${c.activeHourlyUsd.toFixed(2)} / hour**`);
    expect(readme).toContain(`The \`dev\` stack idles at $${planCost(dev.plan, dev.config.region, costAssumptions(dev.config)).idleMonthlyUsd.toFixed(2)} a month`);
  });
});

describe("docs/security.md", () => {
  it("has a row per policy rule with its reason, CIS/Checkov reference and level", async () => {
    const { RULES } = await import("../policy/rules");
    const readme = fs.readFileSync(path.join(REPO_ROOT, "docs", "security.md"), "utf8");
    for (const rule of RULES) expect(readme).toContain(`| \`${rule.name}\` | ${rule.why} | ${rule.reference ?? "—"} | ${rule.level} |`);
  });
});
