/** Which services an env calls is resolved once, in config; the alerts and a pause read it from there. */
import { describe, expect, it } from "vitest";
import { ofType, planOf } from "./helpers";

const services = {
  web: { public: true, readyPath: "/ready", env: { API_URL: "${services.api.url}/v1" } },
  api: { callers: ["web"] },
  batch: { env: { MODELS: "${buckets.models.name}" } },
};

/** The documentation of the alert policy shown as `name`. */
async function runbook(raw: Record<string, unknown>, name: string): Promise<string> {
  const plan = await planOf(raw);
  const policy = ofType(plan, "gcp:monitoring/alertPolicy:AlertPolicy").find((r) => r.inputs.displayName === name);
  return String((policy?.inputs.documentation as { content?: string } | undefined)?.content);
}

describe("the services an env calls", () => {
  it("are named in the down alert of a service that calls them, and only they", async () => {
    const text = await runbook({ "mlops:services": services, "mlops:alerts": { emails: ["a@example.org"] } }, "g140-web is down");
    expect(text).toContain("A service it calls is not ready: check api (g140-api) first.");
    expect(text).not.toContain("check batch");
  });

  it("take training out of a paused stack when the trainer's env names a service URL, and only then", async () => {
    const training = (env: Record<string, string>) => ({ kind: "vm", env });
    const paused = await planOf({ "mlops:paused": true, "mlops:services": services, "mlops:training": training({ API_URL: "${services.api.url}" }) });
    expect(paused.outputs.trainingJob).toBeUndefined();
    const kept = await planOf({ "mlops:paused": true, "mlops:services": services, "mlops:training": training({ MODELS: "${buckets.models.name}" }) });
    expect(kept.outputs.trainingJob).toBeDefined();
  });
});
