import { describe, expect, it } from "vitest";
import { costAssumptions } from "../config";
import { estimateCost, machinePrice } from "../lib/cost";
import { planCost, planRaw, type PlannedResource } from "../plan";
import { byName, ofType, planFile, planOf, problemsOf } from "./helpers";

const POLICY = "gcp:monitoring/alertPolicy:AlertPolicy";
const UPTIME = "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig";

const condition = (policy: PlannedResource) => (policy.inputs.conditions as any[])[0].conditionThreshold;

/** What Cloud Monitoring says each metric is, and the aligners its kind accepts (docs/design.md). */
const METRICS: Record<string, { kind: string; aligners: string[] }> = {
  "run.googleapis.com/request_count": { kind: "DELTA INT64", aligners: ["ALIGN_RATE", "ALIGN_DELTA", "ALIGN_SUM"] },
  "run.googleapis.com/request_latencies": {
    kind: "DELTA DISTRIBUTION",
    aligners: ["ALIGN_PERCENTILE_50", "ALIGN_PERCENTILE_95", "ALIGN_PERCENTILE_99", "ALIGN_DELTA"],
  },
  "run.googleapis.com/container/instance_count": { kind: "GAUGE INT64", aligners: ["ALIGN_MAX", "ALIGN_MEAN", "ALIGN_MIN"] },
  "monitoring.googleapis.com/uptime_check/check_passed": { kind: "GAUGE BOOL", aligners: ["ALIGN_NEXT_OLDER", "ALIGN_FRACTION_TRUE"] },
  "compute.googleapis.com/instance/uptime_total": { kind: "GAUGE DOUBLE", aligners: ["ALIGN_MAX", "ALIGN_MEAN"] },
  "compute.googleapis.com/instance/cpu/utilization": { kind: "GAUGE DOUBLE", aligners: ["ALIGN_MEAN", "ALIGN_MAX"] },
  "agent.googleapis.com/gpu/utilization": { kind: "GAUGE DOUBLE", aligners: ["ALIGN_MEAN", "ALIGN_MAX"] },
};
const metricOf = (filter: string) => /metric\.type="([^"]+)"/.exec(filter)?.[1] ?? "";

describe("group foodseg: monitoring a group can act on", () => {
  it("has an email channel, an uptime check per public service, 5xx and latency alerts per service, and a dashboard", async () => {
    const { plan, config } = await planFile("group-foodseg");
    expect(ofType(plan, "gcp:monitoring/notificationChannel:NotificationChannel").map((c) => c.inputs.labels)).toEqual([
      { email_address: "groupfoodseg@example.org" },
    ]);
    const publicWithHealth = config.services
      .filter((s) => s.public && s.healthPath)
      .map((s) => s.key)
      .sort();
    expect(publicWithHealth).toEqual(["backend", "frontend"]);
    expect(
      ofType(plan, UPTIME)
        .map((u) => u.name)
        .sort(),
    ).toEqual(publicWithHealth.map((k) => `monitoring-${k}-uptime`));
    const policies = ofType(plan, POLICY)
      .map((p) => p.name)
      .sort();
    for (const s of config.services) {
      expect(policies).toContain(`monitoring-${s.key}-errors`);
      expect(policies).toContain(`monitoring-${s.key}-latency`);
      expect(policies).toContain(`monitoring-${s.key}-down`);
    }
    expect(ofType(plan, "gcp:monitoring/dashboard:Dashboard")).toHaveLength(1);
  });

  it("checks each public service's ready path over HTTPS on its own host, while its probes stay on the health path", async () => {
    const { plan } = await planFile("group-foodseg");
    const uptime = byName(plan, "monitoring-backend-uptime");
    const host = new URL((plan.outputs.serviceUrls as Record<string, string>).backend).host;
    expect(uptime.inputs.httpCheck).toMatchObject({ path: "/ready", port: 443, useSsl: true, validateSsl: true });
    const probe = (byName(plan, "backend-service").inputs.template as any).containers[0].startupProbe;
    expect(probe.httpGet.path).toBe("/health");
    expect(uptime.inputs.monitoredResource).toEqual({ type: "uptime_url", labels: { project_id: "dtu-mlops-foodseg", host } });
    expect(uptime.dependsOn).toContain("backend-service");
  });
});

describe("group 140", () => {
  it("tells the group what to do when a service is up but not ready: train a first model, check its buckets", async () => {
    const { plan } = await planFile("group-140");
    const buckets = plan.outputs.buckets as Record<string, string>;
    const doc = (byName(plan, "monitoring-backend-down").inputs.documentation as any).content as string;
    expect(doc).toContain("/ready` answers 503 with the reason");
    expect(doc).toContain("No model yet: a new stack has none until its first training run. Run training (the command: `pulumi stack output trainCommand`)");
    expect(doc).toContain(`Bucket missing or denied (it reads MODELS_BUCKET=${buckets.models}, PREDICTIONS_BUCKET=${buckets.predictions})`);
    expect(doc).toContain("its startup probe hits /health");
    expect(doc).toContain("gcloud run services logs read g140-backend --region europe-west1 --project dtu-mlops-140");
    const frontend = (byName(plan, "monitoring-frontend-down").inputs.documentation as any).content as string;
    // Streamlit has no readiness of its own: its check watches the health path the startup probe uses.
    expect(frontend).toContain("its startup probe hits /_stcore/health");
    expect(frontend).not.toContain("No model yet");
  });

  it("has no training runtime alert: no VM stands, and every run ends at maxRunHours by itself", async () => {
    const { plan } = await planFile("group-140");
    expect(plan.resources.some((r) => r.name === "monitoring-training-runtime")).toBe(false);
  });
});

describe("every alert policy in the group stacks", () => {
  it.each(["group-140", "group-43", "group-flowers", "group-xray", "group-foodseg"])(
    "%s: names a channel, explains what to do with a command, and uses filters and aligners valid for its metric",
    async (stack) => {
      const { plan } = await planFile(stack);
      const policies = ofType(plan, POLICY);
      expect(policies.length).toBeGreaterThan(0);
      for (const p of policies) {
        expect((p.inputs.notificationChannels as string[]).length, p.name).toBeGreaterThan(0);
        for (const channel of p.inputs.notificationChannels as string[]) expect(channel).toMatch(/^projects\/[^/]+\/notificationChannels\/\d+$/);
        const doc = p.inputs.documentation as { content: string; mimeType: string };
        expect(doc.mimeType).toBe("text/markdown");
        expect(doc.content, p.name).toMatch(/(gcloud|curl) /);
        const logMatch = (p.inputs.conditions as any[])[0].conditionMatchedLog;
        if (logMatch) {
          // A log-match condition (the credit guard's trip): Google requires a notification rate limit with it.
          expect(logMatch.filter, p.name).toContain('resource.type="cloud_run_revision"');
          expect((p.inputs.alertStrategy as any).notificationRateLimit.period, p.name).toMatch(/^\d+s$/);
          continue;
        }
        const c = condition(p);
        for (const [filter, aggregations] of [
          [c.filter, c.aggregations],
          [c.denominatorFilter, c.denominatorAggregations],
        ] as const) {
          if (!filter) continue;
          const metric = metricOf(filter);
          expect(METRICS[metric], `${p.name}: ${metric}`).toBeDefined();
          for (const a of aggregations) {
            expect(METRICS[metric].aligners, `${p.name}: ${a.perSeriesAligner} on ${METRICS[metric].kind}`).toContain(a.perSeriesAligner);
            expect(Number(a.alignmentPeriod.replace("s", "")) % 60, `${p.name}: whole minutes`).toBe(0);
          }
          if (metric.startsWith("run.googleapis.com/")) expect(filter).toContain('resource.type="cloud_run_revision"');
        }
        expect(Number(c.duration.replace("s", "")) % 60).toBe(0);
      }
    },
  );

  it("counts a 5xx share: 5xx requests over all requests of that one service", async () => {
    const { plan } = await planFile("group-43");
    const c = condition(byName(plan, "monitoring-backend-errors"));
    expect(c.filter).toBe(
      'metric.type="run.googleapis.com/request_count" AND resource.type="cloud_run_revision" AND resource.label.service_name="g43-backend" AND metric.label.response_code_class="5xx"',
    );
    expect(c.denominatorFilter).toBe(
      'metric.type="run.googleapis.com/request_count" AND resource.type="cloud_run_revision" AND resource.label.service_name="g43-backend"',
    );
    expect(c).toMatchObject({ comparison: "COMPARISON_GT", thresholdValue: 0.05 });
    const latency = condition(byName(plan, "monitoring-backend-latency"));
    expect(latency).toMatchObject({ thresholdValue: 2000, aggregations: [{ perSeriesAligner: "ALIGN_PERCENTILE_95" }] });
  });

  it("takes its thresholds from mlops:alerts", async () => {
    const plan = await planOf({ "mlops:alerts": { emails: ["a@example.org"], errorRatio: 0.2, latencyP95Ms: 800 }, "mlops:services": { api: {} } });
    expect(condition(byName(plan, "monitoring-api-errors")).thresholdValue).toBe(0.2);
    expect(condition(byName(plan, "monitoring-api-latency")).thresholdValue).toBe(800);
    expect(plan.resources.some((r) => r.name === "monitoring-api-uptime")).toBe(false);
  });
});

describe("without an alert email", () => {
  it("the dashboard and uptime checks exist but no alert policy without anyone to notify", async () => {
    const plan = await planOf({ "mlops:services": { api: { public: true, healthPath: "/health" } } });
    expect(ofType(plan, UPTIME).map((u) => (u.inputs.httpCheck as any).path)).toEqual(["/health"]);
    expect(ofType(plan, POLICY)).toHaveLength(0);
    expect(ofType(plan, "gcp:monitoring/dashboard:Dashboard")).toHaveLength(1);
  });
});

describe("the dashboard", () => {
  it("charts requests, 5xx, p50/p95 latency and instances per service", async () => {
    const { plan } = await planFile("group-140");
    const dashboard = JSON.parse(String(byName(plan, "monitoring-dashboard").inputs.dashboardJson));
    const titles = dashboard.mosaicLayout.tiles.map((t: any) => t.widget.title);
    for (const s of ["backend", "frontend", "monitor"]) {
      expect(titles).toEqual(
        expect.arrayContaining([`${s}: requests/s`, `${s}: 5xx/s`, `${s}: p50 latency (ms)`, `${s}: p95 latency (ms)`, `${s}: instances`]),
      );
    }
    for (const tile of dashboard.mosaicLayout.tiles) {
      const q = tile.widget.xyChart.dataSets[0].timeSeriesQuery.timeSeriesFilter;
      expect(METRICS[metricOf(q.filter)].aligners, tile.widget.title).toContain(q.aggregation.perSeriesAligner);
    }
  });
});

describe("the Managed Prometheus sidecar", () => {
  it("runs Google's collector by digest after the app, reading a config only the service's own account can read", async () => {
    const plan = await planOf({ "mlops:services": { api: { port: 8000, metrics: { port: 8000 } } } });
    const template = byName(plan, "api-service").inputs.template as any;
    const [app, collector] = template.containers;
    expect(app.name).toBe("app");
    expect(collector).toMatchObject({ name: "collector", dependsOns: ["app"], volumeMounts: [{ name: "rungmp-config", mountPath: "/etc/rungmp" }] });
    expect(collector.image).toMatch(/^us-docker\.pkg\.dev\/cloud-ops-agents-artifacts\/cloud-run-gmp-sidecar\/cloud-run-gmp-sidecar@sha256:[0-9a-f]{64}$/);
    expect(template.volumes).toEqual([{ name: "rungmp-config", secret: { secret: "g140-api-rungmp", items: [{ version: "1", path: "config.yaml" }] } }]);
    expect(byName(plan, "secrets-api-rungmp-api").inputs).toMatchObject({
      role: "roles/secretmanager.secretAccessor",
      member: "serviceAccount:g140-api@dtu-mlops-140.iam.gserviceaccount.com",
    });
    expect(byName(plan, "identities-api-monitoring.metricWriter").inputs.member).toBe("serviceAccount:g140-api@dtu-mlops-140.iam.gserviceaccount.com");
  });
});

describe("the budget", () => {
  it("is off by default and, when configured, watches the project with the thresholds and the email channel", async () => {
    expect(ofType(await planOf({}), "gcp:billing/budget:Budget")).toHaveLength(0);
    const plan = await planOf({
      "mlops:alerts": { emails: ["a@example.org"] },
      "mlops:budget": { billingAccount: "012345-6789AB-CDEF01", amount: 50, thresholds: [0.5, 1] },
    });
    const budget = byName(plan, "monitoring-budget");
    expect(budget.inputs).toMatchObject({
      billingAccount: "012345-6789AB-CDEF01",
      amount: { specifiedAmount: { currencyCode: "USD", units: "50", nanos: 0 } },
      thresholdRules: [{ thresholdPercent: 0.5 }, { thresholdPercent: 1 }],
      budgetFilter: { projects: [expect.stringMatching(/^projects\/\d+$/)], creditTypesTreatment: "EXCLUDE_ALL_CREDITS" },
    });
    expect((budget.inputs.allUpdatesRule as any).monitoringNotificationChannels).toHaveLength(1);
    expect(byName(plan, "apis-billingbudgets").inputs.service).toBe("billingbudgets.googleapis.com");
  });
});

describe("invalid monitoring settings", () => {
  it.each([
    ["an email that is no email", { "mlops:alerts": { emails: ["group140"] } }, "mlops:alerts.emails[0]: must be an email address"],
    ["a 5xx share above 100 %", { "mlops:alerts": { errorRatio: 5 } }, "mlops:alerts.errorRatio: must be above 0 and at most 1"],
    [
      "a training runtime alert",
      { "mlops:training": { kind: "vm", maxRunHours: 4 }, "mlops:alerts": { trainingHours: 2 } },
      "mlops:alerts.trainingHours: removed in 0.2.0; training runs end at training.maxRunHours",
    ],
    [
      "a billing account that is not one",
      { "mlops:budget": { billingAccount: "my-account", amount: 50 } },
      "mlops:budget.billingAccount: must be a billing account id such as 012345-6789AB-CDEF01",
    ],
    [
      "a metrics path without a slash",
      { "mlops:services": { api: { metrics: { port: 8080, path: "metrics" } } } },
      "mlops:services.api.metrics.path: must be a path such as /metrics",
    ],
  ])("rejects %s", (_what, raw, message) => {
    const found = problemsOf(raw);
    expect(
      found.some((p) => p.startsWith(message)),
      found.join("\n"),
    ).toBe(true);
  });
});

describe("the cost estimate", () => {
  it("adds a run's machine and its GPUs per hour, on demand or spot, and nothing between runs (hand-computed)", () => {
    const run = (spot: boolean) => ({
      type: "mlops:training:BatchJob",
      name: "training",
      inputs: { machineType: "n1-standard-4", gpus: [{ type: "nvidia-tesla-t4", count: 2 }], spot, maxRunHours: 4 },
    });
    // 0.209007 + 2 × 0.35 = 0.909007; spot 0.08716 + 2 × 0.14 = 0.36716; no VM stands between runs.
    expect(estimateCost([run(false)], "europe-west1")).toMatchObject({ activeHourlyUsd: 0.909, idleMonthlyUsd: 0 });
    expect(estimateCost([run(true)], "europe-west1")).toMatchObject({ activeHourlyUsd: 0.3672, idleMonthlyUsd: 0 });
  });

  it("prices a Cloud Run instance by the second, and warm instances for the whole month (hand-computed)", () => {
    const service = (minInstanceCount: number) => ({
      type: "gcp:cloudrunv2/service:Service",
      name: "api",
      inputs: { template: { scaling: { minInstanceCount }, containers: [{ resources: { limits: { cpu: "2", memory: "1Gi" }, cpuIdle: true } }] } },
    });
    // (2 × 0.000024 + 1 × 0.0000025) × 3600 = 0.1818 per busy hour; idle at 0 instances: 0.
    expect(estimateCost([service(0)], "europe-west1")).toMatchObject({ activeHourlyUsd: 0.1818, idleMonthlyUsd: 0 });
    // one warm instance: (2 × 0.000018 + 1 × 0.000002) × 3600 × 730 = 99.864
    expect(estimateCost([service(1)], "europe-west1").idleMonthlyUsd).toBe(99.864);
  });

  it("counts stored images by the registry's keepRecent, buckets, secret versions and uptime checks (hand-computed)", () => {
    const cost = estimateCost(
      [
        {
          type: "gcp:artifactregistry/repository:Repository",
          name: "repo",
          inputs: { cleanupPolicies: [{ id: "keep", mostRecentVersions: { keepCount: 3 } }] },
        },
        { type: "docker:index/image:Image", name: "img", inputs: {} },
        { type: "gcp:storage/bucket:Bucket", name: "b", inputs: {} },
        { type: "gcp:secretmanager/secretVersion:SecretVersion", name: "s", inputs: {} },
        { type: "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig", name: "u", inputs: {} },
      ],
      "europe-west1",
    );
    // (3 × 1 GB − 0.5 GB free) × 0.10 + 1 GB × 0.02 + 0.06 + 0 = 0.33
    expect(cost.idleMonthlyUsd).toBe(0.33);
    expect(cost.activeHourlyUsd).toBe(0);
  });

  it("prices each machine type in its own region from the catalog, never borrowing another region's price", () => {
    // lib/catalog/machines.json (Cloud Billing Catalog export): n1-standard-8 in europe-west1 and asia-east1.
    expect(machinePrice("n1-standard-8", "europe-west1", false)?.usd).toBe(0.418014);
    expect(machinePrice("n1-standard-4", "asia-east1", false)?.usd).toBe(0.219998);
    expect(machinePrice("n1-standard-4", "mars-north1", false)).toBeUndefined();
  });

  it("keeps the dev stack at $0.10 a month at most while idle, and group 140 (training, three services) at $1.50", async () => {
    const dev = await planFile("dev");
    expect(planCost(dev.plan, dev.config.region, costAssumptions(dev.config)).idleMonthlyUsd).toBeLessThanOrEqual(0.1);
    const g140 = await planFile("group-140");
    expect(planCost(g140.plan, g140.config.region, costAssumptions(g140.config)).idleMonthlyUsd).toBeLessThanOrEqual(1.5);
  });

  it("counts the stack file's own size assumptions for images and buckets", async () => {
    const { plan, config } = await planFile("group-43");
    const base = planCost(plan, config.region, costAssumptions(config));
    const bigger = planCost(plan, config.region, { imageGb: 3, bucketGb: 10 });
    const item = (c: typeof base, name: string) => c.items.find((i) => i.resource === name)!;
    expect(item(bigger, "buckets-data").usd).toBeCloseTo(item(base, "buckets-data").usd * 10, 6);
    expect(item(bigger, "image-backend-image").basis).toContain("× 3 GB assumed");
  });

  it("shows group 140's T4 run within 15 % of Google's listed price, with its basis, and spot lowers it", async () => {
    const { plan, config } = await planFile("group-140");
    const spot = planCost(plan, config.region, costAssumptions(config)).items.find((i) => i.resource === "training" && i.kind === "active")!;
    const onDemandPlan = await planRaw(
      {
        "gcp:project": "dtu-mlops-140",
        "gcp:region": "europe-west1",
        "mlops:training": { kind: "vm", gpu: { type: "nvidia-tesla-t4" }, zone: "europe-west1-b" },
      },
      "group-140",
    );
    if (!onDemandPlan.ok) throw new Error(onDemandPlan.problems.join("\n"));
    const onDemand = planCost(onDemandPlan.plan, "europe-west1").items.find((i) => i.resource === "training" && i.kind === "active")!;
    // Google's list price in europe-west1: n1-standard-4 $0.2090/h + NVIDIA T4 $0.35/h (Compute Engine GPU pricing).
    const listed = 0.209 + 0.35;
    expect(Math.abs(onDemand.usd - listed) / listed).toBeLessThan(0.15);
    expect(onDemand.basis).toMatch(/n1-standard-4 on demand \$0\.2090\/h \+ 1 × nvidia-tesla-t4 on demand \$0\.3500\/h, europe-west1/);
    expect(spot.usd).toBeLessThan(onDemand.usd);
    expect(spot.basis).toContain("on demand it would be $0.5590/h");
  });

  it("is the same whether the plan computes it or the stack exports it", async () => {
    for (const stack of ["dev", "group-140", "group-43"]) {
      const { plan, config } = await planFile(stack);
      expect(plan.outputs.costEstimate, stack).toEqual(JSON.parse(JSON.stringify(planCost(plan, config.region, costAssumptions(config)))));
    }
  });
});
