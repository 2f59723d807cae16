/**
 * Writes lib/catalog/machines.json, lib/catalog/gpus.json and lib/catalog/storage.json from two pinned public
 * sources read from local files:
 *
 *   npx tsx tools/generate-catalog.ts \
 *     --pricing PATH/pricing.yml --pricing-commit SHA \
 *     --skypilot PATH/vms.csv --skypilot-commit SHA [--skypilot-path catalogs/v7/gcp/vms.csv] [--date YYYY-MM-DD]
 *
 * pricing.yml: Cyclenerd/google-cloud-pricing-cost-calculator, the Cloud Billing Catalog export (machine types
 * with their bundled GPUs, disks, Cloud Storage; on demand and spot per region). vms.csv: SkyPilot's GCP
 * catalog (skypilot-org/skypilot-catalog), whose accelerator rows give each GPU's zones and per-GPU prices;
 * the full file or a subset of its rows (same header) both work. Get pricing.yml with
 * `git --git-dir=… show SHA:pricing.yml > pricing.yml`. A figure the sources lack is left out, never 0.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseCsv } from "csv-parse/sync";
import YAML from "yaml";
import type { GpuType } from "../lib/gpus";

const OUT = path.join(__dirname, "..", "lib", "catalog");
const GENERATED = "by tools/generate-catalog.ts from the sources below; do not edit, run the generator again";

/** Machine families a course group can use; A2 only where its GPU is one we offer (A100 40 GB). */
const FAMILIES = ["e2", "n1", "n2", "n2d", "n4", "c2", "c2d", "c3", "c3d", "c4", "t2d", "g2", "a2"];

/** SkyPilot's accelerator names for the GPU types lib/gpus.ts offers. */
const SKYPILOT_GPUS: Record<string, GpuType> = {
  T4: "nvidia-tesla-t4",
  L4: "nvidia-l4",
  V100: "nvidia-tesla-v100",
  P100: "nvidia-tesla-p100",
  P4: "nvidia-tesla-p4",
  A100: "nvidia-tesla-a100",
};

interface Hourly {
  onDemand: number | null;
  spot: number | null;
}

interface Source {
  repository: string;
  path: string;
  commit: string;
  url: string;
  /** Day the source says its figures were exported (UTC), if it says so. */
  date?: string;
  /** When it was read for this catalog. */
  read: string;
}

const figure = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : null);

const sorted = <T>(record: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true })));

type CostTable = Record<string, { hour?: number; hour_spot?: number; month?: number }>;

interface PricingInstance {
  cpu?: number;
  ram?: number;
  a100?: number;
  l4?: number;
  cost?: CostTable;
}

function machinesFrom(instances: Record<string, PricingInstance>) {
  const machines: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(instances)) {
    const family = name.split("-")[0];
    if (!FAMILIES.includes(family) || !m.cost) continue;
    if (family === "a2" && !m.a100) continue;
    const prices: Record<string, Hourly> = {};
    for (const [region, c] of Object.entries(m.cost)) {
      const onDemand = figure(c.hour);
      const spot = figure(c.hour_spot);
      if (onDemand !== null || spot !== null) prices[region] = { onDemand, spot };
    }
    const gpu = m.a100 ? { type: "nvidia-tesla-a100", count: m.a100 } : m.l4 ? { type: "nvidia-l4", count: m.l4 } : undefined;
    machines[name] = { family, vcpus: m.cpu ?? null, memoryGb: m.ram ?? null, ...(gpu && { gpu }), prices: sorted(prices) };
  }
  return sorted(machines);
}

function perGbMonth(cost: CostTable | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [region, c] of Object.entries(cost ?? {})) {
    const v = figure(c.month);
    if (v !== null) out[region] = v;
  }
  return sorted(out);
}

interface GpuRow {
  AcceleratorName: string;
  AcceleratorCount: string;
  Region: string;
  AvailabilityZone: string;
  Price: string;
  SpotPrice: string;
}

function gpusFrom(rows: GpuRow[]) {
  const gpus: Record<string, { zones: Set<string>; prices: Record<string, Hourly> }> = {};
  for (const row of rows) {
    const type = SKYPILOT_GPUS[row.AcceleratorName];
    // Rows for 2, 4, 8 GPUs repeat the zones of the 1-GPU row at a multiple of its price.
    if (!type || row.AcceleratorCount !== "1") continue;
    const g = (gpus[type] ??= { zones: new Set(), prices: {} });
    g.zones.add(row.AvailabilityZone);
    g.prices[row.Region] ??= { onDemand: figure(Number(row.Price)), spot: figure(row.SpotPrice === "" ? NaN : Number(row.SpotPrice)) };
  }
  const missing = Object.values(SKYPILOT_GPUS).filter((t) => !gpus[t]);
  if (missing.length) throw new Error(`the SkyPilot file has no 1-GPU rows for ${missing.join(", ")}`);
  return sorted(
    Object.fromEntries(
      Object.entries(gpus).map(([type, g]) => {
        const zones = [...g.zones].sort();
        return [type, { zones, regions: [...new Set(zones.map((z) => z.replace(/-[a-z]$/, "")))].sort(), prices: sorted(g.prices) }];
      }),
    ),
  );
}

/** JSON indented to `depth` levels and compact below, so each machine or GPU stays on one line of the diff. */
function stringify(value: unknown, depth: number, indent = ""): string {
  if (depth === 0 || value === null || typeof value !== "object" || Array.isArray(value)) return JSON.stringify(value);
  const inner = `${indent}  `;
  const entries = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${stringify(v, depth - 1, inner)}`);
  return `{\n${entries.join(",\n")}\n${indent}}`;
}

function write(name: string, doc: object, depth: number): void {
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, name), `${stringify(doc, depth)}\n`);
  process.stdout.write(`wrote lib/catalog/${name}\n`);
}

function main(): number {
  const { values: a } = parseArgs({
    options: {
      pricing: { type: "string" },
      "pricing-commit": { type: "string" },
      skypilot: { type: "string" },
      "skypilot-commit": { type: "string" },
      "skypilot-path": { type: "string", default: "catalogs/v7/gcp/vms.csv" },
      date: { type: "string", default: new Date().toISOString().slice(0, 10) },
    },
  });
  const sha = /^[0-9a-f]{40}$/;
  if (!a.pricing || !a.skypilot || !sha.test(a["pricing-commit"] ?? "") || !sha.test(a["skypilot-commit"] ?? "")) {
    process.stderr.write(
      "usage: tsx tools/generate-catalog.ts --pricing FILE --pricing-commit SHA40 --skypilot FILE --skypilot-commit SHA40 [--skypilot-path P] [--date D]\n",
    );
    return 2;
  }
  const pricing = YAML.parse(fs.readFileSync(a.pricing, "utf8"), { maxAliasCount: -1 });
  const cyclenerd = "Cyclenerd/google-cloud-pricing-cost-calculator";
  const pricingSource: Source = {
    repository: cyclenerd,
    path: "pricing.yml",
    commit: a["pricing-commit"]!,
    url: `https://github.com/${cyclenerd}/blob/${a["pricing-commit"]}/pricing.yml`,
    ...(typeof pricing.about?.timestamp === "number" && { date: new Date(pricing.about.timestamp * 1000).toISOString().slice(0, 10) }),
    read: a.date!,
  };
  const skypilot = "skypilot-org/skypilot-catalog";
  const skypilotSource: Source = {
    repository: skypilot,
    path: a["skypilot-path"]!,
    commit: a["skypilot-commit"]!,
    url: `https://github.com/${skypilot}/blob/${a["skypilot-commit"]}/${a["skypilot-path"]}`,
    read: a.date!,
  };
  write(
    "machines.json",
    {
      _generated: GENERATED,
      source: pricingSource,
      unit: "USD per hour, list price; G2 and A2 prices include their GPUs; null where the source has no figure",
      machines: machinesFrom(pricing.compute.instance),
    },
    2,
  );
  write(
    "storage.json",
    {
      _generated: GENERATED,
      source: pricingSource,
      unit: "USD per GB-month, list price",
      disks: { "pd-balanced": perGbMonth(pricing.compute.storage.balanced?.cost) },
      buckets: { standard: perGbMonth(pricing.storage.bucket.standard?.cost) },
    },
    3,
  );
  const rows = parseCsv(fs.readFileSync(a.skypilot, "utf8"), { columns: true, skip_empty_lines: true }) as GpuRow[];
  write(
    "gpus.json",
    {
      _generated: GENERATED,
      source: skypilotSource,
      unit: "USD per GPU per hour (the GPU alone; a G2 or A2 machine type's price in machines.json already includes it); null where the source has no figure",
      rows: "the 1-GPU accelerator rows (AcceleratorCount 1) of T4, L4, V100, P100, P4 and A100",
      vertexRegions: "no pinned source lists Vertex AI's GPU regions; lib/gpus.ts takes these Compute Engine regions as the best available proxy",
      gpus: gpusFrom(rows),
    },
    3,
  );
  return 0;
}

process.exitCode = main();
