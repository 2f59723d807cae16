import { describe, expect, it } from "vitest";
import { requiredApis, type ApiFeatures } from "../components/project-services";
import { parseStackConfig } from "../config";
import { planConfig } from "../plan";

function configOf(raw: Record<string, unknown>) {
  const parsed = parseStackConfig({ "gcp:project": "dtu-mlops-140", ...raw }, "group-140");
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  return parsed.config;
}

async function enabledApis(raw: Record<string, unknown>): Promise<string[]> {
  const plan = await planConfig(configOf(raw));
  return plan.resources
    .filter((r) => r.type === "gcp:projects/service:Service")
    .map((r) => String(r.inputs.service))
    .sort();
}

describe("project services", () => {
  it("enable the data and identity APIs for a stack without CI access, and nothing else", async () => {
    expect(await enabledApis({})).toEqual([
      "artifactregistry.googleapis.com",
      "cloudresourcemanager.googleapis.com",
      "iam.googleapis.com",
      "serviceusage.googleapis.com",
      "storage.googleapis.com",
    ]);
  });

  it("add Secret Manager only when the config declares secrets", async () => {
    expect(await enabledApis({})).not.toContain("secretmanager.googleapis.com");
    expect(await enabledApis({ "mlops:secrets": ["WANDB_API_KEY"] })).toContain("secretmanager.googleapis.com");
  });

  it("add the token exchange and impersonation APIs when GitHub Actions may deploy", async () => {
    const apis = await enabledApis({ "mlops:github": { repository: "owner/repo" } });
    expect(apis).toContain("sts.googleapis.com");
    expect(apis).toContain("iamcredentials.googleapis.com");
  });

  it("stay enabled on destroy and never disable dependent services", async () => {
    const plan = await planConfig(configOf({}));
    const services = plan.resources.filter((r) => r.type === "gcp:projects/service:Service");
    expect(services.length).toBeGreaterThan(0);
    for (const s of services) {
      expect(s.inputs).toMatchObject({ project: "dtu-mlops-140", disableOnDestroy: false, disableDependentServices: false });
      expect(s.parent).toBe("apis");
    }
  });

  it("are planned stack after stack in one process without leaking resources between plans", async () => {
    const first = await planConfig(configOf({ "mlops:github": { repository: "owner/repo" } }));
    const second = await planConfig(configOf({}));
    expect(first.resources.some((r) => r.name === "github-pool")).toBe(true);
    expect(second.resources.some((r) => r.name.startsWith("github"))).toBe(false);
    expect(new Set(second.resources.map((r) => r.name)).size).toBe(second.resources.length);
  });
});

describe("the monitoring API", () => {
  it("is enabled whenever the stack creates anything in Cloud Monitoring, and waited for", async () => {
    expect(await enabledApis({})).not.toContain("monitoring.googleapis.com");
    const plan = await planConfig(configOf({ "mlops:alerts": { emails: ["a@example.org"] } }));
    expect(plan.resources.map((r) => r.inputs.service)).toContain("monitoring.googleapis.com");
    const channel = plan.resources.find((r) => r.type === "gcp:monitoring/notificationChannel:NotificationChannel");
    expect(channel?.dependsOn).toContain("apis-monitoring");
  });
});

describe("requiredApis, from what a stack uses and not from its config", () => {
  const none: ApiFeatures = { githubCi: false, secrets: false, services: false, alertEmails: false, budget: false };

  it("adds Compute Engine, Batch and Logging for VM runs, Vertex AI alone for a Vertex job, and no monitoring for either", () => {
    const vm = requiredApis({ ...none, training: "vm" });
    expect(vm).toEqual(expect.arrayContaining(["compute", "batch", "logging"]));
    expect(vm).not.toContain("monitoring");
    const vertex = requiredApis({ ...none, training: "vertex" });
    expect(vertex).toContain("aiplatform");
    expect(vertex).not.toContain("monitoring");
  });

  it("adds Cloud Run and Cloud Monitoring for services, and the budget API only with a budget", () => {
    expect(requiredApis({ ...none, services: true })).toEqual(expect.arrayContaining(["run", "monitoring"]));
    expect(requiredApis(none)).not.toContain("billingbudgets");
    expect(requiredApis({ ...none, budget: true })).toContain("billingbudgets");
  });
});
