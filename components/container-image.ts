import * as docker from "@pulumi/docker";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";

/** Build from a context in the project (paths relative to it), or a prebuilt reference by tag or digest. */
export type ImageSource = { build: string; dockerfile?: string; buildArgs?: Record<string, string> } | { ref: string };

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

export interface RegistryImagesArgs {
  /** Registry host, REGION-docker.pkg.dev. */
  registryHost: string;
  /** The group's repository: REGION-docker.pkg.dev/PROJECT/REPO. */
  repositoryUrl: pulumi.Input<string>;
  /** The registry (its repository and grants): builds push to it, so every image waits for it. */
  registry: pulumi.Resource;
}

/** Makes one ContainerImage (`image-KEY`) per call, all pushed to or looked up with the group's registry. */
export type ImageFactory = (key: string, source: ImageSource) => ContainerImage;

/**
 * Images of one registry. The registry credentials of whoever runs `pulumi up` (a token and a Docker
 * provider carrying it) are made with the first image, so a stack without images has none.
 */
export function registryImages(args: RegistryImagesArgs): ImageFactory {
  let access: { token: pulumi.Output<string>; provider: docker.Provider } | undefined;
  return (key, source) => {
    access ??= registryAccess(args.registryHost);
    return new ContainerImage(
      `image-${key}`,
      {
        source,
        name: key,
        repositoryUrl: args.repositoryUrl,
        registryServer: args.registryHost,
        accessToken: access.token,
        provider: access.provider,
      },
      { dependsOn: [args.registry] },
    );
  };
}

function registryAccess(registryHost: string): { token: pulumi.Output<string>; provider: docker.Provider } {
  const token = gcp.organizations.getClientConfigOutput().accessToken;
  const provider = new docker.Provider("docker", {
    registryAuth: [{ address: registryHost, username: "oauth2accesstoken", password: pulumi.secret(token) }],
  });
  return { token, provider };
}
