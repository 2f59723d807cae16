/** Resource names derived from the project and group, and their checks against Google's limits. */
import * as gcp from "../lib/gcp";
import { CI_WORKLOADS } from "./identities";
import type { Fields } from "./schema";
import { BUCKETS } from "./storage";
import { RESERVED_WORKLOADS, workloadsFrom } from "./workload";

/** Resource names derived from the project and group; every one is checked against Google's limits. */
export interface Names {
  /** Prefix of per-stack names: the group, with a leading "g" when the group starts with a digit. */
  prefix: string;
  serviceAccountId(workload: string): string;
  /** Bucket name before its random suffix. */
  bucketBase(bucket: string): string;
  wifPoolBase: string;
  wifProviderBase: string;
  repositoryId: string;
  secretId(name: string): string;
  /** Cloud Run service name for a service key. */
  serviceName(key: string): string;
  /** The stack's own VPC, its training subnet, and the router and NAT when runs need the internet. */
  network: { vpc: string; subnet: string; router: string; nat: string };
  /** Display name of training runs; the train command appends a timestamp to make each job id unique. */
  trainJob: string;
}

/** Length of the random suffix (hex of a 3-byte RandomId) that makes global names unique. */
export const SUFFIX_LENGTH = 6;

export function deriveNames(project: string, group: string): Names {
  const prefix = /^[a-z]/.test(group) ? group : `g${group}`;
  return {
    prefix,
    serviceAccountId: (workload) => `${prefix}-${workload}`,
    bucketBase: (bucket) => `${project}-${bucket}`,
    wifPoolBase: `${prefix}-github`,
    wifProviderBase: `${prefix}-gh`,
    repositoryId: `${prefix}-images`,
    secretId: (name) => `${prefix}-${name.toLowerCase().replace(/_/g, "-")}`,
    serviceName: (key) => `${prefix}-${key}`,
    network: { vpc: `${prefix}-vpc`, subnet: `${prefix}-training`, router: `${prefix}-router`, nat: `${prefix}-nat` },
    trainJob: `${prefix}-train`,
  };
}

interface Derived {
  /** The config key to change when the name is too long. */
  key: string;
  what: string;
  name: string;
  rule: gcp.NameRule;
}

/** Every derived name within Google's limits, blamed on the key that makes it too long. */
export function derivedNameChecks(f: Fields): string[] {
  const project = f["gcp:project"];
  const group = f["mlops:group"];
  if (!project || !group) return [];
  const names = deriveNames(project, group);
  const suffix = "x".repeat(SUFFIX_LENGTH);
  const derived: Derived[] = [
    ...[...CI_WORKLOADS, ...workloadsFrom(f)].map((w) => ({
      key: RESERVED_WORKLOADS.includes(w) ? "mlops:group" : `mlops:services.${w}`,
      what: "service-account id",
      name: names.serviceAccountId(w),
      rule: gcp.SERVICE_ACCOUNT_ID,
    })),
    ...Object.keys(f["mlops:services"] ?? {}).map((k) => ({ key: `mlops:services.${k}`, what: "Cloud Run service name", name: names.serviceName(k), rule: gcp.CLOUD_RUN_NAME })),
    ...BUCKETS.map((b) => ({ key: "gcp:project", what: "bucket name", name: `${names.bucketBase(b)}-${suffix}`, rule: gcp.BUCKET_NAME })),
    { key: "mlops:group", what: "repository id", name: names.repositoryId, rule: gcp.REPOSITORY_ID },
  ];
  if (f["mlops:github"]) {
    derived.push(
      { key: "mlops:group", what: "workload identity pool id", name: `${names.wifPoolBase}-${suffix}`, rule: gcp.WIF_ID },
      { key: "mlops:group", what: "workload identity provider id", name: `${names.wifProviderBase}-${suffix}`, rule: gcp.WIF_ID },
    );
  }
  const problems: string[] = [];
  for (const { key, what, name, rule } of derived) {
    const why = gcp.nameProblem(name, rule);
    if (why) problems.push(`${key}: derived ${what} "${name}" ${why}; ${advice(key, name, rule)}`);
  }
  return problems;
}

/** What to change when a derived name breaks its rule: too short, too long, or its characters. */
function advice(key: string, name: string, rule: gcp.NameRule): string {
  const what = key.startsWith("mlops:services.") ? "service name" : key.split(":")[1];
  if (name.length < rule.min) return `choose a longer ${what} (the name must have at least ${rule.min} characters)`;
  if (name.length > rule.max) return `choose a shorter ${what}`;
  return `change the ${what}`;
}
