import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { adminOptions, type Admin } from "./admins";

export const SECRET_ACCESSOR = "roles/secretmanager.secretAccessor";
/** What an admin of the stack's secrets (ci-deploy) holds on each, instead of a project-wide secret role. */
export const SECRET_ADMIN_ROLE = "roles/secretmanager.admin";

export interface SecretSpec {
  /** Environment-variable name, e.g. WANDB_API_KEY. */
  name: string;
  secretId: string;
  /** The value, always a Pulumi secret; absent until the group sets it. */
  value?: pulumi.Output<string>;
  /** Accounts that may read it, by workload. */
  accessors: Array<{ who: string; member: pulumi.Input<string> }>;
  /** Where this secret, its version and its one accessor grant were registered before (`${name}`, `-version`, `-access`). */
  formerly?: { parent: pulumi.Input<string>; name: string };
}

export interface SecretsArgs {
  project: string;
  labels: Record<string, string>;
  secrets: SecretSpec[];
  protect: boolean;
  /** Accounts that administer every secret (ci-deploy), granted on each; `formerly` is keyed by secret name. */
  admins: Admin[];
}

export interface CreatedSecret {
  secret: gcp.secretmanager.Secret;
  /** The version created from the stack's value; consumers pin to it. */
  version?: gcp.secretmanager.SecretVersion;
  /** Grants consumers must wait for, so the first revision or VM boot can read the secret. */
  grants: gcp.secretmanager.SecretIamMember[];
}

/**
 * Secrets in Secret Manager. Values come only from Pulumi secret config and stay secret in state; each
 * secret is readable by exactly the accounts that use it.
 */
export class Secrets extends pulumi.ComponentResource {
  readonly secrets: Record<string, CreatedSecret> = {};

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:secrets:Secrets", name, {}, opts);
    const child = { parent: this, dependsOn: opts?.dependsOn };
    for (const spec of args.secrets) {
      const was = (suffix: string) => (spec.formerly ? { aliases: [{ name: `${spec.formerly.name}${suffix}`, parent: spec.formerly.parent }] } : {});
      const secret = new gcp.secretmanager.Secret(
        `${name}-${spec.name}`,
        { project: args.project, secretId: spec.secretId, replication: { auto: {} }, labels: args.labels },
        { ...child, protect: args.protect, ...was("") },
      );
      // Never protected: a version's data is immutable, so a new value replaces it, and protection would refuse that.
      const version = spec.value
        ? new gcp.secretmanager.SecretVersion(
            `${name}-${spec.name}-version`,
            { secret: secret.id, secretData: pulumi.secret(spec.value) },
            { ...child, ...was("-version") },
          )
        : undefined;
      const grants = spec.accessors.map(
        (a) =>
          new gcp.secretmanager.SecretIamMember(
            `${name}-${spec.name}-${a.who}`,
            { project: args.project, secretId: secret.secretId, role: SECRET_ACCESSOR, member: a.member },
            { ...child, ...was("-access") },
          ),
      );
      for (const admin of args.admins) {
        new gcp.secretmanager.SecretIamMember(
          `${name}-${spec.name}-${admin.who}-admin`,
          { project: args.project, secretId: secret.secretId, role: SECRET_ADMIN_ROLE, member: admin.member },
          adminOptions(child, secret, args.protect, admin, spec.name),
        );
      }
      this.secrets[spec.name] = { secret, version, grants };
    }
    this.registerOutputs({});
  }
}

/** How a workload uses one secret: the Secret Manager version it pins, and what it must wait for. */
export interface SecretRef {
  secret: pulumi.Output<string>;
  /** The version number to pin: the one created from the stack's value. */
  version: pulumi.Output<string>;
  /** The version's full resource name, for reading it through the API. */
  versionName: pulumi.Output<string>;
  /** The version and the read grants: a first revision or boot before them cannot read the secret. */
  waitFor: pulumi.Resource[];
}

/** The refs of the secrets a workload uses, by name, and everything they wait for. */
export function secretRefs(secrets: Secrets | undefined, names: string[]): { refs: Record<string, SecretRef>; waitFor: pulumi.Resource[] } {
  const refs = Object.fromEntries(names.map((name) => [name, secretRef(secrets, name)]));
  return { refs, waitFor: Object.values(refs).flatMap((r) => r.waitFor) };
}

function secretRef(secrets: Secrets | undefined, name: string): SecretRef {
  const created = secrets?.secrets[name];
  if (!created) throw new Error(`secret ${name} is used but not declared`);
  // Validation refuses a workload that lists a secret without a value (secretUseChecks).
  if (!created.version) throw new Error(`secret ${name} is used but has no value`);
  return {
    secret: created.secret.secretId,
    version: created.version.version,
    versionName: created.version.name,
    waitFor: [created.version, ...created.grants],
  };
}
