/**
 * The stack as one function of a validated config. index.ts calls it under Pulumi; the tests and the plan
 * tool call it under mocks, once per stack file, in one process.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ArtifactRegistry } from "./components/artifact-registry";
import { GithubCi } from "./components/github-ci";
import { Identities } from "./components/identities";
import { APIS, ProjectServices, requiredApis } from "./components/project-services";
import { Secrets } from "./components/secrets";
import { Buckets } from "./components/storage";
import { CI_WORKLOADS, SUFFIX_LENGTH, type StackConfig } from "./config";

export type StackOutputs = Record<string, pulumi.Input<unknown>>;

export function createStack(config: StackConfig): StackOutputs {
  const { project, region, names, labels, protectData: protect } = config;
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
      grants: {},
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
      grants: [],
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
            accessors: s.usedBy.map((w) => ({ who: w, member: member(w) })),
          })),
        },
        { dependsOn: apis.need("secretmanager") },
      )
    : undefined;
  for (const s of config.secrets.filter((s) => !s.value)) {
    pulumi.log.warn(`secret ${s.name} has no value yet; set it with \`pulumi config set --secret ${s.name} <value>\` and run pulumi up again`);
  }

  return {
    project,
    region,
    group: config.group,
    enabledApis: Object.values(apis.services).map((s) => s.service),
    buckets: buckets.names,
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
  };
}
