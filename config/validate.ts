/** Validating raw config: every problem at once, one line each, as `<key.path>: <what is wrong>`. */
import { budgetChannelChecks, creditGuardChecks } from "./budget-checks";
import { derivedNameChecks } from "./names-checks";
import { alertChecks } from "./observability-checks";
import { formatIssue, genericMessage, keyPath, unique } from "./problems";
import { labelChecks, projectChecks } from "./project-checks";
import { withoutRetiredKeys } from "./retired";
import { StackConfigSchema, validFields, type Fields } from "./schema";
import { SECRET_NAME, SecretValue } from "./secrets";
import { declaredSecretChecks, plainSecretChecks, secretIdChecks, secretUseChecks, secretValueChecks } from "./secrets-checks";
import { serviceChecks } from "./services-checks";
import { toStackConfig, type StackConfig } from "./stack-config";
import { catalogChecks, trainingChecks } from "./training-checks";
import { buildContextChecks } from "./workload-checks";

/** Namespaces of providers this program uses; their keys are theirs to check, not ours. */
const PROVIDER_NAMESPACES = new Set(["gcp", "docker", "random", "pulumi"]);
/** The `gcp:` keys the stack itself reads; the rest of `gcp:` belongs to the provider. */
const GCP_KEYS = new Set(["gcp:project", "gcp:region", "gcp:zone"]);

export type ParseResult = { ok: true; config: StackConfig } | { ok: false; problems: string[] };

/** Validates raw config (keys as in the stack file) and reports every problem at once, one line each. */
/**
 * `projectDir` is the Pulumi project folder, where image build paths start (under Pulumi: the working
 * folder); `null` skips checking that they exist, for stack files written for a repository elsewhere.
 */
export function parseStackConfig(raw: Record<string, unknown>, stack: string, projectDir: string | null = process.cwd()): ParseResult {
  const split = splitRaw(raw);
  const { secretValues } = split;
  if (!Object.hasOwn(split.input, "mlops:group")) split.input["mlops:group"] = stack.replace(/^group-/, "");
  const reserved = reservedKeys(split.input, []);
  if (reserved.length) return { ok: false, problems: reserved };
  const { input, problems } = withoutRetiredKeys(split.input);

  const result = StackConfigSchema.safeParse(input, { error: genericMessage });
  if (!result.success) problems.push(...result.error.issues.flatMap((iss) => formatIssue(iss, StackConfigSchema)));
  // Rules across keys still run on the keys that are valid on their own, so every problem shows at once.
  const fields = validFields(input);
  problems.push(
    ...crossChecks(fields, input["mlops:training"]),
    ...(projectDir === null ? [] : buildContextChecks(fields, projectDir)),
    ...secretValueChecks(fields["mlops:secrets"], secretValues),
    ...secretUseChecks(fields, secretValues),
  );
  if (!result.success || problems.length) return { ok: false, problems: unique(problems.map(oneLine)) };
  return { ok: true, config: toStackConfig(result.data, stack, secretValues) };
}

/** Our keys apart from the providers', and secret values (`mlops:NAME`) apart from settings. */
function splitRaw(raw: Record<string, unknown>): { input: Record<string, unknown>; secretValues: Record<string, unknown> } {
  const input = Object.create(null) as Record<string, unknown>;
  const secretValues = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw)) {
    const namespace = key.split(":")[0];
    if (PROVIDER_NAMESPACES.has(namespace) && !GCP_KEYS.has(key)) continue;
    const secretName = key.startsWith("mlops:") ? key.slice("mlops:".length) : "";
    if (SECRET_NAME.test(secretName)) secretValues[secretName] = value;
    else input[key] = value;
  }
  return { input, secretValues };
}

/** Rules that span keys, area by area; `rawTraining` tells which training keys the file sets itself. */
function crossChecks(f: Fields, rawTraining: unknown): string[] {
  return [
    ...projectChecks(f),
    ...declaredSecretChecks(f),
    ...derivedNameChecks(f),
    ...alertChecks(f),
    ...trainingChecks(f, rawTraining),
    ...serviceChecks(f),
    ...catalogChecks(f),
    ...budgetChannelChecks(f),
    ...creditGuardChecks(f),
    ...labelChecks(f),
    ...secretIdChecks(f),
    ...plainSecretChecks(f),
  ];
}

/** `__proto__` cannot be a name in a map: JavaScript (and the schema) would drop it without a word. */
function reservedKeys(value: unknown, at: PropertyKey[]): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => reservedKeys(v, [...at, i]));
  if (!value || typeof value !== "object" || value instanceof SecretValue) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === "__proto__" ? [`${keyPath([...at, k])}: "__proto__" cannot be used as a name; choose another`] : reservedKeys(v, [...at, k]),
  );
}

/** Every problem on one line, whatever input it echoes. */
function oneLine(problem: string): string {
  const escape = (c: string): string => {
    const code = c.charCodeAt(0);
    return code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029 ? `\\u${code.toString(16).padStart(4, "0")}` : c;
  };
  return [...problem].map(escape).join("");
}
