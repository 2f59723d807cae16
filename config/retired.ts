/**
 * Keys a release took away, each refused with the release and what to do instead, so a stack file written for
 * an older release gets one clear line per key rather than an "unknown key" guess. A key that goes gets a row
 * here (tests and docs/config.md read this table); the schema no longer knows it.
 */
import { keyPath } from "./problems";

export interface RetiredKey {
  /** The release that removed the key. */
  release: string;
  /** What replaces it, or why nothing has to. */
  instead: string;
}

/** Key path (as `keyPath` writes it) → its retirement. */
export const RETIRED_KEYS: Readonly<Record<string, RetiredKey>> = {
  // 0.2.0: training runs on Cloud Batch, one VM per run deleted when it ends; no standing VM.
  "mlops:training.imageFamily": { release: "0.2.0", instead: "Batch boots its own image and installs the GPU driver; remove it" },
  "mlops:training.imageProject": { release: "0.2.0", instead: "Batch boots its own image and installs the GPU driver; remove it" },
  "mlops:training.powerOffWhenDone": { release: "0.2.0", instead: "every run's VM is deleted when training ends; remove it" },
  "mlops:training.running": {
    release: "0.2.0",
    instead: "nothing runs on pulumi up any more; start a run with `npx mlops-gcp-stack train --stack STACK` and remove the key",
  },
  "mlops:alerts.trainingHours": {
    release: "0.2.0",
    instead: "training runs end at training.maxRunHours and their VM is deleted, so no alert is needed; remove it",
  },
};

/** The problem line of a retired key. */
export function retiredKeyProblem(key: string, retired: RetiredKey): string {
  return `${key}: removed in ${retired.release}; ${retired.instead}`;
}

/**
 * The input without its retired keys (copied where it changes; the caller's objects stay as they are), and
 * one problem line for each key it had.
 */
export function withoutRetiredKeys(input: Record<string, unknown>): { input: Record<string, unknown>; problems: string[] } {
  const problems: string[] = [];
  const strip = (value: unknown, at: string[]): unknown => {
    if (!value || typeof value !== "object" || Array.isArray(value)) return value;
    let copy: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const key = keyPath([...at, k]);
      const retired = Object.hasOwn(RETIRED_KEYS, key) ? RETIRED_KEYS[key] : undefined;
      const next = retired ? undefined : strip(v, [...at, k]);
      if (retired) problems.push(retiredKeyProblem(key, retired));
      if (next === v) continue;
      copy ??= { ...value };
      if (retired) delete copy[k];
      else copy[k] = next;
    }
    return copy ?? value;
  };
  return { input: strip(input, []) as Record<string, unknown>, problems };
}
