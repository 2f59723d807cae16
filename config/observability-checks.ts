/** Checks of the alert settings across keys. */
import type { Fields } from "./schema";

export function alertChecks(f: Fields): string[] {
  const problems: string[] = [];
  const alerts = f["mlops:alerts"];
  // Each address is one channel, named after it (case aside): the same address twice would be one name twice.
  const seen = new Map<string, number>();
  (alerts?.emails ?? []).forEach((email, i) => {
    const first = seen.get(email.toLowerCase());
    if (first === undefined) seen.set(email.toLowerCase(), i);
    else problems.push(`mlops:alerts.emails[${i}]: ${email} is already listed at emails[${first}]; list each address once`);
  });
  return problems;
}
