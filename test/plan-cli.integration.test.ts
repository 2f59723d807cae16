import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./repo";

const tsx = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");

function plan(...args: string[]) {
  const run = spawnSync(tsx, ["cli/plan.ts", ...args], { cwd: REPO_ROOT, encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run plan", () => {
  it("prints one JSON document of the documented shape (docs/plan.md)", () => {
    const run = plan("--stack", "group-140", "--json");
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(Object.keys(doc)).toEqual(["stack", "resources", "outputs", "cost", "violations"]);
    expect(doc.violations).toEqual([]);
    expect(Object.keys(doc.cost)).toEqual(["idleMonthlyUsd", "activeHourlyUsd", "items"]);
    for (const item of doc.cost.items) expect(Object.keys(item)).toEqual(["resource", "kind", "usd", "basis"]);
    expect(doc.stack).toBe("group-140");
    for (const r of doc.resources) {
      expect(Object.keys(r).filter((k) => k !== "deletedWith" && k !== "aliases" && k !== "aliasParents")).toEqual([
        "urn",
        "type",
        "name",
        "parent",
        "protect",
        "dependsOn",
        "inputs",
      ]);
      expect(r.urn).toMatch(new RegExp(`^urn:pulumi:group-140::[^:]+::(.+\\$)?${r.type.replace(/[$.]/g, "\\$&")}::${r.name.replace(/[.$]/g, "\\$&")}$`));
      for (const d of r.dependsOn)
        expect(
          doc.resources.map((x: { name: string }) => x.name),
          `${r.name} depends on ${d}`,
        ).toContain(d);
    }
    expect(doc.resources.find((r: { name: string }) => r.name === "buckets-data-ci-deploy-admin").deletedWith).toBe("buckets-data");
    expect(doc.resources.map((r: { type: string }) => r.type)).toContain("gcp:projects/service:Service");
    expect(doc.outputs.project).toBe("dtu-mlops-140");
  });

  it("prints the workloads, then a tree grouped by component, for people", () => {
    const run = plan("--file", path.join(REPO_ROOT, "Pulumi.dev.yaml"));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^stack dev {2}\(project my-mlops-project, region europe-west1\)\n\nservices:\n {2}backend {2}private {2}port 8080/);
    expect(run.stdout).toMatch(/\n {4}callers: {2}frontend\n {4}env: {6}MODELS_BUCKET, PREDICTIONS_BUCKET\n/);
    expect(run.stdout).toMatch(/\nresources by component:\n {2}apis {2}\(mlops:project:Services\)\n {4}apis-aiplatform .*service=aiplatform\.googleapis\.com/);
  });

  it("exits 2 on a stack file with three mistakes, one line per mistake on stderr (and in --html), nothing on stdout", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
    const file = path.join(dir, "Pulumi.broken.yaml");
    fs.writeFileSync(
      file,
      [
        "config:",
        "  gcp:project: Dtu_Mlops",
        "  gcp:region: europe-west1",
        "  mlops:protectData: maybe",
        "  mlops:github: { repository: just-a-name }",
        "",
      ].join("\n"),
    );
    const html = path.join(dir, "plan.html");
    const run = plan("--file", file, "--html", html);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    // The page lists the same problems, highlighted, and draws nothing.
    const page = fs.readFileSync(html, "utf8");
    expect(page.match(/<div class="problem">/g)).toHaveLength(3);
    expect(page).not.toContain('id="diagram"');
    const lines = run.stderr
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("npm warn"));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^gcp:project: /);
    expect(lines[1]).toMatch(/^mlops:github\.repository: /);
    expect(lines[2]).toMatch(/^mlops:protectData: must be true or false/);
  });

  it("exits 2 with a usage line when neither --stack nor --file is given, or the file is missing", () => {
    expect(plan().code).toBe(2);
    const missing = plan("--stack", "no-such-stack");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Pulumi\.no-such-stack\.yaml: cannot read the stack file/);
    expect(missing.stdout).toBe("");
  });
});

describe("a change to the code that breaks a rule", () => {
  it("makes `npm run plan` exit 3 after printing the plan, with that rule's message", () => {
    // A copy of the program with publicAccessPrevention removed from the buckets, run like `npm run plan`.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-policy-"));
    for (const entry of fs.readdirSync(REPO_ROOT)) {
      if (entry === ".git" || entry === "node_modules") continue;
      fs.cpSync(path.join(REPO_ROOT, entry), path.join(copy, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(copy, "node_modules"));
    const storage = path.join(copy, "components", "storage.ts");
    const source = fs.readFileSync(storage, "utf8");
    expect(source).toContain('publicAccessPrevention: "enforced",');
    fs.writeFileSync(storage, source.replace('publicAccessPrevention: "enforced",', ""));

    const run = spawnSync(tsx, ["cli/plan.ts", "--stack", "dev", "--json"], { cwd: copy, encoding: "utf8" });
    expect(run.status).toBe(3);
    const doc = JSON.parse(run.stdout);
    expect(doc.resources.length).toBeGreaterThan(0);
    expect(doc.violations).toContainEqual({
      policy: "bucket-public-access-prevention",
      resource: "buckets-data",
      level: "mandatory",
      message: 'bucket buckets-data must set publicAccessPrevention: "enforced" (it is "unset")',
    });
  });
});
