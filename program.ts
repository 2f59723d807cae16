/**
 * The package's entry: `stack()` is the whole Pulumi program a group's index.ts runs, and the rest is the
 * API the tools build on (config schema, validation, the stack as a function, the offline planner).
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, rawConfigFromPulumi } from "./config";
import { createStack, type StackOutputs } from "./stack";

/** Reads the running stack's config, validates it (every problem at once) and creates the stack. */
export function stack(): StackOutputs {
  // Pulumi runs a program in its project folder, where the stack file's image build paths start.
  const parsed = parseStackConfig(rawConfigFromPulumi(), pulumi.getStack(), process.cwd());
  if (!parsed.ok) {
    // RunError ends the program with the message alone: no stack trace, no resource registered.
    throw new pulumi.RunError(`invalid stack configuration:\n  ${parsed.problems.join("\n  ")}`);
  }
  return createStack(parsed.config);
}

export { createStack, type StackOutputs } from "./stack";
export { parseStackConfig, readStackFile, StackConfigSchema, stackNameOfFile, type StackConfig } from "./config";
