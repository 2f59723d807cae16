/**
 * Cost items of training runs and their network: nothing while idle; a run's hourly price for its machine,
 * GPU, region and spot setting; and its worst case, maxRunHours at that price.
 */
import type { CostInput, CostItem } from "./cost-items";

/** Cloud NAT (Public NAT), https://cloud.google.com/nat/pricing, read 2026-11; the same in every region. */
export const NAT_PRICES = {
  source: "https://cloud.google.com/nat/pricing",
  perVmHour: 0.0014,
  perNatIpHour: 0.005,
  perGibProcessed: 0.045,
};

type HourlyItem = (r: CostInput, region: string, machineType: string, spot: boolean, gpus: Array<{ type: string; count: number }>) => CostItem;

/** Dollar figures of the estimate, to a hundredth of a cent. */
export const round = (n: number) => Math.round(n * 10_000) / 10_000;

/** The worst case of one run: every hour each attempt may last (a retried spot run starts over), at the run's hourly price. */
export function runItem(hourly: CostItem, maxRunHours: number, retries = 0): CostItem {
  const attempts = retries + 1;
  const how = retries ? `${attempts} attempts (a preempted run is retried up to ${retries} times) × ` : "";
  return {
    resource: hourly.resource,
    kind: "run",
    usd: round(hourly.usd * maxRunHours * attempts),
    basis: `worst case of one run: ${how}maxRunHours ${maxRunHours} h × $${hourly.usd.toFixed(4)}/h`,
  };
}

/** Estimators by resource type, given the shared machine-and-GPU pricing. */
export function trainingEstimators(hourly: HourlyItem): Record<string, (r: CostInput, region: string) => CostItem[]> {
  return {
    "mlops:training:BatchJob": (r, region) => {
      const spot = r.inputs.spot === true;
      const item = hourly(r, region, String(r.inputs.machineType), spot, (r.inputs.gpus ?? []) as Array<{ type: string; count: number }>);
      return [
        { resource: r.name, kind: "idle", usd: 0, basis: "nothing stands between runs: Batch creates a run's VM and deletes it when the run ends" },
        { ...item, basis: `one run's VM (Cloud Batch itself adds nothing): ${item.basis}` },
        runItem(item, Number(r.inputs.maxRunHours ?? 0), Number(r.inputs.maxRetryCount ?? 0)),
      ];
    },
    "gcp:compute/routerNat:RouterNat": (r) => {
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
  };
}

/** The inputs these estimators read. */
export const TRAINING_COST_FIELDS: Record<string, string[]> = {
  "mlops:training:BatchJob": ["machineType", "gpus", "spot", "maxRunHours", "maxRetryCount"],
  "gcp:compute/routerNat:RouterNat": [],
};
