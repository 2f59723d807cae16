/**
 * Training runs, on Cloud Batch or Vertex AI: nothing while idle; a run's hourly price for its machine, GPU,
 * region and spot setting; and its worst case, maxRunHours at that price.
 */
import { GPU_OF_VERTEX } from "../gpus";
import { round, usd, type CostItem, type Pricing } from "./items";
import { vmItem } from "./machines";

/** The worst case of one run: every hour each attempt may last (a retried spot run starts over), at the run's hourly price. */
export function runItem(hourly: CostItem, maxRunHours: number, retries = 0): CostItem {
  const attempts = retries + 1;
  const how = retries ? `${attempts} attempts (a preempted run is retried up to ${retries} times) × ` : "";
  return {
    resource: hourly.resource,
    kind: "run",
    usd: round(hourly.usd * maxRunHours * attempts),
    basis: `worst case of one run: ${how}maxRunHours ${maxRunHours} h × ${usd(hourly.usd)}/h`,
  };
}

export const TRAINING_PRICING: Record<string, Pricing> = {
  "mlops:training:VertexJob": {
    fields: ["machineType", "accelerator", "spot", "maxRunHours"],
    estimate: (r, { region }) => {
      const accelerator = r.inputs.accelerator as { type: string; count: number } | undefined;
      const type = accelerator && GPU_OF_VERTEX[accelerator.type];
      const gpus = accelerator ? [{ type: type ?? accelerator.type, count: accelerator.count }] : [];
      const item = vmItem(r, region, String(r.inputs.machineType), r.inputs.spot === true, gpus);
      const hourly = { ...item, basis: `Vertex AI job at Compute Engine rates (Vertex AI bills its own, similar rates): ${item.basis}` };
      return [hourly, runItem(hourly, Number(r.inputs.maxRunHours ?? 0))];
    },
  },
  "mlops:training:BatchJob": {
    fields: ["machineType", "gpus", "spot", "maxRunHours", "maxRetryCount"],
    estimate: (r, { region }) => {
      const spot = r.inputs.spot === true;
      const item = vmItem(r, region, String(r.inputs.machineType), spot, (r.inputs.gpus ?? []) as Array<{ type: string; count: number }>);
      return [
        { resource: r.name, kind: "idle", usd: 0, basis: "nothing stands between runs: Batch creates a run's VM and deletes it when the run ends" },
        { ...item, basis: `one run's VM (Cloud Batch itself adds nothing): ${item.basis}` },
        runItem(item, Number(r.inputs.maxRunHours ?? 0), Number(r.inputs.maxRetryCount ?? 0)),
      ];
    },
  },
};
