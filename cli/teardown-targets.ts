/**
 * `mlops-gcp-stack teardown-targets --stack S EXPORT.json` reads `pulumi stack export` and prints the URNs the
 * hand-run teardown workflow destroys (`pulumi destroy --target … --target-dependents`): every cloud resource
 * CI manages, data included, but not the APIs, identities, federation, CI grants and team grants, which stay
 * or only an Owner removes, nor what the budget (an Owner's) uses: its notification channels and topic. It refuses (exit 1, one line) when the dependents of its targets would reach one
 * of those, while anything it would delete is protected, or while a bucket would keep its objects: the stack
 * file must say `mlops:protectData: false`, and deploy must have applied it, first.
 */
import * as fs from "node:fs";
import { lineIo, runAsProcess, runCommand, UsageError, type Command } from "./command";
import { ownerReason } from "./needs-owner";

/** A resource of `pulumi stack export` as far as this reads it. */
export interface ExportedResource {
  urn: string;
  type: string;
  custom?: boolean;
  protect?: boolean;
  inputs?: Record<string, unknown>;
  parent?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  deletedWith?: string;
}

/** Cloud resources only: no component, no provider, no random id (it lives in the state alone). */
const inCloud = (r: ExportedResource) => r.custom === true && !r.type.startsWith("pulumi:") && !r.type.startsWith("random:");
const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
/** APIs stay enabled whatever happens (`disableOnDestroy: false`), and everything the stack has depends on them. */
const API = "gcp:projects/service:Service";

/** Why a teardown must leave a resource alone: an Owner manages it, or it is an API. */
function keptByOwner(r: ExportedResource): string | undefined {
  if (r.type === API) return "an API";
  return ownerReason({ op: "delete", urn: r.urn, oldState: { type: r.type, inputs: r.inputs } });
}

/**
 * What `pulumi destroy --target … --target-dependents` deletes: the targets and, transitively, every resource
 * that names one as its parent, in its dependencies or property dependencies, or as `deletedWith` (Pulumi's
 * dependency graph, `DependingOn`). A resource deleted with another is not deleted by a call of its own.
 */
export function dependentsClosure(resources: ExportedResource[], targets: Set<string>): Set<string> {
  const closure = new Set(targets);
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of resources) {
      if (closure.has(r.urn)) continue;
      const on = [r.parent, r.deletedWith, ...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat()];
      if (on.some((u) => u !== undefined && closure.has(u))) {
        closure.add(r.urn);
        grew = true;
      }
    }
  }
  return closure;
}

export type Targets = { ok: true; urns: string[] } | { ok: false; message: string };

export function teardownTargets(stack: string, resources: ExportedResource[]): Targets {
  // What the budget (an Owner's, on the billing account) uses stays with it: its notification channels and topic.
  const budgets = resources.filter((r) => r.type === "gcp:billing/budget:Budget");
  const usedByOwner = new Set(budgets.flatMap((r) => [...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat()]));
  const targets = resources.filter((r) => inCloud(r) && !keptByOwner(r) && !usedByOwner.has(r.urn));
  const closure = dependentsClosure(resources, new Set(targets.map((r) => r.urn)));
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  // What the closure reaches beyond the targets that Pulumi would delete by a call of its own.
  const reached = [...closure].map((u) => byUrn.get(u)!).filter((r) => inCloud(r) && keptByOwner(r) && !(r.deletedWith && closure.has(r.deletedWith)));
  if (reached.length) {
    return {
      ok: false,
      message: `::error title=${stack}: teardown would reach what an Owner manages::${reached.map((r) => `${nameOf(r.urn)} (${keptByOwner(r)})`).join(", ")} depend on what the teardown deletes; an Owner runs \`pulumi destroy --stack ${stack}\` by hand instead.`,
    };
  }
  const kept = targets.filter((r) => r.protect || (r.type === "gcp:storage/bucket:Bucket" && r.inputs?.forceDestroy !== true));
  if (kept.length) {
    return {
      ok: false,
      message: `::error title=${stack} is protected::${kept.map((r) => nameOf(r.urn)).join(", ")} would survive a teardown; set mlops:protectData: false in Pulumi.${stack}.yaml, push it, let deploy apply it, then run teardown again.`,
    };
  }
  return { ok: true, urns: targets.map((r) => r.urn) };
}

export const command: Command = {
  name: "teardown-targets",
  usage: ["--stack STACK EXPORT.json"],
  about: [
    "Reads EXPORT.json (what pulumi stack export printed) and prints, one a line, the URNs a teardown destroys:",
    "every cloud resource CI manages, data included, but not identities, federation, CI or team grants. The",
    "teardown workflow calls it (teardown.sh).",
  ].join("\n"),
  options: { stack: { type: "string" } },
  positionals: ["EXPORT.json"],
  exits: { 0: "the targets, one URN a line (none: nothing left)", 1: "the stack is still protected (one ::error line)" },
  run: ({ values, positionals }, io) => targets(String(values.stack ?? ""), positionals[0], (line) => io.out(`${line}\n`)),
};

export function main(argv: string[], out: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): number {
  return runCommand(command, argv, lineIo(out)) as number;
}

function targets(stack: string, file: string, out: (line: string) => void): number {
  if (!stack) throw new UsageError("--stack STACK is required");
  let exported: { deployment?: { resources?: ExportedResource[] } };
  try {
    exported = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    out(`::error title=${stack}::cannot read the stack export ${file}: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const result = teardownTargets(stack, exported.deployment?.resources ?? []);
  if (!result.ok) {
    out(result.message);
    return 1;
  }
  result.urns.forEach((urn) => out(urn));
  return 0;
}

if (require.main === module) void runAsProcess((argv) => main(argv));
