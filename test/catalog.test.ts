import { describe, expect, it } from "vitest";
import gpuCatalog from "../lib/catalog/gpus.json";
import machineCatalog from "../lib/catalog/machines.json";
import storageCatalog from "../lib/catalog/storage.json";
import { estimateCost, machinePrice, type CostInput } from "../lib/cost";
import { REGIONS, regionOfZone } from "../lib/gcp";
import { BUNDLED_GPUS, GPU_TYPES, GPUS, vertexGpuProblem, vertexRegionsOf, zonesOf, type GpuType } from "../lib/gpus";
import { bootDiskType, MACHINE_TYPES, MACHINES, machineTypeProblem } from "../lib/machines";
import { planRaw } from "../plan";

/** A Cloud Batch training run's component, as the stack registers it: one VM per run. */
const vm = (machineType: string, spot: boolean, gpu?: { type: string; count: number }): CostInput => ({
  type: "mlops:training:BatchJob",
  name: "vm",
  inputs: { machineType, spot, gpus: gpu ? [gpu] : [], maxRunHours: 4 },
});

/** The hourly figure of a run's VM, failing when any part of it is unknown or $0. */
function hourly(machineType: string, region: string, spot: boolean, gpu?: { type: string; count: number }): number {
  const item = estimateCost([vm(machineType, spot, gpu)], region).items.find((i) => i.kind === "active")!;
  expect(item.unknown, `${machineType} ${gpu?.type ?? ""} ${region} spot=${spot}`).toBeUndefined();
  expect(item.usd, `${machineType} ${region}`).toBeGreaterThan(0);
  return item.usd;
}

/** Every machine type a GPU goes with: N1 for attached GPUs, the G2 or A2 types that bundle it otherwise. */
function machinesFor(type: GpuType): Array<{ machineType: string; gpu?: { type: string; count: number } }> {
  if (GPUS[type].counts) return [{ machineType: "n1-standard-4", gpu: { type, count: 1 } }];
  return Object.keys(BUNDLED_GPUS)
    .filter((m) => MACHINES[m].gpu?.type === type)
    .map((machineType) => ({ machineType }));
}

describe("the generated catalogs", () => {
  it("say what generated them and from which commit", () => {
    for (const c of [machineCatalog, gpuCatalog, storageCatalog]) {
      expect(c._generated).toMatch(/^by tools\/generate-catalog\.ts/);
      expect(c.source.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(c.source.url).toContain(c.source.commit);
    }
  });

  it("cover every GPU type the config accepts, and the families a group uses", () => {
    expect(Object.keys(gpuCatalog.gpus).sort()).toEqual([...GPU_TYPES].sort());
    const families = new Set(Object.values(MACHINES).map((m) => m.family));
    for (const f of ["e2", "n1", "n2", "n2d", "n4", "c3", "c4", "g2", "a2"]) expect(families.has(f), f).toBe(true);
  });

  it("price every accepted machine type in every region that accepts it, on demand and spot, never $0", () => {
    let combinations = 0;
    for (const region of REGIONS) {
      for (const machineType of MACHINE_TYPES) {
        if (machineTypeProblem("m", machineType, region)) continue;
        expect(machinePrice(machineType, region, false)?.usd, `${machineType} ${region}`).toBeGreaterThan(0);
        expect(machinePrice(machineType, region, true)?.usd, `${machineType} ${region} spot`).toBeGreaterThan(0);
        combinations++;
      }
    }
    expect(combinations).toBeGreaterThan(10_000);
  });

  it("price every accepted GPU in every zone and Vertex AI region that offers it, with its machine, on demand and spot", () => {
    for (const type of GPU_TYPES) {
      const regions = new Set([...zonesOf(type).map((z) => regionOfZone(z)!), ...vertexRegionsOf(type)]);
      for (const region of regions) {
        for (const { machineType, gpu } of machinesFor(type)) {
          expect(hourly(machineType, region, true, gpu)).toBeLessThan(hourly(machineType, region, false, gpu));
        }
      }
    }
  });

  it("price the machine types that used to plan at $0, and regions outside europe-west1 at their own price", () => {
    expect(hourly("a2-highgpu-1g", "us-central1", false, { type: "nvidia-tesla-a100", count: 1 })).toBeGreaterThan(1);
    for (const m of ["n2-standard-8", "n1-highmem-8", "e2-highmem-4"]) expect(hourly(m, "europe-west1", false)).toBeGreaterThan(0);
    expect(hourly("n1-standard-4", "asia-northeast1", false)).not.toBe(hourly("n1-standard-4", "europe-west1", false));
  });

  it("price g2-standard-8 below twice g2-standard-4 in every region (both carry one L4)", () => {
    for (const region of vertexRegionsOf("nvidia-l4")) {
      const four = machinePrice("g2-standard-4", region, false)!.usd;
      expect(machinePrice("g2-standard-8", region, false)!.usd, region).toBeLessThan(2 * four);
    }
    expect(BUNDLED_GPUS["g2-standard-8"]).toBe(1);
  });

  it("show a missing price as unknown, never as $0", () => {
    const region = REGIONS.find((r) => !MACHINES["n4-standard-4"].prices[r])!;
    const estimate = estimateCost([vm("n4-standard-4", false)], region);
    const item = estimate.items.find((i) => i.kind === "active")!;
    expect(item.unknown).toEqual([`n4-standard-4 on demand in ${region}`]);
    expect(item.basis).toContain(`price unknown for n4-standard-4 on demand in ${region}`);
    expect(estimate.unknown).toEqual([`vm: n4-standard-4 on demand in ${region}`]);
    expect(estimateCost([vm("n4-standard-4", false)], "europe-west1").unknown).toBeUndefined();
  });
});

describe("GPU zones and regions from the catalog", () => {
  it("accept A100 in asia-northeast1-a and L4 in asia-northeast3-a", async () => {
    expect(zonesOf("nvidia-tesla-a100")).toContain("asia-northeast1-a");
    expect(zonesOf("nvidia-l4")).toContain("asia-northeast3-a");
    const plan = await planRaw(
      {
        "gcp:project": "dtu-mlops-77",
        "gcp:region": "asia-northeast1",
        "mlops:training": { kind: "vm", machineType: "a2-highgpu-1g", gpu: { type: "nvidia-tesla-a100", count: 1 }, zone: "asia-northeast1-a" },
      },
      "group-77",
    );
    expect(plan.ok ? [] : plan.problems).toEqual([]);
  });

  it("refuse a Vertex AI L4 in australia-southeast1, naming the regions that offer it", () => {
    expect(vertexGpuProblem("mlops:training", "nvidia-l4", "australia-southeast1")).toMatch(
      /^mlops:training\.gpu\.type: nvidia-l4 is not offered in australia-southeast1; regions that offer it: .*europe-west4/,
    );
    expect(vertexGpuProblem("mlops:training", "nvidia-l4", "europe-west4")).toBeUndefined();
  });
});

describe("machine types", () => {
  it("accept only catalog machine types, with a suggestion for a typo", () => {
    for (const m of ["e2-medium", "n1-standard-4", "g2-standard-8", "a2-highgpu-1g", "n4-standard-4", "c4-standard-8"]) {
      expect(machineTypeProblem("mlops:training.machineType", m), m).toBeUndefined();
    }
    expect(machineTypeProblem("mlops:training.machineType", "n1-standrad-4")).toMatch(
      /^mlops:training\.machineType: "n1-standrad-4" is not a machine type this stack knows; did you mean n1-standard-4\?/,
    );
    expect(machineTypeProblem("k", "banana")).not.toContain("did you mean");
    expect(machineTypeProblem("k", "n4-standard-4", "europe-west10")).toMatch(/^k: n4-standard-4 has no price in europe-west10 .*europe-west1,/);
  });

  it("boot N4, C4 and C3 from Hyperdisk Balanced and the rest from pd-balanced", () => {
    expect(["n4-standard-4", "c4-standard-8", "c3-standard-4"].map(bootDiskType)).toEqual(Array(3).fill("hyperdisk-balanced"));
    expect(["e2-medium", "n1-standard-4", "n2-standard-8", "g2-standard-4", "a2-highgpu-1g"].map(bootDiskType)).toEqual(Array(5).fill("pd-balanced"));
  });
});
