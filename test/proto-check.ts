/**
 * Checks a JSON spec against Google's published API definitions (google-proto-files): every field name must
 * exist on the message, every enum value on the enum, every scalar must have the field's type. It returns the
 * problems, and the message protobufjs builds from the spec (Durations in their JSON form "3600s" converted).
 */
import * as path from "node:path";
import * as protobuf from "protobufjs";

const PROTOS = path.dirname(require.resolve("google-proto-files/package.json"));

export function loadType(file: string, name: string): protobuf.Type {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(PROTOS, target);
  root.loadSync(file);
  root.resolveAll();
  return root.lookupType(name);
}

const SCALARS: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  bool: (v) => typeof v === "boolean",
  int32: (v) => Number.isInteger(v),
  uint32: (v) => Number.isInteger(v) && (v as number) >= 0,
  int64: (v) => Number.isInteger(v) || (typeof v === "string" && /^-?\d+$/.test(v)),
  double: (v) => typeof v === "number",
  float: (v) => typeof v === "number",
};

function checkValue(field: protobuf.Field, value: unknown, at: string, problems: string[]): unknown {
  const type = field.resolvedType;
  if (type instanceof protobuf.Enum) {
    if (typeof value !== "string" || !(value in type.values))
      problems.push(`${at}: ${JSON.stringify(value)} is not a value of ${type.name} (${Object.keys(type.values).join(", ")})`);
    return value;
  }
  if (type instanceof protobuf.Type) {
    if (type.fullName === ".google.protobuf.Duration") {
      const m = typeof value === "string" ? /^(\d+)s$/.exec(value) : null;
      if (!m) problems.push(`${at}: ${JSON.stringify(value)} is not a Duration such as "3600s"`);
      return { seconds: Number(m?.[1] ?? 0) };
    }
    return checkMessage(type, value, at, problems);
  }
  const ok = SCALARS[field.type];
  if (!ok) problems.push(`${at}: the checker does not know the scalar type ${field.type}`);
  else if (!ok(value)) problems.push(`${at}: ${JSON.stringify(value)} is not a ${field.type}`);
  return value;
}

function checkMessage(type: protobuf.Type, value: unknown, at: string, problems: string[]): Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    problems.push(`${at}: must be a ${type.name} object`);
    return {};
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key];
    const where = at ? `${at}.${key}` : key;
    if (!field) {
      problems.push(`${where}: ${type.name} has no field ${key} (fields: ${Object.keys(type.fields).join(", ")})`);
      continue;
    }
    if (field.options?.deprecated === true) problems.push(`${where}: deprecated in ${type.name}`);
    if (field instanceof protobuf.MapField) {
      out[key] = Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, checkValue(field, x, `${where}.${k}`, problems)]));
    } else if (field.repeated) {
      if (!Array.isArray(v)) problems.push(`${where}: must be a list`);
      out[key] = (Array.isArray(v) ? v : []).map((x, i) => checkValue(field, x, `${where}[${i}]`, problems));
    } else {
      out[key] = checkValue(field, v, where, problems);
    }
  }
  return out;
}

/** The problems of a JSON spec against a message type, and the protobufjs message built from it. */
export function checkSpec(type: protobuf.Type, spec: unknown): { problems: string[]; message?: protobuf.Message } {
  const problems: string[] = [];
  const converted = checkMessage(type, spec, "", problems);
  if (problems.length) return { problems };
  const message = type.fromObject(converted);
  const invalid = type.verify(message);
  return invalid ? { problems: [invalid] } : { problems, message };
}
