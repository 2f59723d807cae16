import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { REPO_ROOT } from "./repo";

// A group adopts the stack by version: the packed package, the template laid into its own repository
// (with its own Dockerfile), installed from the tarball and planned with the package's command line.
const work = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-adopt-"));
const repo = path.join(work, "group-repo");
const infra = path.join(repo, "infra");
let tarball = "";

const run = (cmd: string, args: string[], cwd: string) => spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });

beforeAll(() => {
  const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: REPO_ROOT, encoding: "utf8" }).trim().split("\n").pop();
  tarball = path.join(work, packed as string);
  fs.mkdirSync(path.join(repo, "dockerfiles"), { recursive: true });
  fs.writeFileSync(path.join(repo, "dockerfiles", "api.dockerfile"), 'FROM python:3.12-slim\nCMD ["python", "-m", "http.server", "8000"]\n');
  // `npx mlops-gcp-stack@VERSION init`, from the tarball: init needs nothing but Node itself.
  fs.mkdirSync(path.join(work, "unpacked"));
  execFileSync("tar", ["xzf", tarball, "-C", path.join(work, "unpacked")]);
  const init = run("node", [path.join(work, "unpacked", "package", "dist", "cli", "cli.js"), "init", "--root", repo], repo);
  if (init.status !== 0) throw new Error(`init failed: ${init.stderr}`);
  const pkgFile = path.join(infra, "package.json");
  const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8"));
  // Before the first release a group depends on a tarball (or a git URL) the same way.
  pkg.dependencies["mlops-gcp-stack"] = `file:${tarball}`;
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  const install = run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], infra);
  if (install.status !== 0) throw new Error(`npm install failed: ${install.stderr}`);
  fs.copyFileSync(path.join(infra, "Pulumi.starter.yaml"), path.join(infra, "Pulumi.group-7.yaml"));
});

// The work folder holds an installed node_modules: removing it takes longer than the default 10 s on a busy machine.
afterAll(() => fs.rmSync(work, { recursive: true, force: true }), 120_000);

describe("a group adopting the packed package and the template", () => {
  it("gets the Pulumi project in infra/, the workflows in .github/workflows, their scripts in .github/scripts and a .dockerignore at its root", () => {
    for (const f of ["infra/Pulumi.yaml", "infra/index.ts", "infra/package.json", "infra/Pulumi.starter.yaml", ".dockerignore"]) {
      expect(fs.existsSync(path.join(repo, f)), f).toBe(true);
    }
    const workflows = fs.readdirSync(path.join(repo, ".github", "workflows")).sort();
    expect(workflows).toEqual(["deploy.yml", "pause.yml", "preview.yml", "teardown.yml", "train.yml"]);
    for (const w of workflows) expect(fs.readFileSync(path.join(repo, ".github", "workflows", w), "utf8")).toMatch(/STACK_DIR: infra$/m);
    for (const s of ["up.sh", "clear-lock.sh", "teardown.sh"]) expect(fs.statSync(path.join(repo, ".github", "scripts", s)).mode & 0o111, s).not.toBe(0);
  });

  it("deploys through the laid script and the installed package's Owner-change check (pulumi stubbed)", () => {
    const laid = YAML.parse(fs.readFileSync(path.join(repo, ".github", "workflows", "deploy.yml"), "utf8"));
    const step = (laid.jobs.deploy.steps as Array<{ run?: string }>).find((s) => s.run?.includes("up.sh"));
    const bin = fs.mkdtempSync(path.join(work, "bin-"));
    const pulumi = `#!/usr/bin/env bash\necho "pulumi $*" >> "${bin}/calls"\nif [[ " $* " == *" --json "* ]]; then echo '{"steps":[]}'; fi\n`;
    fs.writeFileSync(path.join(bin, "pulumi"), pulumi, { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, GITHUB_WORKSPACE: repo, RUNNER_TEMP: bin, STACK: "group-7" };
    const up = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step!.run!], {
      cwd: path.join(repo, laid.defaults.run["working-directory"]),
      env,
      encoding: "utf8",
    });
    expect(up.status, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toContain("group-7: no change needs an Owner");
    expect(fs.readFileSync(path.join(bin, "calls"), "utf8")).toMatch(
      /^pulumi preview --stack group-7 --refresh --json .*\npulumi up --stack group-7 --refresh --yes/,
    );
  });

  it("ships the command line of cli/ as its bin, and none of this repository's generators (tools/)", () => {
    const dist = path.join(work, "unpacked", "package", "dist");
    const shipped = fs
      .readdirSync(path.join(REPO_ROOT, "cli"))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => f.replace(/\.ts$/, ".js"));
    expect(
      fs
        .readdirSync(path.join(dist, "cli"))
        .filter((f) => f.endsWith(".js"))
        .sort(),
    ).toEqual(shipped.sort());
    expect(fs.existsSync(path.join(dist, "tools"))).toBe(false);
    expect(fs.existsSync(path.join(dist, "test"))).toBe(false);
    for (const args of [["--help"], ["plan", "--help"]]) {
      const help = run(path.join(infra, "node_modules", ".bin", "mlops-gcp-stack"), args, infra);
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toMatch(/^usage: mlops-gcp-stack /);
    }
  });

  it("depends on the package version it was laid from", () => {
    const version = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version;
    const laid = fs.readFileSync(path.join(REPO_ROOT, "template", "package.json"), "utf8");
    expect(JSON.parse(laid).dependencies["mlops-gcp-stack"]).toBe(version);
  });

  it("plans the starter stack with the package's CLI, building the group's own Dockerfile", () => {
    const plan = run(path.join(infra, "node_modules", ".bin", "mlops-gcp-stack"), ["plan", "--file", "Pulumi.group-7.yaml", "--json"], infra);
    expect(plan.status, plan.stderr).toBe(0);
    const doc = JSON.parse(plan.stdout);
    expect(doc.stack).toBe("group-7");
    const image = doc.resources.find((r: { type: string; name: string }) => r.type === "docker:index/image:Image" && r.name.includes("backend"));
    expect(image.inputs.build).toMatchObject({ context: "..", dockerfile: "../dockerfiles/api.dockerfile" });
  });

  it("refuses a stack file whose Dockerfile is not in the group's repository, naming the key", () => {
    const file = path.join(infra, "Pulumi.broken.yaml");
    fs.writeFileSync(file, fs.readFileSync(path.join(infra, "Pulumi.starter.yaml"), "utf8").replace("api.dockerfile", "nope.dockerfile"));
    const plan = run(path.join(infra, "node_modules", ".bin", "mlops-gcp-stack"), ["plan", "--file", file], infra);
    expect(plan.status).toBe(2);
    expect(plan.stderr).toContain('mlops:services.backend.image.dockerfile: no Dockerfile at "../dockerfiles/nope.dockerfile"');
  });

  it("compiles the template's index.ts against the package's type declarations", () => {
    const tsc = run(path.join(infra, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", "."], infra);
    expect(tsc.status, tsc.stdout).toBe(0);
  });

  it("serves the policy pack from the installed package, where the laid preview workflow looks for it", () => {
    const preview = fs.readFileSync(path.join(repo, ".github", "workflows", "preview.yml"), "utf8");
    const dir = path.join(infra, /--policy-pack (\S+)/.exec(preview)![1]);
    expect(dir).toBe(path.join(infra, "node_modules", "mlops-gcp-stack", "dist", "policy"));
    expect(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8")).toMatch(/runtime: nodejs/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).main).toBe("index.js");
    const count = run("node", ["-e", `console.log(require(${JSON.stringify(path.join(dir, "pack.js"))}).policies().length)`], infra);
    expect(Number(count.stdout)).toBeGreaterThan(10);
  });
});
