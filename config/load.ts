/** Sources of raw config: the running Pulumi program, or a stack file read offline. Only this file (through
 * index.ts) reads Pulumi config. */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { keyPath, quote } from "./problems";
import { SecretValue } from "./secrets";
import { parseYaml } from "./yaml";

/** Raw config of the running Pulumi program: structured values arrive as JSON text, secrets decrypted. */
export function rawConfigFromPulumi(): Record<string, unknown> {
  // isConfigSecret is exported by the SDK but not typed; it is how the SDK itself tells secret keys apart.
  const { isConfigSecret } = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
  const raw = Object.create(null) as Record<string, unknown>;
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

/** Top-level keys of a Pulumi stack file besides `config:` (https://www.pulumi.com/docs/iac/concepts/projects/stack-settings-file/). */
const STACK_FILE_KEYS = ["config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"];

/** Raw config of a stack file read offline; encrypted values become SecretValue without a value. Keys are
 * normalised to `namespace:key`, so `services:` and `mlops:services:` in one file are the same key twice. */
export function readStackFile(path: string): StackFileResult {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch {
    return { ok: false, problems: [`${path}: cannot read the stack file`] };
  }
  const parsed = parseYaml(text);
  if (!parsed.ok) return { ok: false, problems: parsed.problems.map((p) => `${path}: ${p}`) };
  const content = parsed.value;
  const example = "a stack file is a map with a config: map of keys, e.g. config: { gcp:project: my-project }";
  if (content === null || content === undefined) return { ok: false, problems: [`${path}: the file is empty; ${example}`] };
  if (typeof content !== "object" || Array.isArray(content)) return { ok: false, problems: [`${path}: the file is not a map; ${example}`] };
  const top = content as Record<string, unknown>;
  if (!Object.hasOwn(top, "config")) {
    const others = Object.keys(top).filter((k) => !STACK_FILE_KEYS.includes(k));
    const hint = others.length ? `; its keys ${others.map(quote).join(", ")} belong under config:` : "";
    return { ok: false, problems: [`${path}: no config: map at the top of the file${hint}`] };
  }
  const config = top.config ?? Object.create(null);
  if (typeof config !== "object" || Array.isArray(config)) {
    return { ok: false, problems: [`${path}: config: must be a map of config keys`] };
  }
  const raw = Object.create(null) as Record<string, unknown>;
  const problems: string[] = [];
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    const full = key.includes(":") ? key : `mlops:${key}`;
    if (Object.hasOwn(raw, full))
      problems.push(
        `${path}: config.${keyPath([full])}: set twice (as ${quote(key)} and ${quote(full === key ? key.replace(/^mlops:/, "") : full)}); keep one`,
      );
    // `pulumi config set KEY true` writes the string "true"; the runtime reads scalar text as JSON, so do we.
    raw[full] = typeof value === "string" ? parseConfigText(value) : decodeSecure(value);
  }
  return problems.length ? { ok: false, problems } : { ok: true, raw };
}

function decodeSecure(value: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0][0] === "secure") return new SecretValue(undefined);
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of entries) out[k] = decodeSecure(v);
    return out;
  }
  if (Array.isArray(value)) return value.map(decodeSecure);
  return value;
}

/** The stack name of a file named `Pulumi.<stack>.yaml`. */
export function stackNameOfFile(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/^Pulumi\./, "").replace(/\.ya?ml$/, "");
}
