/** The plan as people read it: by workload, with what a reviewer checks, secrets by name only, no $0 for unknown. */
import { SecretValue } from "../config";
import { describe, expect, it } from "vitest";
import { money, planRaw, renderCost, renderPlan, renderView, stackView } from "../plan";
import { stackDot } from "../plan/dot";
import { renderHtml } from "../plan/html";
import { planFile } from "./helpers";

describe("the human view", () => {
  it("shows each service's reach, port, callers, env names, bucket access and image, and the trainer's", async () => {
    const { plan, config } = await planFile("group-140");
    const text = renderView(stackView(plan, config));
    expect(text).toMatch(/^ {2}backend {2}public {2}port 8000 {2}\(g140-backend\)$/m);
    expect(text).toMatch(/^ {4}image: {4}europe-west1-docker\.pkg\.dev\/dtu-mlops-140\/g140-images\/backend@sha256:[a-f0-9]{64}$/m);
    expect(text).toMatch(/^ {4}access: {3}models read, predictions write$/m);
    expect(text).toMatch(/^ {2}frontend .*\n(.*\n){2} {4}calls: {4}backend\n {4}env: {6}BACKEND_URL$/m);
    expect(text).toMatch(/^ {2}backend .*\n(.*\n){2} {4}env: {6}MODELS_BUCKET, PREDICTIONS_BUCKET$/m);
    expect(text).toMatch(/^training: vm {2}n1-standard-4 \+ 1× nvidia-tesla-t4 \(spot\)$/m);
    expect(text).toMatch(/^ {4}env: {6}DATA_BUCKET, MODELS_BUCKET$/m);
    expect(text).toMatch(/^ {2}models {7}dtu-mlops-140-models-\w+ +read: backend, monitor; write: ci-deploy, trainer$/m);
    expect(text).toMatch(/^registry: g140-images {2}read: trainer; write: ci-deploy$/m);
    expect(text).toMatch(/^ {4}roles: roles\/artifactregistry\.reader, /m);
  });

  it("names private services' callers, and never prints an env value", async () => {
    const r = await planRaw(
      {
        "gcp:project": "dtu-mlops-140",
        "mlops:secrets": ["HF_TOKEN"],
        "mlops:HF_TOKEN": new SecretValue("hf-value"),
        "mlops:services": {
          api: { callers: ["web"], secrets: ["HF_TOKEN"] },
          web: { public: true, env: { API_URL: "${services.api.url}", MODE: "very-visible-value" } },
        },
      },
      "group-140",
    );
    if (!r.ok) throw new Error(r.problems.join("\n"));
    const view = stackView(r.plan, r.config);
    const text = renderView(view);
    expect(text).toMatch(/^ {2}api {2}private {2}port 8080 .*\n.*\n {4}callers: {2}web\n {4}env: {6}none; {2}secrets: HF_TOKEN$/m);
    expect(text).toMatch(/env: {6}API_URL, MODE$/m);
    const page = await renderHtml({ stack: "group-140", view, violations: [], problems: [] });
    for (const out of [text, stackDot(view), page]) {
      expect(out).not.toContain("very-visible-value");
      expect(out).not.toContain("hf-value");
    }
    // The page carries the diagram Graphviz laid out here, as SVG: no script draws it in the browser.
    expect(page).not.toMatch(/<script\b/);
    expect(/<div id="diagram"><svg[\s\S]*<\/svg><\/div>/.test(page)).toBe(true);
    const titles = [...page.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1].replace(/&#45;/g, "-").replace(/&gt;/g, ">"));
    expect(titles).toEqual(expect.arrayContaining(["service:api", "service:web", "service:web->service:api"]));
    // web invokes api (a caller), drawn once, not also as a "calls" edge.
    expect(stackDot(view)).toContain('"service:web" -> "service:api" [label="invokes"');
    expect(stackDot(view)).not.toContain('"service:web" -> "service:api" [label="calls"');
  });
});

describe("cost", () => {
  it("shows a figure it cannot price as the word unknown, never as $0", () => {
    expect(money(0, true)).toBe("unknown");
    expect(money(1.5, true, 2)).toBe("1.50 + unknown");
    const text = renderCost({
      idleMonthlyUsd: 0,
      activeHourlyUsd: 0.2,
      items: [{ resource: "trainer-vm", kind: "active", usd: 0, basis: "no price for x in y", unknown: ["x in y"] }],
      unknown: ["trainer-vm: x in y"],
    });
    expect(text).toContain("active, per hour:  0.20 + unknown");
    expect(text).toMatch(/trainer-vm {2}active {4}unknown {2}no price/);
    expect(text).toContain("  unknown: trainer-vm: x in y");
  });
});

describe("outputs", () => {
  it("give the dashboard as its console URL", async () => {
    const { plan } = await planFile("group-140");
    expect(plan.outputs.dashboard).toMatch(/^https:\/\/console\.cloud\.google\.com\/monitoring\/dashboards\/builder\/[0-9a-f-]{36}\?project=dtu-mlops-140$/);
  });
});

describe("the resource tree", () => {
  it("marks what is deleted with another resource, so a reader sees what a teardown takes along", async () => {
    const { plan } = await planFile("group-140");
    const text = renderPlan(plan);
    expect(text).toMatch(/^ {4}buckets-data-ci-deploy-admin {2}\(gcp:storage\/bucketIAMMember:BucketIAMMember\) \[protected\] \[deleted with buckets-data\] /m);
  });
});
