/**
 * The deploy, pause and teardown scripts run for real with stand-ins for pulumi, each starting the package's
 * command line (needs-owner, teardown-targets) as a process; and every workflow file checked against
 * GitHub's workflow schema by @action-validator/cli, a process per file.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { exported, PREVIEW, runScript, tmp, urn } from "./ci-scripts-fixtures";
import { REPO_WORKFLOWS, TEMPLATE_WORKFLOWS } from "./workflow-files";

const ROOT = path.resolve(__dirname, "..");

describe("the deploy and pause step (template/scripts/up.sh)", () => {
  // pulumi preview --json prints the sample preview (a change that needs an Owner); every other call succeeds.
  const pulumi = (preview: string) => `if [ "$1" = preview ]; then cat "${preview}"; fi`;
  const ciOnly = path.join(tmp("preview-"), "ci-only.json");
  fs.writeFileSync(ciOnly, JSON.stringify({ steps: [] }));

  it("deploy: applies a change CI may make, and stops before `pulumi up` on one that needs an Owner", () => {
    const ok = runScript("up.sh", ["group-43"], { pulumi: pulumi(ciOnly) });
    expect(ok.code, ok.out).toBe(0);
    expect(ok.calls).toEqual([
      "pulumi preview --stack group-43 --refresh --json --non-interactive",
      "pulumi up --stack group-43 --refresh --yes --non-interactive --color never",
    ]);
    const owner = runScript("up.sh", ["group-43"], { pulumi: pulumi(PREVIEW) });
    expect(owner.code).toBe(1);
    expect(owner.calls.some((c) => c.startsWith("pulumi up"))).toBe(false);
  });

  it("reads a refreshed preview: the services the credit guard deleted come back as creates CI may apply", () => {
    const refreshed = path.join(tmp("preview-"), "refreshed.json");
    const service = urn("gcp:cloudrunv2/service:Service", "backend-service", "mlops:serving:CloudRunService");
    fs.writeFileSync(
      refreshed,
      JSON.stringify({
        steps: [
          { op: "refresh", urn: service },
          { op: "create", urn: service, newState: { type: "gcp:cloudrunv2/service:Service", inputs: {} } },
        ],
      }),
    );
    const run = runScript("up.sh", ["group-43"], { pulumi: pulumi(refreshed) });
    expect(run.code, run.out).toBe(0);
    expect(run.calls.at(-1)).toBe("pulumi up --stack group-43 --refresh --yes --non-interactive --color never");
  });

  it("pause: still removes what costs money when a change needs an Owner (the rest fails alone), and ends red", () => {
    const run = runScript("up.sh", ["group-43", "--pause"], { pulumi: pulumi(PREVIEW) });
    expect(run.code).toBe(1);
    expect(run.calls).toContain("pulumi up --stack group-43 --refresh --yes --non-interactive --color never --continue-on-error");
    expect(run.out).toContain("pausing anyway");
  });
});

describe("the teardown script (template/scripts/teardown.sh)", () => {
  const exportStub = (protect: boolean) => `if [ "$1" = stack ]; then echo '${JSON.stringify({ deployment: { resources: exported(protect) } })}'; fi`;

  it("runs only after the typed confirmation, then destroys exactly the targets", () => {
    const refused = runScript("teardown.sh", ["group-43"], { pulumi: exportStub(false) }, { CONFIRM: "yes" });
    expect(refused.code).toBe(1);
    expect(refused.out).toContain("type exactly: delete group-43 and its data");
    expect(refused.calls).toEqual([]);
    const done = runScript("teardown.sh", ["group-43"], { pulumi: exportStub(false) }, { CONFIRM: "delete group-43 and its data" });
    expect(done.code, done.out).toBe(0);
    expect(done.calls).toEqual([
      "pulumi stack export --stack group-43",
      `pulumi destroy --stack group-43 --yes --non-interactive --color never --target-dependents --target=${urn("gcp:storage/bucket:Bucket", "buckets-data")} --target=${urn("gcp:cloudrunv2/service:Service", "backend-service", "mlops:run:CloudRunService")}`,
    ]);
  });

  it("destroys nothing while the stack is protected, and nothing when no target is left (a destroy without --target would remove all)", () => {
    const env = { CONFIRM: "delete group-43 and its data" };
    const protectedRun = runScript("teardown.sh", ["group-43"], { pulumi: exportStub(true) }, env);
    expect(protectedRun.code).toBe(1);
    expect(protectedRun.out).toContain("group-43 is protected");
    expect(protectedRun.calls).toEqual(["pulumi stack export --stack group-43"]);
    const empty = runScript("teardown.sh", ["group-43"], { pulumi: `echo '{"deployment":{"resources":[]}}'` }, env);
    expect(empty.code).toBe(0);
    expect(empty.calls).toEqual(["pulumi stack export --stack group-43"]);
  });
});

describe("every workflow file", () => {
  const files = [REPO_WORKFLOWS, TEMPLATE_WORKFLOWS].flatMap((dir) =>
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".yml"))
      .map((f) => path.join(dir, f)),
  );
  const validate = (file: string) => spawnSync(path.join(ROOT, "node_modules", ".bin", "action-validator"), [file], { encoding: "utf8" });

  it("covers the template's five and this repository's own", () => {
    expect(files.map((f) => path.relative(ROOT, f)).sort()).toEqual(
      [
        ...["ci", "e2e", "images", "release"].map((n) => `.github/workflows/${n}.yml`),
        ...["deploy", "pause", "preview", "teardown", "train"].map((n) => `template/workflows/${n}.yml`),
      ].sort(),
    );
  });

  it.each(files.map((f) => path.relative(ROOT, f)))("%s is valid against GitHub's workflow schema (@action-validator/cli 0.6.0)", (file) => {
    const run = validate(path.join(ROOT, file));
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });

  it("and the validator rejects a broken one, so the check above means something", () => {
    const bad = path.join(tmp("wf-"), "bad.yml");
    fs.writeFileSync(bad, "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz: []\n");
    expect(validate(bad).status).toBe(1);
  });
});
