/**
 * Reading a stack file's YAML strictly: anything YAML allows but a stack file cannot mean is refused with the
 * key named, rather than crashing the planner or being silently misread. Maps come back without a prototype,
 * so keys such as `constructor` or `__proto__` are ordinary names.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from "yaml";
import { keyPath, quote } from "./problems";

/** yaml's guard against alias bombs: how often one anchor's content may be copied (yaml's default is 100). */
export const MAX_ALIAS_COUNT = 100;

/** The tags of plain YAML values; `!!omap`, `!!set`, `!!binary` and custom tags are refused. */
const PLAIN_TAGS = new Set(["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`));

export type YamlResult = { ok: true; value: unknown } | { ok: false; problems: string[] };

const showTag = (tag: string): string => tag.replace(/^tag:yaml\.org,2002:/, "!!");

class Refusal extends Error {}

/** Refuses, with the key named, what a stack file cannot mean: odd tags, keys that are not plain values,
 * duplicate keys, aliases to nothing or to the anchor they sit in. */
function check(doc: Document, node: unknown, at: PropertyKey[], open: Set<string>, firstAlias: { at?: string }): void {
  if (isAlias(node)) {
    if (open.has(node.source))
      throw new Refusal(`${keyPath(at)}: the alias *${node.source} sits inside its own anchor &${node.source}, so it would never end; write the value out`);
    if (!node.resolve(doc)) throw new Refusal(`${keyPath(at)}: the alias *${node.source} names no anchor defined before it`);
    firstAlias.at ??= `${keyPath(at)} (*${node.source})`;
    return;
  }
  if (!node || typeof node !== "object") return;
  const n = node as Node;
  if (n.tag && !PLAIN_TAGS.has(n.tag)) {
    throw new Refusal(`${keyPath(at)}: the YAML tag ${quote(showTag(n.tag))} is not supported; write a plain map, list or value`);
  }
  const inner = n.anchor ? new Set([...open, n.anchor]) : open;
  if (isSeq(n)) n.items.forEach((item, i) => check(doc, item, [...at, i], inner, firstAlias));
  if (!isMap(n)) return;
  const seen = new Set<string>();
  for (const pair of n.items) {
    if (!isScalar(pair.key)) throw new Refusal(`${keyPath(at)}: a key must be a plain name, not a map, list or alias`);
    if (pair.key.tag && !PLAIN_TAGS.has(pair.key.tag))
      throw new Refusal(`${keyPath(at)}: the YAML tag ${quote(showTag(pair.key.tag))} on a key is not supported`);
    const key = String(pair.key.value);
    if (seen.has(key)) throw new Refusal(`${keyPath([...at, key])}: this key appears twice in the same map; keep one`);
    seen.add(key);
    check(doc, pair.value, [...at, key], inner, firstAlias);
  }
}

/** A plain value with null-prototype maps (yaml's own toJS has already expanded aliases within its limit). */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

/** Parses YAML text into plain values, or says in one line per problem why it cannot. */
export function parseYaml(text: string): YamlResult {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) {
    return { ok: false, problems: doc.errors.map((e) => `YAML syntax error at line ${e.linePos?.[0].line ?? "?"}: ${e.message.split("\n")[0]}`) };
  }
  const firstAlias: { at?: string } = {};
  try {
    check(doc, doc.contents, [], new Set(), firstAlias);
    return { ok: true, value: plain(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })) };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, problems: [err.message] };
    if (err instanceof ReferenceError) {
      return {
        ok: false,
        problems: [`${firstAlias.at ?? "an alias"}: aliases here expand to too many copies (more than ${MAX_ALIAS_COUNT} of one anchor); write the values out`],
      };
    }
    throw err;
  }
}
