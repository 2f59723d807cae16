/**
 * The stack as one function of a validated config. index.ts calls it under Pulumi; the tests and the plan
 * tool call it under mocks, once per stack file, in one process.
 */
import * as docker from "@pulumi/docker";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ArtifactRegistry } from "./components/artifact-registry";
import { CloudRunService, GMP_COLLECTOR_IMAGE } from "./components/cloud-run-service";
import { ContainerImage } from "./components/container-image";
import { GithubCi } from "./components/github-ci";
import { Identities } from "./components/identities";
import { Monitoring, type WatchedService } from "./components/monitoring";
import { APIS, ProjectServices, requiredApis } from "./components/project-services";
import { Secrets } from "./components/secrets";
import { Buckets, type BucketGrant } from "./components/storage";
import { startupScript, TrainingVm } from "./components/training-vm";
import { VertexJob } from "./components/vertex-job";
import { BUCKETS, CI_WORKLOADS, SUFFIX_LENGTH, type BucketName, type ImageSource, type StackConfig } from "./config";
import { costFields, estimateCost, type CostInput } from "./lib/cost";
import { BUNDLED_GPUS, GPUS } from "./lib/gpus";

export type StackOutputs = Record<string, pulumi.Input<unknown>>;

/** What each workload may touch: buckets and secrets, from its own section of the config. */
interface WorkloadNeeds {
  who: string;
  buckets: Partial<Record<BucketName, "read" | "write">>;
  secrets: string[];
}

export function createStack(config: StackConfig): StackOutputs {
  const { project, region, names, labels, protectData: protect } = config;
  const costInputs = recordCostInputs();
  const apiNames = requiredApis(config);
  const apis = new ProjectServices("apis", { project, apis: apiNames });

  // Makes bucket and workload identity ids globally unique; protected, or new names would replace the data.
  const suffix = new random.RandomId("suffix", { byteLength: SUFFIX_LENGTH / 2 }, { protect });

  const identities = new Identities(
    "identities",
    {
      project,
      accountIds: Object.fromEntries(config.workloads.map((w) => [w, names.serviceAccountId(w)])),
      team: config.team,
      protect,
    },
    { dependsOn: apis.need("iam", "cloudresourcemanager") },
  );
  const member = (workload: string) => identities.accounts[workload].member;
  const needs: WorkloadNeeds[] = [
    ...(config.training ? [{ who: "trainer", buckets: config.training.buckets, secrets: config.training.secrets }] : []),
    ...config.services.map((s) => ({ who: s.key, buckets: s.buckets, secrets: s.secrets })),
  ];

  const ci = config.github
    ? new GithubCi(
        "github",
        {
          project,
          repository: config.github.repository,
          branch: config.github.branch,
          poolId: pulumi.interpolate`${names.wifPoolBase}-${suffix.hex}`,
          providerId: pulumi.interpolate`${names.wifProviderBase}-${suffix.hex}`,
          previewAccountId: names.serviceAccountId(CI_WORKLOADS[0]),
          deployAccountId: names.serviceAccountId(CI_WORKLOADS[1]),
          previewRoles: [...new Set(apiNames.flatMap((a) => APIS[a].previewRoles))],
          deployRoles: [...new Set(apiNames.flatMap((a) => APIS[a].deployRoles))],
          runtimeAccounts: Object.fromEntries(Object.entries(identities.accounts).map(([w, a]) => [w, a.name])),
          protect,
        },
        { dependsOn: apis.need("iam", "cloudresourcemanager", "iamcredentials", "sts") },
      )
    : undefined;

  const buckets = new Buckets(
    "buckets",
    {
      project,
      location: region,
      baseNames: { data: names.bucketBase("data"), models: names.bucketBase("models"), predictions: names.bucketBase("predictions") },
      suffix: suffix.hex,
      labels,
      protect,
      keepVersions: config.storage.keepVersions,
      predictionsDays: config.storage.predictionsDays,
      grants: Object.fromEntries(
        BUCKETS.map((b) => [
          b,
          needs.flatMap((n): BucketGrant[] => (n.buckets[b] ? [{ who: n.who, member: member(n.who), access: n.buckets[b] }] : [])),
        ]),
      ),
    },
    { dependsOn: apis.need("storage") },
  );

  const registry = new ArtifactRegistry(
    "registry",
    {
      project,
      location: region,
      repositoryId: names.repositoryId,
      labels,
      protect,
      ...config.registry,
      // The training VM pulls its image itself; Cloud Run and Vertex AI pull with their own service agents.
      grants: config.training?.kind === "vm" ? [{ who: "trainer", member: member("trainer"), access: "read" }] : [],
    },
    { dependsOn: apis.need("artifactregistry") },
  );

  const secrets = config.secrets.length
    ? new Secrets(
        "secrets",
        {
          project,
          labels,
          protect,
          secrets: config.secrets.map((s) => ({
            name: s.name,
            secretId: names.secretId(s.name),
            // Offline plans read stack files without their key: the value is known to exist, not what it is.
            value: s.value ? pulumi.secret(s.value.value ?? "") : undefined,
            accessors: needs.filter((n) => n.secrets.includes(s.name)).map((n) => ({ who: n.who, member: member(n.who) })),
          })),
        },
        { dependsOn: apis.need("secretmanager") },
      )
    : undefined;
  for (const s of config.secrets.filter((s) => !s.value)) {
    pulumi.log.warn(`secret ${s.name} has no value yet; set it with \`pulumi config set --secret ${s.name} <value>\` and run pulumi up again`);
  }
  /** Secret Manager version each workload pins, and what it must wait for. */
  const secretRef = (name: string) => {
    const created = secrets?.secrets[name];
    if (!created) throw new Error(`secret ${name} is used but not declared`);
    return {
      secret: created.secret.secretId,
      version: created.version?.version ?? pulumi.output("latest"),
      versionName: created.version?.name ?? pulumi.interpolate`${created.secret.name}/versions/latest`,
      waitFor: [...(created.version ? [created.version] : []), ...created.grants],
    };
  };

  // Paused: nothing that costs money while idle or running; data, images, secrets and identities stay.
  const running = !config.paused;
  const registryHost = `${region}-docker.pkg.dev`;
  // Registry credentials of whoever runs `pulumi up`, made only when the stack has images to build or look up.
  let registryAccess: { token: pulumi.Output<string>; provider: docker.Provider } | undefined;
  const image = (key: string, source: ImageSource) => {
    registryAccess ??= (() => {
      const token = gcp.organizations.getClientConfigOutput().accessToken;
      const provider = new docker.Provider("docker", {
        registryAuth: [{ address: registryHost, username: "oauth2accesstoken", password: pulumi.secret(token) }],
      });
      return { token, provider };
    })();
    return new ContainerImage(
      `image-${key}`,
      {
        source,
        name: key,
        repositoryUrl: registry.imagePrefix,
        registryServer: registryHost,
        accessToken: registryAccess.token,
        provider: registryAccess.provider,
      },
      { dependsOn: [registry] },
    );
  };
  const bucketNames = buckets.names;
  const serviceUrls: Record<string, pulumi.Output<string>> = {};
  const resolve = (value: string): pulumi.Output<string> => resolveReferences(value, { project, region, buckets: bucketNames, services: serviceUrls });
  const bucketEnv = (granted: Partial<Record<BucketName, unknown>>) =>
    Object.fromEntries(BUCKETS.filter((b) => granted[b]).map((b) => [`${b.toUpperCase()}_BUCKET`, bucketNames[b]]));

  const outputs: StackOutputs = {};
  const watched: WatchedService[] = [];
  let watchedVm: { instanceName: string; instanceId: pulumi.Output<string>; zone: string; resource: pulumi.Resource } | undefined;
  if (running) {
    const images: Record<string, pulumi.Output<string>> = {};
    for (const s of config.services) {
      const serviceImage = image(s.key, s.image);
      const secretRefs = Object.fromEntries(s.secrets.map((name) => [name, secretRef(name)]));
      const service = new CloudRunService(s.key, {
        project,
        region,
        serviceName: s.name,
        image: serviceImage.ref,
        port: s.port,
        cpu: s.cpu,
        memory: s.memory,
        minInstances: s.minInstances,
        maxInstances: s.maxInstances,
        concurrency: s.concurrency,
        timeoutSeconds: s.timeoutSeconds,
        healthPath: s.healthPath,
        env: mapValues(s.env, resolve),
        secrets: secretRefs,
        serviceAccountEmail: identities.accounts[s.key].email,
        access: s.public ? config.publicInvoker : "private",
        invokers: s.callers.map((c) => ({ who: c, member: member(c) })),
        labels,
        metrics: s.metrics && { ...s.metrics, collectorImage: image(`${s.key}-collector`, { ref: GMP_COLLECTOR_IMAGE }).ref },
        needs: [
          ...apis.need("run"),
          ...buckets.grantsOf(s.key),
          ...identities.grantsOf(s.key),
          ...Object.values(secretRefs).flatMap((r) => r.waitFor),
        ],
      });
      serviceUrls[s.key] = service.url;
      images[s.key] = serviceImage.ref;
      watched.push({ key: s.key, serviceName: s.name, url: service.url, public: s.public, healthPath: s.healthPath, resource: service.service });
    }
    if (config.services.length) {
      outputs.serviceUrls = serviceUrls;
      outputs.serviceImages = images;
      outputs.curlCommands = Object.fromEntries(
        config.services.filter((s) => s.public).map((s) => [s.key, pulumi.interpolate`curl -fsS ${serviceUrls[s.key]}${s.healthPath ?? "/"}`]),
      );
    }
  }

  const training = config.training;
  if (training && running) {
    const trainingImage = image("trainer", training.image);
    const env = { ...bucketEnv(training.buckets), ...mapValues(training.env, resolve) };
    const secretRefs = Object.fromEntries(training.secrets.map((name) => [name, secretRef(name)]));
    const waitFor = [...buckets.grantsOf("trainer"), ...identities.grantsOf("trainer"), ...Object.values(secretRefs).flatMap((r) => r.waitFor)];
    outputs.trainingImage = trainingImage.ref;
    if (training.kind === "vm") {
      const bundled = BUNDLED_GPUS[training.machineType] !== undefined;
      const vm = new TrainingVm(
        "training",
        {
          project,
          zone: training.zone,
          instanceName: names.trainerInstance,
          machineType: training.machineType,
          accelerators: training.gpu && !bundled ? training.gpu : undefined,
          hasGpu: training.gpu !== undefined,
          spot: training.spot,
          maxRunHours: training.maxRunHours,
          bootDiskGb: training.bootDiskGb,
          image: { project: training.imageProject, family: training.imageFamily },
          running: training.running,
          serviceAccountEmail: identities.accounts.trainer.email,
          startupScript: pulumi
            .all([trainingImage.ref, pulumi.all(env), pulumi.all(mapValues(secretRefs, (r) => r.versionName))])
            .apply(([ref, plainEnv, secretVersions]) =>
              startupScript({
                image: ref,
                registryHost,
                gpu: training.gpu !== undefined,
                env: plainEnv,
                secrets: secretVersions,
                args: training.args,
                powerOff: training.powerOffWhenDone,
              }),
            ),
          labels,
        },
        { dependsOn: [...apis.need("compute"), ...waitFor, ...registry.grants] },
      );
      outputs.trainingInstance = names.trainerInstance;
      outputs.trainingCommands = vm.commands;
      watchedVm = { instanceName: names.trainerInstance, instanceId: vm.instance.instanceId, zone: training.zone, resource: vm.instance };
    } else {
      const job = new VertexJob(
        "training",
        {
          region,
          displayName: `${names.prefix}-train`,
          machineType: training.machineType,
          accelerator: training.gpu && { type: GPUS[training.gpu.type].vertex, count: training.gpu.count },
          spot: training.spot,
          maxRunHours: training.maxRunHours,
          image: trainingImage.ref,
          args: training.args,
          // The container reads each secret through the version named in NAME_SECRET; the trainer account may.
          env: pulumi.all({ ...env, ...Object.fromEntries(Object.entries(secretRefs).map(([n, r]) => [`${n}_SECRET`, r.versionName])) }),
          serviceAccountEmail: identities.accounts.trainer.email,
          bucket: bucketNames.models,
          labels,
        },
        { dependsOn: [...apis.need("aiplatform"), ...waitFor] },
      );
      outputs.vertexJobSpec = job.spec;
      outputs.vertexJobSpecUri = job.specUri;
      outputs.vertexSubmitCommand = job.submitCommand;
    }
  }

  // Channels and the budget cost nothing and stay while paused; checks and alerts go with what they watch.
  const monitoring = new Monitoring(
    "monitoring",
    {
      project,
      region,
      labels,
      emails: config.alerts.emails,
      services: watched,
      errorRatio: config.alerts.errorRatio,
      latencyP95Ms: config.alerts.latencyP95Ms,
      training: watchedVm && config.alerts.trainingHours ? { ...watchedVm, alertHours: config.alerts.trainingHours } : undefined,
      budget: config.budget && { ...config.budget, projectNumber: gcp.organizations.getProjectOutput({ projectId: project }).number },
    },
    { dependsOn: apis.need(...(apiNames.includes("monitoring") ? (["monitoring"] as const) : []), ...(config.budget ? (["billingbudgets"] as const) : [])) },
  );
  if ((watched.length || watchedVm) && !config.alerts.emails.length) {
    pulumi.log.warn("no alert email (mlops:alerts.emails): uptime checks and the dashboard exist, but no alert policy will notify anyone");
  }
  if (monitoring.dashboard) outputs.dashboard = monitoring.dashboard.id;
  if (costInputs) outputs.costEstimate = pulumi.all(costInputs).apply((inputs) => estimateCost(inputs, region));

  return {
    project,
    region,
    group: config.group,
    paused: config.paused,
    enabledApis: Object.values(apis.services).map((s) => s.service),
    buckets: bucketNames,
    dvcRemoteCommand: buckets.dvcRemoteCommand,
    imagePrefix: registry.imagePrefix,
    serviceAccounts: Object.fromEntries(Object.entries(identities.accounts).map(([w, a]) => [w, a.email])),
    secrets: Object.fromEntries(Object.entries(secrets?.secrets ?? {}).map(([n, s]) => [n, s.secret.name])),
    ...(ci && {
      workloadIdentityProvider: ci.providerName,
      ciPreviewServiceAccount: ci.previewAccount.email,
      ciDeployServiceAccount: ci.deployAccount.email,
      githubAuthStep: ci.authStep,
    }),
    ...outputs,
  };
}

/**
 * Watches what the stack registers and keeps the fields the cost estimate reads, so the stack can export
 * the same estimate `npm run plan` computes from the planned resources. It only observes; it changes nothing.
 */
function recordCostInputs(): pulumi.Output<CostInput>[] | undefined {
  // Programs imported outside a stack (Pulumi's plain setMocks pattern) have nothing to observe through.
  if (!pulumi.runtime.getStackResource()) return undefined;
  const recorded: pulumi.Output<CostInput>[] = [];
  pulumi.runtime.registerStackTransformation(({ type, name, props }) => {
    const fields = costFields(type, props);
    if (fields) recorded.push(pulumi.output(fields).apply((inputs) => ({ type, name, inputs: inputs as Record<string, unknown> })));
    return undefined;
  });
  return recorded;
}

function mapValues<T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}

/** Resolves `${services.NAME.url}`, `${buckets.NAME.name}`, `${project}` and `${region}` in an env value. */
export function resolveReferences(
  value: string,
  ctx: { project: string; region: string; buckets: Record<BucketName, pulumi.Output<string>>; services: Record<string, pulumi.Output<string>> },
): pulumi.Output<string> {
  const parts = value.split(/(\$\{[^}]*\})/).map((part): pulumi.Input<string> => {
    const ref = /^\$\{([^}]*)\}$/.exec(part)?.[1];
    if (ref === undefined) return part;
    if (ref === "project") return ctx.project;
    if (ref === "region") return ctx.region;
    const service = /^services\.([^.]+)\.url$/.exec(ref)?.[1];
    if (service && ctx.services[service]) return ctx.services[service];
    const bucket = /^buckets\.([^.]+)\.name$/.exec(ref)?.[1] as BucketName | undefined;
    if (bucket && ctx.buckets[bucket]) return ctx.buckets[bucket];
    // Validation rejects unknown references and cycles, so this is a program error, not a user's.
    throw new Error(`unresolvable reference \${${ref}}`);
  });
  return pulumi.all(parts).apply((resolved) => resolved.join(""));
}
