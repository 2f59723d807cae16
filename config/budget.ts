/** An optional billing budget on the project. */
import { z } from "zod";

/** A credit guard trip: the budget period's start date, then the cap in minor units (services/guard/README.md). */
export const TRIP_ID = /^\d{4}-\d{2}-\d{2}-\d+$/;

export const budget = z
  .strictObject({
    billingAccount: z
      .string()
      .regex(/^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/, { error: "must be a billing account id such as 012345-6789AB-CDEF01" })
      .describe("Billing account the project is billed to (needs Billing Account Administrator or Costs Manager)."),
    amount: z.number({ error: "must be an amount such as 50" }).positive({ error: "must be above 0" }).describe("Monthly budget."),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, { error: "must be a currency code such as USD or EUR" })
      .default("USD")
      .describe("Currency of the amount; must be the billing account's currency."),
    thresholds: z
      .array(z.number().gt(0, { error: "must be above 0" }).max(2, { error: "must be at most 2 (200 %)" }), { error: "must be a list of fractions" })
      .min(1, { error: "must name at least one threshold" })
      .default([0.5, 0.9, 1])
      .describe("Fractions of the amount at which the alert emails go out."),
    stopAt: z
      .number({ error: "must be a fraction of the amount such as 1 (100 %)" })
      .gt(0, { error: "must be above 0 and at most 2 (200 %), e.g. 1 to stop at the amount" })
      .max(2, { error: "must be above 0 and at most 2 (200 %), e.g. 1 to stop at the amount" })
      .optional()
      .describe(
        "The credit guard, off unless set: at this fraction of the amount it stops training runs and deletes the Cloud Run services, keeping the data (docs/operations.md).",
      ),
    acknowledgedTrips: z
      .array(z.string().regex(TRIP_ID, { error: "must be a trip id such as 2026-12-01-5000 (the period's start date, then the cap in cents)" }), {
        error: "must be a list of trip ids",
      })
      .default([])
      .describe("Trips of the credit guard a person has seen and lets `pulumi up` resume from (ids as the deploy names them)."),
  })
  .optional()
  .describe("A billing budget on the project, off by default (it needs rights on the billing account, see README).");

export type BudgetConfig = {
  billingAccount: string;
  amount: number;
  currency: string;
  thresholds: number[];
  /** The credit guard's cap as a fraction of the amount; no guard without it. */
  stopAt?: number;
  acknowledgedTrips: string[];
};
