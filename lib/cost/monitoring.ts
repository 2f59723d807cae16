/** Cloud Monitoring: uptime checks, within the free executions. */
import prices from "../prices.json";
import type { Pricing } from "./items";

export const MONITORING_PRICING: Record<string, Pricing> = {
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": {
    fields: [],
    estimate: (r) => [{ resource: r.name, kind: "idle", usd: prices.uptimeChecks.price, basis: "within the free 1,000,000 executions per project and month" }],
  },
};
