/** Cloud NAT of the training network: billed per VM using it, so nothing between runs. */
import { round, type Pricing } from "./items";

/** Cloud NAT (Public NAT), https://cloud.google.com/nat/pricing, read 2026-11; the same in every region. */
export const NAT_PRICES = {
  source: "https://cloud.google.com/nat/pricing",
  perVmHour: 0.0014,
  perNatIpHour: 0.005,
  perGibProcessed: 0.045,
};

export const NAT_PRICING: Record<string, Pricing> = {
  "gcp:compute/routerNat:RouterNat": {
    fields: [],
    estimate: (r) => {
      const hourlyNat = NAT_PRICES.perVmHour + NAT_PRICES.perNatIpHour;
      return [
        {
          resource: r.name,
          kind: "idle",
          usd: 0,
          basis: `billed per VM using it (${NAT_PRICES.source}); no VM between runs, and auto-allocated NAT IPs are removed when no VM needs ports`,
        },
        {
          resource: r.name,
          kind: "active",
          usd: round(hourlyNat),
          basis: `one run's VM: $${NAT_PRICES.perVmHour}/VM-h + one NAT IP $${NAT_PRICES.perNatIpHour}/h, plus $${NAT_PRICES.perGibProcessed}/GiB processed (not estimated) (${NAT_PRICES.source})`,
        },
      ];
    },
  },
};
