/** Checks of training across keys: VM-only keys, the GPU against machine, zone and region, the catalogs, env and image. */
import type { ImageSource } from "../components/container-image";
import * as gcp from "../lib/gcp";
import * as gpus from "../lib/gpus";
import { machineTypeProblem } from "../lib/machines";
import type { Fields } from "./schema";
import { envChecks, imageChecks } from "./workload-checks";

const VM_ONLY = ["zone", "bootDiskGb", "internet"];

/** VM-only settings, GPU against machine family and zone, env references and the image to build. */
export function trainingChecks(f: Fields, raw: unknown): string[] {
  const key = "mlops:training";
  const set = raw && typeof raw === "object" ? Object.keys(raw) : [];
  const problems: string[] = [];
  const t = f["mlops:training"];
  if (!t || t.kind === "none") return problems;
  if (t.kind === "vertex") {
    problems.push(...set.filter((k) => VM_ONLY.includes(k)).map((k) => `${key}.${k}: applies to kind vm only; remove it for a Vertex AI job`));
  }
  problems.push(...gpus.machineProblems(key, t.machineType, t.gpu));
  problems.push(...vmZoneChecks(f));
  problems.push(...envChecks(key, t.env, Object.keys(f["mlops:services"] ?? {})));
  problems.push(...imageChecks(`${key}.image`, t.image as ImageSource));
  return problems;
}

/** The zone (set, or gcp:zone) lies in the region and offers the GPU; without one, some zone of the region does. */
function vmZoneChecks(f: Fields): string[] {
  const t = f["mlops:training"];
  const region = f["gcp:region"];
  if (t?.kind !== "vm" || !region) return [];
  const key = "mlops:training";
  const zone = t.zone ?? f["gcp:zone"];
  const where = t.zone ? `${key}.zone` : "gcp:zone";
  if (zone && gcp.regionOfZone(zone) !== region) {
    return [`${where}: "${zone}" is not in region ${region}; use a zone such as ${region}-b`];
  }
  if (!t.gpu) return [];
  if (t.internet === false) {
    return [`${key}.internet: a GPU run downloads its NVIDIA driver from outside Google (Batch's installGpuDrivers); remove internet: false`];
  }
  const inRegion = gpus.zonesOf(t.gpu.type).filter((z) => gcp.regionOfZone(z) === region);
  if (!inRegion.length) {
    const regions = [...new Set(gpus.zonesOf(t.gpu.type).map(gcp.regionOfZone))].sort();
    return [`${key}.gpu.type: no zone of ${region} offers ${t.gpu.type}; choose another GPU, or a region that has it: ${regions.join(", ")}`];
  }
  if (zone && !inRegion.includes(zone)) return [`${where}: ${zone} offers no ${t.gpu.type}; zones of ${region} that do: ${inRegion.join(", ")}`];
  return [];
}

/** The training machine type is in the machine catalog (priced in the region); a Vertex AI GPU is offered there. */
export function catalogChecks(f: Fields): string[] {
  const t = f["mlops:training"];
  if (!t || t.kind === "none") return [];
  const region = f["gcp:region"];
  const problems = [machineTypeProblem("mlops:training.machineType", t.machineType, region)];
  if (t.kind === "vertex" && t.gpu && region) problems.push(gpus.vertexGpuProblem("mlops:training", t.gpu.type, region));
  return problems.filter((p): p is string => p !== undefined);
}
