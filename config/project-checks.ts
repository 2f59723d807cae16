/** Checks of the project-wide keys across keys: the zone in the region, the labels within Google's limits. */
import * as gcp from "../lib/gcp";
import { STACK_LABELS } from "./project";
import type { Fields } from "./schema";

/** The zone must lie in the region. */
export function projectChecks(f: Fields): string[] {
  const region = f["gcp:region"];
  const zone = f["gcp:zone"];
  if (zone && region && gcp.regionOfZone(zone) !== region) {
    return [`gcp:zone: "${zone}" is not in region ${region}; use a zone such as ${region}-b`];
  }
  return [];
}

/** The stack's own labels are not the group's to set; with them, a resource carries at most 64. */
export function labelChecks(f: Fields): string[] {
  const keys = Object.keys(f["mlops:labels"] ?? {});
  const taken = keys.filter((k) => STACK_LABELS.includes(k)).map((k) => `mlops:labels.${k}: the stack sets this label itself; choose another key`);
  const own = keys.filter((k) => !STACK_LABELS.includes(k));
  if (own.length + STACK_LABELS.length <= gcp.MAX_LABELS) return taken;
  const over = own.length + STACK_LABELS.length - gcp.MAX_LABELS;
  return [
    ...taken,
    `mlops:labels: ${own.length} labels plus the stack's ${STACK_LABELS.length} (${STACK_LABELS.join(", ")}) exceed Google's ${gcp.MAX_LABELS} labels per resource; remove ${over}`,
  ];
}
