/**
 * What a rule is, and what the rules share. A rule looks at one resource as the engine sees it (type,
 * logical name, inputs); values not known yet in a preview are absent and never reported.
 */

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

/** The resource types more than one concern's rules look at. */
export const T = {
  bucket: "gcp:storage/bucket:Bucket",
  run: "gcp:cloudrunv2/service:Service",
  repo: "gcp:artifactregistry/repository:Repository",
  provider: "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
  saKey: "gcp:serviceaccount/key:Key",
} as const;

// Rules read provider inputs, which are untyped JSON as the engine sends them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Props = Record<string, any>;

/** The members an IAM member or binding grants to. */
export const membersOf = (p: Props): string[] =>
  [...(p.member ? [p.member] : []), ...(Array.isArray(p.members) ? p.members : [])].filter((m) => typeof m === "string");

export const is = (r: CheckedResource, ...types: string[]) => types.includes(r.type);

/** A check that looks only at resources of one type; every other resource complies. */
export function forType(type: string, check: Rule["check"]): Rule["check"] {
  return (r, config) => (r.type === type ? check(r, config) : undefined);
}
