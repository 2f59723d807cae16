import { TRAIN_PERMISSIONS } from "../components/ci-access";
import { describe, expect, it } from "vitest";
import { SecretValue } from "../config";
import { byName, ofType, planFile, planFileWith, planOf, problemsOf } from "./helpers";

// Tests read plan outputs, which are untyped JSON.
type Json = any;

const batchSpec = (plan: { outputs: Record<string, unknown> }): Json => plan.outputs.batchJobSpec;

/** Group 140 once it has set its W&B key and lists it for training, as its stack file's comment says. */
const withWandb = () =>
  planFileWith("group-140", (raw) => ({
    ...raw,
    "mlops:WANDB_API_KEY": new SecretValue(undefined),
    "mlops:training": { ...(raw["mlops:training"] as object), secrets: ["WANDB_API_KEY"] },
  }));

describe("group 140: spot T4 runs on Cloud Batch, nothing standing", () => {
  it("declares no VM at all: a run's VM is Batch's, created per run and deleted when it ends", async () => {
    const { plan } = await planFile("group-140");
    expect(ofType(plan, "gcp:compute/instance:Instance")).toEqual([]);
    expect(ofType(plan, "gcp:compute/instanceTemplate:InstanceTemplate")).toEqual([]);
    expect(ofType(plan, "gcp:compute/firewall:Firewall")).toEqual([]);
  });

  it("asks for an n1-standard-4 with one T4 as spot, with Batch installing the driver, in the stack's zone", async () => {
    const { plan } = await planFile("group-140");
    const { allocationPolicy } = batchSpec(plan);
    expect(allocationPolicy.instances).toEqual([
      {
        installGpuDrivers: true,
        policy: {
          machineType: "n1-standard-4",
          provisioningModel: "SPOT",
          accelerators: [{ type: "nvidia-tesla-t4", count: 1 }],
          bootDisk: { type: "pd-balanced", sizeGb: 50 },
        },
      },
    ]);
    expect(allocationPolicy.location).toEqual({ allowedLocations: ["zones/europe-west1-b"] });
  });

  it("bounds every run by maxRunDuration and retries only a preempted run", async () => {
    const { plan } = await planFile("group-140");
    const { taskSpec, taskCount } = batchSpec(plan).taskGroups[0];
    expect(taskCount).toBe(1);
    expect(taskSpec).toMatchObject({
      maxRunDuration: `${4 * 3600}s`,
      maxRetryCount: 2,
      lifecyclePolicies: [{ action: "RETRY_TASK", actionCondition: { exitCodes: [50001] } }],
    });
  });

  it("runs the image by digest as the trainer account, on the stack's subnet without an external IP", async () => {
    const { plan } = await planFile("group-140");
    const spec = batchSpec(plan);
    expect(spec.taskGroups[0].taskSpec.runnables).toEqual([{ displayName: "trainer", container: { imageUri: plan.outputs.trainingImage } }]);
    expect(String(plan.outputs.trainingImage)).toMatch(/^europe-west1-docker\.pkg\.dev\/dtu-mlops-140\/g140-images\/trainer@sha256:[0-9a-f]{64}$/);
    expect(spec.allocationPolicy.serviceAccount).toEqual({ email: "g140-trainer@dtu-mlops-140.iam.gserviceaccount.com" });
    expect(spec.allocationPolicy.network).toEqual({
      networkInterfaces: [{ network: "network-vpc-id", subnetwork: "network-subnet-id", noExternalIpAddress: true }],
    });
    expect(spec.logsPolicy).toEqual({ destination: "CLOUD_LOGGING" });
    expect(spec.labels).toMatchObject({ group: "140", stack: "group-140" });
  });

  it("gives the container the bucket names and the secret's version name, never its value", async () => {
    const { plan } = await withWandb();
    const { environment } = batchSpec(plan).taskGroups[0].taskSpec;
    expect(environment.variables).toEqual({
      DATA_BUCKET: expect.stringMatching(/^dtu-mlops-140-data-/),
      MODELS_BUCKET: expect.stringMatching(/^dtu-mlops-140-models-/),
    });
    expect(environment.secretVariables).toEqual({ WANDB_API_KEY: expect.stringMatching(/^projects\/\d+\/secrets\/g140-wandb-api-key\/versions\/\d+$/) });
  });

  it("stores the spec in the models bucket, lets the trainer report to Batch, and waits for its grants", async () => {
    const { plan } = await withWandb();
    const object = byName(plan, "training-spec");
    expect(object.inputs).toMatchObject({ name: "batch/g140-train.json", contentType: "application/json" });
    expect(plan.outputs.batchJobSpecUri).toBe(`gs://${object.inputs.bucket}/batch/g140-train.json`);
    expect(byName(plan, "training-agent-reporter").inputs).toMatchObject({
      role: "roles/batch.agentReporter",
      member: "serviceAccount:g140-trainer@dtu-mlops-140.iam.gserviceaccount.com",
    });
    expect(object.dependsOn).toEqual(
      expect.arrayContaining(["buckets-models-trainer-write", "secrets-WANDB_API_KEY-trainer", "registry-trainer-read", "apis-batch", "apis-logging"]),
    );
  });

  it("prints one run command: a single invocation naming the stack", async () => {
    const { plan } = await planFile("group-140");
    expect(plan.outputs.trainCommand).toBe("npx mlops-gcp-stack train --stack group-140");
    expect(plan.outputs.trainingJob).toMatchObject({ kind: "batch", project: "dtu-mlops-140", region: "europe-west1", name: "g140-train" });
  });
});

describe("the stack's own network", () => {
  it("is a custom-mode VPC with one Private Google Access subnet, and Cloud NAT because group 140 asks for the internet", async () => {
    const { plan } = await planFile("group-140");
    expect(byName(plan, "network-vpc").inputs).toMatchObject({ name: "g140-vpc", autoCreateSubnetworks: false });
    expect(byName(plan, "network-subnet").inputs).toMatchObject({ name: "g140-training", region: "europe-west1", privateIpGoogleAccess: true });
    expect(byName(plan, "network-nat").inputs).toMatchObject({ natIpAllocateOption: "AUTO_ONLY", sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS" });
  });

  it("has no router and no NAT unless training.internet is true", async () => {
    const { plan } = await planFile("group-flowers");
    expect(byName(plan, "network-subnet").inputs.privateIpGoogleAccess).toBe(true);
    expect(ofType(plan, "gcp:compute/router:Router")).toEqual([]);
    expect(ofType(plan, "gcp:compute/routerNat:RouterNat")).toEqual([]);
  });
});

describe("flowers: CPU runs", () => {
  it("are n2-highmem-4 on demand, with no accelerator, no driver install and no retry, in the stack's zone", async () => {
    const { plan } = await planFile("group-flowers");
    const spec = batchSpec(plan);
    expect(spec.allocationPolicy.instances).toEqual([
      { installGpuDrivers: false, policy: { machineType: "n2-highmem-4", provisioningModel: "STANDARD", bootDisk: { type: "pd-balanced", sizeGb: 50 } } },
    ]);
    expect(spec.allocationPolicy.location.allowedLocations).toEqual(["zones/europe-west1-b"]);
    expect(spec.taskGroups[0].taskSpec).toMatchObject({ maxRunDuration: `${6 * 3600}s`, maxRetryCount: 0, lifecyclePolicies: [] });
  });
});

describe("other run shapes", () => {
  it("a GPU run gets Cloud NAT by default (Batch downloads the NVIDIA driver from outside Google), a CPU run none", async () => {
    const gpu = await planOf({ "mlops:training": { kind: "vm", gpu: { type: "nvidia-tesla-t4" } } });
    expect(ofType(gpu, "gcp:compute/routerNat:RouterNat")).toHaveLength(1);
    const cpu = await planOf({ "mlops:training": { kind: "vm" } });
    expect(ofType(cpu, "gcp:compute/routerNat:RouterNat")).toHaveLength(0);
    expect(problemsOf({ "mlops:training": { kind: "vm", gpu: { type: "nvidia-tesla-t4" }, internet: false } })).toContain(
      "mlops:training.internet: a GPU run downloads its NVIDIA driver from outside Google (Batch's installGpuDrivers); remove internet: false",
    );
  });

  it("an L4 on a G2 machine type brings its own GPU: no accelerator list, the driver still installed", async () => {
    const plan = await planOf({ "mlops:training": { kind: "vm", machineType: "g2-standard-4", gpu: { type: "nvidia-l4" } } });
    const [instance] = batchSpec(plan).allocationPolicy.instances;
    expect(instance).toEqual({
      installGpuDrivers: true,
      policy: { machineType: "g2-standard-4", provisioningModel: "STANDARD", bootDisk: { type: "pd-balanced", sizeGb: 50 } },
    });
  });

  it("an N4 or C4 run boots from Hyperdisk, the only disk those machines take", async () => {
    for (const machineType of ["n4-standard-4", "c4-standard-4"]) {
      const plan = await planOf({ "mlops:training": { kind: "vm", machineType, image: { ref: "europe-west1-docker.pkg.dev/p/r/trainer:v1" } } });
      expect(batchSpec(plan).allocationPolicy.instances[0].policy.bootDisk, machineType).toEqual({ type: "hyperdisk-balanced", sizeGb: 50 });
    }
  });

  it("without a zone, a GPU run may start in every zone of the region that offers the GPU", async () => {
    const plan = await planOf({ "mlops:training": { kind: "vm", gpu: { type: "nvidia-tesla-t4" } } });
    expect(batchSpec(plan).allocationPolicy.location.allowedLocations).toEqual(["zones/europe-west1-b", "zones/europe-west1-c", "zones/europe-west1-d"]);
  });

  it("without a zone or a GPU, a run may start anywhere in the region", async () => {
    const plan = await planOf({ "mlops:training": { kind: "vm" } });
    expect(batchSpec(plan).allocationPolicy.location.allowedLocations).toEqual(["regions/europe-west1"]);
  });

  it("passes the training args as the container's commands", async () => {
    const plan = await planOf({ "mlops:training": { kind: "vm", args: ["--epochs", "5"] } });
    expect(batchSpec(plan).taskGroups[0].taskSpec.runnables[0].container.commands).toEqual(["--epochs", "5"]);
  });
});

describe("group 43: a Vertex AI custom job", () => {
  it("exports a spec with NVIDIA_TESLA_T4 on n1-standard-4, the trainer account, an image digest and a 2-hour timeout", async () => {
    const { plan } = await planFile("group-43");
    const spec = plan.outputs.vertexJobSpec as Record<string, any>;
    expect(spec.workerPoolSpecs).toHaveLength(1);
    expect(spec.workerPoolSpecs[0]).toMatchObject({
      machineSpec: { machineType: "n1-standard-4", acceleratorType: "NVIDIA_TESLA_T4", acceleratorCount: 1 },
      replicaCount: 1,
      containerSpec: { imageUri: expect.stringMatching(/\/g43-images\/trainer@sha256:[0-9a-f]{64}$/) },
    });
    expect(spec.serviceAccount).toBe("g43-trainer@dtu-mlops-43.iam.gserviceaccount.com");
    expect(spec.scheduling).toEqual({ timeout: "7200s" });
    expect(spec.baseOutputDirectory.outputUriPrefix).toMatch(/^gs:\/\/dtu-mlops-43-models-[0-9a-f]{6}\/vertex\/g43-train$/);
  });

  it("stores the spec in the models bucket and prints the same one-invocation run command", async () => {
    const { plan } = await planFile("group-43");
    const object = byName(plan, "training-spec");
    expect(object.inputs).toMatchObject({ name: "vertex/g43-train.yaml", contentType: "application/yaml" });
    expect(String(object.inputs.bucket)).toMatch(/^dtu-mlops-43-models-/);
    // The provider treats object content as sensitive; the spec itself is the vertexJobSpec output.
    expect(object.inputs.content).toBe("[secret]");
    expect(plan.outputs.trainCommand).toBe("npx mlops-gcp-stack train --stack group-43");
    expect(plan.outputs.trainingJob).toMatchObject({ kind: "vertex", name: "g43-train", labels: { group: "43", stack: "group-43" } });
    expect(plan.resources.some((r) => r.type === "gcp:compute/instance:Instance")).toBe(false);
  });

  it("submits runs as ci-train through a custom role of the kind's permissions, acting as the trainer account only; ci-deploy holds no role that submits", async () => {
    for (const [stack, kind] of [
      ["group-43", "vertex"],
      ["group-140", "vm"],
    ] as const) {
      const { plan } = await planFile(stack);
      const project = String(byName(plan, "github-train").inputs.project);
      const train = `serviceAccount:${String(byName(plan, "github-train").inputs.accountId)}@${project}.iam.gserviceaccount.com`;
      const role = byName(plan, "github-train-role");
      expect(role.inputs.permissions).toEqual([...TRAIN_PERMISSIONS[kind]]);
      expect(byName(plan, "github-train-runs").inputs).toMatchObject({ role: `projects/${project}/roles/${String(role.inputs.roleId)}`, member: train });
      const actAs = plan.resources.filter(
        (r) => r.type === "gcp:serviceaccount/iAMMember:IAMMember" && r.inputs.member === train && r.inputs.role === "roles/iam.serviceAccountUser",
      );
      expect(actAs.map((r) => r.inputs.serviceAccountId)).toEqual([expect.stringMatching(/serviceAccounts\/g\d+-trainer@/)]);
      const deployRoles = plan.resources
        .filter((r) => r.type === "gcp:projects/iAMMember:IAMMember" && String(r.inputs.member).includes("-ci-deploy@"))
        .map((r) => r.inputs.role);
      expect(deployRoles, stack).not.toContain("roles/aiplatform.user");
      expect(deployRoles, stack).not.toContain("roles/batch.jobsEditor");
      // Until 0.3.0 ci-deploy held the predefined role under this name: the alias makes it a replacement, which protection allows.
      expect(byName(plan, "github-train-runs").protect).toBe(false);
    }
    expect(TRAIN_PERMISSIONS.vertex).toContain("aiplatform.customJobs.create");
    expect(TRAIN_PERMISSIONS.vm).not.toContain("aiplatform.customJobs.create");
  });

  it("passes secrets as env vars naming their Secret Manager versions, never their values", async () => {
    const plan = await planOf({
      "mlops:secrets": ["WANDB_API_KEY"],
      "mlops:WANDB_API_KEY": new SecretValue("wandb-secret-value"),
      "mlops:training": { kind: "vertex", secrets: ["WANDB_API_KEY"] },
    });
    const env = (plan.outputs.vertexJobSpec as Json).workerPoolSpecs[0].containerSpec.env;
    expect(env).toContainEqual({ name: "WANDB_API_KEY_SECRET", value: expect.stringMatching(/^projects\/\d+\/secrets\/g140-wandb-api-key\/versions\/1$/) });
    expect(JSON.stringify(plan)).not.toContain("wandb-secret-value");
  });

  it("asks for spot capacity through the job's scheduling strategy", async () => {
    const plan = await planOf({ "mlops:training": { kind: "vertex", spot: true } });
    expect((plan.outputs.vertexJobSpec as Json).scheduling).toEqual({ timeout: "14400s", strategy: "SPOT" });
  });
});

describe("invalid training settings are rejected with the key path", () => {
  it.each([
    [
      "a T4 on an E2 machine",
      { kind: "vm", machineType: "e2-standard-4", gpu: { type: "nvidia-tesla-t4" } },
      "mlops:training.gpu.type: nvidia-tesla-t4 attaches to N1 machine types only, not e2-standard-4",
    ],
    [
      "an L4 on an N1 machine",
      { kind: "vm", machineType: "n1-standard-4", gpu: { type: "nvidia-l4" } },
      "mlops:training.gpu.type: nvidia-l4 attaches to G2 machine types only, not n1-standard-4",
    ],
    [
      "an A100 on a G2 machine",
      { kind: "vertex", machineType: "g2-standard-4", gpu: { type: "nvidia-tesla-a100" } },
      "mlops:training.gpu.type: nvidia-tesla-a100 attaches to A2 machine types only",
    ],
    [
      "three T4s",
      { kind: "vm", gpu: { type: "nvidia-tesla-t4", count: 3 } },
      "mlops:training.gpu.count: nvidia-tesla-t4 comes in counts of 1, 2, 4 on N1; got 3",
    ],
    [
      "two L4s on a one-L4 machine",
      { kind: "vm", machineType: "g2-standard-4", gpu: { type: "nvidia-l4", count: 2 } },
      "mlops:training.gpu.count: g2-standard-4 comes with 1 nvidia-l4",
    ],
    [
      "a G2 machine without its GPU",
      { kind: "vm", machineType: "g2-standard-8" },
      "mlops:training.gpu: g2-standard-8 comes with nvidia-l4 GPUs; set gpu: { type: nvidia-l4, count: 1 }",
    ],
    [
      "a zone without T4s",
      { kind: "vm", gpu: { type: "nvidia-tesla-t4" }, zone: "europe-west1-a" },
      "mlops:training.zone: europe-west1-a offers no nvidia-tesla-t4; zones of europe-west1 that do: europe-west1-b, europe-west1-c, europe-west1-d",
    ],
    ["a zone outside the region", { kind: "vm", zone: "us-central1-a" }, 'mlops:training.zone: "us-central1-a" is not in region europe-west1'],
    ["no run-time limit", { kind: "vm", maxRunHours: 0 }, "mlops:training.maxRunHours: must be at least 1 hours; allowed 1–72"],
    ["a week of run time", { kind: "vm", maxRunHours: 168 }, "mlops:training.maxRunHours: must be at most 72 hours; allowed 1–72"],
    ["an image reference with spaces", { kind: "vertex", image: { ref: "my image:latest" } }, "mlops:training.image.ref: is not an image reference"],
    [
      "both build and ref",
      { kind: "vertex", image: { build: "services/trainer", ref: "gcr.io/x/y" } },
      "mlops:training.image: needs exactly one of build (a directory with a Dockerfile) or ref (a prebuilt image)",
    ],
    [
      "a build directory that does not exist",
      { kind: "vertex", image: { build: "dockerfiles/none" } },
      'mlops:training.image.build: directory "dockerfiles/none" does not exist in the project folder',
    ],
    ["a zone for a Vertex AI job", { kind: "vertex", zone: "europe-west1-b" }, "mlops:training.zone: applies to kind vm only; remove it for a Vertex AI job"],
    ["internet for a Vertex AI job", { kind: "vertex", internet: true }, "mlops:training.internet: applies to kind vm only; remove it for a Vertex AI job"],
    ["a retired standing-VM key", { kind: "vm", running: false }, "mlops:training.running: removed in 0.2.0; nothing runs on pulumi up any more"],
    [
      "a region without the GPU",
      { kind: "vm", gpu: { type: "nvidia-tesla-v100" } },
      "mlops:training.gpu.type: no zone of europe-west1 offers nvidia-tesla-v100; choose another GPU, or a region that has it: asia-east1, europe-west4, us-central1, us-east1, us-west1",
    ],
    [
      "an unknown kind",
      { kind: "gke" },
      "mlops:training.kind: must be vm (a Compute Engine VM per run, through Cloud Batch), vertex (a Vertex AI custom job) or none",
    ],
    ["an unknown GPU", { kind: "vm", gpu: { type: "nvidia-h100" } }, "mlops:training.gpu.type: must be one of nvidia-tesla-t4, nvidia-l4"],
  ])("rejects %s", (_what, training, message) => {
    const found = problemsOf({ "mlops:training": training });
    expect(
      found.some((p) => p.startsWith(message)),
      found.join("\n"),
    ).toBe(true);
  });

  it("checks the zone from gcp:zone when training names none", () => {
    const found = problemsOf({ "gcp:zone": "europe-west1-a", "mlops:training": { kind: "vm", gpu: { type: "nvidia-tesla-p100" } } });
    expect(found).toContain("gcp:zone: europe-west1-a offers no nvidia-tesla-p100; zones of europe-west1 that do: europe-west1-b, europe-west1-d");
  });
});
