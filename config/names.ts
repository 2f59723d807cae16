/** Resource names derived from the project and group (names-checks.ts checks them against Google's limits). */
import { serviceAccountEmail } from "../lib/gcp";

/** Resource names derived from the project and group; every one is checked against Google's limits. */
export interface Names {
  /** Prefix of per-stack names: the group, with a leading "g" when the group starts with a digit. */
  prefix: string;
  serviceAccountId(workload: string): string;
  /** The email of a workload's service account, as Google assigns it. */
  serviceAccountEmail(workload: string): string;
  /** Bucket name before its random suffix. */
  bucketBase(bucket: string): string;
  wifPoolBase: string;
  wifProviderBase: string;
  /** ci-train's custom role id before its random suffix (role ids allow letters, digits, `_` and `.`). */
  trainRoleBase: string;
  repositoryId: string;
  secretId(name: string): string;
  /** Cloud Run service name for a service key. */
  serviceName(key: string): string;
  /** The stack's own VPC, its training subnet, and the router and NAT when runs need the internet. */
  network: { vpc: string; subnet: string; router: string; nat: string };
  /** Display name of training runs; the train command appends a timestamp to make each job id unique. */
  trainJob: string;
  /** The credit guard: its Cloud Run service, topic and subscription, accounts and custom role ids before their suffix. */
  guard: { service: string; topic: string; subscription: string; runtimeAccount: string; pushAccount: string; jobsRoleBase: string; runRoleBase: string };
}

/** The workload names of the credit guard's accounts (`<prefix>-guard`, `<prefix>-guard-push`, services/guard/README.md). */
export const GUARD_ACCOUNTS = { runtime: "guard", push: "guard-push" } as const;
/** The guard's Cloud Run service, after the prefix. */
export const GUARD_SERVICE = "credit-guard";

/** Length of the random suffix (hex of a 3-byte RandomId) that makes global names unique. */
export const SUFFIX_LENGTH = 6;

export function deriveNames(project: string, group: string): Names {
  const prefix = /^[a-z]/.test(group) ? group : `g${group}`;
  const serviceAccountId = (workload: string) => `${prefix}-${workload}`;
  return {
    prefix,
    serviceAccountId,
    serviceAccountEmail: (workload) => serviceAccountEmail(serviceAccountId(workload), project),
    bucketBase: (bucket) => `${project}-${bucket}`,
    wifPoolBase: `${prefix}-github`,
    wifProviderBase: `${prefix}-gh`,
    trainRoleBase: `${prefix.replace(/-/g, "_")}_ci_train`,
    repositoryId: `${prefix}-images`,
    secretId: (name) => `${prefix}-${name.toLowerCase().replace(/_/g, "-")}`,
    serviceName: (key) => `${prefix}-${key}`,
    network: { vpc: `${prefix}-vpc`, subnet: `${prefix}-training`, router: `${prefix}-router`, nat: `${prefix}-nat` },
    trainJob: `${prefix}-train`,
    guard: {
      service: `${prefix}-${GUARD_SERVICE}`,
      topic: `${prefix}-budget`,
      subscription: `${prefix}-${GUARD_SERVICE}`,
      runtimeAccount: serviceAccountId(GUARD_ACCOUNTS.runtime),
      pushAccount: serviceAccountId(GUARD_ACCOUNTS.push),
      jobsRoleBase: `${prefix.replace(/-/g, "_")}_guard_jobs`,
      runRoleBase: `${prefix.replace(/-/g, "_")}_guard_run`,
    },
  };
}
