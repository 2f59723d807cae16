import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { gcpMocks } from "../plan";

/** Runs index.ts the way `pulumi up` does, with config as the CLI passes it: every value a string. */
async function runProgram(config: Record<string, string>, inStack = true) {
  pulumi.runtime.setAllConfig(config, []);
  await pulumi.runtime.setMocks(gcpMocks({ stack: "group-140", project: "dtu-mlops-140", region: "europe-west1" }), "mlops", "group-140", false);
  if (!inStack) return (await import("../index")) as unknown as Record<string, pulumi.Output<unknown>>;
  // Under `pulumi up` the program runs inside the root stack resource; so it does here.
  let program: Record<string, pulumi.Output<unknown>> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    program = (await import("../index")) as unknown as Record<string, pulumi.Output<unknown>>;
    return program;
  });
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  return program;
}

const value = (o: unknown): Promise<unknown> =>
  new Promise((resolve) => {
    (pulumi.output(o) as pulumi.Output<unknown>).apply((v) => resolve(v));
  });

describe("index.ts under the Pulumi runtime", () => {
  beforeEach(() => vi.resetModules());

  it("reads structured keys from their JSON text and the group from the stack name", async () => {
    const program = await runProgram({
      "gcp:project": "dtu-mlops-140",
      "gcp:region": "europe-west1",
      "mlops:github": JSON.stringify({ repository: "Klakawaka/Car-Image-Classification-using-CNN" }),
      "mlops:protectData": "true",
    });
    expect(await value(program.group)).toBe("140");
    expect(await value(program.enabledApis)).toContain("sts.googleapis.com");
    expect(await value(program.costEstimate)).toMatchObject({ idleMonthlyUsd: expect.any(Number), activeHourlyUsd: 0 });
  });

  it("stops with every problem and no stack trace when the config is invalid", async () => {
    const error = await runProgram({ "gcp:project": "X", "mlops:protectData": "maybe" }, false).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(pulumi.RunError);
    expect((error as Error).message).toBe(
      "invalid stack configuration:\n" +
        "  gcp:project: is not a valid project id; 6–30 lowercase letters, digits and hyphens, starting with a letter\n" +
        "  mlops:protectData: must be true or false",
    );
  });
});
