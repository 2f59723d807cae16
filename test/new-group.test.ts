import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { regionOfZone } from "../lib/gcp";
import { zonesOf, type GpuType } from "../lib/gpus";
import { main } from "../cli/new-group";
import { planWrittenStackFile as plan } from "./helpers";

/** The same command in this process (its entry point, main), for the cases that need no process of their own. */
async function newGroup(dir: string, ...args: string[]) {
  if (!dir.startsWith(os.tmpdir())) throw new Error(`${dir} is not a temporary folder`);
  let stdout = "";
  let stderr = "";
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const code = await main([...args, "--out", dir], { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
    return { code, stdout, stderr, problems: problemLines(stderr) };
  } finally {
    process.chdir(cwd);
  }
}

const problemLines = (stderr: string) => stderr.split("\n").filter((l) => l && !l.startsWith("npm warn") && !l.startsWith("warning: "));

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "new-group-"));
const stackFiles = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
    .sort();
const configIn = (file: string) => (YAML.parse(fs.readFileSync(file, "utf8")) as { config: Record<string, any> }).config;

describe("npm run new-group", () => {
  it("writes Pulumi.group-N.yaml that plans: project, region, group, repository, course label, a public backend and a frontend that finds it", async () => {
    const dir = tempDir();
    const run = await newGroup(dir, "--group", "7", "--project", "dtu-mlops-7", "--repo", "alice/mlops-7", "--email", "group7@example.org");
    expect(run.code, run.stderr).toBe(0);
    expect(stackFiles(dir)).toEqual(["Pulumi.group-7.yaml"]);
    const file = path.join(dir, "Pulumi.group-7.yaml");
    expect(fs.readFileSync(file, "utf8")).toMatch(/^# Group 7 /);
    const config = configIn(file);
    expect(config).toMatchObject({
      "gcp:project": "dtu-mlops-7",
      "gcp:region": "europe-west1",
      "mlops:group": "7",
      "mlops:github": { repository: "alice/mlops-7" },
      "mlops:labels": { course: "dtu-02476" },
      "mlops:alerts": { emails: ["group7@example.org"] },
      "mlops:services": { backend: { public: true }, frontend: { public: true, env: { BACKEND_URL: "${services.backend.url}" } } },
    });
    expect(config["mlops:training"]).toBeUndefined();
    expect(config["mlops:services"].backend.image).toBeUndefined();

    const planned = await plan(file);
    expect(planned.resources.filter((r) => r.type === "gcp:compute/instance:Instance")).toEqual([]);
    const services = planned.resources.filter((r) => r.type === "gcp:cloudrunv2/service:Service");
    expect(services.map((s) => s.inputs.name).sort()).toEqual(["g7-backend", "g7-frontend"]);
    const frontend = services.find((s) => s.inputs.name === "g7-frontend") as any;
    expect(frontend.inputs.template.containers[0].envs).toContainEqual({ name: "BACKEND_URL", value: (planned.outputs.serviceUrls as any).backend });
    expect(frontend.inputs.template.containers[0].image).toMatch(/^us-docker\.pkg\.dev\/cloudrun\/container\/hello@sha256:/);
    expect(planned.outputs.workloadIdentityProvider).toBeDefined();
  });

  it("picks the GPU's machine family (N1 for T4, G2 for L4, A2 for A100), spot with a GPU, and no standing VM", async () => {
    const dir = tempDir();
    const cases = [
      { group: "t4", region: "europe-west4", training: "vm", gpu: "nvidia-tesla-t4", machineType: "n1-standard-4" },
      { group: "l4", region: "europe-west1", training: "vm", gpu: "nvidia-l4", machineType: "g2-standard-4" },
      { group: "a100", region: "us-central1", training: "vm", gpu: "nvidia-tesla-a100", machineType: "a2-highgpu-1g" },
      { group: "cpu", region: "europe-west1", training: "vm", gpu: "", machineType: "n1-standard-4" },
      { group: "vertex", region: "europe-west1", training: "vertex", gpu: "nvidia-l4", machineType: "g2-standard-4" },
    ];
    fs.writeFileSync(
      path.join(dir, "roster.csv"),
      [
        "group,project,repo,email,region,training,gpu",
        ...cases.map((c) => `${c.group},dtu-mlops-${c.group},team/${c.group},${c.group}@example.org,${c.region},${c.training},${c.gpu}`),
      ].join("\n"),
    );
    const run = await newGroup(dir, "--roster", "roster.csv");
    expect(run.code, run.stderr).toBe(0);
    for (const c of cases) {
      const file = path.join(dir, `Pulumi.group-${c.group}.yaml`);
      const training = configIn(file)["mlops:training"];
      expect(training, c.group).toMatchObject({ kind: c.training, machineType: c.machineType });
      expect(training.gpu, c.group).toEqual(c.gpu ? { type: c.gpu, count: 1 } : undefined);
      expect(training.spot, c.group).toBe(c.gpu ? true : undefined);
      expect(training.zone, c.group).toBeUndefined();
      const planned = await plan(file);
      expect(
        planned.resources.some((r) => r.type === "gcp:compute/instance:Instance"),
        c.group,
      ).toBe(false);
      expect(planned.outputs.trainCommand, c.group).toBe(`npx mlops-gcp-stack train --stack group-${c.group}`);
      if (c.training === "vm") {
        const spec = planned.outputs.batchJobSpec as { allocationPolicy: { location: { allowedLocations: string[] }; instances: Array<{ policy: object }> } };
        const zones = spec.allocationPolicy.location.allowedLocations.map((l) => l.replace(/^zones\//, ""));
        if (c.gpu) for (const z of zones) expect([zonesOf(c.gpu as GpuType).includes(z), regionOfZone(z)], c.group).toEqual([true, c.region]);
        expect(spec.allocationPolicy.instances[0].policy, c.group).toMatchObject({
          machineType: c.machineType,
          provisioningModel: c.gpu ? "SPOT" : "STANDARD",
        });
      }
    }
  });

  it("never overwrites an existing file: exit 1, a message, the file untouched", async () => {
    const dir = tempDir();
    const args = ["--group", "7", "--project", "dtu-mlops-7", "--email", "g7@example.org", "--repo", "alice/mlops-7"];
    expect((await newGroup(dir, ...args)).code).toBe(0);
    const file = path.join(dir, "Pulumi.group-7.yaml");
    const edited = `${fs.readFileSync(file, "utf8")}  mlops:paused: true\n`;
    fs.writeFileSync(file, edited);
    const again = await newGroup(dir, ...args.slice(0, 6), "--repo", "dave/other", "--training", "vm");
    expect(again.code).toBe(1);
    expect(again.problems).toEqual([`${file} already exists; not overwritten. Edit it, or delete it and run this again.`]);
    expect(fs.readFileSync(file, "utf8")).toBe(edited);
    expect(stackFiles(dir)).toEqual(["Pulumi.group-7.yaml"]);
  });

  it("exits 2 on invalid input, one line per problem naming its key or option, and writes nothing", async () => {
    const dir = tempDir();
    const run = await newGroup(dir, "--group", "8", "--project", "Bad_Project", "--repo", "not-a-repo", "--email", "g8@example.org", "--training", "gpu");
    expect(run.code).toBe(2);
    expect(run.problems).toEqual([
      expect.stringMatching(/^gcp:project: is not a valid project id/),
      expect.stringMatching(/^mlops:github\.repository: must be a GitHub repository as owner\/name/),
      expect.stringMatching(/^mlops:training\.kind: must be vm .*, vertex .* or none$/),
    ]);
    expect(run.stdout).toBe("");

    const missing = await newGroup(dir, "--project", "dtu-mlops-8", "--gpu", "nvidia-tesla-t4");
    expect(missing.code).toBe(2);
    expect(missing.problems).toEqual([
      "mlops:group: is required; give it with --group",
      "mlops:github.repository: is required; give it with --repo",
      "mlops:alerts.emails: is required; give it with --email",
      "mlops:training.gpu: a GPU needs training vm or vertex; add --training vm",
    ]);
    expect(stackFiles(dir)).toEqual([]);
  });

  it("--roster: writes the good rows, reports every bad row by line number and key, writes nothing for them, exits 2", async () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, "roster.csv"),
      [
        "group,project,repo,email,region,training,gpu", // line 1
        "1,dtu-mlops-001,team1/project,g1@example.org,,vm,nvidia-tesla-t4", // 2: good
        "2,dtu-mlops-002,not a repo,g2@example.org,,,", // 3: bad repository
        "3,dtu-mlops-003,team3/project,g3@example.org;ta@example.org,europe-west1,vertex", // 4: good, two emails, trailing cells omitted
        "4,Bad_Project,team4/project,g4@example.org,europe-west1,vm,nvidia-tesla-p5", // 5: bad project and GPU
        "", // 6: blank
        "# 5 left the course", // 7: comment
        "6,dtu-mlops-006,team6/project,g6@example.org,europe-west1,vm,nvidia-tesla-v100", // 8: no V100 in europe-west1
        "7,dtu-mlops-007,team7/project,g7@example.org", // 9: good
        "8,dtu-mlops-008,team8/project,g8@example.org,,none,nvidia-tesla-t4", // 10: a GPU without training
        "9,dtu-mlops-009,team9/project,g9@example.org", // 11: group 9 twice
        "9,dtu-mlops-010,team10/project,g10@example.org", // 12
        "",
      ].join("\n"),
    );
    const run = await newGroup(dir, "--roster", "roster.csv");
    expect(run.code).toBe(2);
    expect(run.problems).toEqual([
      expect.stringMatching(/^roster\.csv:3: mlops:github\.repository: must be a GitHub repository/),
      expect.stringMatching(/^roster\.csv:5: gcp:project: is not a valid project id/),
      expect.stringMatching(/^roster\.csv:5: mlops:training\.gpu\.type: must be one of nvidia-tesla-t4, /),
      "roster.csv:8: mlops:training.gpu.type: no zone of europe-west1 offers nvidia-tesla-v100; choose another GPU, or a region that has it: asia-east1, europe-west4, us-central1, us-east1, us-west1",
      "roster.csv:10: mlops:training.gpu: a GPU needs training vm or vertex; set the training column to vm",
      "roster.csv:11: mlops:group: group 9 is on lines 11, 12; one row per group",
      "roster.csv:12: mlops:group: group 9 is on lines 11, 12; one row per group",
    ]);
    expect(stackFiles(dir)).toEqual(["Pulumi.group-1.yaml", "Pulumi.group-3.yaml", "Pulumi.group-7.yaml"]);
    expect(run.stdout).toMatch(/^9 rows: 3 written, 0 unchanged, 0 not overwritten, 6 with problems/m);
  });

  it("--roster run again: files it wrote stay as they are, a file with other content is reported and kept, exit 1", async () => {
    const dir = tempDir();
    const roster = path.join(dir, "groups.csv");
    fs.writeFileSync(roster, "group,project,repo,email\n1,dtu-mlops-001,team1/project,g1@example.org\n2,dtu-mlops-002,team2/project,g2@example.org\n");
    expect((await newGroup(dir, "--roster", roster)).code).toBe(0);
    expect((await newGroup(dir, "--roster", roster)).stdout).toMatch(/^2 rows: 0 written, 2 unchanged/m);
    const edited = path.join(dir, "Pulumi.group-2.yaml");
    fs.appendFileSync(edited, "  mlops:paused: true\n");
    const before = fs.readFileSync(edited, "utf8");
    const run = await newGroup(dir, "--roster", roster);
    expect(run.code).toBe(1);
    expect(run.problems).toEqual([`${roster}:3: ${edited} already exists with other content; not overwritten`]);
    expect(fs.readFileSync(edited, "utf8")).toBe(before);
  });

  it("--roster: a header without the required columns is refused before any row", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "roster.csv"), "group,project,repository\n1,dtu-mlops-001,team1/project\n");
    const run = await newGroup(dir, "--roster", "roster.csv");
    expect(run.code).toBe(2);
    expect(run.problems).toEqual([
      'roster.csv:1: unknown column "repository"; the columns are group,project,repo,email,region,training,gpu,repository_id,owner_id',
      'roster.csv:1: missing column "repo"; the header row is group,project,repo,email,region,training,gpu,repository_id,owner_id',
      'roster.csv:1: missing column "email"; the header row is group,project,repo,email,region,training,gpu,repository_id,owner_id',
    ]);
    expect(stackFiles(dir)).toEqual([]);
  });
});
