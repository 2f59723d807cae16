/**
 * What a plan is, and how it is recorded: a mock monitor that keeps every resource the program registers
 * (type, name, parent, protect, dependencies, inputs) and the stack's outputs.
 */
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
}

export interface Plan {
  stack: string;
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
}

const ROOT_TYPE = "pulumi:pulumi:Stack";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Serialized property values as a reader wants them: secrets hidden, references by URN. */
function readable(value: unknown): unknown {
  if (value === UNKNOWN) return "[unknown]";
  if (Array.isArray(value)) return value.map(readable);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) return "[secret]";
    if (obj[SIG_KEY] === RESOURCE_SIG) return obj.urn;
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, readable(v)]));
  }
  return value;
}

const nameOfUrn = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

interface Recorded extends Omit<PlannedResource, "parent"> {
  urn: string;
  parentUrn: string;
}

function aliasesOf(req: any): { aliases?: string[] } {
  const names = ((req.getAliasesList?.() ?? []) as Array<{ getSpec(): { getName(): string } | undefined }>).map((a) => a.getSpec()?.getName() ?? "").filter(Boolean);
  return names.length ? { aliases: names } : {};
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
    const resources = [...this.recorded]
      .sort((a, b) => treePath(a).localeCompare(treePath(b)))
      .map(({ parentUrn, ...r }) => ({ ...r, parent: names.get(parentUrn) ?? nameOfUrn(this.rootUrn) }));
    return { stack, resources, outputs: this.rootOutputs };
  }
}
