/** Checks of the alert settings across keys. */
import type { Fields } from "./schema";

/** Runs end by themselves at training.maxRunHours and leave no VM behind, so there is nothing to watch. */
export function alertChecks(f: Fields): string[] {
  if (f["mlops:alerts"]?.trainingHours === undefined) return [];
  return ["mlops:alerts.trainingHours: training runs end at training.maxRunHours and their VM is deleted, so no alert is needed; remove it"];
}
