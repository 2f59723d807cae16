/** The Cloud Run services: each with its image, its account's grants, its env and secrets, and who may call it. */
import { sidecarSecret } from "./data";
import * as pulumi from "@pulumi/pulumi";
import type { ArtifactRegistry } from "../components/artifact-registry";
import { CloudRunService, GMP_COLLECTOR_IMAGE } from "../components/cloud-run-service";
import type { ImageFactory } from "../components/container-image";
import type { Identities } from "../components/identities";
import type { WatchedService } from "../components/monitoring";
import type { ProjectServices } from "../components/project-services";
import { secretRefs, type Secrets } from "../components/secrets";
import type { BucketName, Buckets } from "../components/storage";
import type { ServiceConfig, StackConfig } from "../config";
import type { ServingOutputs } from "./outputs";

/** What the workloads are wired to, made before them. */
export interface Platform {
  apis: ProjectServices;
  identities: Identities;
  buckets: Buckets;
  registry: ArtifactRegistry;
  secrets?: Secrets;
  image: ImageFactory;
}

/** What `${…}` in an env value can refer to. */
export interface References {
  project: string;
  region: string;
  buckets: Record<BucketName, pulumi.Output<string>>;
  /** URL per service key, filled as the services are made (validation orders them so references come first). */
  services: Record<string, pulumi.Output<string>>;
}

export interface Serving {
  refs: References;
  watched: WatchedService[];
  outputs: Partial<ServingOutputs>;
}

/** `gate`: what every service waits for besides its own needs (the credit guard's trip check, wiring/guard.ts). */
export function cloudRunServices(config: StackConfig, platform: Platform, gate?: pulumi.Input<pulumi.Resource>): Serving {
  const refs = platformRefs(config, platform);
  const images: Record<string, pulumi.Output<string>> = {};
  const watched: WatchedService[] = [];
  for (const s of config.services) {
    const image = platform.image(s.key, s.image);
    const service = cloudRunService(config, s, image.ref, refs, platform, gate);
    refs.services[s.key] = service.url;
    images[s.key] = image.ref;
    watched.push({
      key: s.key,
      serviceName: s.name,
      url: service.url,
      public: s.public,
      healthPath: s.healthPath,
      readyPath: s.readyPath,
      readyHints: readyHints(config, s, platform.buckets),
      resource: service.service,
    });
  }
  if (!config.services.length) return { refs, watched, outputs: {} };
  const curlCommands = Object.fromEntries(
    config.services.filter((s) => s.public).map((s) => [s.key, pulumi.interpolate`curl -fsS ${refs.services[s.key]}${s.readyPath ?? s.healthPath ?? "/"}`]),
  );
  return { refs, watched, outputs: { serviceUrls: refs.services, serviceImages: images, curlCommands } };
}

function cloudRunService(
  config: StackConfig,
  s: ServiceConfig,
  image: pulumi.Output<string>,
  refs: References,
  p: Platform,
  gate?: pulumi.Input<pulumi.Resource>,
): CloudRunService {
  const secrets = secretRefs(p.secrets, s.secrets);
  return new CloudRunService(s.key, {
    project: config.project,
    region: config.region,
    serviceName: s.name,
    image,
    port: s.port,
    cpu: s.cpu,
    memory: s.memory,
    minInstances: s.minInstances,
    maxInstances: s.maxInstances,
    concurrency: s.concurrency,
    cpuAlwaysOn: s.cpuAlwaysOn,
    timeoutSeconds: s.timeoutSeconds,
    healthPath: s.healthPath,
    // The wiring contract (docs/wiring.md): validation keeps `<NAME>_BUCKET` out of env, so nothing overlaps.
    env: { ...p.buckets.envOf(s.buckets), ...resolveEnv(s.env, refs) },
    secrets: secrets.refs,
    serviceAccountEmail: p.identities.accounts[s.key].email,
    access: s.public ? config.publicInvoker : "private",
    invokers: s.callers.map((c) => ({ who: c, member: p.identities.accounts[c].member })),
    labels: config.labels,
    metrics: s.metrics && {
      collectorImage: p.image(`${s.key}-collector`, { ref: GMP_COLLECTOR_IMAGE }).ref,
      config: secretRefs(p.secrets, [sidecarSecret(s.key)]).refs[sidecarSecret(s.key)],
    },
    needs: [...p.apis.need("run"), ...p.buckets.grantsOf(s.key), ...p.identities.grantsOf(s.key), ...secrets.waitFor, ...(gate ? [gate] : [])],
  });
}

/** Why a service may be up but not ready, from what it is wired to: the model, its buckets, the services it calls. */
function readyHints(config: StackConfig, s: ServiceConfig, buckets: Buckets): pulumi.Input<string>[] {
  const hints: pulumi.Input<string>[] = [];
  if (s.buckets.models) {
    hints.push(
      config.training
        ? "No model yet: a new stack has none until its first training run. Run training (the command: `pulumi stack output trainCommand`), then check again."
        : "No model yet: this stack has no mlops:training; copy a trained model into the models bucket where the service expects it.",
    );
  }
  const env = buckets.envOf(s.buckets);
  if (Object.keys(env).length) {
    const vars = Object.entries(env).map(([name, bucket]) => pulumi.interpolate`${name}=${bucket}`);
    hints.push(
      pulumi.interpolate`Bucket missing or denied (it reads ${pulumi.all(vars).apply((v) => v.join(", "))}): \`gcloud storage ls gs://BUCKET --project ${config.project}\` shows whether one exists; its access is mlops:services.${s.key}.buckets. \`pulumi refresh\` then \`pulumi up\` restore a bucket or grant deleted by hand.`,
    );
  }
  for (const key of s.calls) hints.push(`A service it calls is not ready: check ${key} (${config.names.serviceName(key)}) first.`);
  return hints;
}

/** An env with every value's references resolved. */
export function resolveEnv(env: Record<string, string>, refs: References): Record<string, pulumi.Output<string>> {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, resolveReferences(value, refs)]));
}

/** Resolves `${services.NAME.url}`, `${buckets.NAME.name}`, `${project}` and `${region}` in an env value. */
export function resolveReferences(value: string, refs: References): pulumi.Output<string> {
  const parts = value.split(/(\$\{[^}]*\})/).map((part): pulumi.Input<string> => {
    const ref = /^\$\{([^}]*)\}$/.exec(part)?.[1];
    if (ref === undefined) return part;
    if (ref === "project") return refs.project;
    if (ref === "region") return refs.region;
    const service = /^services\.([^.]+)\.url$/.exec(ref)?.[1];
    if (service && refs.services[service]) return refs.services[service];
    const bucket = /^buckets\.([^.]+)\.name$/.exec(ref)?.[1] as BucketName | undefined;
    if (bucket && refs.buckets[bucket]) return refs.buckets[bucket];
    // Validation rejects unknown references and cycles, so this is a program error, not a user's.
    throw new Error(`unresolvable reference \${${ref}}`);
  });
  return pulumi.all(parts).apply((resolved) => resolved.join(""));
}

/** The references a workload's env may use before any service exists (all of them, in a paused stack). */
export function platformRefs(config: StackConfig, p: Platform): References {
  return { project: config.project, region: config.region, buckets: p.buckets.names, services: {} };
}
