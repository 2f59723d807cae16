/** The secrets workloads read, in Secret Manager; their values are Pulumi secrets of their own keys. */
import { z } from "zod";

/** A config value stored encrypted (`pulumi config set --secret`). `value` is absent when the stack file is
 * read offline without its passphrase or key. */
export class SecretValue {
  constructor(readonly value: string | undefined) {}
  toJSON(): string {
    return "[secret]";
  }
}

/** Secret names are environment-variable names, so a container sees the secret under the same name. */
export const SECRET_NAME = /^[A-Z][A-Z0-9_]*$/;

export const secrets = z
  .array(z.string().regex(SECRET_NAME, { error: "is not a secret name; use an environment-variable name such as WANDB_API_KEY" }), {
    error: "must be a list of secret names, e.g. [WANDB_API_KEY]",
  })
  .default([])
  .describe(
    "Secrets in Secret Manager, by name; workloads list the ones they read. Set each value with `pulumi config set --secret NAME <value>`; a value in plain text is rejected.",
  );
