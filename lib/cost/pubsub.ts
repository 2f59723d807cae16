/**
 * The credit guard's share: budget notifications through Pub/Sub and the guard's Cloud Run service, which runs
 * only for them. Both stay within Google's free tiers at any rate the budget publishes (lib/prices.json).
 */
import prices from "../prices.json";
import { HOURS_PER_MONTH, round, type CostInput, type CostItem, type Pricing } from "./items";

const PER_MONTH = prices.budgetNotifications.assumedPerDay * (HOURS_PER_MONTH / 24);

/** Pub/Sub: each notification is published once and pushed once, each billed as at least 1000 bytes. */
function subscriptionItem(r: CostInput): CostItem {
  const gib = (PER_MONTH * 2 * prices.pubsub.minimumBytesPerRequest) / 2 ** 30;
  return {
    resource: r.name,
    kind: "idle",
    usd: prices.pubsub.price,
    basis: `budget notifications: ${Math.round(PER_MONTH)} a month (at most ${prices.budgetNotifications.assumedPerDay} a day assumed) × 2 requests × ${prices.pubsub.minimumBytesPerRequest} bytes = ${round(gib)} GiB, within the free ${prices.pubsub.freeGib} GiB of Pub/Sub throughput`,
  };
}

/** The guard's service: request-based, scale to zero, busy a few seconds per notification. */
export function guardServiceItems(r: CostInput, cpu: number, memoryGib: number): CostItem[] {
  const seconds = PER_MONTH * prices.budgetNotifications.assumedSecondsPerPush;
  const free = prices.cloudRun.freeTier;
  const within = cpu * seconds <= free.vcpuSeconds && memoryGib * seconds <= free.gibSeconds && PER_MONTH <= free.requests;
  const used = `${Math.round(PER_MONTH)} notifications a month × ${prices.budgetNotifications.assumedSecondsPerPush} s × ${cpu} vCPU, ${memoryGib} GiB = ${Math.round(cpu * seconds)} vCPU-s, ${Math.round(memoryGib * seconds)} GiB-s`;
  const billed = round(
    Math.max(0, cpu * seconds - free.vcpuSeconds) * prices.cloudRun.requestBased.vcpuSecond +
      Math.max(0, memoryGib * seconds - free.gibSeconds) * prices.cloudRun.requestBased.gibSecond,
  );
  return [
    {
      resource: r.name,
      kind: "idle",
      usd: within ? 0 : billed,
      basis: `credit guard, scales to zero: ${used}${within ? `, within Cloud Run's free ${free.vcpuSeconds} vCPU-s and ${free.gibSeconds} GiB-s a month` : " beyond Cloud Run's free tier"}`,
    },
  ];
}

export const PUBSUB_PRICING: Record<string, Pricing> = {
  "gcp:pubsub/subscription:Subscription": { fields: [], estimate: (r) => [subscriptionItem(r)] },
};
