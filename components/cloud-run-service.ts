import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { SecretRef } from "./secrets";

export const INVOKER = "roles/run.invoker";
/** Google's Managed Prometheus collector for Cloud Run (docs/design.md); resolved to a digest like any image. */
export const GMP_COLLECTOR_IMAGE = "us-docker.pkg.dev/cloud-ops-agents-artifacts/cloud-run-gmp-sidecar/cloud-run-gmp-sidecar";

/** How a service is sized and probed. */
export interface ServiceSettings {
  /** Port the container listens on. */
  port: number;
  /** CPU limit per instance, e.g. "1". */
  cpu: string;
  /** Memory limit per instance, e.g. "512Mi". */
  memory: string;
  /** Instances kept warm; 0 scales to zero. */
  minInstances: number;
  maxInstances: number;
  /** Requests one instance serves at a time. */
  concurrency: number;
  /** CPU stays allocated between requests (instance-based billing), for background work. */
  cpuAlwaysOn: boolean;
  timeoutSeconds: number;
  /** Path the startup and liveness probes request; no probes without it. */
  healthPath?: string;
}

export interface CloudRunServiceArgs extends ServiceSettings {
  project: string;
  region: string;
  /** Cloud Run service name. */
  serviceName: string;
  image: pulumi.Input<string>;
  /** Env values, references already resolved. */
  env: Record<string, pulumi.Input<string>>;
  /** Secrets by env name: the secret id and the version to pin. */
  secrets: Record<string, { secret: pulumi.Input<string>; version: pulumi.Input<string> }>;
  serviceAccountEmail: pulumi.Input<string>;
  /** allUsers: anyone may invoke; invokerIamDisabled: no IAM check at all; private: only the callers. */
  access: "allUsers" | "invokerIamDisabled" | "private";
  /** Members that may invoke a private service (the callers' service accounts). */
  invokers: Array<{ who: string; member: pulumi.Input<string> }>;
  labels: Record<string, string>;
  /** Scrape a Prometheus endpoint with Google's Managed Prometheus sidecar, configured by a secret (collectorConfig). */
  metrics?: { collectorImage: pulumi.Input<string>; config: SecretRef };
  /**
   * What the first revision needs (its API, bucket and secret grants, secret versions): the service waits for
   * them. An Output that rejects stops the service from being registered (the credit guard's trip check).
   */
  needs: pulumi.Input<pulumi.Resource>[];
  /** Audiences an ID token may carry besides the service URL, which is not known before the service exists. */
  customAudiences?: pulumi.Input<string>[];
}

/**
 * One Cloud Run service: scale to zero by default, a capped instance count, its own account, probes on the
 * health path, secrets only as Secret Manager references, and `deletionProtection: false` from the first
 * deploy so `pulumi destroy` can remove it.
 */
export class CloudRunService extends pulumi.ComponentResource {
  readonly service: gcp.cloudrunv2.Service;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: CloudRunServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:serving:CloudRunService", name, {}, opts);
    const probe = args.healthPath ? { httpGet: { path: args.healthPath, port: args.port } } : undefined;
    const collector = args.metrics ? this.collector(args.metrics) : undefined;
    this.service = new gcp.cloudrunv2.Service(
      `${name}-service`,
      {
        project: args.project,
        location: args.region,
        name: args.serviceName,
        // The value in state is what destroy checks, so it is false from the very first deploy.
        deletionProtection: false,
        ingress: "INGRESS_TRAFFIC_ALL",
        invokerIamDisabled: args.access === "invokerIamDisabled",
        ...(args.customAudiences && { customAudiences: args.customAudiences }),
        labels: args.labels,
        template: {
          serviceAccount: args.serviceAccountEmail,
          executionEnvironment: "EXECUTION_ENVIRONMENT_GEN2",
          scaling: { minInstanceCount: args.minInstances, maxInstanceCount: args.maxInstances },
          maxInstanceRequestConcurrency: args.concurrency,
          timeout: `${args.timeoutSeconds}s`,
          labels: args.labels,
          containers: [
            {
              name: "app",
              image: args.image,
              ports: { containerPort: args.port },
              resources: { limits: { cpu: args.cpu, memory: args.memory }, cpuIdle: !args.cpuAlwaysOn, startupCpuBoost: true },
              envs: [
                ...Object.entries(args.env).map(([name, value]) => ({ name, value })),
                ...Object.entries(args.secrets).map(([name, s]) => ({
                  name,
                  valueSource: { secretKeyRef: { secret: s.secret, version: s.version } },
                })),
              ],
              ...(probe && {
                startupProbe: { ...probe, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 24 },
                livenessProbe: { ...probe, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
              }),
            },
            ...(collector ? [collector.container] : []),
          ],
          ...(collector && { volumes: [collector.volume] }),
        },
      },
      { parent: this, dependsOn: [...args.needs, ...(collector?.needs ?? [])] },
    );
    const members = args.access === "allUsers" ? [{ who: "public", member: "allUsers" }] : args.access === "private" ? args.invokers : [];
    for (const m of members) {
      new gcp.cloudrunv2.ServiceIamMember(
        `${name}-invoker-${m.who}`,
        { project: args.project, location: args.region, name: this.service.name, role: INVOKER, member: m.member },
        { parent: this },
      );
    }
    this.url = this.service.uri;
    this.registerOutputs({ url: this.url });
  }

  /** The Managed Prometheus sidecar, reading which endpoint to scrape from its config secret. */
  private collector(metrics: NonNullable<CloudRunServiceArgs["metrics"]>) {
    return {
      container: {
        name: "collector",
        image: metrics.collectorImage,
        // The collector starts after the app, so its first scrape finds the endpoint up.
        dependsOns: ["app"],
        volumeMounts: [{ name: "rungmp-config", mountPath: "/etc/rungmp" }],
      },
      volume: { name: "rungmp-config", secret: { secret: metrics.config.secret, items: [{ version: metrics.config.version, path: "config.yaml" }] } },
      needs: metrics.config.waitFor,
    };
  }
}

/**
 * The RunMonitoring file that tells the sidecar which endpoint to scrape. Cloud Run mounts files only from
 * Secret Manager, so it is a secret of the stack (with the declared ones: kept through a pause, administered
 * by ci-deploy), readable by the service's own account.
 */
export function collectorConfig(serviceName: string, metrics: { port: number; path: string }): string {
  return [
    "apiVersion: monitoring.googleapis.com/v1beta",
    "kind: RunMonitoring",
    "metadata:",
    `  name: ${serviceName}`,
    "spec:",
    "  endpoints:",
    `  - port: ${metrics.port}`,
    `    path: ${metrics.path}`,
    "    interval: 30s",
    "",
  ].join("\n");
}
