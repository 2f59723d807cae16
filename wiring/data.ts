/**
 * What the workloads keep and share: buckets, the image registry and secrets, each granted to exactly the
 * workloads whose section of the config asks for it.
 */
import { collectorConfig } from "../components/cloud-run-service";
import * as pulumi from "@pulumi/pulumi";
import type * as random from "@pulumi/random";
import type { Admin } from "../components/admins";
import { ArtifactRegistry } from "../components/artifact-registry";
import type { GithubCi } from "../components/github-ci";
import type { Identities } from "../components/identities";
import type { ProjectServices } from "../components/project-services";
import { Secrets } from "../components/secrets";
import { Buckets, type Access, type BucketGrant, type BucketName } from "../components/storage";
import { BUCKETS, CI_WORKLOADS, type StackConfig } from "../config";

/** What one workload may touch: buckets and secrets, from its own section of the config. */
export interface WorkloadNeeds {
  who: string;
  member: pulumi.Output<string>;
  buckets: Partial<Record<BucketName, Access>>;
  secrets: string[];
  /** Anyone on the internet can drive it (see `exposedServices`): its `write` grants create objects only. */
  exposed: boolean;
}

export function workloadNeeds(config: StackConfig, identities: Identities): WorkloadNeeds[] {
  const member = (who: string) => identities.accounts[who].member;
  const exposed = exposedServices(config.services);
  return [
    ...(config.training
      ? [{ who: "trainer", member: member("trainer"), buckets: config.training.buckets, secrets: config.training.secrets, exposed: false }]
      : []),
    ...config.services.map((s) => ({ who: s.key, member: member(s.key), buckets: s.buckets, secrets: s.secrets, exposed: exposed.has(s.key) })),
  ];
}

/**
 * The services anyone on the internet can drive: the public ones, and every private service one of them may
 * call, directly or through others (a private backend behind a public frontend serves the internet too).
 */
export function exposedServices(services: Array<{ key: string; public: boolean; callers: string[] }>): Set<string> {
  const exposed = new Set(services.filter((s) => s.public).map((s) => s.key));
  for (let grew = true; grew;) {
    const next = services.filter((s) => !exposed.has(s.key) && s.callers.some((c) => exposed.has(c)));
    next.forEach((s) => exposed.add(s.key));
    grew = next.length > 0;
  }
  return exposed;
}

/**
 * ci-deploy, which administers the stack's buckets, repository and secrets (granted on each), with the names
 * its grants had until 0.3.0, when the CI component registered them as its own children.
 */
function ciDeployAdmins(ci: GithubCi | undefined, formerNames: Record<string, string>): Admin[] {
  if (!ci) return [];
  const formerly = Object.fromEntries(Object.entries(formerNames).map(([key, name]) => [key, { name, parent: ci }]));
  return [{ who: CI_WORKLOADS[1], member: ci.deployAccount.member, formerly }];
}

export function storageBuckets(config: StackConfig, deps: { apis: ProjectServices; suffix: random.RandomId; needs: WorkloadNeeds[]; ci?: GithubCi }): Buckets {
  const { names } = config;
  return new Buckets(
    "buckets",
    {
      project: config.project,
      location: config.region,
      baseNames: { data: names.bucketBase("data"), models: names.bucketBase("models"), predictions: names.bucketBase("predictions") },
      suffix: deps.suffix.hex,
      labels: config.labels,
      protect: config.protectData,
      keepVersions: config.storage.keepVersions,
      predictionsDays: config.storage.predictionsDays,
      grants: Object.fromEntries(
        BUCKETS.map((b) => [
          b,
          deps.needs.flatMap((n): BucketGrant[] => (n.buckets[b] ? [{ who: n.who, member: n.member, access: n.buckets[b], createOnly: n.exposed }] : [])),
        ]),
      ),
      admins: ciDeployAdmins(deps.ci, Object.fromEntries(BUCKETS.map((b) => [b, `github-deploy-bucket-${b}`]))),
    },
    { dependsOn: deps.apis.need("storage") },
  );
}

export function imageRegistry(config: StackConfig, deps: { apis: ProjectServices; identities: Identities; ci?: GithubCi }): ArtifactRegistry {
  return new ArtifactRegistry(
    "registry",
    {
      project: config.project,
      location: config.region,
      repositoryId: config.names.repositoryId,
      labels: config.labels,
      protect: config.protectData,
      keepRecent: config.registry.keepRecent,
      untaggedDays: config.registry.untaggedDays,
      olderThanDays: config.registry.olderThanDays,
      // The training VM pulls its image itself; Cloud Run and Vertex AI pull with their own service agents.
      grants: config.training?.kind === "vm" ? [{ who: "trainer", member: deps.identities.accounts.trainer.member, access: "read" }] : [],
      admins: ciDeployAdmins(deps.ci, { repository: "github-deploy-registry" }),
    },
    { dependsOn: deps.apis.need("artifactregistry") },
  );
}

/**
 * The declared secrets, each readable by the workloads that use it (a warning for each still without a
 * value), and each metrics sidecar's config: kept through a pause like them, and administered by ci-deploy.
 */
export function declaredSecrets(
  config: StackConfig,
  deps: { apis: ProjectServices; needs: WorkloadNeeds[]; identities: Identities; ci?: GithubCi },
): Secrets | undefined {
  const sidecars = config.services.filter((s) => s.metrics);
  const names = [...config.secrets.map((s) => s.name), ...sidecars.map((s) => sidecarSecret(s.key))];
  const created =
    config.secrets.length || sidecars.length
      ? new Secrets(
          "secrets",
          {
            project: config.project,
            labels: config.labels,
            protect: config.protectData,
            admins: ciDeployAdmins(deps.ci, Object.fromEntries(names.map((n) => [n, `github-deploy-secret-${n}`]))),
            secrets: [
              ...config.secrets.map((s) => ({
                name: s.name,
                secretId: config.names.secretId(s.name),
                // Offline plans read stack files without their key: the value is known to exist, not what it is.
                value: s.value ? pulumi.secret(s.value.value ?? "") : undefined,
                accessors: deps.needs.filter((n) => n.secrets.includes(s.name)).map((n) => ({ who: n.who, member: n.member })),
              })),
              ...sidecars.map((s) => ({
                name: sidecarSecret(s.key),
                secretId: `${s.name}-rungmp`,
                value: pulumi.output(collectorConfig(s.name, s.metrics!)),
                accessors: [{ who: s.key, member: deps.identities.accounts[s.key].member }],
                // Until 0.3.0 the config was the service's own child, removed with it by every pause.
                formerly: { parent: pulumi.createUrn(s.key, "mlops:serving:CloudRunService"), name: `${s.key}-rungmp` },
              })),
            ],
          },
          { dependsOn: deps.apis.need("secretmanager") },
        )
      : undefined;
  for (const s of config.secrets.filter((s) => !s.value)) {
    pulumi.log.warn(`secret ${s.name} has no value yet; set it with \`pulumi config set --secret ${s.name} <value>\` and run pulumi up again`);
  }
  return created;
}

/** The name under which a service's metrics sidecar config is kept among the stack's secrets. */
export const sidecarSecret = (service: string) => `${service}-rungmp`;
