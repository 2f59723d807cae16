import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export interface StartupScriptArgs {
  /** The training image, `name@sha256:…`. */
  image: string;
  /** Registry host to log in to, REGION-docker.pkg.dev. */
  registryHost: string;
  gpu: boolean;
  /** Plain environment of the container (bucket names, the group's own settings). */
  env: Record<string, string>;
  /** Secrets by env name, as Secret Manager version resource names; values are read at boot, never stored. */
  secrets: Record<string, string>;
  args: string[];
  powerOff: boolean;
}

/** Single-quotes a word for bash. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The VM's startup script: logs Docker in to Artifact Registry with the VM's own account, reads the
 * secrets from Secret Manager into a root-only file on tmpfs, runs the training image once by digest with
 * its logs in Cloud Logging, and powers the VM off when the container exits (or anything fails).
 * It uses only curl, sed and base64, so it runs on Deep Learning VM images and Container-Optimized OS alike.
 */
export function startupScript(a: StartupScriptArgs): string {
  const lines = [
    "#!/bin/bash",
    "# mlops trainer: runs the training image once, by digest, then stops the VM.",
    "set -euo pipefail",
    `IMAGE=${shellQuote(a.image)}`,
    `REGISTRY=${shellQuote(a.registryHost)}`,
    "ENV_FILE=/run/mlops/env",
    a.powerOff
      ? `trap 'status=$?; rm -f "$ENV_FILE"; echo "mlops-trainer: finished with status $status, powering off"; poweroff' EXIT`
      : `trap 'rm -f "$ENV_FILE"' EXIT`,
    "METADATA=http://metadata.google.internal/computeMetadata/v1",
    `token() { curl -sf -H 'Metadata-Flavor: Google' "$METADATA/instance/service-accounts/default/token" | sed -E 's/.*"access_token":"([^"]+)".*/\\1/'; }`,
    "export DOCKER_CONFIG=/var/lib/mlops/docker",
    'mkdir -p "$DOCKER_CONFIG"',
    'token | docker login -u oauth2accesstoken --password-stdin "https://$REGISTRY"',
    "install -d -m 700 /run/mlops",
    'install -m 600 /dev/null "$ENV_FILE"',
    "secret() {",
    "  local value",
    `  value=$(curl -sf -H "Authorization: Bearer $(token)" "https://secretmanager.googleapis.com/v1/$2:access" | sed -nE 's/.*"data": *"([^"]*)".*/\\1/p' | base64 -d)`,
    `  printf '%s=%s\\n' "$1" "$value" >> "$ENV_FILE"`,
    "}",
    ...Object.entries(a.secrets).map(([name, version]) => `secret ${name} ${shellQuote(version)}`),
  ];
  if (a.gpu) {
    lines.push(
      "# The NVIDIA driver may still be loading on first boot.",
      "for _ in $(seq 60); do nvidia-smi >/dev/null 2>&1 && break; sleep 10; done",
    );
  }
  const run = [
    "docker run --rm --name mlops-trainer",
    ...(a.gpu ? ["--gpus all"] : []),
    '--env-file "$ENV_FILE"',
    ...Object.entries(a.env).map(([k, v]) => `-e ${k}=${shellQuote(v)}`),
    "--log-driver=gcplogs",
    '"$IMAGE"',
    ...a.args.map(shellQuote),
  ];
  lines.push('docker pull "$IMAGE"', run.join(" \\\n  "));
  return `${lines.join("\n")}\n`;
}

export interface TrainingVmArgs {
  project: string;
  zone: string;
  instanceName: string;
  machineType: string;
  /** Accelerators to attach; undefined for CPU, and for G2/A2 machine types, which bring their own. */
  accelerators?: { type: string; count: number };
  /** Whether the machine has a GPU at all (it cannot live-migrate then). */
  hasGpu: boolean;
  spot: boolean;
  maxRunHours: number;
  bootDiskGb: number;
  image: { project: string; family: string };
  /** false: the VM exists but stays stopped. */
  running: boolean;
  serviceAccountEmail: pulumi.Input<string>;
  startupScript: pulumi.Input<string>;
  labels: Record<string, string>;
}

/**
 * The training VM, built so it cannot burn credits unnoticed: it stops itself after maxRunHours whatever it
 * is doing, its startup script powers it off when training ends, and `pulumi up` never restarts it.
 */
export class TrainingVm extends pulumi.ComponentResource {
  readonly instance: gcp.compute.Instance;
  readonly commands: { start: string; stop: string; ssh: string; logs: pulumi.Output<string> };

  constructor(name: string, args: TrainingVmArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:training:TrainingVm", name, {}, opts);
    // GPUs cannot live-migrate, and spot VMs cannot either.
    const mustTerminate = args.hasGpu || args.spot;
    this.instance = new gcp.compute.Instance(
      `${name}-instance`,
      {
        project: args.project,
        zone: args.zone,
        name: args.instanceName,
        machineType: args.machineType,
        bootDisk: {
          autoDelete: true,
          initializeParams: {
            image: `projects/${args.image.project}/global/images/family/${args.image.family}`,
            size: args.bootDiskGb,
            type: "pd-balanced",
          },
        },
        // gcp v10 replaces the VM when the list holds count 0, so the list is omitted without a GPU.
        ...(args.accelerators && { guestAccelerators: [args.accelerators] }),
        networkInterfaces: [{ network: "default", accessConfigs: [{}] }],
        scheduling: {
          onHostMaintenance: mustTerminate ? "TERMINATE" : "MIGRATE",
          automaticRestart: !args.spot,
          preemptible: args.spot,
          provisioningModel: args.spot ? "SPOT" : "STANDARD",
          instanceTerminationAction: "STOP",
          maxRunDuration: { seconds: args.maxRunHours * 3600 },
        },
        serviceAccount: { email: args.serviceAccountEmail, scopes: ["cloud-platform"] },
        metadata: {
          "enable-oslogin": "TRUE",
          "block-project-ssh-keys": "TRUE",
          "serial-port-enable": "FALSE",
          ...(args.hasGpu && { "install-nvidia-driver": "True" }),
        },
        metadataStartupScript: args.startupScript,
        // NVIDIA's kernel modules are not signed for Secure Boot; vTPM and integrity monitoring still apply.
        shieldedInstanceConfig: { enableSecureBoot: !args.hasGpu, enableVtpm: true, enableIntegrityMonitoring: true },
        // Unset while running, so `pulumi up` never restarts a VM that finished and stopped itself.
        ...(!args.running && { desiredStatus: "TERMINATED" }),
        allowStoppingForUpdate: true,
        deletionProtection: false,
        labels: args.labels,
      },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    const where = `--zone ${args.zone} --project ${args.project}`;
    this.commands = {
      start: `gcloud compute instances start ${args.instanceName} ${where}`,
      stop: `gcloud compute instances stop ${args.instanceName} ${where}`,
      ssh: `gcloud compute ssh ${args.instanceName} ${where}`,
      logs: pulumi.interpolate`gcloud logging read 'resource.type="gce_instance" AND resource.labels.instance_id="${this.instance.instanceId}"' --project ${args.project} --freshness 1d --order asc`,
    };
    this.registerOutputs({ instanceName: args.instanceName, commands: this.commands });
  }
}
