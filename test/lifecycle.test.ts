/**
 * Pausing and tearing down, as the pause workflow and the README's "Day to day" promise them: paused, a stack
 * runs nothing that costs money and keeps its data; `pulumi destroy --exclude-protected` removes exactly what
 * costs money; with protectData off nothing is protected, so a full `pulumi destroy` succeeds.
 */
import { describe, expect, it } from "vitest";
import { readStackFile } from "../config";
import { planRaw, stackFilePath, type Plan, type PlannedResource, type PlanResult, stackFiles } from "../plan";
import { REPO_ROOT } from "./repo";

const stacks = stackFiles(REPO_ROOT)
  .map((f) => f.stack)
  .sort();

/** What costs money while it exists or runs. */
const COSTLY = [
  "gcp:compute/instance:Instance",
  "gcp:cloudrunv2/service:Service",
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig",
  "gcp:monitoring/alertPolicy:AlertPolicy",
];
/** Data and identity that must survive a pause: buckets, images, secrets, CI's accounts, keyless CI. */
const KEPT = [
  "gcp:storage/bucket:Bucket",
  "gcp:artifactregistry/repository:Repository",
  "gcp:secretmanager/secret:Secret",
  "gcp:secretmanager/secretVersion:SecretVersion",
  "gcp:serviceaccount/account:Account",
  "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
  "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
];

const planned = new Map<string, Promise<PlanResult>>();
/** The stack file's plan, with `changes` added to its raw config (as `pulumi config set` would). */
async function planOf(stack: string, changes: Record<string, unknown> = {}): Promise<Extract<PlanResult, { ok: true }>> {
  const key = `${stack} ${JSON.stringify(changes)}`;
  if (!planned.has(key)) {
    const read = readStackFile(stackFilePath(stack, REPO_ROOT));
    if (!read.ok) throw new Error(read.problems.join("\n"));
    planned.set(key, planRaw({ ...read.raw, ...changes }, stack));
  }
  const result = await planned.get(key)!;
  if (!result.ok) throw new Error(`Pulumi.${stack}.yaml with ${JSON.stringify(changes)} does not plan:\n${result.problems.join("\n")}`);
  return result;
}

const id = (r: PlannedResource) => `${r.type} ${r.name}`;
const isRuntimeAccount = (r: PlannedResource) => r.type === "gcp:serviceaccount/account:Account" && r.parent === "identities";
const protectedIn = (plan: Plan) => plan.resources.filter((r) => r.protect);

/** What `pulumi destroy --exclude-protected` keeps: protected resources and everything they depend on or live in
 * (pulumi/pulumi pkg/cmd/pulumi: separateProtected keeps the transitive dependencies of protected resources). */
function keptByExcludeProtected(plan: Plan): PlannedResource[] {
  const byName = new Map(plan.resources.map((r) => [r.name, r]));
  const kept = new Set<PlannedResource>();
  const keep = (r: PlannedResource | undefined): void => {
    if (!r || kept.has(r)) return;
    kept.add(r);
    [r.parent, ...r.dependsOn].forEach((name) => keep(byName.get(name)));
  };
  protectedIn(plan).forEach(keep);
  return [...kept];
}

describe.each(stacks)("Pulumi.%s.yaml", (stack) => {
  const isGuard = (r: { name: string }) => r.name.startsWith("credit-guard");

  it("paused (mlops:paused: true), holds no VM, Cloud Run service, uptime check or alert policy", async () => {
    const { plan, config } = await planOf(stack);
    if (config.services.length || config.training?.kind === "vm") {
      expect(
        plan.resources.filter((r) => COSTLY.includes(r.type)),
        "the running stack has something to pause",
      ).not.toEqual([]);
    }
    const paused = await planOf(stack, { "mlops:paused": true });
    // The credit guard stays (docs/operations.md): scaled to zero it costs nothing, and training survives a pause.
    expect(paused.plan.resources.filter((r) => COSTLY.includes(r.type) && !isGuard(r)).map(id)).toEqual([]);
    expect(paused.plan.outputs.paused).toBe(true);
  });

  it("paused, keeps training as it is (spec, network, grants: all free between runs), so a run in progress is not cut", async () => {
    const { plan, config } = await planOf(stack);
    if (!config.training) return;
    const training = (p: Plan) =>
      p.resources
        .filter((r) => r.name === "training" || r.parent === "training" || r.parent === "network")
        .map(id)
        .sort();
    const paused = (await planOf(stack, { "mlops:paused": true })).plan;
    expect(training(paused)).toEqual(training(plan));
    expect(training(paused).length).toBeGreaterThan(0);
  });

  it("paused, still holds every protected resource of the running stack, under the same name and still protected", async () => {
    const running = protectedIn((await planOf(stack)).plan).map(id);
    expect(running).not.toEqual([]);
    const paused = (await planOf(stack, { "mlops:paused": true })).plan;
    expect(protectedIn(paused).map(id)).toEqual(running);
  });

  it("protects the buckets, the registry, the secrets, CI's accounts and workload identity (protectData defaults to true)", async () => {
    const { plan, config } = await planOf(stack);
    // A workload's account, and the credit guard's, follow the stack file: unprotected (components/identities.ts).
    const kept = plan.resources.filter((r) => KEPT.includes(r.type) && !isGuard(r) && !isRuntimeAccount(r));
    expect(kept.filter((r) => !r.protect).map(id)).toEqual([]);
    const count = (type: string) => kept.filter((r) => r.type === type).length;
    expect(count("gcp:storage/bucket:Bucket")).toBe(3);
    expect(count("gcp:artifactregistry/repository:Repository")).toBe(1);
    expect(count("gcp:secretmanager/secret:Secret")).toBe(config.secrets.length);
    expect(count("gcp:serviceaccount/account:Account")).toBe(config.github ? 3 : 0);
    expect(count("gcp:iam/workloadIdentityPool:WorkloadIdentityPool")).toBe(config.github ? 1 : 0);
    expect(count("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")).toBe(config.github ? 1 : 0);
  });

  it("leaves each workload's account unprotected, so removing the workload from the stack file can delete it", async () => {
    const { plan, config } = await planOf(stack);
    const runtime = plan.resources.filter(isRuntimeAccount);
    expect(runtime.map((r) => r.inputs.accountId).sort()).toEqual(config.workloads.map((w) => config.names.serviceAccountId(w)).sort());
    expect(runtime.filter((r) => r.protect).map(id)).toEqual([]);
  });

  it("`pulumi destroy --exclude-protected` (a pause by hand) removes everything that costs money", async () => {
    const { plan } = await planOf(stack);
    expect(
      keptByExcludeProtected(plan)
        .filter((r) => COSTLY.includes(r.type))
        .map(id),
    ).toEqual([]);
  });

  it("with mlops:protectData: false, every resource protected by default is unprotected, and buckets may be deleted with their data", async () => {
    const protectedByDefault = protectedIn((await planOf(stack)).plan).map(id);
    const open = (await planOf(stack, { "mlops:protectData": false })).plan;
    const byId = new Map(open.resources.map((r) => [id(r), r]));
    for (const resource of protectedByDefault) expect(byId.get(resource)?.protect, resource).toBe(false);
    expect(protectedIn(open).map(id)).toEqual([]);
    const buckets = open.resources.filter((r) => r.type === "gcp:storage/bucket:Bucket");
    expect(buckets.map((b) => b.inputs.forceDestroy)).toEqual([true, true, true]);
    const kept = (await planOf(stack)).plan.resources.filter((r) => r.type === "gcp:storage/bucket:Bucket");
    expect(kept.map((b) => b.inputs.forceDestroy)).toEqual([false, false, false]);
  });
});

describe("the destroy model the pause test relies on", () => {
  it("keeps a costly resource that a protected resource depends on, so the pause test could catch one", () => {
    const r = (name: string, type: string, protect: boolean, dependsOn: string[] = []): PlannedResource => ({
      urn: `urn:pulumi:t::mlops::${type}::${name}`,
      type,
      name,
      parent: "stack",
      protect,
      inputs: {},
      dependsOn,
    });
    const plan: Plan = {
      stack: "t",
      outputs: {},
      resources: [r("svc", COSTLY[1], false), r("grant", "gcp:cloudrunv2/serviceIamMember:ServiceIamMember", true, ["svc"]), r("vm", COSTLY[0], false)],
    };
    expect(
      keptByExcludeProtected(plan)
        .map((x) => x.name)
        .sort(),
    ).toEqual(["grant", "svc"]);
  });
});
