/** The offline plan as `npm run plan` prints it: a resource tree, the cost, the policy verdict, or one JSON document. */
import type { CostEstimate } from "../lib/cost";
import type { Violation } from "../policy/rules";
import type { Plan, PlannedResource } from "./record";
import { accessOf, grantsOf, type StackView } from "./view";

/** The inputs worth a glance in the human view, by resource type. */
const KEY_SETTINGS: Record<string, string[]> = {
  "gcp:projects/service:Service": ["service"],
  "gcp:storage/bucket:Bucket": ["name", "location", "versioning.enabled", "publicAccessPrevention", "forceDestroy"],
  "gcp:artifactregistry/repository:Repository": ["repositoryId", "format", "location"],
  "gcp:serviceaccount/account:Account": ["accountId"],
  "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": ["workloadIdentityPoolId"],
  "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": ["workloadIdentityPoolProviderId", "attributeCondition"],
  "gcp:storage/bucketIAMMember:BucketIAMMember": ["bucket", "role", "member"],
  "gcp:projects/iAMMember:IAMMember": ["role", "member"],
  "gcp:serviceaccount/iAMMember:IAMMember": ["role", "member"],
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": ["repository", "role", "member"],
  "gcp:secretmanager/secret:Secret": ["secretId"],
  "gcp:secretmanager/secretIamMember:SecretIamMember": ["secretId", "role", "member"],
  "mlops:training:BatchJob": ["machineType", "gpus", "spot", "maxRunHours", "maxRetryCount"],
  "gcp:compute/subnetwork:Subnetwork": ["name", "privateIpGoogleAccess"],
  "gcp:cloudrunv2/service:Service": ["name", "template.containers[0].image", "template.scaling.maxInstanceCount"],
  "gcp:pubsub/topic:Topic": ["name"],
  "gcp:pubsub/topicIAMMember:TopicIAMMember": ["role", "member"],
  "gcp:pubsub/subscription:Subscription": ["name", "pushConfig.oidcToken.serviceAccountEmail", "pushConfig.oidcToken.audience"],
};

function pick(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, part) => {
    const m = /^(\w+)\[(\d+)\]$/.exec(part);
    const obj = v as Record<string, unknown> | undefined;
    return m ? (obj?.[m[1]] as unknown[] | undefined)?.[Number(m[2])] : obj?.[part];
  }, value);
}

function settings(r: PlannedResource): string {
  return (KEY_SETTINGS[r.type] ?? [])
    .map((key) => [key, pick(r.inputs, key)] as const)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join("  ");
}

/** A figure, or the word unknown (with the priced part when there is one); an unpriced part is never $0. */
export function money(usd: number, unknown: boolean, digits = 4): string {
  if (!unknown) return usd.toFixed(digits);
  return usd > 0 ? `${usd.toFixed(digits)} + unknown` : "unknown";
}

export function renderCost(cost: CostEstimate): string {
  const anyUnknown = (kind: string) => cost.items.some((i) => i.kind === kind && i.unknown?.length);
  const lines = [
    "cost estimate (USD):",
    `  idle, per month:   ${money(cost.idleMonthlyUsd, anyUnknown("idle"), 2)}`,
    `  active, per hour:  ${money(cost.activeHourlyUsd, anyUnknown("active"), 2)}`,
  ];
  const width = Math.max(...cost.items.map((i) => i.resource.length), 8);
  for (const i of cost.items) {
    lines.push(`  ${i.resource.padEnd(width)}  ${i.kind.padEnd(6)}  ${money(i.usd, Boolean(i.unknown?.length)).padStart(9)}  ${i.basis}`);
  }
  for (const u of cost.unknown ?? []) lines.push(`  unknown: ${u}`);
  return lines.join("\n");
}

/** The stack by workload: services, training, buckets, registry and CI, as a reviewer reads them. */
export function renderView(view: StackView): string {
  const lines = [`stack ${view.stack}  (project ${view.project}, region ${view.region})`, "", "services:"];
  if (!view.services.length) lines.push("  none");
  for (const s of view.services) {
    lines.push(`  ${s.key}  ${s.public ? "public" : "private"}  port ${s.port}  (${s.name})`);
    lines.push(`    image:    ${s.image}`);
    lines.push(`    callers:  ${s.public ? "anyone on the internet" : s.callers.join(", ") || "none (only the project's own users)"}`);
    if (s.calls.length) lines.push(`    calls:    ${s.calls.join(", ")}`);
    lines.push(`    env:      ${s.env.join(", ") || "none"}${s.secrets.length ? `;  secrets: ${s.secrets.join(", ")}` : ""}`);
    lines.push(`    access:   ${grantsOf(view, s.key)}`);
  }
  if (view.training) {
    const t = view.training;
    lines.push("", `training: ${t.kind}  ${t.machine}`, `    image:    ${t.image}`);
    lines.push(`    env:      ${t.env.join(", ") || "none"}${t.secrets.length ? `;  secrets: ${t.secrets.join(", ")}` : ""}`);
    lines.push(`    access:   ${grantsOf(view, "trainer")}`);
    lines.push(
      `    args:     ${t.args.length ? `${JSON.stringify(t.args)} after the image's ENTRYPOINT, in place of its CMD` : "none: the image runs its ENTRYPOINT and CMD as built"}`,
    );
  }
  lines.push("", "buckets:");
  const nameWidth = Math.max(0, ...view.buckets.map((b) => b.name.length));
  for (const b of view.buckets) lines.push(`  ${b.key.padEnd(11)}  ${b.name.padEnd(nameWidth)}  ${accessOf(view, `bucket:${b.key}`)}`);
  if (view.registry) lines.push("", `registry: ${view.registry}  ${accessOf(view, "registry")}`);
  if (view.guard) {
    lines.push("", `credit guard: ${view.guard.service}`, `    at the cap: ${view.guard.atTheCap}`);
    for (const a of view.guard.accounts) lines.push(`  ${a.who}  ${a.email}`, ...a.grants.map((g) => `    ${g}`));
  }
  if (view.ci.length) {
    lines.push("", `CI identities (GitHub ${view.github}):`);
    for (const c of view.ci) lines.push(`  ${c.workload}  ${c.email}`, `    roles: ${c.roles.join(", ") || "none"}`);
  }
  return lines.join("\n");
}

export function renderPlan(plan: Plan): string {
  const children = new Map<string, PlannedResource[]>();
  for (const r of plan.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const names = new Set(plan.resources.map((r) => r.name));
  const roots = plan.resources.filter((r) => !names.has(r.parent));
  const lines = ["resources by component:"];
  const walk = (r: PlannedResource, depth: number): void => {
    const mark = `${r.protect ? " [protected]" : ""}${r.deletedWith ? ` [deleted with ${r.deletedWith}]` : ""}`;
    lines.push(`${"  ".repeat(depth)}${r.name}  (${r.type})${mark}  ${settings(r)}`.trimEnd());
    for (const child of children.get(r.name) ?? []) walk(child, depth + 1);
  };
  for (const r of roots) walk(r, 1);
  const protectedCount = plan.resources.filter((r) => r.protect).length;
  lines.push(`${plan.resources.length} resources, ${protectedCount} protected`, "outputs:");
  for (const [key, value] of Object.entries(plan.outputs)) {
    lines.push(`  ${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  return lines.join("\n");
}

/** The document `--json` prints; its shape is a contract other tools read (docs/plan.md). */
export function planJson(plan: Plan, cost: CostEstimate, violations: Violation[]): object {
  return {
    stack: plan.stack,
    resources: plan.resources.map(({ urn, type, name, parent, protect, dependsOn, deletedWith, aliases, aliasParents, inputs }) => ({
      urn,
      type,
      name,
      parent,
      protect,
      dependsOn,
      ...(deletedWith && { deletedWith }),
      ...(aliases && { aliases }),
      ...(aliasParents && { aliasParents }),
      inputs,
    })),
    outputs: plan.outputs,
    cost,
    violations,
  };
}

export function renderViolations(violations: Violation[]): string {
  if (!violations.length) return "policy: no violations";
  return ["policy violations:", ...violations.map((v) => `  [${v.level}] ${v.policy}: ${v.message}`)].join("\n");
}
