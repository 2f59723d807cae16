import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { StackConfigSchema, costAssumptions } from "../config";
import { planCost } from "../plan";
import { RULES } from "../policy/rules";
import { CONFIG_DOC, configDoc } from "../tools/config-docs";
import { regenerate, staleTables, withBlock } from "../tools/doc-tables";
import { planFile } from "./helpers";
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
    // A line of code, not of a comment, that runs each (through the run's stage function).
    expect(ci).toMatch(/^[^#\n]*\bnpm ci --no-audit --no-fund\b/m);
    expect(ci).toMatch(/^[^#\n]*\bnpm test(?: \|\||$)/m);
    expect(readme).toContain("npm ci\nnpm test\n");
  });
});

describe("npm run check:cycles", () => {
  it("reads every folder of the project's TypeScript (tsconfig.json) and nothing else, so no build output in dist/", () => {
    const script: string = JSON.parse(read("package.json")).scripts["check:cycles"];
    const sources = script.split(" --ts-config tsconfig.json ")[1].split(" ").sort();
    const included = (JSON.parse(read("tsconfig.json")).include as string[]).map((p) => p.replace(/\/\*\*\/\*\.ts$/, "")).sort();
    expect(sources).toEqual(included);
  });
});

describe("links in the README and docs/", () => {
  const files = [
    "README.md",
    "CHANGELOG.md",
    ...fs
      .readdirSync(path.join(REPO_ROOT, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
  it.each(files)("%s points only at files of this repository that exist", (file) => {
    const text = read(file);
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/.test(t));
    for (const target of targets) expect(fs.existsSync(path.join(REPO_ROOT, path.dirname(file), target)), `${file} → ${target}`).toBe(true);
    expect(text).not.toMatch(/\.\.\/shared|GROUPS\.md|DESIGN\.md|REFERENCE\.md/);
  });
});

describe("the tables in docs/ that state what the code decides", () => {
  it("are what tools/doc-tables.ts generates: the policy rules (docs/security.md), group 140's and dev's cost (docs/monitoring.md)", async () => {
    expect(await staleTables(), `regenerate with ${regenerate}`).toEqual([]);
  });

  it("list every rule with its reason, reference and level, and the estimate's totals", async () => {
    const security = fs.readFileSync(path.join(REPO_ROOT, "docs", "security.md"), "utf8");
    for (const rule of RULES) expect(security).toContain(`| \`${rule.name}\` | ${rule.why} | ${rule.reference ?? "—"} | ${rule.level} |`);
    const g140 = await planFile("group-140");
    const cost = planCost(g140.plan, g140.config.region, costAssumptions(g140.config));
    expect(fs.readFileSync(path.join(REPO_ROOT, "docs", "monitoring.md"), "utf8")).toContain(
      `**idle $${cost.idleMonthlyUsd.toFixed(2)} / month, active $${cost.activeHourlyUsd.toFixed(2)} / hour**`,
    );
  });

  it("go stale when the code changes: a block that differs is named", () => {
    const page = "intro\n<!-- begin generated: t (npm run doc-tables -- --write) -->\nold\n<!-- end generated: t -->\noutro\n";
    expect(withBlock(page, "t", "new")).toBe(page.replace("old", "new"));
    expect(withBlock(page, "t", "old")).toBe(page);
    expect(() => withBlock("no markers", "t", "x")).toThrow(/no "<!-- begin generated: t/);
  });
});
