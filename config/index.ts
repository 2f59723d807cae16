/**
 * The typed stack config: one schema for every `mlops:` key (and the `gcp:` keys the stack reads), its
 * defaults, its validation and the names derived from it. The rest of the program imports only from here.
 *
 * The files form one direction: field helpers (fields.ts) and problem lines (problems.ts); one file per area
 * (project, storage, registry, github, secrets, team, training, services, observability, budget, and
 * workload for what training and services share) holding its keys and its resolved type; schema.ts
 * assembling them; `<area>-checks.ts` beside each area with its checks across keys; retired.ts, the keys a
 * release removed; then validate.ts, which checks raw config, stack-config.ts, which resolves it, and load.ts, which reads it. names.ts derives names.
 */
export type { Access, BucketName } from "../components/storage";
export type { ImageSource } from "../components/container-image";
export { CI_WORKLOADS } from "./github";
export { readStackFile, rawConfigFromPulumi, stackNameOfFile, type StackFileResult } from "./load";
export { deriveNames, GUARD_ACCOUNTS, SUFFIX_LENGTH, type Names } from "./names";
export { RETIRED_KEYS, retiredKeyProblem, type RetiredKey } from "./retired";
export { StackConfigSchema } from "./schema";
export { SecretValue } from "./secrets";
export type { ServiceConfig } from "./services";
export { costAssumptions, type StackConfig } from "./stack-config";
export { BUCKETS } from "./storage";
export type { TrainingConfig } from "./training";
export { parseStackConfig, type ParseResult } from "./validate";
export { SAMPLE_IMAGE } from "./workload";
