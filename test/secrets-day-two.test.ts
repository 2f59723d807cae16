/**
 * Secrets after the first deploy: a workload's first secret, a rotation, and the metrics sidecar's config
 * through a pause, read from the plan as Pulumi and ci-deploy would meet them.
 */
import { describe, expect, it } from "vitest";
import { SecretValue } from "../config";
import { byName, ofType, planOf, problemsOf } from "./helpers";

const SECRET = "gcp:secretmanager/secret:Secret";
const VERSION = "gcp:secretmanager/secretVersion:SecretVersion";
const backend = { port: 8000, secrets: ["WANDB_API_KEY"] };

describe("a workload's secrets", () => {
  it("refuses a service or a training run that lists a secret without a value, naming the command that sets it", () => {
    const problems = problemsOf({
      "mlops:secrets": ["WANDB_API_KEY"],
      "mlops:services": { backend },
      "mlops:training": { kind: "vm", secrets: ["WANDB_API_KEY"] },
    });
    expect(problems).toEqual([
      "mlops:training.secrets[0]: secret WANDB_API_KEY has no value yet; set it first with `pulumi config set --secret WANDB_API_KEY <value>` (a workload cannot start without it), or remove it from mlops:training.secrets",
      "mlops:services.backend.secrets[0]: secret WANDB_API_KEY has no value yet; set it first with `pulumi config set --secret WANDB_API_KEY <value>` (a workload cannot start without it), or remove it from mlops:services.backend.secrets",
    ]);
    // Declared and not yet used is fine: the secret exists, a value follows.
    expect(problemsOf({ "mlops:secrets": ["WANDB_API_KEY"] })).toEqual([]);
    expect(problemsOf({ "mlops:secrets": ["WANDB_API_KEY"], "mlops:WANDB_API_KEY": new SecretValue("v"), "mlops:services": { backend } })).toEqual([]);
  });

  it("pins the version created from the value, and protects the secret but never its versions, so a new value is a replacement Pulumi allows", async () => {
    const plan = await planOf({ "mlops:secrets": ["WANDB_API_KEY"], "mlops:WANDB_API_KEY": new SecretValue("v1"), "mlops:services": { backend } });
    expect(ofType(plan, SECRET).map((r) => [r.name, r.protect])).toEqual([["secrets-WANDB_API_KEY", true]]);
    expect(ofType(plan, VERSION).map((r) => [r.name, r.protect])).toEqual([["secrets-WANDB_API_KEY-version", false]]);
    const template = byName(plan, "backend-service").inputs.template as {
      containers: Array<{ envs: Array<{ name: string; valueSource?: { secretKeyRef: { version: string } } }> }>;
    };
    const env = template.containers[0].envs.find((e) => e.name === "WANDB_API_KEY");
    expect(env?.valueSource?.secretKeyRef.version).toMatch(/^\d+$/);
    expect(byName(plan, "backend-service").dependsOn).toContain("secrets-WANDB_API_KEY-version");
  });
});

describe("the metrics sidecar's config", () => {
  const raw = { "mlops:github": { repository: "owner/repo" }, "mlops:services": { api: { port: 8000, metrics: { port: 8000 } } } };

  it("is a secret of the stack: kept through a pause, administered by ci-deploy on that secret, waiting for the Secret Manager API", async () => {
    for (const paused of [false, true]) {
      const plan = await planOf({ ...raw, "mlops:paused": paused });
      const secret = byName(plan, "secrets-api-rungmp");
      expect(secret.inputs.secretId).toBe("g140-api-rungmp");
      expect(secret.dependsOn).toContain("apis-secretmanager");
      expect(byName(plan, "secrets-api-rungmp-version").protect).toBe(false);
      expect(byName(plan, "secrets-api-rungmp-api").inputs.member).toBe("serviceAccount:g140-api@dtu-mlops-140.iam.gserviceaccount.com");
      // What a pause (or a teardown) changes here, ci-deploy may: admin on this very secret, deleted with it.
      const admin = byName(plan, "secrets-api-rungmp-ci-deploy-admin");
      expect(admin.inputs).toMatchObject({ role: "roles/secretmanager.admin", member: "serviceAccount:g140-ci-deploy@dtu-mlops-140.iam.gserviceaccount.com" });
      expect(admin.deletedWith).toBe("secrets-api-rungmp");
      expect(
        plan.resources.some((r) => r.type === "gcp:cloudrunv2/service:Service"),
        `paused: ${paused}`,
      ).toBe(!paused);
    }
  });

  it("answers to its old names under the service, so a deployed stack keeps it instead of creating it twice", async () => {
    const plan = await planOf(raw);
    expect(byName(plan, "secrets-api-rungmp").aliases).toEqual(["api-rungmp"]);
    expect(byName(plan, "secrets-api-rungmp-version").aliases).toEqual(["api-rungmp-version"]);
    expect(byName(plan, "secrets-api-rungmp-api").aliases).toEqual(["api-rungmp-access"]);
    // ci-deploy's admin on it was the CI component's child until 0.3.0.
    const admin = byName(plan, "secrets-api-rungmp-ci-deploy-admin");
    expect([admin.parent, admin.aliases, admin.aliasParents]).toEqual([
      "secrets",
      ["github-deploy-secret-api-rungmp"],
      { "github-deploy-secret-api-rungmp": "urn:pulumi:group-140::mlops::mlops:ci:GithubCi::github" },
    ]);
  });
});
