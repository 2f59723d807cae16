/**
 * The wiring contract between the stack and the code it runs (docs/wiring.md): the names of the variables
 * the stack sets. Validation, the components and the tests all take them from here.
 */

/** The variable that names bucket `bucket` (`models` → `MODELS_BUCKET`) in a workload granted access to it. */
export function bucketEnvName(bucket: string): string {
  return `${bucket.toUpperCase()}_BUCKET`;
}

/** The bucket a `<NAME>_BUCKET` variable names, if it is one of `buckets`. */
export function bucketOfEnvName(name: string, buckets: readonly string[]): string | undefined {
  return buckets.find((b) => bucketEnvName(b) === name);
}

/** The credit guard's component name (wiring/guard.ts); its Cloud Run service is `<name>-run-service`. */
export const CREDIT_GUARD = "credit-guard";
export const CREDIT_GUARD_SERVICE_RESOURCE = `${CREDIT_GUARD}-run-service`;
