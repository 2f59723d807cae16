/** Rules that keep the bill small and readable: old images are deleted, resources carry the group's labels. */
import { forType, T, type Props, type Rule } from "./rule";

/** Resource types that take labels, and the field that holds them. */
const LABELLED: Record<string, string> = {
  [T.bucket]: "labels",
  [T.run]: "labels",
  [T.repo]: "labels",
  "gcp:secretmanager/secret:Secret": "labels",
  "gcp:monitoring/alertPolicy:AlertPolicy": "userLabels",
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": "userLabels",
  "gcp:monitoring/notificationChannel:NotificationChannel": "userLabels",
};

export const COST_RULES: Rule[] = [
  {
    name: "registry-cleanup",
    level: "mandatory",
    why: "Images pile up with every push; only a DELETE cleanup policy with dry run off removes old ones (a KEEP rule alone deletes nothing).",
    check: forType(T.repo, (r) => {
      const policies = Array.isArray(r.props.cleanupPolicies) ? r.props.cleanupPolicies : [];
      if (!policies.some((p: Props) => p.action === "DELETE"))
        return `repository ${r.name} must have a DELETE cleanup policy (e.g. untagged versions older than 7 days)`;
      return r.props.cleanupPolicyDryRun === true ? `repository ${r.name} must set cleanupPolicyDryRun: false, or the cleanup only reports` : undefined;
    }),
  },
  {
    name: "labels-for-cost",
    level: "advisory",
    why: "Labels group and managed-by let the bill be split per group and show what the stack manages.",
    check: (r) => {
      const field = LABELLED[r.type];
      if (!field) return undefined;
      const labels = (r.props[field] ?? {}) as Props;
      const missing = ["group", "managed-by"].filter((l) => !labels[l]);
      return missing.length ? `${r.name} should carry the labels ${missing.join(" and ")} (in ${field})` : undefined;
    },
  },
];
