/**
 * The hand-run teardown on the export shape of every example stack, APIs included: what `pulumi destroy
 * --target … --target-dependents` would delete, computed here from parents, dependencies and deletedWith
 * as Pulumi's dependency graph does, must reach nothing an Owner manages and no API.
 */
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./repo";
import { stackFiles, type Plan } from "../plan";
import { ownerReason } from "../cli/needs-owner";
import { dependentsClosure, teardownTargets, type ExportedResource } from "../cli/teardown-targets";
import { planFileWith } from "./helpers";

/** `pulumi stack export`'s resources for a plan: the stack, the default provider, and every resource with its parent and dependencies as URNs. */
function exportOf(plan: Plan): ExportedResource[] {
  const stackUrn = `urn:pulumi:${plan.stack}::mlops::pulumi:pulumi:Stack::mlops-${plan.stack}`;
  const urnOf = new Map(plan.resources.map((r) => [r.name, r.urn]));
  const custom = (type: string) => !type.startsWith("mlops:");
  return [
    { urn: stackUrn, type: "pulumi:pulumi:Stack", custom: false },
    { urn: `urn:pulumi:${plan.stack}::mlops::pulumi:providers:gcp::default_9_37_0`, type: "pulumi:providers:gcp", custom: true, parent: stackUrn },
    ...plan.resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      custom: custom(r.type),
      protect: r.protect,
      inputs: r.inputs,
      parent: urnOf.get(r.parent) ?? stackUrn,
      dependencies: r.dependsOn.map((d) => urnOf.get(d)!).filter(Boolean),
      ...(r.deletedWith && { deletedWith: urnOf.get(r.deletedWith) }),
    })),
  ];
}

const examples = stackFiles(REPO_ROOT)
  .filter((f) => f.example)
  .map((f) => f.stack);

describe.each(examples)("Pulumi.%s.yaml, protectData off: the teardown", (stack) => {
  const planned = planFileWith(stack, (raw) => ({ ...raw, "mlops:protectData": false }));

  it("targets the data and everything CI manages, never an API, an identity, federation or an Owner's grant, and its dependents reach none of them", async () => {
    const resources = exportOf((await planned).plan);
    expect(resources.filter((r) => r.type === "gcp:projects/service:Service").length).toBeGreaterThan(4);
    const result = teardownTargets(stack, resources);
    if (!result.ok) throw new Error(result.message);
    const targeted = resources.filter((r) => result.urns.includes(r.urn));
    expect(targeted.map((r) => r.type)).not.toContain("gcp:projects/service:Service");
    for (const type of ["gcp:storage/bucket:Bucket", "gcp:artifactregistry/repository:Repository"]) expect(targeted.map((r) => r.type)).toContain(type);
    const closure = dependentsClosure(resources, new Set(result.urns));
    const deletedByCall = resources.filter(
      (r) => closure.has(r.urn) && r.custom && !r.type.startsWith("pulumi:") && !(r.deletedWith && closure.has(r.deletedWith)),
    );
    for (const r of deletedByCall) {
      expect(r.type, r.urn).not.toBe("gcp:projects/service:Service");
      expect(ownerReason({ op: "delete", urn: r.urn, oldState: { type: r.type, inputs: r.inputs } }), r.urn).toBeUndefined();
    }
  });

  it("refuses, naming it, when something an Owner manages depends on what it would delete", async () => {
    const resources = exportOf((await planned).plan);
    const bucket = resources.find((r) => r.type === "gcp:storage/bucket:Bucket")!;
    const account = resources.find((r) => r.type === "gcp:serviceaccount/account:Account")!;
    const tangled = resources.map((r) => (r === account ? { ...r, dependencies: [...(r.dependencies ?? []), bucket.urn] } : r));
    const result = teardownTargets(stack, tangled);
    expect(result).toEqual({ ok: false, message: expect.stringContaining(`${account.urn.slice(account.urn.lastIndexOf("::") + 2)} (identity or federation)`) });
  });
});

it("follows parents, dependencies, property dependencies and deletedWith, transitively", () => {
  const r = (urn: string, more: Partial<ExportedResource> = {}): ExportedResource => ({ urn, type: "t", custom: true, ...more });
  const resources = [
    r("a"),
    r("b", { dependencies: ["a"] }),
    r("c", { parent: "b" }),
    r("d", { propertyDependencies: { x: ["c"] } }),
    r("e", { deletedWith: "d" }),
    r("f"),
  ];
  expect([...dependentsClosure(resources, new Set(["a"]))].sort()).toEqual(["a", "b", "c", "d", "e"]);
});
