/** `mlops-gcp-stack init` from source: what it lays where, for a Pulumi folder of the group's choosing, never overwriting. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { main as init, workflowFor } from "../cli/init";
import { REPO_ROOT, TEMPLATE_SCRIPTS, TEMPLATE_WORKFLOWS } from "./workflow-files";

/** Runs init quietly; returns its exit code and what it printed. */
async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const saved = [process.stdout.write, process.stderr.write];
  const sink = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stdout.write = sink;
  process.stderr.write = sink;
  try {
    return { code: await init(argv), out };
  } finally {
    [process.stdout.write, process.stderr.write] = saved;
  }
}

const workflowNames = fs.readdirSync(TEMPLATE_WORKFLOWS).sort();
const scriptNames = fs.readdirSync(TEMPLATE_SCRIPTS).sort();

describe("init --dir", () => {
  it("points every workflow at the folder: STACK_DIR and the default working-directory, nothing else", () => {
    for (const f of workflowNames) {
      const template = fs.readFileSync(path.join(TEMPLATE_WORKFLOWS, f), "utf8");
      const laid = workflowFor(template, "deploy/gcp");
      const doc = YAML.parse(laid);
      expect(doc.env.STACK_DIR, f).toBe("deploy/gcp");
      expect(doc.defaults.run["working-directory"], f).toBe("deploy/gcp");
      expect(laid, f).not.toMatch(/\binfra\b/);
      expect(
        laid.split("\n").filter((line, i) => line !== template.split("\n")[i]),
        f,
      ).toHaveLength(2);
    }
  });

  it("lays the workflows, the scripts they call (executable) and the project, valid for GitHub", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "init-"));
    const { code, out } = await run(["--root", root, "--dir", "deploy/gcp"]);
    expect(code, out).toBe(0);
    expect(fs.readdirSync(path.join(root, ".github", "workflows")).sort()).toEqual(workflowNames);
    expect(fs.readdirSync(path.join(root, ".github", "scripts")).sort()).toEqual(scriptNames);
    for (const f of scriptNames) {
      const laid = path.join(root, ".github", "scripts", f);
      expect(fs.readFileSync(laid, "utf8")).toBe(fs.readFileSync(path.join(TEMPLATE_SCRIPTS, f), "utf8"));
      expect(fs.statSync(laid).mode & 0o111, f).not.toBe(0);
    }
    expect(fs.existsSync(path.join(root, "deploy", "gcp", "Pulumi.yaml"))).toBe(true);
    for (const f of workflowNames) {
      const laid = path.join(root, ".github", "workflows", f);
      expect(fs.readFileSync(laid, "utf8"), f).toMatch(/^ {2}STACK_DIR: deploy\/gcp$/m);
      const check = spawnSync(path.join(REPO_ROOT, "node_modules", ".bin", "action-validator"), [laid], { encoding: "utf8" });
      expect(check.status, check.stdout + check.stderr).toBe(0);
    }
  });

  it("never overwrites a file the repository has, workflows and scripts included", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "init-"));
    fs.mkdirSync(path.join(root, ".github", "scripts"), { recursive: true });
    fs.writeFileSync(path.join(root, ".github", "scripts", "up.sh"), "# ours\n");
    expect((await run(["--root", root])).code).toBe(0);
    fs.writeFileSync(path.join(root, ".github", "workflows", "deploy.yml"), "# ours too\n");
    const again = await run(["--root", root]);
    expect(again.code).toBe(0);
    expect(again.out).not.toContain("wrote");
    expect(again.out).toContain("kept    .github/scripts/up.sh (exists; compare it with template/scripts/up.sh");
    expect(fs.readFileSync(path.join(root, ".github", "scripts", "up.sh"), "utf8")).toBe("# ours\n");
    expect(fs.readFileSync(path.join(root, ".github", "workflows", "deploy.yml"), "utf8")).toBe("# ours too\n");
  });

  it("refuses a folder outside the repository, or one that would not be plain YAML", async () => {
    for (const dir of ["../infra", "/infra", "my infra", "infra: x"]) {
      const { code, out } = await run(["--root", fs.mkdtempSync(path.join(os.tmpdir(), "init-")), "--dir", dir]);
      expect(code, dir).toBe(2);
      expect(out, dir).toContain("must be a folder inside the repository");
    }
  });
});
