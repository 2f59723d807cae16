/** Cloud Run services: an hour of one busy instance, and warm instances while idle (none when it scales to zero). */
import { mebibytes } from "../gcp";
import prices from "../prices.json";
import { CREDIT_GUARD_SERVICE_RESOURCE } from "../wiring";
import { HOURS_PER_MONTH, round, usd, type Pricing } from "./items";
import { guardServiceItems } from "./pubsub";

function gib(memory: string): number {
  const mib = mebibytes(memory);
  return Number.isNaN(mib) ? 0 : mib / 1024;
}

export const CLOUD_RUN_PRICING: Record<string, Pricing> = {
  "gcp:cloudrunv2/service:Service": {
    fields: ["template.scaling", "template.containers.0.resources"],
    estimate: (r, { region }) => {
      const template = (r.inputs.template ?? {}) as {
        scaling?: { minInstanceCount?: number };
        containers?: Array<{ resources?: { limits?: { cpu?: string; memory?: string }; cpuIdle?: boolean } }>;
      };
      const limits = template.containers?.[0]?.resources?.limits ?? {};
      const cpu = Number(limits.cpu ?? 1);
      const memory = gib(limits.memory ?? "512Mi");
      const rates = template.containers?.[0]?.resources?.cpuIdle === false ? prices.cloudRun.instanceBased : prices.cloudRun.requestBased;
      // Not serving: it runs only when the budget publishes (several times a day), so it is priced for that.
      if (r.name === CREDIT_GUARD_SERVICE_RESOURCE) return guardServiceItems(r, cpu, memory);
      const hourly = (cpu * rates.vcpuSecond + memory * rates.gibSecond) * 3600;
      const min = template.scaling?.minInstanceCount ?? 0;
      const idleHourly = (cpu * prices.cloudRun.instanceBased.vcpuSecond + memory * prices.cloudRun.instanceBased.gibSecond) * 3600;
      const note = region === "europe-west1" || region === "europe-west4" || region === "us-central1" ? "" : ` (${region} may not be a Tier 1 region)`;
      return [
        {
          resource: r.name,
          kind: "active",
          usd: round(hourly),
          basis: `one instance busy for an hour: ${cpu} vCPU × ${rates.vcpuSecond}/s + ${memory} GiB × ${rates.gibSecond}/s${note}`,
        },
        {
          resource: r.name,
          kind: "idle",
          usd: round(min * idleHourly * HOURS_PER_MONTH),
          basis: min
            ? `${min} warm instance(s) × ${usd(idleHourly)}/h × ${HOURS_PER_MONTH} h (instance-based rate, an upper bound)`
            : "scales to zero: nothing while idle",
        },
      ];
    },
  },
};
