/** The project layer: the APIs a config needs, one identity per workload, and keyless CI access. */
import * as pulumi from "@pulumi/pulumi";
import type * as random from "@pulumi/random";
import { GithubCi } from "../components/github-ci";
import { Identities, LOG_WRITER, METRIC_WRITER } from "../components/identities";
import { ALWAYS_APIS, ciRoles, ProjectServices, requiredApis, type ApiFeatures } from "../components/project-services";
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
    creditGuard: config.budget?.stopAt !== undefined,
  };
}

export function projectApis(config: StackConfig): ProjectServices {
  return new ProjectServices("apis", { project: config.project, apis: requiredApis(apiFeatures(config)) });
}

/**
 * What a workload's account may do project-wide: a training run's VM writes its logs and metrics through the
 * APIs; a Cloud Run service's stdout reaches Cloud Logging without any role (cloud.google.com/run/docs/logging),
 * and it writes metrics only through the Managed Prometheus sidecar (`metrics`). A service with LOG_WRITER
 * could write entries that look like any other workload's, the credit guard's trip among them.
 */
function runtimeProjectRoles(config: StackConfig, workload: string): string[] {
  if (workload === "trainer") return [LOG_WRITER, METRIC_WRITER];
  return config.services.find((s) => s.key === workload)?.metrics ? [METRIC_WRITER] : [];
}

export function workloadIdentities(config: StackConfig, apis: ProjectServices): Identities {
  return new Identities(
    "identities",
    {
      project: config.project,
      accountIds: Object.fromEntries(config.workloads.map((w) => [w, config.names.serviceAccountId(w)])),
      projectRoles: Object.fromEntries(config.workloads.map((w) => [w, runtimeProjectRoles(config, w)])),
      team: config.team,
    },
    { dependsOn: apis.need("iam", "cloudresourcemanager") },
  );
}

/** GitHub Actions access, when the config names a repository; the CI accounts get the roles of the enabled APIs. */
export function githubCi(config: StackConfig, deps: { apis: ProjectServices; identities: Identities; suffix: random.RandomId }): GithubCi | undefined {
  if (!config.github) return undefined;
  const { names, github } = config;
  if (!github.repositoryId || !github.repositoryOwnerId) {
    pulumi.log.warn(
      `mlops:github: without repositoryId and repositoryOwnerId the workload identity provider trusts ${github.repository} by name only, ` +
        `which a deleted-and-recreated repository of that name would inherit; add them (gh api repos/${github.repository} --jq '.id, .owner.id')`,
    );
  }
  const roles = ciRoles(deps.apis.enabled);
  const trainer = config.training && deps.identities.accounts.trainer;
  return new GithubCi(
    "github",
    {
      project: config.project,
      repository: github.repository,
      repositoryId: github.repositoryId,
      repositoryOwnerId: github.repositoryOwnerId,
      branch: github.branch,
      stateBucket: github.stateBucket,
      poolId: pulumi.interpolate`${names.wifPoolBase}-${deps.suffix.hex}`,
      providerId: pulumi.interpolate`${names.wifProviderBase}-${deps.suffix.hex}`,
      previewAccountId: names.serviceAccountId(CI_WORKLOADS[0]),
      deployAccountId: names.serviceAccountId(CI_WORKLOADS[1]),
      trainAccountId: names.serviceAccountId(CI_WORKLOADS[2]),
      training: config.training && trainer && { kind: config.training.kind, trainerAccount: trainer.name, roleIdBase: names.trainRoleBase },
      ...roles,
      foundationRoles: Object.values(ciRoles([...ALWAYS_APIS, "iamcredentials", "sts"])).flat(),
      // Not the trainer: pulumi up deploys nothing as it; ci-train submits its runs.
      runtimeAccounts: Object.fromEntries(
        Object.entries(deps.identities.accounts)
          .filter(([w]) => w !== "trainer")
          .map(([w, a]) => [w, a.name]),
      ),
      protect: config.protectData,
    },
    { dependsOn: deps.apis.need("iam", "cloudresourcemanager", "iamcredentials", "sts") },
  );
}
