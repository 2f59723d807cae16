/**
 * What a plan is, and how it is recorded: a mock monitor that keeps every resource the program registers
 * (type, name, parent, protect, dependencies, inputs) and the stack's outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";

export interface PlannedResource {
  /** Pulumi's URN: `urn:pulumi:STACK::PROJECT::PARENT_TYPES$TYPE::NAME`, what `--target` names. */
  urn: string;
  /** Pulumi type token, e.g. gcp:storage/bucket:Bucket. */
  type: string;
  /** Logical name. */
  name: string;
  /** Logical name of the parent: a component, or the stack itself (`mlops-<stack>`). */
  parent: string;
  protect: boolean;
  /** Registered inputs; secrets show as "[secret]". */
  inputs: Record<string, unknown>;
  /** Logical names of the resources this one waits for. */
  dependsOn: string[];
  /** The resource whose deletion takes this one with it (Pulumi skips deleting it separately). */
  deletedWith?: string;
  /** Old logical names this resource answers to (`aliases`), so state under them is updated, not deleted. */
  aliases?: string[];
  /** For an alias under another parent than the resource's own: that parent's URN, by the alias's name. */
  aliasParents?: Record<string, string>;
}

export interface Plan {
  stack: string;
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
}

const ROOT_TYPE = "pulumi:pulumi:Stack";
const { specialSigKey, specialSecretSig, specialResourceSig, unknownValue } = pulumi.runtime;

/** Serialized property values as a reader wants them: secrets hidden, references by URN. */
function readable(value: unknown): unknown {
  if (value === unknownValue) return "[unknown]";
  if (Array.isArray(value)) return value.map(readable);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[specialSigKey] === specialSecretSig) return "[secret]";
    if (obj[specialSigKey] === specialResourceSig) return obj.urn;
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, readable(v)]));
  }
  return value;
}

const nameOfUrn = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

interface Recorded extends Omit<PlannedResource, "parent"> {
  urn: string;
  parentUrn: string;
}

// The mock puts the stack's own type in front of its children's types; Pulumi's URNs leave it out.
const engineUrn = (urn: string) => urn.replace("::pulumi:pulumi:Stack$", "::");

interface AliasSpec {
  getName(): string;
  getParenturn(): string;
}

function aliasesOf(req: any): Pick<PlannedResource, "aliases" | "aliasParents"> {
  const specs = ((req.getAliasesList?.() ?? []) as Array<{ getSpec(): AliasSpec | undefined }>).flatMap((a) => a.getSpec() ?? []).filter((s) => s.getName());
  const parents = specs.filter((s) => s.getParenturn() && s.getParenturn() !== req.getParent()).map((s) => [s.getName(), engineUrn(s.getParenturn())]);
  return { ...(specs.length && { aliases: specs.map((s) => s.getName()) }), ...(parents.length && { aliasParents: Object.fromEntries(parents) }) };
}

/** The mock monitor, also keeping what the SDK sends it: parent, protect, dependencies, raw inputs. */
export class RecordingMonitor extends MockMonitor {
  readonly recorded: Recorded[] = [];
  rootOutputs: Record<string, unknown> = {};
  rootUrn = "";

  override async registerResource(req: any, callback: (err: any, response: any) => void): Promise<void> {
    await super.registerResource(req, (err: any, response: any) => {
      if (!err) {
        const urn: string = response.getUrn();
        if (req.getType() === ROOT_TYPE) this.rootUrn = urn;
        else {
          this.recorded.push({
            urn,
            type: req.getType(),
            name: req.getName(),
            parentUrn: req.getParent(),
            protect: req.getProtect() === true,
            inputs: readable(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
            dependsOn: (req.getDependenciesList() as string[]).map(nameOfUrn).sort(),
            ...(req.getDeletedwith() && { deletedWith: nameOfUrn(req.getDeletedwith()) }),
            ...aliasesOf(req),
          });
        }
      }
      callback(err, response);
    });
  }

  override registerResourceOutputs(req: any, callback: (err: any, response: any) => void): void {
    if (req.getUrn() === this.rootUrn) {
      this.rootOutputs = readable(req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>;
    }
    super.registerResourceOutputs(req, callback);
  }

  /** What was recorded as a plan: resources in tree order, each with its parent's logical name. */
  plan(stack: string): Plan {
    const names = new Map(this.recorded.map((r) => [r.urn, r.name]));
    const byUrn = new Map(this.recorded.map((r) => [r.urn, r]));
    const treePath = (r: Recorded): string => {
      const parent = byUrn.get(r.parentUrn);
      return parent ? `${treePath(parent)}/${r.name}` : r.name;
    };
    // The engine qualifies a type by its parents' whole chain (`A$B$TYPE`); the mock monitor by the parent's alone.
    const typeChain = (r: Recorded): string => {
      const parent = byUrn.get(r.parentUrn);
      return parent ? `${typeChain(parent)}$${r.type}` : r.type;
    };
    const withChain = (r: Recorded) => {
      const urn = engineUrn(r.urn);
      return `${urn.slice(0, urn.indexOf("::", urn.indexOf("::") + 2) + 2)}${typeChain(r)}::${r.name}`;
    };
    const resources = [...this.recorded]
      .sort((a, b) => treePath(a).localeCompare(treePath(b)))
      .map((rec) => {
        const { parentUrn, urn: _urn, ...r } = rec;
        return { ...r, urn: withChain(rec), parent: names.get(parentUrn) ?? nameOfUrn(this.rootUrn) };
      });
    return { stack, resources, outputs: this.rootOutputs };
  }
}
