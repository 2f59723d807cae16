import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { adminOptions, type Admin } from "./admins";

export const REGISTRY_ROLES = { read: "roles/artifactregistry.reader", write: "roles/artifactregistry.writer" } as const;

/** What an admin of the repository (ci-deploy) holds on it, instead of a project-wide registry role. */
export const REGISTRY_ADMIN_ROLE = "roles/artifactregistry.admin";

export interface RegistryGrant {
  who: string;
  member: pulumi.Input<string>;
  access: keyof typeof REGISTRY_ROLES;
}

export interface ArtifactRegistryArgs {
  project: string;
  location: string;
  repositoryId: string;
  labels: Record<string, string>;
  /** Deleting the repository deletes every image: protect it with the data. */
  protect: boolean;
  /** Versions of each image that cleanup always keeps. */
  keepRecent: number;
  /** Untagged versions are deleted after this many days. */
  untaggedDays: number;
  /** Tagged versions older than this are deleted unless they are among the keepRecent newest. */
  olderThanDays: number;
  grants: RegistryGrant[];
  /** Accounts that administer the repository (ci-deploy); `formerly` is keyed `repository`. */
  admins: Admin[];
}

const seconds = (days: number) => `${days * 86_400}s`;

/**
 * The group's Docker repository. Cleanup policies really delete (dry run off): a KEEP rule alone deletes
 * nothing, so DELETE rules for untagged and old versions come with a KEEP rule for the newest versions.
 */
export class ArtifactRegistry extends pulumi.ComponentResource {
  readonly repository: gcp.artifactregistry.Repository;
  /** Registry host, REGION-docker.pkg.dev: what Docker logs in to. */
  readonly host: string;
  /** Prefix of every image: REGION-docker.pkg.dev/PROJECT/REPO. */
  readonly imagePrefix: pulumi.Output<string>;
  readonly grants: gcp.artifactregistry.RepositoryIamMember[];

  constructor(name: string, args: ArtifactRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:registry:ArtifactRegistry", name, {}, opts);
    const child = { parent: this, dependsOn: opts?.dependsOn };
    this.repository = new gcp.artifactregistry.Repository(
      `${name}-repository`,
      {
        project: args.project,
        location: args.location,
        repositoryId: args.repositoryId,
        format: "DOCKER",
        description: "Images built and run by the mlops stack",
        labels: args.labels,
        cleanupPolicyDryRun: false,
        cleanupPolicies: [
          { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: seconds(args.untaggedDays) } },
          { id: "delete-old", action: "DELETE", condition: { tagState: "ANY", olderThan: seconds(args.olderThanDays) } },
          { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: args.keepRecent } },
        ],
      },
      { ...child, protect: args.protect },
    );
    this.grants = args.grants.map(
      (grant) =>
        new gcp.artifactregistry.RepositoryIamMember(
          `${name}-${grant.who}-${grant.access}`,
          {
            project: args.project,
            location: args.location,
            repository: this.repository.repositoryId,
            role: REGISTRY_ROLES[grant.access],
            member: grant.member,
          },
          child,
        ),
    );
    for (const admin of args.admins) {
      new gcp.artifactregistry.RepositoryIamMember(
        `${name}-${admin.who}-admin`,
        { project: args.project, location: args.location, repository: this.repository.repositoryId, role: REGISTRY_ADMIN_ROLE, member: admin.member },
        adminOptions(child, this.repository, args.protect, admin, "repository"),
      );
    }
    this.host = `${args.location}-docker.pkg.dev`;
    this.imagePrefix = pulumi.interpolate`${this.host}/${args.project}/${this.repository.repositoryId}`;
    this.registerOutputs({ imagePrefix: this.imagePrefix });
  }
}
