/**
 * CEL as Google evaluates it, for tests: the real evaluator of @bufbuild/cel, plus the three functions Google
 * adds that the library does not have, written here from Google's descriptions (they are not CEL's standard):
 * - `string.extract(template)`: "extracts the value between the text before and after `{name}`" in the
 *   template; an empty string when the text before is absent; the rest of the string when nothing follows
 *   the placeholder (IAM Conditions attribute reference, "extract");
 * - `list.hasOnly(list)`: true when every element of the target is in the argument, an empty target included
 *   (Set limits on granting roles);
 * - `api.getAttribute(name, default)`: the request attribute `name`, or the default when the request has none
 *   (IAM Conditions, API attributes).
 * Parsing goes through the library's parser, so an expression Google could not parse fails here too.
 */
import { CelScalar, celMethod, isCelError, listType, mapType, parse, run, type CelList, type CelMap } from "@bufbuild/cel";

const extract = celMethod("extract", CelScalar.STRING, [CelScalar.STRING], CelScalar.STRING, function (this: string, template: string) {
  const open = template.indexOf("{");
  const close = template.indexOf("}", open);
  if (open < 0 || close < 0) throw new Error(`extract: no {placeholder} in ${template}`);
  const before = template.slice(0, open);
  const after = template.slice(close + 1);
  const start = this.indexOf(before);
  if (start < 0) return "";
  const rest = this.slice(start + before.length);
  if (!after) return rest;
  const end = rest.indexOf(after);
  return end < 0 ? "" : rest.slice(0, end);
});

const hasOnly = celMethod(
  "hasOnly",
  listType(CelScalar.DYN),
  [listType(CelScalar.DYN)],
  CelScalar.BOOL,
  function (this: Iterable<unknown>, allowed: Iterable<unknown>) {
    const ok = [...allowed];
    return [...this].every((x) => ok.includes(x));
  },
);

const getAttribute = celMethod(
  "getAttribute",
  mapType(CelScalar.STRING, CelScalar.DYN),
  [CelScalar.STRING, listType(CelScalar.DYN)],
  listType(CelScalar.DYN),
  function (this: CelMap, name: string, fallback: CelList) {
    return (this.has(name) ? this.get(name) : fallback) as CelList;
  },
);

const FUNCS = [extract, hasOnly, getAttribute];

/** Evaluates an expression with the given variables; throws with the expression on a CEL error. */
export function evaluate(expression: string, vars: Record<string, unknown>): unknown {
  const bindings = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v instanceof Map ? v : new Map(Object.entries(v as object))]));
  const result = run(expression, bindings as never, { funcs: FUNCS });
  if (isCelError(result)) throw new Error(`${expression}: ${result.message}`);
  return result;
}

/** Like evaluate, but a CEL error (a missing claim, a wrong type) is `undefined`: Google refuses the token then. */
export function evaluateOrUndefined(expression: string, vars: Record<string, unknown>): unknown {
  try {
    return evaluate(expression, vars);
  } catch {
    return undefined;
  }
}

interface Node {
  [key: string]: unknown;
}

function walk(node: unknown, visit: (n: Node) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === "object") {
    visit(node as Node);
    for (const v of Object.values(node)) walk(v, visit);
  }
}

/** What Google's limits count in a parsed expression: logical operators, and the length of each hasOnly list. */
export function shape(expression: string): { logicalOperators: number; hasOnlyLists: number[] } {
  const parsed = parse(expression);
  let logicalOperators = 0;
  const hasOnlyLists: number[] = [];
  walk(parsed.expr, (n) => {
    if (n.$typeName !== "cel.expr.Expr.Call") return;
    if (["_&&_", "_||_", "!_"].includes(String(n.function))) logicalOperators++;
    if (n.function === "hasOnly") {
      const arg = (n.args as Node[])[0]?.exprKind as { case?: string; value?: { elements?: unknown[] } } | undefined;
      hasOnlyLists.push(arg?.case === "listExpr" ? (arg.value?.elements?.length ?? 0) : Number.NaN);
    }
  });
  return { logicalOperators, hasOnlyLists };
}
