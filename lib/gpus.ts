/**
 * GPUs on Compute Engine and Vertex AI: which machine families take which GPU, how many, and in which
 * zones. Families, G2/A2 bundles and Vertex names: https://cloud.google.com/compute/docs/gpus and
 * https://cloud.google.com/vertex-ai/docs/reference/rest/v1/MachineSpec (read 2026-11). Zones: SkyPilot's
 * GCP catalog (skypilot-org/skypilot-catalog, catalogs/v7/gcp/vms.csv, generated from Compute Engine's
 * accelerator types), cross-checked for us-east1; `gcloud compute accelerator-types list --filter=zone:ZONE`
 * is the live answer. A zone missing here is reported as not offering the GPU: extend the table with its
 * source rather than work around the check.
 */

export const GPU_TYPES = [
  "nvidia-tesla-t4",
  "nvidia-l4",
  "nvidia-tesla-v100",
  "nvidia-tesla-p100",
  "nvidia-tesla-p4",
  "nvidia-tesla-a100",
] as const;
export type GpuType = (typeof GPU_TYPES)[number];

interface GpuSpec {
  /** Machine family the GPU attaches to (the part of the machine type before the first hyphen). */
  family: "n1" | "g2" | "a2";
  /** Counts allowed on an N1 machine; G2 and A2 machine types fix the count themselves. */
  counts?: number[];
  /** Vertex AI's name for it (MachineSpec.acceleratorType). */
  vertex: string;
  zones: string[];
}

export const GPUS: Record<GpuType, GpuSpec> = {
  "nvidia-tesla-t4": {
    family: "n1",
    counts: [1, 2, 4],
    vertex: "NVIDIA_TESLA_T4",
    zones: [
      "europe-west1-b", "europe-west1-c", "europe-west1-d",
      "europe-west2-a", "europe-west2-b",
      "europe-west3-b",
      "europe-west4-a", "europe-west4-b", "europe-west4-c",
      "europe-central2-b", "europe-central2-c",
      "us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f",
      "us-east1-c", "us-east1-d",
      "us-east4-a", "us-east4-b", "us-east4-c",
      "us-west1-a", "us-west1-b",
      "us-west2-b", "us-west2-c",
      "us-west3-b",
      "us-west4-a", "us-west4-b",
      "asia-east1-a", "asia-east1-c",
      "asia-east2-a", "asia-east2-c",
      "asia-northeast1-a", "asia-northeast1-c",
      "asia-south1-a", "asia-south1-b",
      "asia-southeast1-a", "asia-southeast1-b", "asia-southeast1-c",
      "australia-southeast1-a", "australia-southeast1-c",
      "me-west1-b", "me-west1-c",
      "northamerica-northeast1-c",
      "southamerica-east1-a", "southamerica-east1-c",
    ],
  },
  "nvidia-l4": {
    family: "g2",
    vertex: "NVIDIA_L4",
    zones: [
      "europe-west1-b", "europe-west1-c",
      "europe-west2-a", "europe-west2-b",
      "europe-west3-a", "europe-west3-b",
      "europe-west4-a", "europe-west4-b", "europe-west4-c",
      "us-central1-a", "us-central1-b", "us-central1-c",
      "us-east1-b", "us-east1-c", "us-east1-d",
      "us-east4-a", "us-east4-c",
      "us-west1-a", "us-west1-b", "us-west1-c",
      "us-west4-a", "us-west4-c",
      "asia-east1-a", "asia-east1-b", "asia-east1-c",
      "asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c",
      "asia-south1-a", "asia-south1-b", "asia-south1-c",
      "asia-southeast1-a", "asia-southeast1-b", "asia-southeast1-c",
      "europe-west6-b", "europe-west6-c",
      "northamerica-northeast1-b",
    ],
  },
  "nvidia-tesla-v100": {
    family: "n1",
    counts: [1, 2, 4, 8],
    vertex: "NVIDIA_TESLA_V100",
    zones: [
      "europe-west4-a", "europe-west4-b", "europe-west4-c",
      "us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f",
      "us-east1-c",
      "us-west1-a", "us-west1-b",
      "asia-east1-c",
    ],
  },
  "nvidia-tesla-p100": {
    family: "n1",
    counts: [1, 2, 4],
    vertex: "NVIDIA_TESLA_P100",
    zones: [
      "europe-west1-b", "europe-west1-d",
      "europe-west4-a",
      "us-central1-c", "us-central1-f",
      "us-east1-b", "us-east1-c",
      "us-west1-a", "us-west1-b",
      "asia-east1-a", "asia-east1-c",
    ],
  },
  "nvidia-tesla-p4": {
    family: "n1",
    counts: [1, 2, 4],
    vertex: "NVIDIA_TESLA_P4",
    zones: [
      "europe-west4-b", "europe-west4-c",
      "us-central1-a", "us-central1-c",
      "us-east4-a", "us-east4-b", "us-east4-c",
      "us-west2-b", "us-west2-c",
      "asia-southeast1-b", "asia-southeast1-c",
    ],
  },
  "nvidia-tesla-a100": {
    family: "a2",
    vertex: "NVIDIA_TESLA_A100",
    zones: [
      "europe-west4-a", "europe-west4-b",
      "us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f",
      "us-east1-b",
      "us-west1-b",
      "us-west4-b",
      "asia-southeast1-b", "asia-southeast1-c",
    ],
  },
};

/** GPUs that come with G2 and A2 machine types, by machine type. */
export const BUNDLED_GPUS: Record<string, number> = {
  "g2-standard-4": 1, "g2-standard-8": 1, "g2-standard-12": 1, "g2-standard-16": 1, "g2-standard-32": 1,
  "g2-standard-24": 2, "g2-standard-48": 4, "g2-standard-96": 8,
  "a2-highgpu-1g": 1, "a2-highgpu-2g": 2, "a2-highgpu-4g": 4, "a2-highgpu-8g": 8, "a2-megagpu-16g": 16,
};

/** Boot images: a Deep Learning VM image with NVIDIA drivers, Docker and the NVIDIA container toolkit for GPUs;
 * Container-Optimized OS (Docker included) without. Pytorch-latest families retired in 2026 (dtu_mlops #531). */
export const GPU_IMAGE = { project: "deeplearning-platform-release", family: "common-cu128-ubuntu-2204-nvidia-570" };
export const CPU_IMAGE = { project: "cos-cloud", family: "cos-stable" };

export function zonesOf(type: GpuType): string[] {
  return GPUS[type].zones;
}

export const familyOf = (machineType: string): string => machineType.split("-")[0];

/** Why a machine type and GPU do not go together, each as a `key: …` line. */
export function machineProblems(key: string, machineType: string, gpu?: { type: GpuType; count: number }): string[] {
  const family = familyOf(machineType);
  const bundled = BUNDLED_GPUS[machineType];
  if (!gpu) {
    if (family === "g2" || family === "a2") {
      const type = family === "g2" ? "nvidia-l4" : "nvidia-tesla-a100";
      return [`${key}.gpu: ${machineType} comes with ${type} GPUs; set gpu: { type: ${type}, count: ${bundled ?? "N"} }`];
    }
    return [];
  }
  const spec = GPUS[gpu.type];
  if (spec.family !== family) {
    const others = GPU_TYPES.filter((t) => GPUS[t].family === family);
    return [
      `${key}.gpu.type: ${gpu.type} attaches to ${spec.family.toUpperCase()} machine types only, not ${machineType}; ` +
        `use an ${spec.family}-… machine type${others.length ? ` or, on ${family.toUpperCase()}, ${others.join(" or ")}` : ""}`,
    ];
  }
  if (spec.counts && !spec.counts.includes(gpu.count)) {
    return [`${key}.gpu.count: ${gpu.type} comes in counts of ${spec.counts.join(", ")} on N1; got ${gpu.count}`];
  }
  if (!spec.counts) {
    if (bundled === undefined) return [`${key}.machineType: ${machineType} is not a ${family.toUpperCase()} machine type with GPUs; for example ${family === "g2" ? "g2-standard-4" : "a2-highgpu-1g"}`];
    if (bundled !== gpu.count) return [`${key}.gpu.count: ${machineType} comes with ${bundled} ${gpu.type}; set count: ${bundled} or pick the machine type with ${gpu.count}`];
  }
  return [];
}
