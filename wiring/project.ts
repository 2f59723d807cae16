/** The project layer: the APIs a config needs, one identity per workload, and keyless CI access. */
import * as pulumi from "@pulumi/pulumi";
import type * as random from "@pulumi/random";
import { GithubCi } from "../components/github-ci";
import { Identities } from "../components/identities";
import { ciRoles, ProjectServices, requiredApis, type ApiFeatures } from "../components/project-services";
import { CI_WORKLOADS, type StackConfig } from "../config";

/** What of the config decides which APIs the stack enables. */
export function apiFeatures(config: StackConfig): ApiFeatures {
  return {
    githubCi: config.github !== undefined,
    secrets: config.secrets.length > 0 || config.services.some((s) => s.metrics),
    services: config.services.length > 0,
    training: config.training?.kind,
    alertEmails: config.alerts.emails.length > 0,
    budget: config.budget !== undefined,
  };
}

export function projectApis(config: StackConfig): ProjectServices {
  return new ProjectServices("apis", { project: config.project, apis: requiredApis(apiFeatures(config)) });
}

export function workloadIdentities(config: StackConfig, apis: ProjectServices): Identities {
  return new Identities(
    "identities",
    {
      project: config.project,
      accountIds: Object.fromEntries(config.workloads.map((w) => [w, config.names.serviceAccountId(w)])),
      team: config.team,
      protect: config.protectData,
    },
    { dependsOn: apis.need("iam", "cloudresourcemanager") },
  );
}

/** GitHub Actions access, when the config names a repository; the CI accounts get the roles of the enabled APIs. */
export function githubCi(config: StackConfig, deps: { apis: ProjectServices; identities: Identities; suffix: random.RandomId }): GithubCi | undefined {
  if (!config.github) return undefined;
  const { names } = config;
  return new GithubCi(
    "github",
    {
      project: config.project,
      repository: config.github.repository,
      branch: config.github.branch,
      poolId: pulumi.interpolate`${names.wifPoolBase}-${deps.suffix.hex}`,
      providerId: pulumi.interpolate`${names.wifProviderBase}-${deps.suffix.hex}`,
      previewAccountId: names.serviceAccountId(CI_WORKLOADS[0]),
      deployAccountId: names.serviceAccountId(CI_WORKLOADS[1]),
      ...ciRoles(deps.apis.enabled),
      runtimeAccounts: Object.fromEntries(Object.entries(deps.identities.accounts).map(([w, a]) => [w, a.name])),
      protect: config.protectData,
    },
    { dependsOn: deps.apis.need("iam", "cloudresourcemanager", "iamcredentials", "sts") },
  );
}
