/**
 * Reviewed inventories in the style of Cloud Foundation Fabric's tests: a plan summarised as what a reviewer
 * checks, compared with test/golden/NAME.yaml. `npm run golden -- --stack NAME` (or `--all`) writes it; the
 * file is then reviewed like code (read the diff before committing it). The full plan is `npm run plan`.
 *
 * - `counts`: resources per type; every type the file lists must have exactly that many (0: none).
 * - `protected`: every protected resource with the type chain of its URN; an upgrade must keep each one.
 * - `iam`: every grant, one line each (member, role, resource, condition); compared exactly.
 * - `values`: the key settings of the resources a reviewer reads (names, access, limits); compared as a
 *   subset, `__missing__` meaning "must be absent".
 * - `outputs`: what the stack tells its group; compared as a subset.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as YAML from "yaml";
import { planStackFile, stackFilePath, stackFiles, type Plan, type PlannedResource } from "../plan";
import { GRANTED_ON } from "../plan/view";

export const MISSING = "__missing__";
const ROOT = path.join(__dirname, "..");
const GOLDEN_DIR = path.join(ROOT, "test", "golden");

export interface Inventory {
  counts: Record<string, number>;
  protected: Record<string, string>;
  iam: string[];
  values: Record<string, Record<string, unknown>>;
  outputs: Record<string, unknown>;
}

/** The settings a reviewer checks, by resource type: dotted input paths (`[0]` for a list's first entry). */
const KEY_SETTINGS: Record<string, string[]> = {
  "gcp:projects/service:Service": ["service", "disableOnDestroy"],
  "gcp:storage/bucket:Bucket": [
    "name",
    "location",
    "forceDestroy",
    "publicAccessPrevention",
    "uniformBucketLevelAccess",
    "versioning.enabled",
    "softDeletePolicy.retentionDurationSeconds",
  ],
  "gcp:artifactregistry/repository:Repository": ["repositoryId", "format", "cleanupPolicyDryRun"],
  "gcp:serviceaccount/account:Account": ["accountId"],
  "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": ["workloadIdentityPoolId"],
  "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": ["workloadIdentityPoolProviderId", "attributeCondition"],
  "gcp:secretmanager/secret:Secret": ["secretId"],
  "gcp:cloudrunv2/service:Service": [
    "name",
    "ingress",
    "deletionProtection",
    "template.serviceAccount",
    "template.scaling.maxInstanceCount",
    "template.containers[0].image",
  ],
  "docker:index/image:Image": ["imageName", "build.context", "build.dockerfile"],
  "gcp:compute/network:Network": ["name", "autoCreateSubnetworks"],
  "gcp:compute/subnetwork:Subnetwork": ["name", "ipCidrRange", "privateIpGoogleAccess"],
  "gcp:compute/router:Router": ["name"],
  "gcp:compute/routerNat:RouterNat": ["name"],
  "gcp:storage/bucketObject:BucketObject": ["bucket", "name"],
  "gcp:monitoring/notificationChannel:NotificationChannel": ["type", "labels.email_address"],
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": ["displayName", "period"],
  "gcp:monitoring/alertPolicy:AlertPolicy": ["displayName"],
  "gcp:billing/budget:Budget": ["displayName", "amount.specifiedAmount.units", "allUpdatesRule.pubsubTopic"],
  "gcp:pubsub/topic:Topic": ["name"],
  "gcp:pubsub/subscription:Subscription": [
    "name",
    "ackDeadlineSeconds",
    "expirationPolicy.ttl",
    "pushConfig.oidcToken.serviceAccountEmail",
    "pushConfig.oidcToken.audience",
  ],
  "mlops:training:BatchJob": ["machineType", "gpus", "spot", "maxRunHours"],
  "mlops:training:VertexJob": ["machineType", "accelerator", "spot", "maxRunHours"],
};

/** The outputs a group reads first. */
const KEY_OUTPUTS = ["project", "region", "group", "paused", "buckets", "serviceUrls", "serviceAccounts", "trainCommand", "workloadIdentityProvider"];

function at(value: unknown, dotted: string): unknown {
  let v = value;
  for (const part of dotted.split(".")) {
    const m = /^(.+?)\[(\d+)\]$/.exec(part);
    v = (v as Record<string, unknown> | undefined)?.[m ? m[1] : part];
    if (m) v = (v as unknown[] | undefined)?.[Number(m[2])];
  }
  return v;
}

/** A grant as one line: member, role, the resource it is on and its condition; undefined for anything else. */
export function iamLine(r: Pick<PlannedResource, "type" | "inputs">): string | undefined {
  if (!(r.type in GRANTED_ON)) return undefined;
  const on = GRANTED_ON[r.type];
  const condition = r.inputs.condition as { title?: string } | undefined;
  return `${String(r.inputs.member)} ${String(r.inputs.role)} on ${r.type.split(":")[1].split("/")[0]} ${String(r.inputs[on])}${condition ? ` if ${condition.title}` : ""}`;
}

/** The inputs a grant's line shows in full (a condition only by its title). */
export const iamLineInputs = (type: string): string[] => (type in GRANTED_ON ? [GRANTED_ON[type], "member", "role"] : []);

export function inventoryOf(plan: Plan): Inventory {
  const byName = new Map<string, PlannedResource>();
  for (const r of plan.resources) {
    if (byName.has(r.name)) throw new Error(`two resources are named "${r.name}"; logical names must be unique in a stack`);
    byName.set(r.name, r);
  }
  const typeChain = (r: PlannedResource): string => {
    const parent = byName.get(r.parent);
    return parent ? `${typeChain(parent)}$${r.type}` : r.type;
  };
  const counts: Record<string, number> = {};
  for (const r of plan.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  const values: Record<string, Record<string, unknown>> = {};
  for (const r of plan.resources) {
    const keys = KEY_SETTINGS[r.type];
    if (!keys) continue;
    values[r.name] = Object.fromEntries(keys.map((k) => [k, at(r.inputs, k) ?? MISSING]));
  }
  return {
    counts: Object.fromEntries(Object.entries(counts).sort()),
    protected: Object.fromEntries(plan.resources.filter((r) => r.protect).map((r) => [r.name, typeChain(r)])),
    iam: plan.resources.flatMap((r) => iamLine(r) ?? []).sort(),
    values,
    outputs: Object.fromEntries(KEY_OUTPUTS.filter((k) => k in plan.outputs).map((k) => [k, plan.outputs[k]])),
  };
}

/** Every way `actual` departs from `expected`, each as `path: expected …, got …`. */
export function subsetProblems(expected: unknown, actual: unknown, where = ""): string[] {
  if (expected === MISSING) return actual === undefined || actual === MISSING ? [] : [`${where}: expected absent, got ${JSON.stringify(actual)}`];
  if (expected && typeof expected === "object") {
    if (!actual || typeof actual !== "object") return [`${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual) || actual.length !== expected.length)
        return [`${where}: expected a list of ${expected.length}, got ${JSON.stringify(actual)}`];
      return expected.flatMap((e, i) => subsetProblems(e, actual[i], `${where}[${i}]`));
    }
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
      subsetProblems(v, (actual as Record<string, unknown>)[k], where ? `${where}.${k}` : k),
    );
  }
  return expected === actual ? [] : [`${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

/** What differs between a reviewed inventory and a plan's, one line each. */
export function compareInventory(golden: Partial<Inventory>, actual: Inventory): string[] {
  const counts = Object.entries(golden.counts ?? {}).flatMap(([type, n]) =>
    (actual.counts[type] ?? 0) === n ? [] : [`counts.${type}: expected ${n}, got ${actual.counts[type] ?? 0}`],
  );
  const exactly = <T>(what: string, expected: T[] | undefined, got: T[], show: (t: T) => string) => {
    if (expected === undefined) return [];
    const want = new Set(expected.map(show));
    const have = new Set(got.map(show));
    return [
      ...[...want].filter((x) => !have.has(x)).map((x) => `${what}: missing ${x}`),
      ...[...have].filter((x) => !want.has(x)).map((x) => `${what}: unexpected ${x}`),
    ];
  };
  return [
    ...counts,
    ...exactly("protected", golden.protected && Object.entries(golden.protected), Object.entries(actual.protected), ([n, chain]) => `${n} (${chain})`),
    ...exactly("iam", golden.iam, actual.iam, (g) => g),
    ...subsetProblems(golden.values ?? {}, actual.values, "values"),
    ...subsetProblems(golden.outputs ?? {}, actual.outputs, "outputs"),
  ];
}

export const goldenPath = (stack: string): string => path.join(GOLDEN_DIR, `${stack}.yaml`);

export function readGolden(stack: string): Inventory | undefined {
  const file = goldenPath(stack);
  return fs.existsSync(file) ? (YAML.parse(fs.readFileSync(file, "utf8")) as Inventory) : undefined;
}

export function regenerateCommand(stack: string): string {
  return `npm run golden -- --stack ${stack}   (then review the diff: git diff test/golden/${stack}.yaml)`;
}

/** One line per resource, grant and output: a diff shows exactly what changed. */
export function goldenText(stack: string, inventory: Inventory): string {
  const header = `# Reviewed inventory of Pulumi.${stack}.yaml, compared by test/stacks.test.ts (the full plan: npm run plan -- --stack ${stack}).\n# Regenerate: ${regenerateCommand(stack)}\n`;
  const doc = new YAML.Document(inventory);
  YAML.visit(doc, {
    Map(_, node, path) {
      // The sections' entries and the values' resources are single lines.
      if (path.length >= 4) node.flow = true;
    },
    Seq(_, node, path) {
      if (path.length >= 4) node.flow = true;
    },
  });
  return header + doc.toString({ lineWidth: 0 });
}

/** The stacks with a reviewed golden: this repository's dev stack and the examples, not stacks groups add. */
export const goldenStacks = (): string[] => stackFiles(ROOT).flatMap((f) => (f.example || f.stack === "dev" ? [f.stack] : []));

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { stack: { type: "string", multiple: true }, all: { type: "boolean" } } });
  const stacks = values.all ? goldenStacks() : (values.stack ?? []);
  if (!stacks.length) {
    process.stderr.write("usage: npm run golden -- --stack NAME [--stack NAME …] | --all\n");
    return 2;
  }
  for (const stack of stacks) {
    const result = await planStackFile(stackFilePath(stack, ROOT));
    if (!result.ok) {
      process.stderr.write(`${stack}:\n  ${result.problems.join("\n  ")}\n`);
      return 2;
    }
    fs.writeFileSync(goldenPath(stack), goldenText(stack, inventoryOf(result.plan)));
    process.stdout.write(`wrote test/golden/${stack}.yaml (${result.plan.resources.length} resources)\n`);
  }
  return 0;
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
