/**
 * `npm run config-docs`: the README's "Stack config" table, generated from the schema in config.ts (the
 * single source of truth). A test fails when the README's copy differs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { z } from "zod";
import { StackConfigSchema } from "../config";

interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
}

type Def = Record<string, unknown> & { type: string };
const defOf = (s: z.core.$ZodType): Def => s._zod.def as unknown as Def;

function rows(schema: z.core.$ZodType, key: string, out: Row[]): void {
  let node = schema;
  let description = (schema as z.ZodType).description ?? "";
  let fallback = "";
  let required = true;
  for (;;) {
    const def = defOf(node);
    const meta = (node as z.ZodType).meta() as { defaultText?: string } | undefined;
    if (meta?.defaultText) {
      fallback = meta.defaultText;
      required = false;
    }
    description ||= (node as z.ZodType).description ?? "";
    if (def.type === "default") {
      fallback = JSON.stringify(def.defaultValue);
      required = false;
    } else if (def.type === "optional") required = false;
    if (def.innerType) node = def.innerType as z.core.$ZodType;
    else if (def.type === "pipe") node = def.in as z.core.$ZodType;
    else break;
  }
  const def = defOf(node);
  const type =
    def.type === "enum" ? "string (a region)" : def.type === "record" ? "map of string" : def.type === "union" ? "string" : def.type;
  out.push({ key, type, default: fallback || (required ? "required" : "—"), description });
  if (def.type === "object") {
    for (const [child, childSchema] of Object.entries(def.shape as Record<string, z.core.$ZodType>)) {
      rows(childSchema, `${key}.${child}`, out);
    }
  }
  // A map keyed by the group's own names (services): document the fields of one entry.
  const value = def.type === "record" ? defOf(def.valueType as z.core.$ZodType) : undefined;
  if (value?.type === "object") {
    for (const [child, childSchema] of Object.entries(value.shape as Record<string, z.core.$ZodType>)) {
      rows(childSchema, `${key}.<name>.${child}`, out);
    }
  }
}

export function configTable(): string {
  const out: Row[] = [];
  for (const [key, schema] of Object.entries(StackConfigSchema.shape)) rows(schema as z.core.$ZodType, key, out);
  const lines = ["| key | type | default | what it does |", "| --- | --- | --- | --- |"];
  for (const r of out) lines.push(`| \`${r.key}\` | ${r.type} | ${r.default === "—" || r.default === "required" || !/^["{[\dtf]/.test(r.default) ? r.default : `\`${r.default}\``} | ${r.description} |`);
  return lines.join("\n");
}

/** Replaces the table in README.md (the block under the config-docs marker) with a fresh one. */
function writeReadme(): void {
  const file = path.join(__dirname, "..", "README.md");
  const text = fs.readFileSync(file, "utf8");
  const start = text.indexOf("| key | type | default | what it does |");
  const end = text.indexOf("\n\n", start);
  if (start < 0 || end < 0) throw new Error("README.md has no config table to replace");
  fs.writeFileSync(file, text.slice(0, start) + configTable() + text.slice(end));
}

if (require.main === module) {
  if (process.argv.includes("--write")) writeReadme();
  else process.stdout.write(`${configTable()}\n`);
}
