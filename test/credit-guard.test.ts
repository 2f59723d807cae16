/**
 * The credit guard, stack side (issue 24, services/guard/README.md's contract): what mlops:budget.stopAt plans,
 * who may reach the guard and what its account may do, what a stack without it plans (none of it), and the
 * check that keeps `pulumi up` from bringing the services back after a trip nobody resumed from.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import packageJson from "../package.json";
import { GUARD_TRIPS_PREFIX } from "../components/credit-guard";
import { parseStackConfig } from "../config";
import { planCost, planProgram, planViolations, stackFiles, type Plan, type PlannedResource } from "../plan";
import { createStack } from "../stack";
import { blockingTrip, capMinorUnits, GUARD_SOURCE, guardBuildContext, packageRoot, tripIdOf, tripMessage } from "../wiring/guard";
import { evaluate } from "./cel-google";
import { byName, ofType, planOf, plannedStackFile, problemsOf } from "./helpers";
import { REPO_ROOT } from "./repo";

const BUDGET = { billingAccount: "012345-6789AB-CDEF01", amount: 50 };
const EMAILS = { emails: ["group140@example.org"] };
const SERVICES = {
  backend: { public: true, buckets: { models: "read" } },
  worker: { public: false },
};
const GUARDED = {
  "mlops:budget": { ...BUDGET, stopAt: 1 },
  "mlops:alerts": EMAILS,
  "mlops:services": SERVICES,
  "mlops:training": { kind: "vm", machineType: "n1-standard-4" },
};

/** The resource types only the guard plans. */
const GUARD_TYPES = [
  "gcp:pubsub/topic:Topic",
  "gcp:pubsub/topicIAMMember:TopicIAMMember",
  "gcp:pubsub/subscription:Subscription",
  "mlops:guard:CreditGuard",
  "mlops:guard:BudgetTopic",
];
/** services/guard/README.md's "Environment" table: every variable the stack sets, and only those. */
const GUARD_ENV = [
  "GUARD_ACKNOWLEDGED",
  "GUARD_BILLING_ACCOUNT",
  "GUARD_BUDGET_ID",
  "GUARD_JOB_KINDS",
  "GUARD_LABELS",
  "GUARD_PROJECT",
  "GUARD_PUSH_ACCOUNT",
  "GUARD_PUSH_AUDIENCE",
  "GUARD_RECORD_BUCKET",
  "GUARD_REGION",
  "GUARD_SERVICES",
  "GUARD_STOP_AT",
];

type Env = Array<{ name: string; value?: string }>;
const guardService = (plan: Plan) => byName(plan, "credit-guard-run-service");
const envOf = (plan: Plan): Record<string, string> =>
  Object.fromEntries((guardService(plan).inputs.template as { containers: Array<{ envs: Env }> }).containers[0].envs.map((e) => [e.name, String(e.value)]));
const members = (plan: Plan, email: string): PlannedResource[] => plan.resources.filter((r) => r.inputs.member === `serviceAccount:${email}`);

describe("mlops:budget.stopAt and acknowledgedTrips in the stack file", () => {
  it.each([
    [{ stopAt: 0 }, "mlops:budget.stopAt: must be above 0 and at most 2 (200 %), e.g. 1 to stop at the amount"],
    [{ stopAt: 2.5 }, "mlops:budget.stopAt: must be above 0 and at most 2 (200 %), e.g. 1 to stop at the amount"],
    [{ stopAt: "all" }, "mlops:budget.stopAt: must be a fraction of the amount such as 1 (100 %)"],
    [
      { stopAt: 1, acknowledgedTrips: ["december"] },
      "mlops:budget.acknowledgedTrips[0]: must be a trip id such as 2026-12-01-5000 (the period's start date, then the cap in cents)",
    ],
    [{ stopAt: 1, acknowledgedTrips: "2026-12-01-5000" }, "mlops:budget.acknowledgedTrips: must be a list of trip ids"],
  ])("refuses %j with a line naming the key", (budget, problem) => {
    expect(problemsOf({ "mlops:budget": { ...BUDGET, ...budget }, "mlops:alerts": EMAILS })).toEqual([problem]);
  });

  it("accepts a cap up to 200 % and trip ids in services/guard/README.md's form", () => {
    expect(problemsOf({ "mlops:budget": { ...BUDGET, stopAt: 2, acknowledgedTrips: ["2026-12-01-5000"] }, "mlops:alerts": EMAILS })).toEqual([]);
  });

  it("needs an alert email: the guard mails its trips, and stopping compute unseen is an outage nobody explains", () => {
    expect(problemsOf({ "mlops:budget": { ...BUDGET, stopAt: 1 } })).toEqual([
      "mlops:budget.stopAt: the credit guard mails its trips to the alert channels, and there are none; add an address to mlops:alerts.emails",
    ]);
    expect(problemsOf({ "mlops:budget": BUDGET })).toEqual([]);
  });

  it("keeps the guard's own names from the services while it is on", () => {
    const raw = { "mlops:budget": { ...BUDGET, stopAt: 1 }, "mlops:alerts": EMAILS, "mlops:services": { guard: {}, "credit-guard": {} } };
    expect(problemsOf(raw)).toEqual([
      'mlops:services.guard: "guard" is the credit guard\'s own name while mlops:budget.stopAt is set; choose another service name',
      'mlops:services.credit-guard: "credit-guard" is the credit guard\'s own name while mlops:budget.stopAt is set; choose another service name',
    ]);
    expect(problemsOf({ "mlops:services": { guard: {} } })).toEqual([]);
  });
});

describe("a stack without stopAt", () => {
  it.each(stackFiles(REPO_ROOT).filter((f) => !fs.readFileSync(f.file, "utf8").includes("stopAt")))("$stack plans none of the guard", async ({ file }) => {
    const result = await plannedStackFile(file);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(result.plan.resources.filter((r) => GUARD_TYPES.includes(r.type) || r.name.startsWith("credit-guard")).map((r) => r.name)).toEqual([]);
    expect(result.plan.outputs.creditGuard).toBeUndefined();
  });

  it("keeps its budget mailing only, publishing to no topic", async () => {
    const plan = await planOf({ "mlops:budget": BUDGET, "mlops:alerts": EMAILS });
    expect(byName(plan, "monitoring-budget").inputs.allUpdatesRule).not.toHaveProperty("pubsubTopic");
    expect(ofType(plan, "gcp:pubsub/topic:Topic")).toEqual([]);
    expect(plan.resources.some((r) => r.inputs.service === "pubsub.googleapis.com")).toBe(false);
  });
});

describe("a stack with stopAt", () => {
  it("connects the budget to its topic, which Cloud Billing's publisher alone may publish to", async () => {
    const plan = await planOf(GUARDED);
    const topic = byName(plan, "budget-topic-topic");
    expect(topic.inputs).toMatchObject({ name: "g140-budget", labels: expect.objectContaining({ group: "140", stack: "group-140" }) });
    expect(byName(plan, "monitoring-budget").inputs.allUpdatesRule).toMatchObject({
      pubsubTopic: "projects/dtu-mlops-140/topics/g140-budget",
      schemaVersion: "1.0",
    });
    expect(ofType(plan, "gcp:pubsub/topicIAMMember:TopicIAMMember").map((r) => r.inputs)).toEqual([
      expect.objectContaining({
        topic: "g140-budget",
        role: "roles/pubsub.publisher",
        member: "serviceAccount:billing-budget-alert@system.gserviceaccount.com",
      }),
    ]);
    expect(byName(plan, "apis-pubsub").inputs.service).toBe("pubsub.googleapis.com");
  });

  it("pushes every update to the guard with an OIDC token of the push account, for the guard's custom audience, and never expires", async () => {
    const plan = await planOf(GUARDED);
    const sub = byName(plan, "credit-guard-subscription");
    const env = envOf(plan);
    const service = guardService(plan);
    expect(sub.inputs).toMatchObject({
      name: "g140-credit-guard",
      topic: "projects/dtu-mlops-140/topics/g140-budget",
      ackDeadlineSeconds: 600,
      messageRetentionDuration: "86400s",
      retryPolicy: { minimumBackoff: "10s", maximumBackoff: "600s" },
      expirationPolicy: { ttl: "" },
      pushConfig: { oidcToken: { serviceAccountEmail: "g140-guard-push@dtu-mlops-140.iam.gserviceaccount.com", audience: env.GUARD_PUSH_AUDIENCE } },
      labels: expect.objectContaining({ group: "140" }),
    });
    expect((sub.inputs.pushConfig as { pushEndpoint: string }).pushEndpoint).toMatch(/^https:\/\/g140-credit-guard-[0-9a-f]+-ew\.a\.run\.app$/);
    expect(service.inputs.customAudiences).toEqual([env.GUARD_PUSH_AUDIENCE]);
    expect(env.GUARD_PUSH_ACCOUNT).toBe("g140-guard-push@dtu-mlops-140.iam.gserviceaccount.com");
  });

  it("runs the guard private, scaled to zero, at most one small instance, from the package's own services/guard by digest", async () => {
    const plan = await planOf(GUARDED);
    const service = guardService(plan);
    const template = service.inputs.template as {
      scaling: object;
      serviceAccount: string;
      containers: Array<{ image: string; resources: { limits: object } }>;
    };
    expect(template.scaling).toEqual({ minInstanceCount: 0, maxInstanceCount: 1 });
    expect(template.containers[0].resources.limits).toEqual({ cpu: "1", memory: "512Mi" });
    expect(template.containers[0].image).toMatch(/\/credit-guard@sha256:[0-9a-f]{64}$/);
    expect(template.serviceAccount).toBe("g140-guard@dtu-mlops-140.iam.gserviceaccount.com");
    expect(service.inputs).toMatchObject({ deletionProtection: false, invokerIamDisabled: false, labels: expect.objectContaining({ stack: "group-140" }) });
    expect(service.protect).toBe(false);
    const invokers = ofType(plan, "gcp:cloudrunv2/serviceIamMember:ServiceIamMember").filter((r) => r.inputs.name === "g140-credit-guard");
    expect(invokers.map((r) => [r.inputs.role, r.inputs.member])).toEqual([
      ["roles/run.invoker", "serviceAccount:g140-guard-push@dtu-mlops-140.iam.gserviceaccount.com"],
    ]);
    expect(byName(plan, "image-credit-guard-image").inputs.build).toMatchObject({ context: "services/guard", dockerfile: "services/guard/Dockerfile" });
  });

  it("sets exactly services/guard/README.md's environment, from the stack", async () => {
    const plan = await planOf({ ...GUARDED, "mlops:budget": { ...BUDGET, stopAt: 0.9, acknowledgedTrips: ["2026-11-01-4500"] } });
    const env = envOf(plan);
    expect(Object.keys(env).sort()).toEqual(GUARD_ENV);
    expect(env).toMatchObject({
      GUARD_PROJECT: "dtu-mlops-140",
      GUARD_REGION: "europe-west1",
      GUARD_STOP_AT: "0.9",
      GUARD_BILLING_ACCOUNT: "012345-6789AB-CDEF01",
      GUARD_LABELS: JSON.stringify({ group: "140", stack: "group-140" }),
      GUARD_SERVICES: "g140-backend,g140-worker",
      GUARD_JOB_KINDS: "batch",
      GUARD_ACKNOWLEDGED: "2026-11-01-4500",
    });
    expect(env.GUARD_RECORD_BUCKET).toBe(byName(plan, "buckets-models").inputs.name);
    expect(env.GUARD_BUDGET_ID).toMatch(/^[0-9a-f]{36}$/);
  });

  it("mails a trip, and a guard that could not act, to the alert channels with log-match policies, rate-limited as Google requires", async () => {
    const plan = await planOf(GUARDED);
    for (const [name, event] of [
      ["credit-guard-tripped", "credit_guard_tripped"],
      ["credit-guard-failing", "credit_guard_error"],
    ]) {
      expect(byName(plan, name).inputs, name).toMatchObject({
        notificationChannels: [expect.stringMatching(/^projects\/dtu-mlops-140\/notificationChannels\/\d+$/)],
        alertStrategy: { notificationRateLimit: { period: "300s" } },
        conditions: [
          {
            conditionMatchedLog: {
              filter: `resource.type="cloud_run_revision" AND resource.labels.service_name="g140-credit-guard" AND jsonPayload.event="${event}"`,
            },
          },
        ],
      });
    }
    // The events the service logs (services/guard/guard.py's severities), so a renamed event fails here.
    const logged = fs.readFileSync(path.join(REPO_ROOT, "services", "guard", "guard.py"), "utf8");
    for (const event of ["credit_guard_tripped", "credit_guard_error"]) expect(logged).toContain(`log("${event}"`);
  });

  it("stays through a pause (training survives it), granted on no service while none exists", async () => {
    const plan = await planOf({ ...GUARDED, "mlops:paused": true });
    expect(guardService(plan)).toBeDefined();
    expect(envOf(plan).GUARD_SERVICES).toBe("g140-backend,g140-worker");
    expect(
      plan.resources.filter(
        (r) => r.name.startsWith("credit-guard-run-") && r.name !== "credit-guard-run-service" && r.name !== "credit-guard-run-invoker-push",
      ),
    ).toEqual([]);
  });

  it("says in words what happens at the cap", async () => {
    const plan = await planOf(GUARDED);
    expect((plan.outputs.creditGuard as { atTheCap: string }).atTheCap).toBe(
      "when the budget reports 50.00 USD or more (stopAt 1 × 50 USD, hours after the spending), the credit guard deletes the running Cloud Batch jobs and deletes the Cloud Run services (g140-backend, g140-worker), records the trip in the models bucket and mails the alert channels; data, images, secrets and identities stay, and the next pulumi up refuses to bring the services back until the cap is raised or the trip acknowledged",
    );
  });

  it("costs nothing while idle: Pub/Sub and the guard's service within their free tiers, nothing active", async () => {
    const plan = await planOf(GUARDED);
    const items = planCost(plan, "europe-west1").items.filter((i) => ["credit-guard-run-service", "credit-guard-subscription"].includes(i.resource));
    expect(items.map((i) => [i.resource, i.kind, i.usd])).toEqual([
      ["credit-guard-run-service", "idle", 0],
      ["credit-guard-subscription", "idle", 0],
    ]);
    expect(items[1].basis).toContain("within the free 10 GiB of Pub/Sub throughput");
    expect(items[0].basis).toContain("within Cloud Run's free 180000 vCPU-s and 360000 GiB-s a month");
  });
});

/** The permissions and roles the guard's accounts may hold, and where (services/guard/README.md, issue 24 point 5). */
const GUARD_ALLOWED: Array<{ type: string; role: RegExp; on: (r: PlannedResource) => boolean }> = [
  {
    type: "gcp:projects/iAMMember:IAMMember",
    role: /^projects\/dtu-mlops-140\/roles\/g140_guard_jobs_[0-9a-f]{6}$/,
    on: (r) => r.inputs.project === "dtu-mlops-140",
  },
  {
    type: "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
    role: /^projects\/dtu-mlops-140\/roles\/g140_guard_run_[0-9a-f]{6}$/,
    on: (r) => ["g140-backend", "g140-worker"].includes(String(r.inputs.name)),
  },
  { type: "gcp:storage/bucketIAMMember:BucketIAMMember", role: /^roles\/storage\.object(Viewer|Creator)$/, on: (r) => r.inputs.condition !== undefined },
];
const PUSH_ALLOWED = [
  {
    type: "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
    role: /^roles\/run\.invoker$/,
    on: (r: PlannedResource) => r.inputs.name === "g140-credit-guard",
  },
];
const JOB_PERMISSIONS = {
  vm: ["batch.jobs.delete", "batch.jobs.get", "batch.jobs.list"],
  vertex: ["aiplatform.customJobs.cancel", "aiplatform.customJobs.get", "aiplatform.customJobs.list"],
};

describe("the guard's accounts can stop the stack's compute and nothing else (read from the plan)", () => {
  const disallowed = (plan: Plan, email: string, allowed: typeof GUARD_ALLOWED) =>
    members(plan, email)
      .filter((r) => !allowed.some((a) => a.type === r.type && a.role.test(String(r.inputs.role)) && a.on(r)))
      .map((r) => `${r.name}: ${String(r.inputs.role)}`);

  it.each(["vm", "vertex"] as const)("with %s training: every grant of the guard and push accounts is on the allowlist", async (kind) => {
    const plan = await planOf({ ...GUARDED, "mlops:training": { kind, machineType: "n1-standard-4" } });
    expect(disallowed(plan, "g140-guard@dtu-mlops-140.iam.gserviceaccount.com", GUARD_ALLOWED)).toEqual([]);
    expect(disallowed(plan, "g140-guard-push@dtu-mlops-140.iam.gserviceaccount.com", PUSH_ALLOWED)).toEqual([]);
    const roles = ofType(plan, "gcp:projects/iAMCustomRole:IAMCustomRole").filter((r) => String(r.inputs.roleId).startsWith("g140_guard_"));
    expect(
      Object.fromEntries(roles.map((r) => [String(r.inputs.roleId).replace(/_[0-9a-f]{6}$/, ""), [...(r.inputs.permissions as string[])].sort()])),
    ).toEqual({
      g140_guard_jobs: JOB_PERMISSIONS[kind],
      g140_guard_run: ["run.services.delete", "run.services.get"],
    });
  });

  it("holds no IAM, billing, secret, registry or identity role, and no primitive or predefined admin role", async () => {
    const plan = await planOf({ ...GUARDED, "mlops:secrets": ["WANDB_API_KEY"], "mlops:github": { repository: "owner/repo" } });
    for (const email of ["g140-guard@dtu-mlops-140.iam.gserviceaccount.com", "g140-guard-push@dtu-mlops-140.iam.gserviceaccount.com"]) {
      const grants = members(plan, email);
      expect(grants.length).toBeGreaterThan(0);
      for (const g of grants) {
        expect(g.type, g.name).not.toMatch(/secretmanager|artifactregistry|serviceaccount|pubsub|billing/);
        expect(String(g.inputs.role), g.name).not.toMatch(/owner|editor|admin|iam\.|billing|secretmanager|artifactregistry|roles\/run\.(admin|developer)/i);
      }
    }
    expect(planViolations(plan).filter((v) => v.level === "mandatory")).toEqual([]);
    // Custom roles carry no permission outside the jobs and services they stop.
    const permissions = ofType(plan, "gcp:projects/iAMCustomRole:IAMCustomRole")
      .filter((r) => String(r.inputs.roleId).includes("_guard_"))
      .flatMap((r) => r.inputs.permissions as string[]);
    expect(permissions.filter((p) => !/^(batch\.jobs|aiplatform\.customJobs|run\.services)\.(list|get|delete|cancel)$/.test(p))).toEqual([]);
  });

  it("reaches the models bucket only under credit-guard/ (the condition evaluated as IAM evaluates it)", async () => {
    const plan = await planOf(GUARDED);
    const bucket = String(byName(plan, "buckets-models").inputs.name);
    const storage = members(plan, "g140-guard@dtu-mlops-140.iam.gserviceaccount.com").filter((r) => r.type === "gcp:storage/bucketIAMMember:BucketIAMMember");
    expect(storage.map((r) => [r.inputs.bucket, r.inputs.role]).sort()).toEqual([
      [bucket, "roles/storage.objectCreator"],
      [bucket, "roles/storage.objectViewer"],
    ]);
    for (const grant of storage) {
      const { expression } = grant.inputs.condition as { expression: string };
      const allows = (name: string) => evaluate(expression, { resource: { name } });
      expect(allows(`projects/_/buckets/${bucket}/objects/${GUARD_TRIPS_PREFIX}2026-12-01-5000.json`)).toBe(true);
      expect(allows(`projects/_/buckets/${bucket}/objects/model.pt`)).toBe(false);
      expect(allows(`projects/_/buckets/${bucket}/objects/credit-guard-evil/x`)).toBe(false);
      // Listing names the bucket itself, which the condition refuses: the guard reads its record by name.
      expect(allows(`projects/_/buckets/${bucket}`)).toBe(false);
      expect(allows(`projects/_/buckets/other/objects/${GUARD_TRIPS_PREFIX}x.json`)).toBe(false);
    }
  });

  it("grants the run role on each service alone, never on the project", async () => {
    const plan = await planOf(GUARDED);
    const run = ofType(plan, "gcp:cloudrunv2/serviceIamMember:ServiceIamMember").filter((r) => String(r.inputs.role).includes("_guard_run_"));
    expect(run.map((r) => r.inputs.name).sort()).toEqual(["g140-backend", "g140-worker"]);
    expect(ofType(plan, "gcp:projects/iAMMember:IAMMember").filter((r) => String(r.inputs.role).includes("_guard_run_"))).toEqual([]);
  });
});

describe("after a trip, pulumi up resumes only when a person chose to", () => {
  const config = (budget: object) => {
    const parsed = parseStackConfig({ "gcp:project": "dtu-mlops-140", ...GUARDED, "mlops:budget": { ...BUDGET, ...budget } }, "group-140", null);
    if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
    return parsed.config;
  };
  const up = (budget: object, objects: string[], preview = false) =>
    planProgram(
      { stack: "group-140", project: "dtu-mlops-140", region: "europe-west1", bucketObjects: objects, preview },
      () => createStack(config(budget)) as unknown as Record<string, unknown>,
    );
  const TRIP = `${GUARD_TRIPS_PREFIX}2026-12-01-5000.json`;
  const LINE =
    "the credit guard stopped compute at 50.00 USD (trip 2026-12-01-5000); to resume, raise mlops:budget.stopAt or amount, or add 2026-12-01-5000 to mlops:budget.acknowledgedTrips, then pulumi up --refresh";

  it("stops with services/guard/README.md's one line while an unacknowledged trip at the cap is recorded", async () => {
    await expect(up({ stopAt: 1 }, [TRIP])).rejects.toThrow(LINE);
  });

  it("stops too when the cap was lowered below the trip's", async () => {
    await expect(up({ stopAt: 0.8 }, [TRIP])).rejects.toThrow("(trip 2026-12-01-5000)");
  });

  it.each([
    ["the trip acknowledged", { stopAt: 1, acknowledgedTrips: ["2026-12-01-5000"] }, [TRIP]],
    ["the cap raised above the trip's", { stopAt: 1.2 }, [TRIP]],
    ["the amount raised", { stopAt: 1, amount: 60 }, [TRIP]],
    ["no trip recorded", { stopAt: 1 }, [`${GUARD_RECORD}notes.txt`]],
  ])("brings the services back with %s", async (_why, budget, objects) => {
    const plan = await up(budget, objects);
    // The worker reads no bucket: it waits for the models bucket only through the trip check.
    expect(byName(plan, "worker-service").dependsOn).toContain("buckets-models");
  });

  it("lists nothing and blocks nothing in a preview, which must not need to read the bucket", async () => {
    const plan = await up({ stopAt: 1 }, [TRIP], true);
    expect(byName(plan, "worker-service").dependsOn).not.toContain("buckets-models");
  });

  it("reads trip ids and picks the latest blocking one", () => {
    expect(tripIdOf(`${GUARD_TRIPS_PREFIX}2026-12-01-5000.json`)).toBe("2026-12-01-5000");
    expect(tripIdOf(`${GUARD_TRIPS_PREFIX}x.json`)).toBeUndefined();
    expect(tripIdOf("elsewhere/2026-12-01-5000.json")).toBeUndefined();
    expect(capMinorUnits({ amount: 50, stopAt: 0.9 })).toBe(4500);
    const names = ["2026-11-01-5000", "2026-12-01-5000", "2026-12-01-4000"].map((id) => `${GUARD_TRIPS_PREFIX}${id}.json`);
    expect(blockingTrip(names, 5000, [])).toEqual({ id: "2026-12-01-5000", cap: 5000 });
    expect(blockingTrip(names, 5000, ["2026-12-01-5000"])).toEqual({ id: "2026-11-01-5000", cap: 5000 });
    expect(blockingTrip(names, 5001, [])).toBeUndefined();
    expect(tripMessage({ id: "2026-12-01-4500", cap: 4500 }, "EUR")).toMatch(/^the credit guard stopped compute at 45\.00 EUR \(trip 2026-12-01-4500\); /);
  });
});

const GUARD_RECORD = "credit-guard/";

describe("the guard's source ships with the package", () => {
  it("builds from services/guard of this package, wherever the package is installed", () => {
    expect(packageRoot()).toBe(REPO_ROOT);
    expect(guardBuildContext(REPO_ROOT)).toBe("services/guard");
    expect(guardBuildContext(path.join(REPO_ROOT, "infra"))).toBe("../services/guard");
    expect(packageJson.files).toContain(GUARD_SOURCE);
  });
});
