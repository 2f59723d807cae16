/** Sources of raw config: the running Pulumi program, or a stack file read offline. Only this file (through
 * index.ts) reads Pulumi config. */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { SecretValue } from "./identities";

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
