/**
 * The whole stack config, keyed by the config keys as they appear in `Pulumi.<stack>.yaml`: the single source
 * of defaults, docs (`npm run config-docs`) and per-key errors. Each area defines its keys in its own file
 * (and its checks across keys in `<area>-checks.ts`, which import the types below); the order here is the
 * order of the README's table.
 */
import { z } from "zod";
import { budget } from "./budget";
import { github } from "./github";
import { alerts } from "./observability";
import { defaultZone, group, labels, paused, project, protectData, region } from "./project";
import { registry } from "./registry";
import { secrets } from "./secrets";
import { publicInvoker, services } from "./services";
import { storage } from "./storage";
import { team } from "./team";
import { training } from "./training";

export const StackConfigSchema = z.strictObject({
  "gcp:project": project,
  "gcp:region": region,
  "gcp:zone": defaultZone,
  "mlops:group": group,
  "mlops:github": github,
  "mlops:protectData": protectData,
  "mlops:paused": paused,
  "mlops:labels": labels,
  "mlops:storage": storage,
  "mlops:registry": registry,
  "mlops:secrets": secrets,
  "mlops:team": team,
  "mlops:training": training,
  "mlops:services": services,
  "mlops:alerts": alerts,
  "mlops:budget": budget,
  "mlops:publicInvoker": publicInvoker,
});

/** The config as the schema returns it, defaults filled in. */
export type Parsed = z.output<typeof StackConfigSchema>;

/** The keys that are valid on their own, for the checks across keys. */
export type Fields = { [K in keyof Parsed]?: Parsed[K] };

/** Parses each key on its own, so rules across keys can run on the valid ones while others are wrong. */
export function validFields(input: Record<string, unknown>): Fields {
  const fields: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(StackConfigSchema.shape)) {
    const r = (schema as z.ZodType).safeParse(input[key]);
    if (r.success) fields[key] = r.data;
  }
  return fields as Fields;
}
