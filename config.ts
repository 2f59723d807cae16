/**
 * The typed stack config: one schema for every `mlops:` key (and the `gcp:` keys the stack reads), its
 * defaults, its validation and the names derived from it. Only this file and index.ts read Pulumi config.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { closest } from "fastest-levenshtein";
import * as YAML from "yaml";
import { z } from "zod";
import * as gcp from "./lib/gcp";

/** A config value stored encrypted (`pulumi config set --secret`). `value` is absent when the stack file is
 * read offline without its passphrase or key. */
export class SecretValue {
  constructor(readonly value: string | undefined) {}
  toJSON(): string {
    return "[secret]";
  }
}

/** Namespaces of providers this program uses; their keys are theirs to check, not ours. */
const PROVIDER_NAMESPACES = new Set(["gcp", "docker", "random", "pulumi"]);
/** The `gcp:` keys the stack itself reads; the rest of `gcp:` belongs to the provider. */
const GCP_KEYS = new Set(["gcp:project", "gcp:region", "gcp:zone"]);

const label = z.string().regex(gcp.LABEL_VALUE, {
  error: "is not a valid label value; lowercase letters, digits, '_' and '-', at most 63 characters",
});

const groupId = z
  .union([z.string(), z.number()], { error: "must be a string such as \"140\" or \"flowers\"" })
  .transform(String)
  .pipe(
    z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
      error: "must be lowercase letters, digits and hyphens, starting and ending with a letter or digit",
    }),
  );

/** An integer setting within [min, max], with a message that names the range. */
function intIn(min: number, max: number, what: string) {
  return z.number({ error: `must be a whole number of ${what} from ${min} to ${max}` }).int({ error: `must be a whole number of ${what} from ${min} to ${max}` })
    .min(min, { error: `must be at least ${min} ${what}; allowed ${min}–${max}` })
    .max(max, { error: `must be at most ${max} ${what}; allowed ${min}–${max}` });
}

/** Secret names are environment-variable names, so a container sees the secret under the same name. */
export const SECRET_NAME = /^[A-Z][A-Z0-9_]*$/;
const MEMBER = /^(user|group|serviceAccount):[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The whole stack config, keyed by the config keys as they appear in `Pulumi.<stack>.yaml`. */
export const StackConfigSchema = z.strictObject({
  "gcp:project": z
    .string({ error: (iss) => (iss.input === undefined ? "is required; set it with `pulumi config set gcp:project <project-id>`" : "must be a string") })
    .regex(gcp.PROJECT_ID, {
      error: "is not a valid project id; 6–30 lowercase letters, digits and hyphens, starting with a letter",
    })
    .refine((p) => !p.includes("google"), { error: "must not contain \"google\"" })
    .describe("Google Cloud project id the stack deploys into."),
  "gcp:region": z
    .enum(gcp.REGIONS, { error: (iss) => `"${String(iss.input)}" is not a Google Cloud region; for example europe-west1, us-central1` })
    .default("europe-west1")
    .describe("Region of every regional resource (buckets, registry, Cloud Run, Vertex AI)."),
  "gcp:zone": z
    .string()
    .regex(gcp.ZONE, { error: "is not a zone; a region plus a letter, e.g. europe-west1-b" })
    .optional()
    .describe("Default zone for zonal resources (the training VM); must lie in gcp:region."),
  "mlops:group": groupId
    .meta({ defaultText: "stack name without `group-`" })
    .describe("Group id used in resource names and labels."),
  "mlops:github": z
    .strictObject({
      repository: z
        .string({ error: "is required; the GitHub repository as owner/name" })
        .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/, {
          error: "must be a GitHub repository as owner/name, e.g. Klakawaka/Car-Image-Classification-using-CNN",
        })
        .describe("GitHub repository (owner/name) whose Actions may deploy the stack keylessly."),
      branch: z
        .string()
        .regex(/^[A-Za-z0-9._/-]+$/, { error: "must be a branch name such as main" })
        .default("main")
        .describe("Only workflows on this branch may impersonate the deploy account."),
    })
    .optional()
    .describe("GitHub Actions access through Workload Identity Federation; omit for no CI access."),
  "mlops:protectData": z
    .boolean({ error: "must be true or false" })
    .default(true)
    .describe("Protect buckets, registry, secrets and CI identity from `pulumi destroy`; false allows a full teardown."),
  "mlops:paused": z
    .boolean({ error: "must be true or false" })
    .default(false)
    .describe("Remove everything that costs money (VM, services, alerts) on `pulumi up`, keep the data."),
  "mlops:labels": z
    .record(
      z.string().regex(gcp.LABEL_KEY, {
        error: "is not a valid label key; start with a lowercase letter, then lowercase letters, digits, '_' or '-'",
      }),
      label,
    )
    .default({})
    .describe("Extra labels on every resource that takes labels (group, stack and managed-by are always set)."),
  "mlops:storage": z
    .strictObject({
      keepVersions: intIn(1, 100, "versions")
        .default(5)
        .describe("Noncurrent versions kept per object in the data and models buckets (DVC's version_aware remote reads them); older ones are deleted."),
      predictionsDays: intIn(1, 3650, "days")
        .default(90)
        .describe("Days a logged prediction stays in the predictions bucket before it is deleted."),
    })
    .prefault({})
    .describe("The data, models and predictions buckets."),
  "mlops:registry": z
    .strictObject({
      keepRecent: intIn(1, 100, "versions")
        .default(5)
        .describe("Most recent versions of each image that cleanup never deletes."),
      untaggedDays: intIn(1, 365, "days").default(7).describe("Untagged image versions are deleted after this many days."),
      olderThanDays: intIn(1, 3650, "days")
        .default(30)
        .describe("Tagged versions older than this are deleted unless they are among the most recent keepRecent."),
    })
    .prefault({})
    .describe("The Artifact Registry Docker repository and its cleanup policies."),
  "mlops:secrets": z
    .record(
      z.string().regex(SECRET_NAME, { error: "is not a secret name; use an environment-variable name such as WANDB_API_KEY" }),
      z
        .strictObject({
          usedBy: z
            .array(z.string(), { error: "must be a list of workloads, e.g. [trainer, backend]" })
            .default([])
            .describe("Workloads (trainer, a service name) whose accounts may read the secret; each sees it as an environment variable of the same name."),
        })
        .prefault({}),
    )
    .default({})
    .describe("Secrets in Secret Manager, by name. Set each value with `pulumi config set --secret NAME <value>`; a value in plain text is rejected."),
  "mlops:team": z
    .strictObject({
      members: z
        .array(z.string().regex(MEMBER, { error: "must be user:EMAIL, group:EMAIL or serviceAccount:EMAIL" }), { error: "must be a list of members" })
        .min(1, { error: "must name at least one member" })
        .describe("The group's people, as user:EMAIL or group:EMAIL."),
      roles: z
        .array(z.string().regex(/^roles\/[A-Za-z0-9_.]+$/, { error: "must be a predefined role such as roles/editor" }), { error: "must be a list of roles" })
        .min(1, { error: "must name at least one role, e.g. roles/editor" })
        .describe("Project roles every member gets."),
    })
    .optional()
    .describe("People of the group and the project roles they get."),
});

export type StackConfigInput = z.input<typeof StackConfigSchema>;
type Parsed = z.output<typeof StackConfigSchema>;

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
}

/** Length of the random suffix (hex of a 3-byte RandomId) that makes global names unique. */
export const SUFFIX_LENGTH = 6;
export const BUCKETS = ["data", "models", "predictions"] as const;
export const CI_WORKLOADS = ["ci-preview", "ci-deploy"] as const;

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
  };
}

/** The validated config the stack is built from. */
export interface StackConfig {
  stack: string;
  project: string;
  region: string;
  zone?: string;
  group: string;
  github?: { repository: string; branch: string };
  protectData: boolean;
  paused: boolean;
  /** Labels for every resource that takes labels, the group's own merged with ours. */
  labels: Record<string, string>;
  names: Names;
  storage: { keepVersions: number; predictionsDays: number };
  registry: { keepRecent: number; untaggedDays: number; olderThanDays: number };
  /** Declared secrets; `value` is absent until the group sets it. */
  secrets: Array<{ name: string; usedBy: string[]; value?: SecretValue }>;
  team?: { members: string[]; roles: string[] };
  /** The workloads the config runs, each with its own service account. */
  workloads: string[];
}

/** The workloads a config runs (the trainer, each Cloud Run service), from its valid keys. */
function workloadsFrom(_f: Fields): string[] {
  return [];
}

export type ParseResult = { ok: true; config: StackConfig } | { ok: false; problems: string[] };

/** Validates raw config (keys as in the stack file) and reports every problem at once, one line each. */
export function parseStackConfig(raw: Record<string, unknown>, stack: string): ParseResult {
  const input: Record<string, unknown> = {};
  const secretValues: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const namespace = key.split(":")[0];
    if (PROVIDER_NAMESPACES.has(namespace) && !GCP_KEYS.has(key)) continue;
    const secretName = /^mlops:([A-Z][A-Z0-9_]*)$/.exec(key)?.[1];
    if (secretName) secretValues[secretName] = value;
    else input[key] = value;
  }
  if (!("mlops:group" in input)) input["mlops:group"] = stack.replace(/^group-/, "");

  const result = StackConfigSchema.safeParse(input, { error: genericMessage });
  const problems = result.success ? [] : result.error.issues.flatMap(formatIssue);
  // Rules across keys still run on the keys that are valid on their own, so every problem shows at once.
  const fields = validFields(input);
  problems.push(...crossChecks(fields), ...secretChecks(fields["mlops:secrets"], secretValues));
  if (!result.success || problems.length) return { ok: false, problems: unique(problems) };
  return { ok: true, config: toStackConfig(result.data, stack, secretValues) };
}

/** Secret values live in their own keys (`mlops:NAME`), set with `pulumi config set --secret NAME`. */
function secretChecks(declared: Parsed["mlops:secrets"] | undefined, values: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (declared && !(name in declared)) {
      problems.push(`mlops:${name}: a value for a secret that mlops:secrets does not declare; declare it there or remove the key`);
    } else if (!(value instanceof SecretValue)) {
      problems.push(
        `mlops:${name}: stored in plain text; remove it from the stack file and run \`pulumi config set --secret ${name} <value>\``,
      );
    }
  }
  return problems;
}

type Fields = { [K in keyof Parsed]?: Parsed[K] };

function validFields(input: Record<string, unknown>): Fields {
  const fields: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(StackConfigSchema.shape)) {
    const r = (schema as z.ZodType).safeParse(input[key]);
    if (r.success) fields[key] = r.data;
  }
  return fields as Fields;
}

function toStackConfig(p: Parsed, stack: string, secretValues: Record<string, unknown>): StackConfig {
  const group = p["mlops:group"];
  return {
    stack,
    project: p["gcp:project"],
    region: p["gcp:region"],
    zone: p["gcp:zone"],
    group,
    github: p["mlops:github"],
    protectData: p["mlops:protectData"],
    paused: p["mlops:paused"],
    labels: { ...p["mlops:labels"], group, stack: sanitizeLabel(stack), "managed-by": "pulumi" },
    names: deriveNames(p["gcp:project"], group),
    storage: p["mlops:storage"],
    registry: p["mlops:registry"],
    secrets: Object.entries(p["mlops:secrets"]).map(([name, s]) => ({
      name,
      usedBy: s.usedBy,
      value: secretValues[name] as SecretValue | undefined,
    })),
    team: p["mlops:team"],
    workloads: workloadsFrom(p),
  };
}

/** Rules that span keys: zone inside region, and every derived name within Google's limits. */
function crossChecks(f: Fields): string[] {
  const problems: string[] = [];
  const region = f["gcp:region"];
  const zone = f["gcp:zone"];
  if (zone && region && gcp.regionOfZone(zone) !== region) {
    problems.push(`gcp:zone: "${zone}" is not in region ${region}; use a zone such as ${region}-b`);
  }
  const workloads = workloadsFrom(f);
  for (const [name, secret] of Object.entries(f["mlops:secrets"] ?? {})) {
    secret.usedBy.forEach((w, i) => {
      if (!workloads.includes(w)) {
        const allowed = workloads.length ? `one of ${workloads.join(", ")}` : "none yet: the config runs no training and no services";
        problems.push(`mlops:secrets.${name}.usedBy[${i}]: "${w}" is not a workload of this stack; allowed: ${allowed}`);
      }
    });
  }
  const project = f["gcp:project"];
  const group = f["mlops:group"];
  if (!project || !group) return problems;
  const names = deriveNames(project, group);
  const suffix = "x".repeat(SUFFIX_LENGTH);
  const derived: Array<{ key: string; what: string; name: string; rule: gcp.NameRule }> = [
    ...[...CI_WORKLOADS, ...workloads].map((w) => ({ key: "mlops:group", what: "service-account id", name: names.serviceAccountId(w), rule: gcp.SERVICE_ACCOUNT_ID })),
    ...BUCKETS.map((b) => ({ key: "gcp:project", what: "bucket name", name: `${names.bucketBase(b)}-${suffix}`, rule: gcp.BUCKET_NAME })),
    { key: "mlops:group", what: "repository id", name: names.repositoryId, rule: gcp.REPOSITORY_ID },
  ];
  if (f["mlops:github"]) {
    derived.push(
      { key: "mlops:group", what: "workload identity pool id", name: `${names.wifPoolBase}-${suffix}`, rule: gcp.WIF_ID },
      { key: "mlops:group", what: "workload identity provider id", name: `${names.wifProviderBase}-${suffix}`, rule: gcp.WIF_ID },
    );
  }
  for (const { key, what, name, rule } of derived) {
    const why = gcp.nameProblem(name, rule);
    if (why) problems.push(`${key}: derived ${what} "${name}" ${why}; choose a shorter ${key.split(":")[1]}`);
  }
  return unique(problems);
}

function sanitizeLabel(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_-]/g, "-").slice(0, 63);
}

function unique(lines: string[]): string[] {
  return [...new Set(lines)];
}

// ---- messages -----------------------------------------------------------------------------------------

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (v instanceof SecretValue) return "a secret";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${JSON.stringify(v)}`;
}

const genericMessage: z.core.$ZodErrorMap = (iss) => {
  if (iss.code === "invalid_type") {
    if (iss.input === undefined) return "is required";
    const expected = iss.expected === "object" ? "an object (a map of keys)" : iss.expected === "array" ? "a list" : `a ${iss.expected}`;
    return `must be ${expected}, got ${describeValue(iss.input)}`;
  }
  return undefined;
};

function formatPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

function formatIssue(iss: z.core.$ZodIssue): string[] {
  const where = formatPath(iss.path);
  if (iss.code === "unrecognized_keys") {
    const allowed = allowedKeysAt(StackConfigSchema, iss.path);
    return iss.keys.map((key) => {
      const full = where ? (iss.path.length === 0 ? key : `${where}.${key}`) : key;
      const hint = allowed.length ? ` did you mean "${closest(key, allowed)}"?` : "";
      const list = allowed.length ? ` Allowed: ${allowed.join(", ")}.` : "";
      return `${full}: unknown key;${hint}${list}`;
    });
  }
  if (iss.code === "invalid_key" && iss.issues.length) {
    return iss.issues.map((inner) => `${where}: key ${inner.message}`);
  }
  if (iss.code === "invalid_union" && iss.errors.length && iss.message === "Invalid input") {
    return iss.errors.flat().map((inner) => `${where}: ${inner.message}`);
  }
  return [`${where}: ${iss.message}`];
}

/** The keys an object schema accepts at `path`, to suggest the nearest one for an unknown key. */
function allowedKeysAt(schema: z.core.$ZodType, path: PropertyKey[]): string[] {
  let node: z.core.$ZodType | undefined = unwrap(schema);
  for (const part of path) {
    if (!node) return [];
    const def = node._zod.def as unknown as Record<string, unknown>;
    if (def.type === "object") node = unwrap((def.shape as Record<string, z.core.$ZodType>)[String(part)]);
    else if (def.type === "record") node = unwrap(def.valueType as z.core.$ZodType);
    else if (def.type === "array") node = unwrap(def.element as z.core.$ZodType);
    else return [];
  }
  const def = node?._zod.def as unknown as Record<string, unknown> | undefined;
  return def?.type === "object" ? Object.keys(def.shape as object) : [];
}

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let node = schema;
  for (;;) {
    const def = node?._zod.def as unknown as Record<string, unknown> | undefined;
    if (!def) return node;
    if (def.innerType) node = def.innerType as z.core.$ZodType;
    else if (def.type === "pipe") node = def.in as z.core.$ZodType;
    else return node;
  }
}

// ---- sources of raw config ----------------------------------------------------------------------------

/** Raw config of the running Pulumi program: structured values arrive as JSON text, secrets decrypted. */
export function rawConfigFromPulumi(): Record<string, unknown> {
  // isConfigSecret is exported by the SDK but not typed; it is how the SDK itself tells secret keys apart.
  const { isConfigSecret } = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
    raw[key] = isConfigSecret(key) ? new SecretValue(text) : parseConfigText(text);
  }
  return raw;
}

function parseConfigText(text: string): unknown {
  if (!/^[[{]|^(true|false)$|^-?\d+(\.\d+)?$/.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export type StackFileResult = { ok: true; raw: Record<string, unknown> } | { ok: false; problems: string[] };

/** Raw config of a stack file read offline; encrypted values become SecretValue without a value. */
export function readStackFile(path: string): StackFileResult {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch {
    return { ok: false, problems: [`${path}: cannot read the stack file`] };
  }
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) {
    return { ok: false, problems: doc.errors.map((e) => `${path}: YAML syntax error at line ${e.linePos?.[0].line ?? "?"}: ${e.message.split("\n")[0]}`) };
  }
  const content = (doc.toJS() ?? {}) as Record<string, unknown>;
  const config = content.config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) {
    return { ok: false, problems: [`${path}: config: must be a map of config keys`] };
  }
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    raw[key.includes(":") ? key : `mlops:${key}`] = decodeSecure(value);
  }
  return { ok: true, raw };
}

function decodeSecure(value: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0][0] === "secure") return new SecretValue(undefined);
    return Object.fromEntries(entries.map(([k, v]) => [k, decodeSecure(v)]));
  }
  if (Array.isArray(value)) return value.map(decodeSecure);
  return value;
}

/** The stack name of a file named `Pulumi.<stack>.yaml`. */
export function stackNameOfFile(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/^Pulumi\./, "").replace(/\.ya?ml$/, "");
}
