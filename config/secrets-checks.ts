/**
 * Checks of secrets across keys: each declared once and every one a workload reads declared, their values
 * set as Pulumi secrets, their derived ids within Google's limit, and no secret in a workload's plain env.
 */
import * as gcp from "../lib/gcp";
import { SECRET_LIKE } from "../policy/rules/serving";
import { deriveNames } from "./names";
import { quote } from "./problems";
import type { Fields } from "./schema";
import { SECRET_NAME, SecretValue } from "./secrets";

/** Values shaped like well-known credentials: OpenAI, GitHub, AWS, Google API keys, Hugging Face, Slack, PEM. */
const SECRET_VALUE =
  /^(sk-[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|hf_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,})$|-----BEGIN [A-Z ]*PRIVATE KEY-----/;

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

/**
 * A workload may use a secret only once it has a value: Cloud Run refuses a revision whose secret has no
 * version ("Secret …/versions/latest was not found"), and a run cannot read one either.
 */
export function secretUseChecks(f: Fields, values: Record<string, unknown>): string[] {
  const declared = f["mlops:secrets"] ?? [];
  const uses: Array<[string, string[] | undefined]> = [
    ["mlops:training.secrets", f["mlops:training"]?.secrets],
    ...Object.entries(f["mlops:services"] ?? {}).map(([k, s]): [string, string[]] => [`mlops:services.${k}.secrets`, s.secrets]),
  ];
  return uses.flatMap(([key, names]) =>
    (names ?? []).flatMap((name, i) =>
      declared.includes(name) && values[name] === undefined
        ? [
            `${key}[${i}]: secret ${name} has no value yet; set it first with \`pulumi config set --secret ${name} <value>\` (a workload cannot start without it), or remove it from ${key}`,
          ]
        : [],
    ),
  );
}

/** Secret values live in their own keys (`mlops:NAME`), set with `pulumi config set --secret NAME`. */
export function secretValueChecks(declared: string[] | undefined, values: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (declared && !declared.includes(name)) {
      problems.push(`mlops:${name}: a value for a secret that mlops:secrets does not declare; declare it there or remove the key`);
    } else if (!(value instanceof SecretValue)) {
      problems.push(`mlops:${name}: stored in plain text; remove it from the stack file and run \`pulumi config set --secret ${name} <value>\``);
    }
  }
  return problems;
}

/** Every derived secret id within Secret Manager's limit. */
export function secretIdChecks(f: Fields): string[] {
  const project = f["gcp:project"];
  const group = f["mlops:group"];
  if (!project || !group) return [];
  const names = deriveNames(project, group);
  return (f["mlops:secrets"] ?? []).flatMap((name, i) => {
    const why = gcp.nameProblem(names.secretId(name), gcp.SECRET_ID);
    return why ? [`mlops:secrets[${i}]: derived secret id ${quote(names.secretId(name))} ${why}; choose a shorter name`] : [];
  });
}

/** A secret in plain env is readable by anyone who can read the service; it belongs in mlops:secrets. Env names
 * that look secret are the policy pack's (policy/rules/serving.ts), caught here first with the key named. */
export function plainSecretChecks(f: Fields): string[] {
  const envs: Array<[string, Record<string, string>]> = [
    ["mlops:training", f["mlops:training"]?.kind === "none" ? {} : (f["mlops:training"]?.env ?? {})],
    ...Object.entries(f["mlops:services"] ?? {}).map(([k, s]): [string, Record<string, string>] => [`mlops:services.${k}`, s.env]),
  ];
  return envs.flatMap(([key, env]) =>
    Object.entries(env)
      .filter(([name, value]) => SECRET_LIKE.test(name) || SECRET_VALUE.test(value.trim()))
      .map(
        ([name]) =>
          `${key}.env.${name}: looks like a secret in plain text; declare it in mlops:secrets, list it under ${key}.secrets, and set it with \`pulumi config set --secret ${SECRET_NAME.test(name) ? name : "NAME"} <value>\``,
      ),
  );
}
