/**
 * What `pulumi up` does between two plans, per resource: create, update, replace, delete or nothing, from
 * each type's replacing inputs in lib/catalog/force-new.json (generated from the provider's schema), and
 * whether Pulumi refuses the step because of `protect`.
 */
import catalog from "../lib/catalog/force-new.json";
import type { Plan } from "../plan";

/** An old state given as a full inventory: logical name → type, parent, protect, inputs. */
export interface Inventory {
  values: Record<string, unknown>;
}

export type Action = "create" | "update" | "replace" | "delete" | "same";

export interface Step {
  action: Action;
  /** The resource's URN without stack and project: its type chain through its parents, then its name. */
  urn: string;
  type: string;
  /** Logical name: the new one, or the old one for a delete. */
  name: string;
  /** The old name the resource had in state, when it is matched through `aliases`. */
  aliasOf?: string;
  /** Changed inputs (dotted paths, list indices dropped); for a replace, those that force it come first. */
  fields: string[];
  /** The inputs that force the replacement. */
  replacingFields?: string[];
  /** Pulumi deletes the old resource before it creates the new one (a grant is absent in between). */
  deleteBeforeReplace?: boolean;
  /** Replace or delete of a resource protected in the old state. */
  protected: boolean;
  /** Pulumi stops the update on this step. */
  refused: boolean;
  /** Deleting or replacing it loses data or identity a group keeps (buckets, registry, secrets, accounts, pool, suffix). */
  holdsData: boolean;
  /** Dependencies of this resource that are replaced in the same update: its inputs may change with them. */
  replacedDependencies: string[];
}

interface Entry {
  type: string;
  parent: string;
  protect: boolean;
  inputs?: Record<string, unknown>;
  dependsOn?: string[];
  aliases?: string[];
  aliasParents?: Record<string, string>;
}

export interface SimulateOptions {
  /**
   * Plans show every secret input as "[secret]", so two values look alike: an input that is "[secret]" on
   * both sides counts as changed in the resources this selects (a rotation of those values).
   */
  secretsDiffer?: (resource: { name: string; type: string; dependsOn?: string[] }) => boolean;
}

/** What deleting or replacing loses: data, images, secrets, CI identity, and the ids Google keeps after a delete. */
export const HOLDS_DATA = new Set([
  "gcp:storage/bucket:Bucket",
  "gcp:artifactregistry/repository:Repository",
  "gcp:secretmanager/secret:Secret",
  "gcp:serviceaccount/account:Account",
  "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
  "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
  "random:index/randomId:RandomId",
]);

interface CatalogType {
  deleteBeforeReplace?: boolean;
  forceNew?: string[];
  conditional?: string[];
  opaque?: string[];
  unparsed?: string;
}
const TYPES = catalog.types as Record<string, CatalogType>;

const SECRET = "[secret]";

/** Components (mlops:…) have no provider: Pulumi only records their inputs, it never replaces one on a diff. */
const isComponent = (type: string) => type.startsWith("mlops:");

function entriesOf(state: Plan | Inventory): Map<string, Entry> {
  if ("resources" in state) return new Map(state.resources.map((r) => [r.name, r]));
  return new Map(Object.entries(state.values as Record<string, Entry>));
}

function urnOf(name: string, entries: Map<string, Entry>): string {
  const chain: string[] = [];
  const seen = new Set<string>();
  for (let at: string | undefined = name; at && entries.has(at) && !seen.has(at); at = entries.get(at)!.parent) {
    seen.add(at);
    chain.unshift(entries.get(at)!.type);
  }
  return `${chain.join("$")}::${name}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/**
 * The paths (list indices dropped) at which two input values differ, down to their leaves. An absent value
 * and an empty list or map are alike (the provider stores both as null).
 */
export function changedPaths(before: unknown, after: unknown, secretsDiffer = false, at = ""): string[] {
  if (before === SECRET && after === SECRET) return secretsDiffer ? [at] : [];
  const list = (v: unknown) => Array.isArray(v) || v === undefined;
  const map = (v: unknown) => isObject(v) || v === undefined;
  if ((Array.isArray(before) || Array.isArray(after)) && list(before) && list(after)) {
    const a = (before ?? []) as unknown[];
    const b = (after ?? []) as unknown[];
    return unique(Array.from({ length: Math.max(a.length, b.length) }, (_, i) => changedPaths(a[i], b[i], secretsDiffer, at)).flat());
  }
  if ((isObject(before) || isObject(after)) && map(before) && map(after)) {
    const a = (before ?? {}) as Record<string, unknown>;
    const b = (after ?? {}) as Record<string, unknown>;
    return unique(unique([...Object.keys(a), ...Object.keys(b)]).flatMap((k) => changedPaths(a[k], b[k], secretsDiffer, at ? `${at}.${k}` : k)));
  }
  return before === after ? [] : [at];
}

const unique = <T>(xs: T[]): T[] => [...new Set(xs)];

/** The changed inputs that make Pulumi replace a resource of this type, from the catalog. */
export function replacingFields(type: string, fields: string[]): string[] {
  if (isComponent(type)) return [];
  const entry = TYPES[type];
  // Not in the catalog, or not parsed from its source: any change counts as a replace.
  if (!entry || entry.unparsed) return fields;
  const forcing = [...(entry.forceNew ?? []), ...(entry.conditional ?? []), ...(entry.opaque ?? [])];
  return fields.filter((f) => forcing.some((p) => f === p || f.startsWith(`${p}.`)));
}

/**
 * The URNs (without stack and project) a resource answers to through its `aliases`: the old name under its own
 * parent (`ownPrefix`, the type chain of its URN), or under the parent the alias names.
 */
export function aliasUrns(r: { type: string; aliases?: string[]; aliasParents?: Record<string, string> }, ownPrefix: string): string[] {
  return (r.aliases ?? []).map((a) => {
    const parent = r.aliasParents?.[a];
    // urn:pulumi:STACK::PROJECT::TYPE_CHAIN::NAME
    return `${parent ? `${parent.split("::")[2]}$${r.type}` : ownPrefix}::${a}`;
  });
}

/**
 * Every resource of `before` (a plan, or a golden inventory) and `after` (a plan) with what Pulumi does to
 * it. Resources are matched by URN, or through the `aliases` an `after` resource names (old name, under its
 * own parent or the one the alias names). Refusals follow pulumi/pulumi's engine (pkg/resource/deploy): step_generator.go refuses a
 * replacement only when old and new are both protected ("we do allow unprotecting and replacing to happen in
 * a single update cycle, we don't look at old.Protect here": `if new.Protect && old.Protect`), and
 * step.go's DeleteStep refuses a delete of a protected resource (`if !s.replacing && s.old.Protect`), in a
 * preview too and before it looks at `deletedWith`, so `deletedWith` saves no protected resource.
 */
export function simulate(before: Plan | Inventory, after: Plan, options: SimulateOptions = {}): Step[] {
  const old = entriesOf(before);
  const now = entriesOf(after);
  const oldByUrn = new Map([...old.keys()].map((name) => [urnOf(name, old), name]));
  const claimed = new Set<string>();
  const steps: Step[] = [];
  const pending: Array<{ step: Step; dependsOn: string[] }> = [];

  for (const [name, r] of now) {
    const urn = urnOf(name, now);
    let oldName = oldByUrn.get(urn);
    let aliasOf: string | undefined;
    if (oldName === undefined || claimed.has(oldName)) {
      const prefix = urn.slice(0, urn.lastIndexOf("::"));
      oldName = aliasUrns(r, prefix)
        .map((u) => oldByUrn.get(u))
        .find((n) => n !== undefined && !claimed.has(n));
      aliasOf = oldName;
    }
    const base = { urn, type: r.type, name, holdsData: HOLDS_DATA.has(r.type), replacedDependencies: [] as string[] };
    if (oldName === undefined) {
      const step: Step = { ...base, action: "create", fields: [], protected: false, refused: false };
      steps.push(step);
      pending.push({ step, dependsOn: r.dependsOn ?? [] });
      continue;
    }
    claimed.add(oldName);
    const was = old.get(oldName)!;
    const fields = changedPaths(was.inputs ?? {}, r.inputs ?? {}, options.secretsDiffer?.({ ...r, name }) ?? false);
    const forcing = replacingFields(r.type, fields);
    const action: Action = forcing.length ? "replace" : fields.length ? "update" : "same";
    const step: Step = {
      ...base,
      ...(aliasOf !== undefined && { aliasOf }),
      action,
      fields: action === "replace" ? unique([...forcing, ...fields]) : fields,
      ...(action === "replace" && { replacingFields: forcing }),
      ...(action === "replace" && TYPES[r.type]?.deleteBeforeReplace && { deleteBeforeReplace: true }),
      protected: action === "replace" && was.protect,
      refused: action === "replace" && was.protect && r.protect,
    };
    steps.push(step);
    pending.push({ step, dependsOn: r.dependsOn ?? [] });
  }
  for (const [name, r] of old) {
    if (claimed.has(name)) continue;
    steps.push({
      action: "delete",
      urn: urnOf(name, old),
      type: r.type,
      name,
      fields: [],
      protected: r.protect,
      refused: r.protect,
      holdsData: HOLDS_DATA.has(r.type),
      replacedDependencies: [],
    });
  }
  const replaced = new Set(steps.filter((s) => s.action === "replace").map((s) => s.name));
  for (const { step, dependsOn } of pending) step.replacedDependencies = dependsOn.filter((d) => replaced.has(d));
  return steps;
}

/** Steps that do something. */
export const changes = (steps: Step[]): Step[] => steps.filter((s) => s.action !== "same");

/** One line per step, for a test's failure message. */
export const describeStep = (s: Step): string =>
  `${s.action} ${s.name} (${s.type})${s.aliasOf ? ` from ${s.aliasOf}` : ""}${s.fields.length ? `: ${s.fields.join(", ")}` : ""}${s.refused ? " REFUSED" : ""}`;
