/**
 * `tsx tools/teardown-targets.ts --stack S EXPORT.json` reads `pulumi stack export` and prints the URNs the
 * hand-run teardown workflow destroys (`pulumi destroy --target …`): every cloud resource CI manages, data
 * included, but not the identities, federation, CI grants and team grants, which only an Owner removes.
 * It refuses (exit 1, one line) while anything it would delete is protected or a bucket would keep its
 * objects: the stack file must say `mlops:protectData: false`, and deploy must have applied it, first.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { ownerReason } from "./needs-owner";

/** A resource of `pulumi stack export` as far as this reads it. */
export interface ExportedResource {
  urn: string;
  type: string;
  custom?: boolean;
  protect?: boolean;
  inputs?: Record<string, unknown>;
}

/** Cloud resources only: no component, no provider, no random id (it lives in the state alone). */
const inCloud = (r: ExportedResource) => r.custom === true && !r.type.startsWith("pulumi:") && !r.type.startsWith("random:");
const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

export type Targets = { ok: true; urns: string[] } | { ok: false; message: string };

export function teardownTargets(stack: string, resources: ExportedResource[]): Targets {
  const targets = resources.filter((r) => inCloud(r) && !ownerReason({ op: "delete", urn: r.urn, oldState: { type: r.type, inputs: r.inputs } }));
  const kept = targets.filter((r) => r.protect || (r.type === "gcp:storage/bucket:Bucket" && r.inputs?.forceDestroy !== true));
  if (kept.length) {
    return {
      ok: false,
      message: `::error title=${stack} is protected::${kept.map((r) => nameOf(r.urn)).join(", ")} would survive a teardown; set mlops:protectData: false in Pulumi.${stack}.yaml, push it, let deploy apply it, then run teardown again.`,
    };
  }
  return { ok: true, urns: targets.map((r) => r.urn) };
}

export function main(argv: string[], out: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): number {
  const { values, positionals } = parseArgs({ args: argv, options: { stack: { type: "string" } }, allowPositionals: true });
  if (!values.stack || positionals.length !== 1) {
    out("usage: mlops-gcp-stack teardown-targets --stack STACK EXPORT.json   (the output of pulumi stack export)");
    return 2;
  }
  const exported = JSON.parse(fs.readFileSync(positionals[0], "utf8")) as { deployment?: { resources?: ExportedResource[] } };
  const result = teardownTargets(values.stack, exported.deployment?.resources ?? []);
  if (!result.ok) {
    out(result.message);
    return 1;
  }
  result.urns.forEach((urn) => out(urn));
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
