import { describe, expect, it } from "vitest";
import { SecretValue } from "../config";
import { stackFilePath, type PlannedResource, stackFiles } from "../plan";
import { byName, plannedStackFile, planOf, problemsOf } from "./helpers";
import { REPO_ROOT } from "./repo";

const stacks = stackFiles(REPO_ROOT).map((f) => f.stack);
const SERVICE = "gcp:cloudrunv2/service:Service";
const SERVICE_IAM = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember";

const container = (r: PlannedResource) => (r.inputs.template as any).containers[0];
const envOf = (r: PlannedResource) => Object.fromEntries(container(r).envs.map((e: any) => [e.name, e.value ?? e.valueSource]));

describe.each(stacks)("Cloud Run in Pulumi.%s.yaml", (stack) => {
  const planned = plannedStackFile(stackFilePath(stack, REPO_ROOT)).then((r) => {
    if (!r.ok) throw new Error(r.problems.join("\n"));
    return r;
  });

  it("can be destroyed, runs a pinned image, scales to zero unless told, is capped, and has its own account", async () => {
    const { plan, config } = await planned;
    // The credit guard's own service is checked in test/credit-guard.test.ts.
    const services = plan.resources.filter((r) => r.type === SERVICE && r.name !== "credit-guard-run-service");
    expect(services.map((s) => s.inputs.name).sort()).toEqual(config.services.map((s) => s.name).sort());
    for (const s of services) {
      const spec = config.services.find((c) => c.name === s.inputs.name)!;
      const template = s.inputs.template as any;
      expect(s.inputs.deletionProtection, s.name).toBe(false);
      expect(container(s).image, s.name).toMatch(/@sha256:[0-9a-f]{64}$/);
      expect(template.scaling, s.name).toEqual({ minInstanceCount: spec.minInstances, maxInstanceCount: spec.maxInstances });
      expect(template.scaling.maxInstanceCount, s.name).toBeGreaterThan(0);
      expect(template.serviceAccount, s.name).toBe(config.names.serviceAccountEmail(spec.key));
      expect(template.executionEnvironment, s.name).toBe("EXECUTION_ENVIRONMENT_GEN2");
      expect(s.inputs.labels, s.name).toMatchObject({ group: config.group, "managed-by": "pulumi" });
    }
  });

  it("gives allUsers the invoker role on public services only, and reads secrets only as secretKeyRef", async () => {
    const { plan, config } = await planned;
    for (const spec of config.services) {
      const members = plan.resources.filter((r) => r.type === SERVICE_IAM && r.parent === spec.key).map((r) => r.inputs.member);
      if (spec.public && config.publicInvoker === "allUsers") expect(members).toContain("allUsers");
      else expect(members).not.toContain("allUsers");
      const env = envOf(byName(plan, `${spec.key}-service`));
      for (const name of config.secrets.map((s) => s.name)) {
        if (name in env) expect(env[name], `${spec.key} ${name}`).toMatchObject({ secretKeyRef: expect.anything() });
      }
    }
  });
});

describe("group 43", () => {
  it("gives the API 1Gi on port 8000 with probes on /health, the frontend 512Mi, and the frontend the API's real URL as BACKEND_URL", async () => {
    const r = await plannedStackFile(stackFilePath("group-43", REPO_ROOT));
    if (!r.ok) throw new Error(r.problems.join("\n"));
    const backend = byName(r.plan, "backend-service");
    const frontend = byName(r.plan, "frontend-service");
    expect(container(backend).resources.limits).toEqual({ cpu: "1", memory: "1Gi" });
    expect(container(frontend).resources.limits).toEqual({ cpu: "1", memory: "512Mi" });
    expect(container(backend).ports).toEqual({ containerPort: 8000 });
    expect(container(backend).startupProbe).toMatchObject({ httpGet: { path: "/health", port: 8000 } });
    expect(container(backend).livenessProbe).toMatchObject({ httpGet: { path: "/health", port: 8000 } });
    const backendUrl = (r.plan.outputs.serviceUrls as Record<string, string>).backend;
    expect(backendUrl).toMatch(/^https:\/\/g43-backend-[0-9a-f]+-ew\.a\.run\.app$/);
    expect(envOf(frontend).BACKEND_URL).toBe(backendUrl);
    expect(frontend.dependsOn).toContain("backend-service");
  });

  it("lets the public API read models and create (never overwrite or delete) predictions, on the buckets, and nothing else", async () => {
    const r = await plannedStackFile(stackFilePath("group-43", REPO_ROOT));
    if (!r.ok) throw new Error(r.problems.join("\n"));
    const grants = r.plan.resources
      .filter((x) => x.type === "gcp:storage/bucketIAMMember:BucketIAMMember" && String(x.inputs.member).includes("g43-backend@"))
      .map((x) => [x.name, x.inputs.role]);
    expect(grants).toEqual([
      ["buckets-models-backend-read", "roles/storage.objectViewer"],
      ["buckets-predictions-backend-write", "roles/storage.objectCreator"],
    ]);
    expect(byName(r.plan, "backend-service").dependsOn).toEqual(expect.arrayContaining(["buckets-models-backend-read", "buckets-predictions-backend-write"]));
  });

  it("exports every URL, every image digest and a curl line for each public service's ready path", async () => {
    const r = await plannedStackFile(stackFilePath("group-43", REPO_ROOT));
    if (!r.ok) throw new Error(r.problems.join("\n"));
    const urls = r.plan.outputs.serviceUrls as Record<string, string>;
    expect(Object.keys(urls).sort()).toEqual(["backend", "frontend"]);
    for (const digest of Object.values(r.plan.outputs.serviceImages as Record<string, string>)) expect(digest).toMatch(/@sha256:/);
    // The Streamlit frontend has no readiness endpoint: its line uses its health path.
    expect(r.plan.outputs.curlCommands).toEqual({ backend: `curl -fsS ${urls.backend}/ready`, frontend: `curl -fsS ${urls.frontend}/_stcore/health` });
  });
});

describe("the dev stack", () => {
  it("shows both cases: a private backend only the frontend may call, a public frontend given its URL, a public monitor", async () => {
    const r = await plannedStackFile(stackFilePath("dev", REPO_ROOT));
    if (!r.ok) throw new Error(r.problems.join("\n"));
    const invokers = (key: string) => r.plan.resources.filter((x) => x.type === SERVICE_IAM && x.parent === key).map((x) => x.inputs.member);
    expect(invokers("backend")).toEqual(["serviceAccount:dev-frontend@my-mlops-project.iam.gserviceaccount.com"]);
    expect(invokers("frontend")).toEqual(["allUsers"]);
    expect(invokers("monitor")).toEqual(["allUsers"]);
    expect(envOf(byName(r.plan, "frontend-service")).BACKEND_URL).toBe((r.plan.outputs.serviceUrls as Record<string, string>).backend);
    const health = { backend: "/health", frontend: "/_stcore/health", monitor: "/health" };
    for (const [key, path] of Object.entries(health)) {
      expect(container(byName(r.plan, `${key}-service`)).image).toMatch(new RegExp(`/dev-images/${key}@sha256:[0-9a-f]{64}$`));
      expect(container(byName(r.plan, `${key}-service`)).startupProbe).toMatchObject({ httpGet: { path, port: 8080 } });
    }
  });
});

describe("the wiring contract: <NAME>_BUCKET for every bucket a workload is granted", () => {
  it("names each granted bucket in a service's env, and no other", async () => {
    const plan = await planOf({ "mlops:services": { api: { buckets: { models: "read", predictions: "write" } }, web: {} } });
    const buckets = plan.outputs.buckets as Record<string, string>;
    expect(envOf(byName(plan, "api-service"))).toEqual({ MODELS_BUCKET: buckets.models, PREDICTIONS_BUCKET: buckets.predictions });
    expect(envOf(byName(plan, "web-service"))).toEqual({});
  });

  it.each([
    ["a service", { "mlops:services": { api: { env: { MODELS_BUCKET: "${buckets.models.name}" } } } }, "mlops:services.api"],
    ["training", { "mlops:training": { kind: "vertex", env: { DATA_BUCKET: "mine" } } }, "mlops:training"],
  ])("rejects a <NAME>_BUCKET entry in the env of %s: the stack sets it from the grants", (_what, raw, key) => {
    const bucket = key === "mlops:training" ? "data" : "models";
    const name = `${bucket.toUpperCase()}_BUCKET`;
    expect(problemsOf(raw)).toContain(
      `${key}.env.${name}: the stack sets ${name} to the ${bucket} bucket's name when the workload is granted it; remove this entry and grant access instead, e.g. ${key}.buckets: { ${bucket}: read }`,
    );
  });

  it("maps write to objectUser for the trainer and unexposed services, to objectCreator for a public service and what it calls", async () => {
    const plan = await planOf({
      "mlops:training": { kind: "vertex", buckets: { models: "write" } },
      "mlops:services": {
        web: { public: true, buckets: { predictions: "write", models: "read" } },
        api: { callers: ["web"], buckets: { predictions: "write" } },
        store: { callers: ["api"], buckets: { data: "write" } },
        worker: { buckets: { predictions: "write" } },
      },
    });
    const role = (name: string) => byName(plan, name).inputs.role;
    expect(role("buckets-models-trainer-write")).toBe("roles/storage.objectUser");
    expect(role("buckets-predictions-worker-write")).toBe("roles/storage.objectUser");
    expect(role("buckets-predictions-web-write")).toBe("roles/storage.objectCreator");
    expect(role("buckets-predictions-api-write")).toBe("roles/storage.objectCreator");
    expect(role("buckets-data-store-write")).toBe("roles/storage.objectCreator");
    expect(role("buckets-models-web-read")).toBe("roles/storage.objectViewer");
  });
});

describe("references in env values", () => {
  it("resolve to the other service's URL, a bucket name, the project and the region", async () => {
    const plan = await planOf({
      "mlops:services": {
        api: {},
        web: { env: { API: "${services.api.url}/v1", LOGS: "gs://${buckets.predictions.name}", WHERE: "${project}/${region}" } },
      },
    });
    const env = envOf(byName(plan, "web-service"));
    expect(env.API).toBe(`${(plan.outputs.serviceUrls as Record<string, string>).api}/v1`);
    expect(env.LOGS).toBe(`gs://${(plan.outputs.buckets as Record<string, string>).predictions}`);
    expect(env.WHERE).toBe("dtu-mlops-140/europe-west1");
  });

  it.each([
    ["an unknown service", { web: { env: { API: "${services.api.url}" } } }, "mlops:services.web.env.API: ${services.api.url} names no service; services: web"],
    [
      "an unknown bucket",
      { web: { env: { B: "${buckets.logs.name}" } } },
      "mlops:services.web.env.B: ${buckets.logs.name} names no bucket; buckets: data, models, predictions",
    ],
    ["something that is no reference", { web: { env: { X: "${secrets.KEY}" } } }, "mlops:services.web.env.X: ${secrets.KEY} is not a reference"],
    ["a cycle", { a: { env: { B: "${services.b.url}" } }, b: { env: { A: "${services.a.url}" } } }, "mlops:services.a.env.B: reference cycle a → b → a"],
  ])("reject %s with the key path", (_what, services, message) => {
    const found = problemsOf({ "mlops:services": services });
    expect(
      found.some((p) => p.startsWith(message)),
      found.join("\n"),
    ).toBe(true);
  });
});

describe("who may call a service", () => {
  it("public: an allUsers invoker", async () => {
    const plan = await planOf({ "mlops:services": { api: { public: true } } });
    expect(plan.resources.filter((r) => r.type === SERVICE_IAM).map((r) => r.inputs.member)).toEqual(["allUsers"]);
    expect(byName(plan, "api-service").inputs.invokerIamDisabled).toBe(false);
  });

  it("public where the organisation forbids allUsers: the invoker check is off and no allUsers member exists", async () => {
    const plan = await planOf({ "mlops:publicInvoker": "invokerIamDisabled", "mlops:services": { api: { public: true } } });
    expect(plan.resources.filter((r) => r.type === SERVICE_IAM)).toHaveLength(0);
    expect(byName(plan, "api-service").inputs.invokerIamDisabled).toBe(true);
  });

  it("private: only the listed callers' accounts", async () => {
    const plan = await planOf({ "mlops:services": { api: { callers: ["web"] }, web: { public: true }, other: {} } });
    const apiInvokers = plan.resources.filter((r) => r.type === SERVICE_IAM && r.parent === "api");
    expect(apiInvokers.map((r) => [r.inputs.role, r.inputs.member])).toEqual([
      ["roles/run.invoker", "serviceAccount:g140-web@dtu-mlops-140.iam.gserviceaccount.com"],
    ]);
    expect(plan.resources.filter((r) => r.type === SERVICE_IAM && r.parent === "other")).toHaveLength(0);
  });
});

describe("service settings", () => {
  it("default to port 8080, 1 CPU, 512Mi, 0 to 3 instances, no probes without a health path", async () => {
    const plan = await planOf({ "mlops:services": { api: {} } });
    const s = byName(plan, "api-service");
    expect(container(s)).toMatchObject({ ports: { containerPort: 8080 }, resources: { limits: { cpu: "1", memory: "512Mi" }, cpuIdle: true } });
    expect(container(s).startupProbe).toBeUndefined();
    expect((s.inputs.template as any).scaling).toEqual({ minInstanceCount: 0, maxInstanceCount: 3 });
    expect((s.inputs.template as any).timeout).toBe("300s");
  });

  it("pin a secret to the version the stack created, and wait for it and its grant", async () => {
    const plan = await planOf({
      "mlops:secrets": ["WANDB_API_KEY"],
      "mlops:WANDB_API_KEY": new SecretValue("x"),
      "mlops:services": { api: { secrets: ["WANDB_API_KEY"] } },
    });
    const s = byName(plan, "api-service");
    expect(envOf(s).WANDB_API_KEY).toEqual({ secretKeyRef: { secret: "g140-wandb-api-key", version: "1" } });
    expect(s.dependsOn).toEqual(expect.arrayContaining(["secrets-WANDB_API_KEY-version", "secrets-WANDB_API_KEY-api"]));
  });

  it.each([
    ["too little memory for 8 CPUs", { cpu: 8, memory: "2Gi" }, "mlops:services.api.memory: 2Gi does not fit 8 CPUs; Cloud Run allows 4Gi–32Gi with 8 CPUs"],
    ["too much memory for 1 CPU", { cpu: 1, memory: "8Gi" }, "mlops:services.api.memory: 8Gi does not fit 1 CPU; Cloud Run allows 512Mi–4Gi with 1 CPU"],
    ["below the second generation's minimum", { memory: "256Mi" }, "mlops:services.api.memory: 256Mi does not fit 1 CPU; Cloud Run allows 512Mi–4Gi"],
    ["3 CPUs", { cpu: 3 }, "mlops:services.api.cpu: must be 1, 2, 4 or 8 CPUs"],
    ["memory without a unit", { memory: "1024" }, "mlops:services.api.memory: must be a size such as 512Mi or 2Gi"],
    ["more warm instances than allowed", { minInstances: 4, maxInstances: 2 }, "mlops:services.api.minInstances: 4 is above maxInstances 2"],
    ["a port out of range", { port: 70000 }, "mlops:services.api.port: must be a port number from 1 to 65535"],
    ["a health path without a slash", { healthPath: "health" }, "mlops:services.api.healthPath: must be a path such as /health"],
    [
      "callers on a public service",
      { public: true, callers: ["web"] },
      "mlops:services.api.callers: a public service admits everyone; callers apply to private services only",
    ],
    [
      "an image Cloud Run cannot pull",
      { image: { ref: "quay.io/org/api:1" } },
      "mlops:services.api.image.ref: Cloud Run runs images from *-docker.pkg.dev, gcr.io or docker.io only",
    ],
  ])("reject %s", (_what, api, message) => {
    const found = problemsOf({ "mlops:services": { api, web: {} } });
    expect(
      found.some((p) => p.startsWith(message)),
      found.join("\n"),
    ).toBe(true);
  });

  it("reject a service name the stack keeps for itself, and one too long for its account id", () => {
    expect(problemsOf({ "mlops:services": { trainer: {} } })).toContain(
      'mlops:services.trainer: "trainer" is reserved for the stack\'s own accounts; choose another service name',
    );
    expect(problemsOf({ "mlops:services": { "a-very-long-service-name-x": {} } })).toContain(
      'mlops:services.a-very-long-service-name-x: derived service-account id "g140-a-very-long-service-name-x" is 31 characters; 6–30 allowed; choose a shorter service name',
    );
  });
});
