import { describe, expect, it } from "vitest";
import { SecretValue } from "../config";
import { startupScript } from "../components/training-vm";
import { byName, planFile, planOf, problemsOf } from "./helpers";

describe("group 140: a T4 VM that cannot burn credits", () => {
  it("is an n1-standard-4 with one nvidia-tesla-t4 that terminates on host maintenance", async () => {
    const { plan } = await planFile("group-140");
    const vm = byName(plan, "training-instance");
    expect(vm.inputs).toMatchObject({ machineType: "n1-standard-4", zone: "europe-west1-b", name: "g140-trainer" });
    expect(vm.inputs.guestAccelerators).toEqual([{ type: "nvidia-tesla-t4", count: 1 }]);
    expect(vm.inputs.scheduling).toMatchObject({ onHostMaintenance: "TERMINATE", instanceTerminationAction: "STOP", maxRunDuration: { seconds: 4 * 3600 } });
  });

  it("runs as the trainer account with the cloud-platform scope, OS Login on and no project-wide SSH keys", async () => {
    const { plan } = await planFile("group-140");
    const vm = byName(plan, "training-instance");
    expect(vm.inputs.serviceAccount).toEqual({ email: "g140-trainer@dtu-mlops-140.iam.gserviceaccount.com", scopes: ["cloud-platform"] });
    expect(vm.inputs.metadata).toMatchObject({ "enable-oslogin": "TRUE", "block-project-ssh-keys": "TRUE", "serial-port-enable": "FALSE" });
    expect(vm.inputs.bootDisk).toMatchObject({ initializeParams: { image: "projects/deeplearning-platform-release/global/images/family/common-cu128-ubuntu-2204-nvidia-570" } });
  });

  it("uses spot with every flag Google requires", async () => {
    const { plan } = await planFile("group-140");
    expect(byName(plan, "training-instance").inputs.scheduling).toMatchObject({ provisioningModel: "SPOT", preemptible: true, automaticRestart: false });
  });

  it("has a startup script that runs the image by digest on the GPU and powers off, with no secret value in it", async () => {
    const { plan } = await planFile("group-140");
    const script = String(byName(plan, "training-instance").inputs.metadataStartupScript);
    const image = String(plan.outputs.trainingImage);
    expect(image).toMatch(/^europe-west1-docker\.pkg\.dev\/dtu-mlops-140\/g140-images\/trainer@sha256:[0-9a-f]{64}$/);
    expect(script).toContain(`IMAGE='${image}'`);
    expect(script).toContain("--gpus all");
    expect(script).toMatch(/trap .*poweroff' EXIT/);
    expect(script).toMatch(/secret WANDB_API_KEY 'projects\/\d+\/secrets\/g140-wandb-api-key\/versions\/latest'/);
    expect(script).toContain("-e DATA_BUCKET='dtu-mlops-140-data-");
    expect(script).toContain("-e MODELS_BUCKET='dtu-mlops-140-models-");
    expect(script).not.toMatch(/:latest\b/);
    expect(script).toContain("--log-driver=gcplogs");
  });

  it("waits for the trainer's bucket and secret grants and its image pull right before it boots", async () => {
    const { plan } = await planFile("group-140");
    const deps = byName(plan, "training-instance").dependsOn;
    expect(deps).toEqual(expect.arrayContaining(["buckets-data-trainer-read", "buckets-models-trainer-write", "secrets-WANDB_API_KEY-trainer", "registry-trainer-read", "apis-compute"]));
  });

  it("exports the instance name and the exact start, stop, SSH and logs commands", async () => {
    const { plan } = await planFile("group-140");
    expect(plan.outputs.trainingInstance).toBe("g140-trainer");
    expect(plan.outputs.trainingCommands).toEqual({
      start: "gcloud compute instances start g140-trainer --zone europe-west1-b --project dtu-mlops-140",
      stop: "gcloud compute instances stop g140-trainer --zone europe-west1-b --project dtu-mlops-140",
      ssh: "gcloud compute ssh g140-trainer --zone europe-west1-b --project dtu-mlops-140",
      logs: expect.stringMatching(/^gcloud logging read 'resource\.type="gce_instance" AND resource\.labels\.instance_id="\d+"' --project dtu-mlops-140/),
    });
  });
});

describe("flowers: a CPU VM", () => {
  it("is an n2-highmem-4 with no accelerator list at all, live-migrating, on Container-Optimized OS with Secure Boot", async () => {
    const { plan } = await planFile("group-flowers");
    const vm = byName(plan, "training-instance");
    expect(vm.inputs.machineType).toBe("n2-highmem-4");
    expect("guestAccelerators" in vm.inputs).toBe(false);
    expect(vm.inputs.scheduling).toMatchObject({ onHostMaintenance: "MIGRATE", provisioningModel: "STANDARD", maxRunDuration: { seconds: 6 * 3600 } });
    expect(vm.inputs.bootDisk).toMatchObject({ initializeParams: { image: "projects/cos-cloud/global/images/family/cos-stable" } });
    expect(vm.inputs.shieldedInstanceConfig).toEqual({ enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true });
    expect(String(vm.inputs.metadataStartupScript)).not.toContain("--gpus");
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

  it("stores the spec in the models bucket and exports the exact submit command", async () => {
    const { plan } = await planFile("group-43");
    const object = byName(plan, "training-spec");
    expect(object.inputs).toMatchObject({ name: "vertex/g43-train.yaml", contentType: "application/yaml" });
    expect(String(object.inputs.bucket)).toMatch(/^dtu-mlops-43-models-/);
    // The provider treats object content as sensitive; the spec itself is the vertexJobSpec output.
    expect(object.inputs.content).toBe("[secret]");
    expect(plan.outputs.vertexSubmitCommand).toBe(
      `gcloud storage cp gs://${object.inputs.bucket}/vertex/g43-train.yaml job.yaml && gcloud ai custom-jobs create --region europe-west1 --display-name g43-train --labels course=dtu-02476,group=43,stack=group-43,managed-by=pulumi --config job.yaml`,
    );
    expect(plan.resources.some((r) => r.type === "gcp:compute/instance:Instance")).toBe(false);
  });

  it("gives ci-deploy no Vertex AI role (a person submits the job), and lets it act as the trainer account only", async () => {
    const { plan } = await planFile("group-43");
    const deploy = "serviceAccount:g43-ci-deploy@dtu-mlops-43.iam.gserviceaccount.com";
    const projectRoles = plan.resources.filter((r) => r.type === "gcp:projects/iAMMember:IAMMember" && r.inputs.member === deploy).map((r) => r.inputs.role);
    expect(projectRoles).not.toContain("roles/aiplatform.user");
    expect(projectRoles).not.toContain("roles/iam.serviceAccountUser");
    const actAs = byName(plan, "github-deploy-actas-trainer");
    expect(actAs.inputs).toMatchObject({
      serviceAccountId: "projects/dtu-mlops-43/serviceAccounts/g43-trainer@dtu-mlops-43.iam.gserviceaccount.com",
      role: "roles/iam.serviceAccountUser",
      member: deploy,
    });
  });

  it("passes secrets as env vars naming their Secret Manager versions, never their values", async () => {
    const plan = await planOf({
      "mlops:secrets": ["WANDB_API_KEY"],
      "mlops:WANDB_API_KEY": new SecretValue("wandb-secret-value"),
      "mlops:training": { kind: "vertex", secrets: ["WANDB_API_KEY"] },
    });
    const env = (plan.outputs.vertexJobSpec as any).workerPoolSpecs[0].containerSpec.env;
    expect(env).toContainEqual({ name: "WANDB_API_KEY_SECRET", value: expect.stringMatching(/^projects\/\d+\/secrets\/g140-wandb-api-key\/versions\/1$/) });
    expect(JSON.stringify(plan)).not.toContain("wandb-secret-value");
  });

  it("asks for spot capacity through the job's scheduling strategy", async () => {
    const plan = await planOf({ "mlops:training": { kind: "vertex", spot: true } });
    expect((plan.outputs.vertexJobSpec as any).scheduling).toEqual({ timeout: "14400s", strategy: "SPOT" });
  });
});

describe("the startup script, as text", () => {
  const base = {
    image: "europe-west1-docker.pkg.dev/p/r/trainer@sha256:" + "a".repeat(64),
    registryHost: "europe-west1-docker.pkg.dev",
    gpu: false,
    env: { DATA_BUCKET: "p-data-abc", NOTE: "it's quoted" },
    secrets: { WANDB_API_KEY: "projects/1/secrets/s/versions/3" },
    args: ["--epochs", "5"],
    powerOff: true,
  };

  it("logs in with the VM's account, reads secrets at boot into tmpfs, and runs the pinned image with its args", () => {
    const script = startupScript(base);
    expect(script.startsWith("#!/bin/bash\n")).toBe(true);
    expect(script).toContain('token | docker login -u oauth2accesstoken --password-stdin "https://$REGISTRY"');
    expect(script).toContain("ENV_FILE=/run/mlops/env");
    expect(script).toContain("secret WANDB_API_KEY 'projects/1/secrets/s/versions/3'");
    expect(script).toContain("-e NOTE='it'\\''s quoted'");
    expect(script).toMatch(/"\$IMAGE" \\\n {2}'--epochs' \\\n {2}'5'\n$/);
    expect(script).not.toContain("--gpus");
  });

  it("keeps the VM up when told not to power off", () => {
    const script = startupScript({ ...base, powerOff: false });
    expect(script).not.toContain("poweroff");
    expect(script).toContain(`trap 'rm -f "$ENV_FILE"' EXIT`);
  });
});

describe("a VM that is defined but stopped", () => {
  it("has desired status TERMINATED; a running one leaves its status alone so pulumi up never restarts it", async () => {
    const stopped = await planOf({ "mlops:training": { kind: "vm", running: false } });
    expect(byName(stopped, "training-instance").inputs.desiredStatus).toBe("TERMINATED");
    const running = await planOf({ "mlops:training": { kind: "vm" } });
    expect(byName(running, "training-instance").inputs.desiredStatus).toBeUndefined();
  });

  it("an L4 on a G2 machine type brings its own GPU: no accelerator list, still TERMINATE", async () => {
    const plan = await planOf({ "mlops:training": { kind: "vm", machineType: "g2-standard-4", gpu: { type: "nvidia-l4" }, zone: "europe-west1-b" } });
    const vm = byName(plan, "training-instance");
    expect("guestAccelerators" in vm.inputs).toBe(false);
    expect(vm.inputs.scheduling).toMatchObject({ onHostMaintenance: "TERMINATE" });
  });
});

describe("invalid training settings are rejected with the key path", () => {
  it.each([
    ["a T4 on an E2 machine", { kind: "vm", machineType: "e2-standard-4", gpu: { type: "nvidia-tesla-t4" } }, "mlops:training.gpu.type: nvidia-tesla-t4 attaches to N1 machine types only, not e2-standard-4"],
    ["an L4 on an N1 machine", { kind: "vm", machineType: "n1-standard-4", gpu: { type: "nvidia-l4" } }, "mlops:training.gpu.type: nvidia-l4 attaches to G2 machine types only, not n1-standard-4"],
    ["an A100 on a G2 machine", { kind: "vertex", machineType: "g2-standard-4", gpu: { type: "nvidia-tesla-a100" } }, "mlops:training.gpu.type: nvidia-tesla-a100 attaches to A2 machine types only"],
    ["three T4s", { kind: "vm", gpu: { type: "nvidia-tesla-t4", count: 3 } }, "mlops:training.gpu.count: nvidia-tesla-t4 comes in counts of 1, 2, 4 on N1; got 3"],
    ["two L4s on a one-L4 machine", { kind: "vm", machineType: "g2-standard-4", gpu: { type: "nvidia-l4", count: 2 } }, "mlops:training.gpu.count: g2-standard-4 comes with 1 nvidia-l4"],
    ["a G2 machine without its GPU", { kind: "vm", machineType: "g2-standard-8" }, "mlops:training.gpu: g2-standard-8 comes with nvidia-l4 GPUs; set gpu: { type: nvidia-l4, count: 1 }"],
    ["a zone without T4s", { kind: "vm", gpu: { type: "nvidia-tesla-t4" }, zone: "europe-west1-a" }, "mlops:training.zone: europe-west1-a offers no nvidia-tesla-t4; zones of europe-west1 that do: europe-west1-b, europe-west1-c, europe-west1-d"],
    ["a zone outside the region", { kind: "vm", zone: "us-central1-a" }, 'mlops:training.zone: "us-central1-a" is not in region europe-west1'],
    ["no run-time limit", { kind: "vm", maxRunHours: 0 }, "mlops:training.maxRunHours: must be at least 1 hours; allowed 1–72"],
    ["a week of run time", { kind: "vm", maxRunHours: 168 }, "mlops:training.maxRunHours: must be at most 72 hours; allowed 1–72"],
    ["an image reference with spaces", { kind: "vertex", image: { ref: "my image:latest" } }, "mlops:training.image.ref: is not an image reference"],
    ["both build and ref", { kind: "vertex", image: { build: "services/trainer", ref: "gcr.io/x/y" } }, "mlops:training.image: needs exactly one of build (a directory with a Dockerfile) or ref (a prebuilt image)"],
    ["a build directory that does not exist", { kind: "vertex", image: { build: "dockerfiles/none" } }, 'mlops:training.image.build: directory "dockerfiles/none" does not exist in the project folder'],
    ["a zone for a Vertex AI job", { kind: "vertex", zone: "europe-west1-b" }, "mlops:training.zone: applies to kind vm only; remove it for a Vertex AI job"],
    ["an unknown kind", { kind: "gke" }, "mlops:training.kind: must be vm (a Compute Engine VM), vertex (a Vertex AI custom job) or none"],
    ["an unknown GPU", { kind: "vm", gpu: { type: "nvidia-h100" } }, "mlops:training.gpu.type: must be one of nvidia-tesla-t4, nvidia-l4"],
  ])("rejects %s", (_what, training, message) => {
    const found = problemsOf({ "mlops:training": training });
    expect(found.some((p) => p.startsWith(message)), found.join("\n")).toBe(true);
  });

  it("checks the zone from gcp:zone when training names none", () => {
    const found = problemsOf({ "gcp:zone": "europe-west1-a", "mlops:training": { kind: "vm", gpu: { type: "nvidia-tesla-p100" } } });
    expect(found).toContain("gcp:zone: europe-west1-a offers no nvidia-tesla-p100; zones of europe-west1 that do: europe-west1-b, europe-west1-d");
  });
});
