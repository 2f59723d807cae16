import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import type { ImageSource } from "../config";

export interface ContainerImageArgs {
  /** Build from a context in the project, or a prebuilt reference. */
  source: ImageSource;
  /** Image name inside the repository, e.g. "trainer". */
  name: string;
  /** The group's repository: REGION-docker.pkg.dev/PROJECT/REPO. */
  repositoryUrl: pulumi.Input<string>;
  /** Registry host the access token logs in to, REGION-docker.pkg.dev. */
  registryServer: string;
  /** A short-lived OAuth token of whoever runs `pulumi up`; Artifact Registry accepts it as a password. */
  accessToken: pulumi.Input<string>;
  /** Provider used to look up prebuilt images (carries Artifact Registry credentials). */
  provider?: docker.Provider;
}

const digestOf = (ref: string) => /@sha256:[a-f0-9]{64}$/.test(ref);
const withoutTag = (ref: string) => ref.replace(/@sha256:.*$/, "").replace(/:[^/:]+$/, "");

/**
 * An image pinned by digest: built from the project and pushed to the group's Artifact Registry, or a
 * prebuilt reference whose tag is resolved to the digest it points at now. What runs is always
 * `name@sha256:…`, so every environment can be reproduced.
 */
export class ContainerImage extends pulumi.ComponentResource {
  /** `name@sha256:…` */
  readonly ref: pulumi.Output<string>;

  constructor(name: string, args: ContainerImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:images:ContainerImage", name, {}, opts);
    const source = args.source;
    if ("build" in source) {
      const image = new docker.Image(
        `${name}-image`,
        {
          imageName: pulumi.interpolate`${args.repositoryUrl}/${args.name}:latest`,
          build: {
            // Relative to the Pulumi project, where `pulumi up` runs.
            context: source.build,
            dockerfile: source.dockerfile ?? path.posix.join(source.build, "Dockerfile"),
            platform: "linux/amd64",
            args: source.buildArgs,
          },
          registry: { server: args.registryServer, username: "oauth2accesstoken", password: pulumi.secret(args.accessToken) },
          // Building needs a Docker engine; previews (pull requests) must not.
          buildOnPreview: false,
        },
        { parent: this, dependsOn: opts?.dependsOn },
      );
      this.ref = image.repoDigest;
    } else if (digestOf(source.ref)) {
      this.ref = pulumi.output(source.ref);
    } else {
      const found = docker.getRegistryImageOutput({ name: source.ref }, { parent: this, provider: args.provider });
      this.ref = pulumi.interpolate`${withoutTag(source.ref)}@${found.sha256Digest}`;
    }
    this.registerOutputs({ ref: this.ref });
  }
}
