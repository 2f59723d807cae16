/**
 * Problems as people read them: `<key.path>: <what is wrong; what is allowed>`, one line each. Key paths and
 * quoted input for every message, and zod's issues turned into such lines, with a "did you mean" for unknown keys.
 */
import { closest } from "fastest-levenshtein";
import { z } from "zod";

/** Input echoed in a message: quoted and escaped like JSON, so a problem stays on one line. */
export function quote(text: string): string {
  return JSON.stringify(text).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** A key path as people read it: `a.b[0].c`, with keys that are not plain names quoted. */
export function keyPath(parts: readonly PropertyKey[]): string {
  const part = (p: PropertyKey, i: number): string => {
    if (typeof p === "number") return `[${p}]`;
    const text = String(p);
    return /^[A-Za-z0-9_:-]+$/.test(text) ? `${i ? "." : ""}${text}` : `[${quote(text)}]`;
  };
  return parts.map(part).join("") || "(top level)";
}

export function unique(lines: string[]): string[] {
  return [...new Set(lines)];
}

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  return `${typeof v} ${JSON.stringify(v)}`;
}

export const genericMessage: z.core.$ZodErrorMap = (iss) => {
  if (iss.code === "invalid_type") {
    if (iss.input === undefined) return "is required";
    const expected = iss.expected === "object" || iss.expected === "record" ? "a map of keys" : iss.expected === "array" ? "a list" : `a ${iss.expected}`;
    return `must be ${expected}, got ${describeValue(iss.input)}`;
  }
  return undefined;
};

export function formatIssue(iss: z.core.$ZodIssue, root: z.core.$ZodType): string[] {
  const where = keyPath(iss.path);
  if (iss.code === "unrecognized_keys") {
    const allowed = allowedKeysAt(root, iss.path);
    return iss.keys.map((key) => {
      const full = keyPath([...iss.path, key]);
      const hint = allowed.length ? ` did you mean "${closest(key, allowed)}"?` : "";
      const list = allowed.length ? ` Allowed: ${allowed.join(", ")}.` : "";
      return allowed.length ? `${full}: unknown key;${hint}${list}` : `${full}: unknown key`;
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
  if (def?.type === "record") {
    // A record keyed by an enum (bucket access, for one) allows exactly the enum's values.
    const keys = unwrap(def.keyType as z.core.$ZodType)?._zod.def as unknown as Record<string, unknown> | undefined;
    return keys?.type === "enum" ? Object.values(keys.entries as Record<string, string>) : [];
  }
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
