/** Who may act on the project: GitHub Actions (CI), the group's people, and the secrets workloads read. */
import { z } from "zod";
import type { Fields } from "./schema";

/** A config value stored encrypted (`pulumi config set --secret`). `value` is absent when the stack file is
 * read offline without its passphrase or key. */
export class SecretValue {
  constructor(readonly value: string | undefined) {}
  toJSON(): string {
    return "[secret]";
  }
}

/** The CI workloads, each with its own service account when mlops:github is set. */
export const CI_WORKLOADS = ["ci-preview", "ci-deploy"] as const;

/** Secret names are environment-variable names, so a container sees the secret under the same name. */
export const SECRET_NAME = /^[A-Z][A-Z0-9_]*$/;
const MEMBER = /^(user|group|serviceAccount):[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** GitHub's immutable numeric ids: a deleted and recreated repository of the same name gets new ones. */
function githubId(key: string, lookup: string) {
  const error = `must be GitHub's numeric id; look it up with \`${lookup}\``;
  return z
    .union([z.number({ error }).int({ error }).positive({ error }), z.string({ error }).regex(/^[1-9][0-9]*$/, { error })], { error })
    .transform(String)
    .optional()
    .describe(`GitHub's numeric ${key === "repositoryId" ? "repository" : "owner"} id (\`${lookup}\`); pins the repository for good.`);
}

export const github = z
  .strictObject({
    repository: z
      .string({ error: "is required; the GitHub repository as owner/name" })
      .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/, {
        error: "must be a GitHub repository as owner/name, e.g. Klakawaka/Car-Image-Classification-using-CNN",
      })
      .describe("GitHub repository (owner/name) whose Actions may deploy the stack keylessly."),
    branch: z
      .string()
      .regex(/^[A-Za-z0-9._/-]+$/, { error: "must be a branch name such as main" })
      .default("main")
      .describe("Only workflows on this branch may impersonate the deploy account."),
    repositoryId: githubId("repositoryId", "gh api repos/OWNER/NAME --jq .id"),
    repositoryOwnerId: githubId("repositoryOwnerId", "gh api repos/OWNER/NAME --jq .owner.id"),
    stateBucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, { error: "must be a bucket name such as dtu-mlops-43-pulumi-state (no gs://)" })
      .optional()
      .describe("The Pulumi state bucket (name, no gs://): ci-deploy gets objectUser and ci-preview objectViewer on it, and nothing else of it."),
  })
  .optional()
  .describe("GitHub Actions access through Workload Identity Federation; omit for no CI access.");

export const secrets = z
  .array(z.string().regex(SECRET_NAME, { error: "is not a secret name; use an environment-variable name such as WANDB_API_KEY" }), {
    error: "must be a list of secret names, e.g. [WANDB_API_KEY]",
  })
  .default([])
  .describe("Secrets in Secret Manager, by name; workloads list the ones they read. Set each value with `pulumi config set --secret NAME <value>`; a value in plain text is rejected.");

export const team = z
  .strictObject({
    members: z
      .array(z.string().regex(MEMBER, { error: "must be user:EMAIL, group:EMAIL or serviceAccount:EMAIL" }), { error: "must be a list of members" })
      .min(1, { error: "must name at least one member" })
      .describe("The group's people, as user:EMAIL or group:EMAIL."),
    roles: z
      .array(z.string().regex(/^roles\/[A-Za-z0-9_.]+$/, { error: "must be a predefined role such as roles/editor" }), { error: "must be a list of roles" })
      .min(1, { error: "must name at least one role, e.g. roles/editor" })
      .describe("Project roles every member gets."),
  })
  .optional()
  .describe("People of the group and the project roles they get.");

/** Each secret is declared once, and every secret a workload reads is declared. */
export function declaredSecretChecks(f: Fields): string[] {
  const declared = f["mlops:secrets"];
  if (!declared) return [];
  const problems: string[] = [];
  const seen = new Set<string>();
  declared.forEach((name, i) => {
    if (seen.has(name)) problems.push(`mlops:secrets[${i}]: "${name}" is listed twice`);
    seen.add(name);
  });
  const uses: Array<[string, string[] | undefined]> = [
    ["mlops:training.secrets", f["mlops:training"]?.secrets],
    ...Object.entries(f["mlops:services"] ?? {}).map(([k, s]): [string, string[]] => [`mlops:services.${k}.secrets`, s.secrets]),
  ];
  for (const [key, names] of uses) {
    names?.forEach((name, i) => {
      if (!declared.includes(name)) {
        problems.push(`${key}[${i}]: "${name}" is not declared in mlops:secrets; declared: ${declared.join(", ") || "none"}`);
      }
    });
  }
  return problems;
}

/** Secret values live in their own keys (`mlops:NAME`), set with `pulumi config set --secret NAME`. */
export function secretValueChecks(declared: string[] | undefined, values: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (declared && !declared.includes(name)) {
      problems.push(`mlops:${name}: a value for a secret that mlops:secrets does not declare; declare it there or remove the key`);
    } else if (!(value instanceof SecretValue)) {
      problems.push(
        `mlops:${name}: stored in plain text; remove it from the stack file and run \`pulumi config set --secret ${name} <value>\``,
      );
    }
  }
  return problems;
}
