/** Checks of the budget across keys. */
import { GUARD_ACCOUNTS, GUARD_SERVICE } from "./names";
import type { Fields } from "./schema";

/** A budget's allUpdatesRule takes at most 5 monitoring notification channels
 * (https://cloud.google.com/billing/docs/reference/budget/rest/v1/billingAccounts.budgets#NotificationsRule). */
export const MAX_BUDGET_CHANNELS = 5;

/** Every alert email becomes a channel the budget notifies; a budget takes at most five. */
export function budgetChannelChecks(f: Fields): string[] {
  const emails = f["mlops:alerts"]?.emails ?? [];
  if (!f["mlops:budget"] || emails.length <= MAX_BUDGET_CHANNELS) return [];
  return [
    `mlops:alerts.emails: ${emails.length} addresses, but a budget notifies at most ${MAX_BUDGET_CHANNELS} channels; list at most ${MAX_BUDGET_CHANNELS} (a Google group address reaches more people)`,
  ];
}

/**
 * The credit guard acts unattended: it stops compute and mails what it did to the alert channels. Without an
 * address nobody would learn why the services are gone, so a cap needs at least one.
 */
export function creditGuardChecks(f: Fields): string[] {
  if (f["mlops:budget"]?.stopAt === undefined) return [];
  const problems: string[] = [];
  if (f["mlops:alerts"] && !f["mlops:alerts"].emails.length) {
    problems.push("mlops:budget.stopAt: the credit guard mails its trips to the alert channels, and there are none; add an address to mlops:alerts.emails");
  }
  // The guard's accounts and service are named like a service's would be.
  const taken: string[] = [...Object.values(GUARD_ACCOUNTS), GUARD_SERVICE];
  for (const key of Object.keys(f["mlops:services"] ?? {}).filter((k) => taken.includes(k))) {
    problems.push(`mlops:services.${key}: "${key}" is the credit guard's own name while mlops:budget.stopAt is set; choose another service name`);
  }
  return problems;
}
