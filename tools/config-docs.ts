/**
 * `npm run config-docs -- --write`: docs/config.md, the full reference of the stack file generated from
 * the schema in config/ (the single source of truth). A test fails when the committed file differs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { z } from "zod";
import { RETIRED_KEYS, StackConfigSchema } from "../config";

interface Row {
  key: string;
  type: string;
  default: string;
  required: boolean;
  allowed: string;
  description: string;
}

type Def = Record<string, unknown> & { type: string; checks?: Array<{ _zod: { def: Record<string, unknown> } }> };
const defOf = (s: unknown): Def => (s as z.core.$ZodType)._zod.def as unknown as Def;
export const CONFIG_DOC = path.join(__dirname, "..", "docs", "config.md");

/** Unwraps defaults, optionals and pipes: what the value is, and whether a stack file must give it. */
function unwrap(schema: z.core.$ZodType): { node: z.core.$ZodType; fallback: string; required: boolean; description: string } {
  let node = schema;
  let fallback = "";
  let required = true;
  let description = (schema as z.ZodType).description ?? "";
  for (;;) {
    const def = defOf(node);
    const meta = (node as z.ZodType).meta?.() as { defaultText?: string } | undefined;
    if (meta?.defaultText) [fallback, required] = [meta.defaultText, false];
    description ||= (node as z.ZodType).description ?? "";
    if (def.type === "default") [fallback, required] = [`\`${JSON.stringify(def.defaultValue)}\``, false];
    else if (def.type === "prefault") [fallback, required] = [fallback || "see its fields", false];
    else if (def.type === "optional") required = false;
    if (def.innerType) node = def.innerType as z.core.$ZodType;
    else if (def.type === "pipe") node = def.in as z.core.$ZodType;
    else return { node, fallback, required, description };
  }
}

/** A value's type and the values it allows, in the words of the stack file. */
function typeOf(node: unknown): { type: string; allowed: string } {
  const def = defOf(node);
  const bounds = (def.checks ?? []).map((c) => c._zod.def);
  const min = bounds.find((b) => b.check === "greater_than")?.value;
  const max = bounds.find((b) => b.check === "less_than")?.value;
  const integer = bounds.some((b) => b.format === "safeint");
  switch (def.type) {
    case "enum":
      return { type: "string", allowed: Object.values(def.entries as Record<string, string>).join(", ") };
    case "union": {
      const values = (def.options as unknown[]).flatMap((o) => {
        const d = defOf(o);
        return d.type === "enum" ? Object.values(d.entries as Record<string, string>) : ((d.values as unknown[] | undefined) ?? []).map(String);
      });
      return { type: "string or number", allowed: [...new Set(values)].join(", ") };
    }
    case "number":
      return { type: integer ? "integer" : "number", allowed: min !== undefined && max !== undefined ? `${String(min)}–${String(max)}` : "" };
    case "array":
      return { type: `list of ${typeOf(unwrap(def.element as z.core.$ZodType).node).type}s`, allowed: "" };
    case "record": {
      const value = typeOf(unwrap(def.valueType as z.core.$ZodType).node);
      const keys = defOf(def.keyType).type === "enum" ? typeOf(def.keyType).allowed : "";
      const allowed = [keys && `keys ${keys}`, value.allowed && `values ${value.allowed}`].filter(Boolean).join("; ");
      return { type: value.type === "map" ? "map of maps (fields below)" : `map of ${value.type}s`, allowed };
    }
    case "object":
      return { type: "map", allowed: "" };
    default:
      return { type: def.type, allowed: "" };
  }
}

function rows(schema: z.core.$ZodType, key: string, out: Row[]): void {
  const { node, fallback, required, description } = unwrap(schema);
  const { type, allowed } = typeOf(node);
  out.push({ key, type, default: fallback || "—", required, allowed, description });
  const def = defOf(node);
  if (def.type === "object") {
    for (const [child, childSchema] of Object.entries(def.shape as Record<string, z.core.$ZodType>)) rows(childSchema, `${key}.${child}`, out);
  }
  // A map keyed by the group's own names (services): the fields of one entry.
  const value = def.type === "record" ? defOf(unwrap(def.valueType as z.core.$ZodType).node) : undefined;
  if (value?.type === "object") {
    for (const [child, childSchema] of Object.entries(value.shape as Record<string, z.core.$ZodType>)) rows(childSchema, `${key}.<name>.${child}`, out);
  }
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function configTable(): string {
  const out: Row[] = [];
  for (const [key, schema] of Object.entries(StackConfigSchema.shape)) rows(schema as z.core.$ZodType, key, out);
  const lines = ["| key | type | default | required | allowed | what it does |", "| --- | --- | --- | --- | --- | --- |"];
  for (const r of out) {
    lines.push(`| \`${r.key}\` | ${r.type} | ${cell(r.default)} | ${r.required ? "yes" : "no"} | ${cell(r.allowed) || "—"} | ${cell(r.description)} |`);
  }
  return lines.join("\n");
}

/** The keys a release removed, from config/retired.ts: what a stack file written for an older release must change. */
export function retiredTable(): string {
  const lines = ["| key | removed in | instead |", "| --- | --- | --- |"];
  for (const [key, r] of Object.entries(RETIRED_KEYS)) lines.push(`| \`${key}\` | ${r.release} | ${cell(r.instead)} |`);
  return lines.join("\n");
}

export function configDoc(): string {
  return [
    "# Stack file reference",
    "",
    "<!-- generated by tools/config-docs.ts from the schema in config/: `npm run config-docs -- --write` -->",
    "",
    "Every key of `Pulumi.<stack>.yaml`. Keys under `mlops:` may be written without the prefix. A key marked",
    "required must be given when its parent is; `—` means no default (the feature is off until set). Check a",
    "file offline: `npx mlops-gcp-stack plan --file Pulumi.<stack>.yaml` (exit 2 lists every problem).",
    "",
    configTable(),
    "",
    "## Retired keys",
    "",
    "Keys an earlier release read; a stack file that still sets one is refused with what to do instead.",
    "",
    retiredTable(),
    "",
  ].join("\n");
}

if (require.main === module) {
  if (process.argv.includes("--write")) fs.writeFileSync(CONFIG_DOC, configDoc());
  else process.stdout.write(configDoc());
}
