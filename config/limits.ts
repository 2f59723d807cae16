/**
 * Checks against catalogs and Google's limits that span keys: machine types and Vertex AI GPUs from the
 * generated catalogs, the budget's channel cap, label and secret-id limits, and secrets in plain env.
 */
import * as gcp from "../lib/gcp";
import { vertexGpuProblem } from "../lib/gpus";
import { machineTypeProblem } from "../lib/machines";
import { deriveNames } from "./names";
import type { Fields } from "./schema";
import { quote } from "./yaml";

/** A budget's allUpdatesRule takes at most 5 monitoring notification channels
 * (https://cloud.google.com/billing/docs/reference/budget/rest/v1/billingAccounts.budgets#NotificationsRule). */
export const MAX_BUDGET_CHANNELS = 5;

/** Env names the policy pack treats as secrets (policy/rules/serving.ts), caught here first with the key named. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD/i;
/** Values shaped like well-known credentials: OpenAI, GitHub, AWS, Google API keys, Hugging Face, Slack, PEM. */
const SECRET_VALUE = /^(sk-[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|hf_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,})$|-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** The labels the stack sets itself on top of mlops:labels (config/project.ts stackLabels). */
const STACK_LABELS = ["group", "stack", "managed-by"];

export function limitChecks(f: Fields): string[] {
  return [...catalogChecks(f), ...budgetChannelChecks(f), ...labelChecks(f), ...secretIdChecks(f), ...plainSecretChecks(f)];
}

/** The training machine type is in the machine catalog (priced in the region); a Vertex AI GPU is offered there. */
function catalogChecks(f: Fields): string[] {
  const t = f["mlops:training"];
  if (!t || t.kind === "none") return [];
  const region = f["gcp:region"];
  const problems = [machineTypeProblem("mlops:training.machineType", t.machineType, region)];
  if (t.kind === "vertex" && t.gpu && region) problems.push(vertexGpuProblem("mlops:training", t.gpu.type, region));
  return problems.filter((p): p is string => p !== undefined);
}

/** Every alert email becomes a channel the budget notifies; a budget takes at most five. */
function budgetChannelChecks(f: Fields): string[] {
  const emails = f["mlops:alerts"]?.emails ?? [];
  if (!f["mlops:budget"] || emails.length <= MAX_BUDGET_CHANNELS) return [];
  return [`mlops:alerts.emails: ${emails.length} addresses, but a budget notifies at most ${MAX_BUDGET_CHANNELS} channels; list at most ${MAX_BUDGET_CHANNELS} (a Google group address reaches more people)`];
}

/** The stack's own labels are not the group's to set; with them, a resource carries at most 64. */
function labelChecks(f: Fields): string[] {
  const keys = Object.keys(f["mlops:labels"] ?? {});
  const taken = keys.filter((k) => STACK_LABELS.includes(k)).map((k) => `mlops:labels.${k}: the stack sets this label itself; choose another key`);
  const own = keys.filter((k) => !STACK_LABELS.includes(k));
  if (own.length + STACK_LABELS.length <= gcp.MAX_LABELS) return taken;
  const over = own.length + STACK_LABELS.length - gcp.MAX_LABELS;
  return [...taken, `mlops:labels: ${own.length} labels plus the stack's ${STACK_LABELS.length} (${STACK_LABELS.join(", ")}) exceed Google's ${gcp.MAX_LABELS} labels per resource; remove ${over}`];
}

function secretIdChecks(f: Fields): string[] {
  const project = f["gcp:project"];
  const group = f["mlops:group"];
  if (!project || !group) return [];
  const names = deriveNames(project, group);
  return (f["mlops:secrets"] ?? []).flatMap((name, i) => {
    const why = gcp.nameProblem(names.secretId(name), gcp.SECRET_ID);
    return why ? [`mlops:secrets[${i}]: derived secret id ${quote(names.secretId(name))} ${why}; choose a shorter name`] : [];
  });
}

/** A secret in plain env is readable by anyone who can read the service; it belongs in mlops:secrets. */
function plainSecretChecks(f: Fields): string[] {
  const envs: Array<[string, Record<string, string>]> = [
    ["mlops:training", f["mlops:training"]?.kind === "none" ? {} : (f["mlops:training"]?.env ?? {})],
    ...Object.entries(f["mlops:services"] ?? {}).map(([k, s]): [string, Record<string, string>] => [`mlops:services.${k}`, s.env]),
  ];
  return envs.flatMap(([key, env]) =>
    Object.entries(env)
      .filter(([name, value]) => SECRET_NAME.test(name) || SECRET_VALUE.test(value.trim()))
      .map(([name]) => `${key}.env.${name}: looks like a secret in plain text; declare it in mlops:secrets, list it under ${key}.secrets, and set it with \`pulumi config set --secret ${/^[A-Z][A-Z0-9_]*$/.test(name) ? name : "NAME"} <value>\``),
  );
}
