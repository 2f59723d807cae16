/** Every derived name within Google's limits, blamed on the key that makes it too long. */
import * as gcp from "../lib/gcp";
import { CI_WORKLOADS } from "./github";
import { deriveNames, SUFFIX_LENGTH } from "./names";
import type { Fields } from "./schema";
import { BUCKETS } from "./storage";
import { RESERVED_WORKLOADS } from "./workload";
import { workloadsFrom } from "./workload-checks";

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
    ...Object.keys(f["mlops:services"] ?? {}).map((k) => ({
      key: `mlops:services.${k}`,
      what: "Cloud Run service name",
      name: names.serviceName(k),
      rule: gcp.CLOUD_RUN_NAME,
    })),
    ...BUCKETS.map((b) => ({ key: "gcp:project", what: "bucket name", name: `${names.bucketBase(b)}-${suffix}`, rule: gcp.BUCKET_NAME })),
    { key: "mlops:group", what: "repository id", name: names.repositoryId, rule: gcp.REPOSITORY_ID },
  ];
  if (f["mlops:github"]) {
    derived.push(
      { key: "mlops:group", what: "workload identity pool id", name: `${names.wifPoolBase}-${suffix}`, rule: gcp.WIF_ID },
      { key: "mlops:group", what: "workload identity provider id", name: `${names.wifProviderBase}-${suffix}`, rule: gcp.WIF_ID },
      { key: "mlops:group", what: "custom role id", name: `${names.trainRoleBase}_${suffix}`, rule: gcp.CUSTOM_ROLE_ID },
    );
  }
  if (f["mlops:budget"]?.stopAt !== undefined) {
    const g = names.guard;
    derived.push(
      { key: "mlops:group", what: "service-account id", name: g.runtimeAccount, rule: gcp.SERVICE_ACCOUNT_ID },
      { key: "mlops:group", what: "service-account id", name: g.pushAccount, rule: gcp.SERVICE_ACCOUNT_ID },
      { key: "mlops:group", what: "Cloud Run service name", name: g.service, rule: gcp.CLOUD_RUN_NAME },
      { key: "mlops:group", what: "custom role id", name: `${g.jobsRoleBase}_${suffix}`, rule: gcp.CUSTOM_ROLE_ID },
      { key: "mlops:group", what: "custom role id", name: `${g.runRoleBase}_${suffix}`, rule: gcp.CUSTOM_ROLE_ID },
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
