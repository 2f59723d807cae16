/**
 * The security and cost rules, written once: the policy pack (policy/index.ts) runs them in `pulumi preview`
 * and `npm run plan` runs them over the offline plan. A rule looks at one resource as the engine sees it
 * (type, logical name, inputs); values not known yet in a preview are absent and never reported.
 */
import { CI_RULES } from "./ci-rules";

export type Level = "mandatory" | "advisory";

export interface CheckedResource {
  type: string;
  name: string;
  props: Record<string, unknown>;
}

export interface RuleConfig {
  /** Highest maxInstanceCount a Cloud Run service may have. */
  maxInstances: number;
}

export const DEFAULT_RULE_CONFIG: RuleConfig = { maxInstances: 10 };

export interface Rule {
  name: string;
  level: Level;
  /** Why the rule exists, in a sentence. */
  why: string;
  /** The matching CIS Google Cloud Foundations Benchmark / Checkov ids, where one exists. */
  reference?: string;
  /** The message for a violation (it says how to fix it), or undefined when the resource complies. */
  check(r: CheckedResource, config: RuleConfig): string | undefined;
}

export interface Violation {
  policy: string;
  resource: string;
  level: Level;
  message: string;
}

const T = {
  bucket: "gcp:storage/bucket:Bucket",
  instance: "gcp:compute/instance:Instance",
  run: "gcp:cloudrunv2/service:Service",
  repo: "gcp:artifactregistry/repository:Repository",
  provider: "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
  saKey: "gcp:serviceaccount/key:Key",
} as const;

const BUCKET_IAM = ["gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding"];
const PROJECT_IAM = ["gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding"];
const BASIC_ROLES = ["roles/owner", "roles/editor", "roles/viewer"];
const PUBLIC_MEMBERS = ["allUsers", "allAuthenticatedUsers"];
const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
const DEFAULT_COMPUTE_ACCOUNT = /-compute@developer\.gserviceaccount\.com$/;
const SECRET_LIKE = /KEY|TOKEN|SECRET|PASSWORD/i;
const DIGEST = /@sha256:[a-f0-9]{64}$/;
/** Resource types that take labels, and the field that holds them. */
const LABELLED: Record<string, string> = {
  [T.bucket]: "labels",
  [T.instance]: "labels",
  [T.run]: "labels",
  [T.repo]: "labels",
  "gcp:secretmanager/secret:Secret": "labels",
  "gcp:monitoring/alertPolicy:AlertPolicy": "userLabels",
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": "userLabels",
  "gcp:monitoring/notificationChannel:NotificationChannel": "userLabels",
};

// Rules read provider inputs, which are untyped JSON as the engine sends them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Props = Record<string, any>;
const membersOf = (p: Props): string[] => [...(p.member ? [p.member] : []), ...(Array.isArray(p.members) ? p.members : [])].filter((m) => typeof m === "string");
const containersOf = (p: Props): Props[] => (Array.isArray(p.template?.containers) ? p.template.containers : []);
const is = (r: CheckedResource, ...types: string[]) => types.includes(r.type);

export const RULES: Rule[] = [
  {
    name: "bucket-public-access-prevention",
    level: "mandatory",
    why: "Public access prevention makes it impossible to expose a bucket's data to the internet, whatever IAM says.",
    reference: "Checkov CKV_GCP_114",
    check: (r) =>
      is(r, T.bucket) && r.props.publicAccessPrevention !== "enforced"
        ? `bucket ${r.name} must set publicAccessPrevention: "enforced" (it is ${JSON.stringify(r.props.publicAccessPrevention ?? "unset")})`
        : undefined,
  },
  {
    name: "bucket-uniform-access",
    level: "mandatory",
    why: "Uniform bucket-level access turns off per-object ACLs, so bucket IAM is the only way in.",
    reference: "CIS 5.2, Checkov CKV_GCP_29",
    check: (r) => (is(r, T.bucket) && r.props.uniformBucketLevelAccess !== true ? `bucket ${r.name} must set uniformBucketLevelAccess: true` : undefined),
  },
  {
    name: "bucket-not-public",
    level: "mandatory",
    why: "A bucket granted to allUsers or allAuthenticatedUsers is readable by anyone on the internet.",
    reference: "CIS 5.1, Checkov CKV_GCP_28",
    check: (r) => {
      if (!BUCKET_IAM.includes(r.type)) return undefined;
      const open = membersOf(r.props).filter((m) => PUBLIC_MEMBERS.includes(m));
      return open.length ? `${r.name} grants ${r.props.role} on a bucket to ${open.join(", ")}; grant it to the service account that needs it instead` : undefined;
    },
  },
  {
    name: "bucket-versioning",
    level: "mandatory",
    why: "The data and models buckets keep old versions: DVC's version_aware remote reads them, and a bad upload can be undone.",
    reference: "Checkov CKV_GCP_78",
    check: (r) => {
      const bucket = (r.props.labels as Props | undefined)?.bucket;
      if (!is(r, T.bucket) || (bucket !== "data" && bucket !== "models")) return undefined;
      return (r.props.versioning as Props | undefined)?.enabled === true ? undefined : `bucket ${r.name} (${bucket}) must set versioning: { enabled: true }`;
    },
  },
  {
    name: "no-service-account-keys",
    level: "mandatory",
    why: "A key file is a password that never expires and ends up in repositories and reports; workloads use their attached account, CI uses Workload Identity Federation.",
    reference: "CIS 1.4, Checkov CKV2_GCP_3",
    check: (r) => (is(r, T.saKey) ? `${r.name} creates a service-account key; remove it and use Workload Identity Federation (GitHub) or the attached account (VM, Cloud Run)` : undefined),
  },
  {
    name: "no-basic-roles",
    level: "mandatory",
    why: "owner, editor and viewer grant thousands of permissions; no service account may hold one, CI included. People of the group get an advisory.",
    reference: "CIS 1.5, Checkov CKV_GCP_117",
    check: (r) => {
      if (!PROJECT_IAM.includes(r.type) || !BASIC_ROLES.includes(String(r.props.role))) return undefined;
      const accounts = membersOf(r.props).filter((m) => m.startsWith("serviceAccount:"));
      return accounts.length ? `${r.name} grants the basic role ${r.props.role} to ${accounts.join(", ")}; grant the predefined roles it needs on the resources it uses` : undefined;
    },
  },
  {
    name: "no-basic-roles-for-people",
    level: "advisory",
    why: "Basic roles for people are common in a course project, but predefined roles are safer.",
    reference: "CIS 1.5, Checkov CKV_GCP_117",
    check: (r) => {
      if (!PROJECT_IAM.includes(r.type) || !BASIC_ROLES.includes(String(r.props.role))) return undefined;
      const people = membersOf(r.props).filter((m) => m.startsWith("user:") || m.startsWith("group:"));
      return people.length ? `${r.name} grants the basic role ${r.props.role} to ${people.join(", ")}; consider predefined roles` : undefined;
    },
  },
  {
    name: "no-project-level-impersonation",
    level: "mandatory",
    why: "serviceAccountUser or serviceAccountTokenCreator on the project lets a member act as every service account in it.",
    reference: "CIS 1.6, Checkov CKV_GCP_41",
    check: (r) =>
      PROJECT_IAM.includes(r.type) && ["roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator"].includes(String(r.props.role))
        ? `${r.name} grants ${r.props.role} on the whole project; grant it on the one service account that is needed`
        : undefined,
  },
  {
    name: "no-default-compute-account",
    level: "mandatory",
    why: "The Compute Engine default account is shared by everything in the project and often holds editor.",
    reference: "CIS 4.1, Checkov CKV_GCP_30",
    check: (r) => {
      const what = is(r, T.instance) ? "VM" : is(r, T.run) ? "Cloud Run service" : undefined;
      if (!what) return undefined;
      // Values not known yet in a preview throw inside the policy SDK, which then skips the check.
      const email = is(r, T.instance) ? (r.props.serviceAccount as Props | undefined)?.email : (r.props.template as Props | undefined)?.serviceAccount;
      if (email === undefined) return `${what} ${r.name} sets no service account, so it runs as the default compute account; give it its own`;
      return DEFAULT_COMPUTE_ACCOUNT.test(String(email)) ? `${what} ${r.name} runs as the default compute account; give it its own` : undefined;
    },
  },
  {
    name: "wif-provider-restricted",
    level: "mandatory",
    why: "Without a condition naming the repository, any GitHub repository could exchange its token in the pool.",
    reference: "Checkov CKV_GCP_118",
    check: (r) => {
      if (!is(r, T.provider)) return undefined;
      const condition = String(r.props.attributeCondition ?? "");
      if (!/assertion\.repository(_id)?\s*==\s*['"][^'"]+['"]|assertion\.sub\.startsWith\('repo:[^']+'\)/.test(condition)) {
        return `${r.name} must set attributeCondition to admit one repository, e.g. assertion.repository == 'owner/name'`;
      }
      const issuer = (r.props.oidc as Props | undefined)?.issuerUri;
      return issuer !== GITHUB_ISSUER ? `${r.name} must use GitHub's issuer ${GITHUB_ISSUER} (it has ${issuer ?? "none"})` : undefined;
    },
  },
  {
    name: "cloud-run-destroyable",
    level: "mandatory",
    why: "With deletionProtection on, `pulumi destroy` and pausing fail on the service; the value in state is what counts, so it must be false from the first deploy.",
    check: (r) => (is(r, T.run) && r.props.deletionProtection !== false ? `Cloud Run service ${r.name} must set deletionProtection: false` : undefined),
  },
  {
    name: "cloud-run-instance-cap",
    level: "mandatory",
    why: "A maximum instance count caps what a traffic spike or a retry loop can cost.",
    check: (r, c) => {
      if (!is(r, T.run)) return undefined;
      const max = ((r.props.template as Props | undefined)?.scaling as Props | undefined)?.maxInstanceCount;
      if (typeof max !== "number") return `Cloud Run service ${r.name} must set template.scaling.maxInstanceCount (at most ${c.maxInstances})`;
      return max > c.maxInstances ? `Cloud Run service ${r.name} allows ${max} instances; at most ${c.maxInstances} (policy config maxInstances)` : undefined;
    },
  },
  {
    name: "cloud-run-image-digest",
    level: "mandatory",
    why: "A tag can move; an image pinned by digest makes every deploy reproducible.",
    check: (r) => {
      if (!is(r, T.run)) return undefined;
      const moving = containersOf(r.props).filter((c) => typeof c.image === "string" && !DIGEST.test(c.image));
      return moving.length ? `Cloud Run service ${r.name} runs ${moving.map((c) => c.image).join(", ")}; use name@sha256:… (the stack's ContainerImage resolves tags)` : undefined;
    },
  },
  {
    name: "cloud-run-no-plain-secrets",
    level: "mandatory",
    why: "A key in a plain env value is visible to anyone who can read the service, and in every copy of its config.",
    check: (r) => {
      if (!is(r, T.run)) return undefined;
      const plain = containersOf(r.props).flatMap((c) =>
        (Array.isArray(c.envs) ? c.envs : []).filter((e: Props) => SECRET_LIKE.test(String(e.name)) && e.value !== undefined && e.valueSource === undefined).map((e: Props) => e.name),
      );
      return plain.length ? `Cloud Run service ${r.name} sets ${plain.join(", ")} as plain values; declare them in mlops:secrets and list them under the service's secrets` : undefined;
    },
  },
  {
    name: "gpu-vm-terminates-on-maintenance",
    level: "mandatory",
    why: "VMs with GPUs cannot live-migrate; without TERMINATE Google refuses to create them.",
    check: (r) => {
      if (!is(r, T.instance)) return undefined;
      const gpus = (Array.isArray(r.props.guestAccelerators) ? r.props.guestAccelerators : []).filter((g: Props) => Number(g.count) > 0);
      const bundled = /^(g2|a2|a3|g4)-/.test(String(r.props.machineType));
      const onHost = (r.props.scheduling as Props | undefined)?.onHostMaintenance;
      return (gpus.length || bundled) && onHost !== "TERMINATE" ? `VM ${r.name} has GPUs and must set scheduling.onHostMaintenance: "TERMINATE"` : undefined;
    },
  },
  {
    name: "vm-max-run-duration",
    level: "mandatory",
    why: "A training VM that is forgotten keeps billing; a run-time limit stops it.",
    check: (r) => {
      if (!is(r, T.instance)) return undefined;
      const s = (r.props.scheduling ?? {}) as Props;
      return !s.maxRunDuration || !s.instanceTerminationAction
        ? `VM ${r.name} must set scheduling.maxRunDuration and an instanceTerminationAction (STOP), so it stops by itself`
        : undefined;
    },
  },
  {
    name: "vm-os-login",
    level: "mandatory",
    why: "OS Login ties SSH access to IAM, so removing a person removes their access.",
    reference: "CIS 4.4, Checkov CKV_GCP_34",
    check: (r) => (is(r, T.instance) && String((r.props.metadata as Props | undefined)?.["enable-oslogin"]).toUpperCase() !== "TRUE" ? `VM ${r.name} must set metadata enable-oslogin: "TRUE"` : undefined),
  },
  {
    name: "vm-no-project-ssh-keys",
    level: "mandatory",
    why: "Project-wide SSH keys open every VM of the project to whoever holds one.",
    reference: "CIS 4.3, Checkov CKV_GCP_32",
    check: (r) => (is(r, T.instance) && String((r.props.metadata as Props | undefined)?.["block-project-ssh-keys"]).toUpperCase() !== "TRUE" ? `VM ${r.name} must set metadata block-project-ssh-keys: "TRUE"` : undefined),
  },
  {
    name: "vm-no-serial-port",
    level: "mandatory",
    why: "The interactive serial console bypasses the network controls of the VM.",
    reference: "CIS 4.5, Checkov CKV_GCP_35",
    check: (r) => (is(r, T.instance) && ["TRUE", "1"].includes(String((r.props.metadata as Props | undefined)?.["serial-port-enable"]).toUpperCase()) ? `VM ${r.name} must not set serial-port-enable` : undefined),
  },
  {
    name: "vm-shielded",
    level: "advisory",
    why: "Shielded VM (vTPM, integrity monitoring; Secure Boot where the drivers allow) detects tampered boot images.",
    reference: "CIS 4.8, Checkov CKV_GCP_39",
    check: (r) => {
      if (!is(r, T.instance)) return undefined;
      const s = (r.props.shieldedInstanceConfig ?? {}) as Props;
      return s.enableVtpm === true && s.enableIntegrityMonitoring === true ? undefined : `VM ${r.name} should set shieldedInstanceConfig with enableVtpm and enableIntegrityMonitoring`;
    },
  },
  {
    name: "registry-cleanup",
    level: "mandatory",
    why: "Images pile up with every push; only a DELETE cleanup policy with dry run off removes old ones (a KEEP rule alone deletes nothing).",
    check: (r) => {
      if (!is(r, T.repo)) return undefined;
      const policies = Array.isArray(r.props.cleanupPolicies) ? r.props.cleanupPolicies : [];
      if (!policies.some((p: Props) => p.action === "DELETE")) return `repository ${r.name} must have a DELETE cleanup policy (e.g. untagged versions older than 7 days)`;
      return r.props.cleanupPolicyDryRun === true ? `repository ${r.name} must set cleanupPolicyDryRun: false, or the cleanup only reports` : undefined;
    },
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
  ...CI_RULES,
];

/** Every violation of every rule in a set of resources. */
export function evaluate(resources: CheckedResource[], config: RuleConfig = DEFAULT_RULE_CONFIG): Violation[] {
  return resources.flatMap((r) =>
    RULES.flatMap((rule) => {
      const message = rule.check(r, config);
      return message ? [{ policy: rule.name, resource: r.name, level: rule.level, message }] : [];
    }),
  );
}
