/**
 * The typed stack config: one schema for every `mlops:` key (and the `gcp:` keys the stack reads), its
 * defaults, its validation and the names derived from it. The rest of the program imports only from here.
 *
 * One file per area (project, storage, registry, identities, training, services, observability, budget)
 * holds that area's keys, its checks across keys and its resolved form; schema.ts assembles the schema,
 * validate.ts checks raw config, stack-config.ts resolves it, load.ts reads it, names.ts derives names.
 */
export { CI_WORKLOADS, SecretValue } from "./identities";
export { readStackFile, rawConfigFromPulumi, stackNameOfFile, type StackFileResult } from "./load";
export { deriveNames, SUFFIX_LENGTH, type Names } from "./names";
export { StackConfigSchema } from "./schema";
export type { ServiceConfig } from "./services";
export { costAssumptions, type StackConfig } from "./stack-config";
export { BUCKETS, type Access, type BucketName } from "./storage";
export type { TrainingConfig } from "./training";
export { parseStackConfig, type ParseResult } from "./validate";
export { SAMPLE_IMAGE, type ImageSource } from "./workload";
