import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, rawConfigFromPulumi } from "./config";
import { createStack } from "./stack";

const parsed = parseStackConfig(rawConfigFromPulumi(), pulumi.getStack());
if (!parsed.ok) {
  // RunError ends the program with the message alone: no stack trace, no resource registered.
  throw new pulumi.RunError(`invalid stack configuration:\n  ${parsed.problems.join("\n  ")}`);
}

export = createStack(parsed.config);
