/** GPU quota of a project's region, read from Compute Engine's regions.get and projects.get quotas. */
import type { GpuType } from "../gpus";

/** Compute Engine quota metric of each GPU type (https://cloud.google.com/compute/resource-usage#gpu_quota). */
export const GPU_QUOTA_METRICS: Record<GpuType, string> = {
  "nvidia-tesla-t4": "NVIDIA_T4_GPUS",
  "nvidia-l4": "NVIDIA_L4_GPUS",
  "nvidia-tesla-v100": "NVIDIA_V100_GPUS",
  "nvidia-tesla-p100": "NVIDIA_P100_GPUS",
  "nvidia-tesla-p4": "NVIDIA_P4_GPUS",
  "nvidia-tesla-a100": "NVIDIA_A100_GPUS",
};

export interface Quota {
  metric: string;
  limit: number;
  usage: number;
}

const free = (quotas: Quota[], metric: string): number | undefined => {
  const q = quotas.find((x) => x.metric === metric);
  return q && q.limit - q.usage;
};

/**
 * Why a run with `count` GPUs of `type` cannot start in the region, or undefined when the quota allows it.
 * Spot VMs use the PREEMPTIBLE_ quota when the project has one and the regular quota otherwise.
 */
export function gpuQuotaProblem(a: {
  project: string;
  region: string;
  gpu: { type: string; count: number };
  spot: boolean;
  regionQuotas: Quota[];
  projectQuotas: Quota[];
}): string | undefined {
  // The type comes from the stack's outputs, which an older or edited stack may fill with another GPU.
  const metric: string | undefined = GPU_QUOTA_METRICS[a.gpu.type as GpuType];
  if (!metric) return undefined;
  const regular = free(a.regionQuotas, metric) ?? 0;
  const preemptible = a.spot ? (free(a.regionQuotas, `PREEMPTIBLE_${metric}`) ?? 0) : 0;
  const global = free(a.projectQuotas, "GPUS_ALL_REGIONS");
  const short: string[] = [];
  if (Math.max(regular, preemptible) < a.gpu.count) {
    short.push(`${a.spot ? `PREEMPTIBLE_${metric} or ${metric}` : metric} in ${a.region} has ${Math.max(regular, preemptible)} free`);
  }
  if (global !== undefined && global < a.gpu.count) short.push(`GPUS_ALL_REGIONS (the whole project) has ${global} free`);
  if (!short.length) return undefined;
  return [
    `not enough GPU quota for ${a.gpu.count} × ${a.gpu.type} in project ${a.project}: ${short.join("; ")}.`,
    "Request more (new projects start at 0; approval can take a day or two):",
    `  https://console.cloud.google.com/iam-admin/quotas?project=${a.project}`,
    `  filter by "compute.googleapis.com/${(a.spot ? `preemptible_${metric}` : metric).toLowerCase()}" and region ${a.region}` +
      (global !== undefined && global < a.gpu.count ? `, and "compute.googleapis.com/gpus_all_regions"` : "") +
      `; ask for at least ${a.gpu.count}.`,
    "Nothing was submitted.",
  ].join("\n");
}
