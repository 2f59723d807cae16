/** Checks of the budget across keys. */
import type { Fields } from "./schema";

/** A budget's allUpdatesRule takes at most 5 monitoring notification channels
 * (https://cloud.google.com/billing/docs/reference/budget/rest/v1/billingAccounts.budgets#NotificationsRule). */
export const MAX_BUDGET_CHANNELS = 5;

/** Every alert email becomes a channel the budget notifies; a budget takes at most five. */
export function budgetChannelChecks(f: Fields): string[] {
  const emails = f["mlops:alerts"]?.emails ?? [];
  if (!f["mlops:budget"] || emails.length <= MAX_BUDGET_CHANNELS) return [];
  return [`mlops:alerts.emails: ${emails.length} addresses, but a budget notifies at most ${MAX_BUDGET_CHANNELS} channels; list at most ${MAX_BUDGET_CHANNELS} (a Google group address reaches more people)`];
}
