import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/**
 * The Google APIs the stack can use, by short name: why the stack enables each, and the roles that let the
 * CI accounts manage (deploy) or read (preview) what the stack creates with it, so CI rights follow the APIs.
 */
export const APIS = {
  serviceusage: {
    api: "serviceusage.googleapis.com",
    why: "enabling the other APIs",
    deployRoles: ["roles/serviceusage.serviceUsageAdmin"],
    previewRoles: ["roles/serviceusage.serviceUsageViewer"],
  },
  storage: {
    api: "storage.googleapis.com",
    why: "buckets for data, models and predictions",
    // ci-deploy manages the stack's own buckets, granted on each (GithubCi.manage); never the state bucket.
    deployRoles: [],
    previewRoles: ["roles/storage.bucketViewer"],
  },
  artifactregistry: {
    api: "artifactregistry.googleapis.com",
    why: "the Docker repository for the group's images",
    deployRoles: [],
    previewRoles: ["roles/artifactregistry.reader"],
  },
  iam: {
    api: "iam.googleapis.com",
    why: "one service account per workload, workload identity pools",
    // Creating or changing accounts and federation is bootstrap, by an Owner; CI only reads them.
    deployRoles: ["roles/iam.serviceAccountViewer", "roles/iam.workloadIdentityPoolViewer"],
    previewRoles: ["roles/iam.serviceAccountViewer", "roles/iam.workloadIdentityPoolViewer"],
  },
  cloudresourcemanager: {
    api: "cloudresourcemanager.googleapis.com",
    why: "project-level role grants",
    // Granted under conditions that limit it to the package's fixed list of runtime roles (GRANTABLE_ROLES).
    deployRoles: ["roles/resourcemanager.projectIamAdmin"],
    previewRoles: ["roles/iam.securityReviewer"],
  },
  iamcredentials: {
    api: "iamcredentials.googleapis.com",
    why: "GitHub Actions impersonating the CI accounts",
    deployRoles: [],
    previewRoles: [],
  },
  sts: { api: "sts.googleapis.com", why: "exchanging GitHub's OIDC token for a Google token", deployRoles: [], previewRoles: [] },
  secretmanager: {
    api: "secretmanager.googleapis.com",
    why: "the group's secrets (API keys) in Secret Manager",
    deployRoles: [],
    previewRoles: ["roles/secretmanager.viewer"],
  },
  compute: {
    api: "compute.googleapis.com",
    why: "the training network and the VMs Batch creates for runs",
    deployRoles: ["roles/compute.networkAdmin"],
    previewRoles: ["roles/compute.viewer"],
  },
  batch: {
    api: "batch.googleapis.com",
    why: "training runs: one Cloud Batch job per run",
    // Runs are submitted by ci-train (a custom role, GithubCi); pulumi up creates no Batch resource.
    deployRoles: [],
    previewRoles: ["roles/batch.jobsViewer"],
  },
  logging: {
    api: "logging.googleapis.com",
    why: "the training runs' logs (Batch sends the container's output to Cloud Logging)",
    deployRoles: [],
    previewRoles: [],
  },
  aiplatform: {
    api: "aiplatform.googleapis.com",
    why: "Vertex AI custom training jobs",
    // Jobs are submitted by ci-train (a custom role, GithubCi): aiplatform.user would let ci-deploy submit a
    // job without a service account, which runs as Vertex AI's Custom Code Service Agent.
    deployRoles: [],
    previewRoles: ["roles/aiplatform.viewer"],
  },
  run: {
    api: "run.googleapis.com",
    why: "the Cloud Run services",
    deployRoles: ["roles/run.admin"],
    previewRoles: ["roles/run.viewer"],
  },
  monitoring: {
    api: "monitoring.googleapis.com",
    why: "alert policies, uptime checks, the dashboard and Managed Prometheus",
    deployRoles: ["roles/monitoring.editor"],
    previewRoles: ["roles/monitoring.viewer"],
  },
  pubsub: {
    api: "pubsub.googleapis.com",
    why: "the credit guard: budget notifications pushed to its service",
    // The topic's publisher grant (billing's) is an IAM policy on the topic: pubsub.admin on the project.
    deployRoles: ["roles/pubsub.admin"],
    previewRoles: ["roles/pubsub.viewer"],
  },
  billingbudgets: {
    api: "billingbudgets.googleapis.com",
    why: "the optional billing budget",
    deployRoles: [],
    previewRoles: [],
  },
} as const satisfies Record<string, { api: string; why: string; deployRoles: readonly string[]; previewRoles: readonly string[] }>;

export type ApiName = keyof typeof APIS;

/** The APIs the provider needs to enable and read any other: enabled first, the others after them. */
export const FOUNDATION_APIS: readonly ApiName[] = ["serviceusage", "cloudresourcemanager"];

/** What a stack uses, as far as the APIs it needs depend on it. */
export interface ApiFeatures {
  /** GitHub Actions deploys through Workload Identity Federation. */
  githubCi: boolean;
  /** Secrets in Secret Manager: the group's own, or a metrics collector's config. */
  secrets: boolean;
  /** At least one Cloud Run service. */
  services: boolean;
  /** Where training runs, if the stack trains. */
  training?: "vm" | "vertex";
  /** Alerts are mailed to someone. */
  alertEmails: boolean;
  budget: boolean;
  /** The credit guard (mlops:budget.stopAt): a topic, a push subscription and a Cloud Run service. */
  creditGuard?: boolean;
}

/** The APIs every stack enables, whatever its stack file says. */
export const ALWAYS_APIS: readonly ApiName[] = ["serviceusage", "storage", "artifactregistry", "iam", "cloudresourcemanager"];

/** Exactly the APIs a stack needs: the always-present data and identity layer, plus what its features use. */
export function requiredApis(features: ApiFeatures): ApiName[] {
  const apis: ApiName[] = [...ALWAYS_APIS];
  if (features.githubCi) apis.push("iamcredentials", "sts");
  if (features.secrets) apis.push("secretmanager");
  if (features.training === "vm") apis.push("compute", "batch", "logging");
  if (features.training === "vertex") apis.push("aiplatform");
  if (features.services || features.creditGuard) apis.push("run");
  if (features.services || features.alertEmails) apis.push("monitoring");
  if (features.budget) apis.push("billingbudgets");
  // The guard's trip alert matches a log entry (Cloud Logging); Batch training enables the API already.
  if (features.creditGuard) apis.push("pubsub", "logging");
  return [...new Set(apis)];
}

/** Project roles of the CI accounts: what lets them read (preview) or manage (deploy) what these APIs create. */
export function ciRoles(apis: ApiName[]): { previewRoles: string[]; deployRoles: string[] } {
  return {
    previewRoles: [...new Set(apis.flatMap((a) => APIS[a].previewRoles))],
    deployRoles: [...new Set(apis.flatMap((a) => APIS[a].deployRoles))],
  };
}

export interface ProjectServicesArgs {
  project: string;
  /** Short names of the APIs to enable (keys of APIS). */
  apis: ApiName[];
}

/**
 * Enables the project's APIs. They stay enabled on destroy (`disableOnDestroy: false`): disabling an API
 * can break resources that other tools created, and re-enabling is slow.
 */
export class ProjectServices extends pulumi.ComponentResource {
  readonly services: Partial<Record<ApiName, gcp.projects.Service>> = {};
  readonly enabled: ApiName[];

  constructor(name: string, args: ProjectServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:project:Services", name, {}, opts);
    this.enabled = args.apis;
    const enable = (api: ApiName, dependsOn: pulumi.Resource[]) =>
      (this.services[api] = new gcp.projects.Service(
        `${name}-${api}`,
        { project: args.project, service: APIS[api].api, disableOnDestroy: false, disableDependentServices: false },
        { parent: this, dependsOn },
      ));
    // The provider enables an API through Service Usage and reads it back through Cloud Resource Manager, so
    // every other API waits for both (terraform-provider-google#6101, k8s-config-connector#135).
    const base = FOUNDATION_APIS.filter((api) => args.apis.includes(api)).map((api) => enable(api, []));
    for (const api of args.apis.filter((a) => !FOUNDATION_APIS.includes(a))) enable(api, base);
    this.registerOutputs({ enabled: args.apis.map((a) => APIS[a].api) });
  }

  /** The enabled services a resource must wait for, so it never meets "API has not been used in project". */
  need(...apis: ApiName[]): pulumi.Resource[] {
    return apis.map((api) => {
      const service = this.services[api];
      if (!service) throw new Error(`API ${api} is used but not enabled; add it to requiredApis`);
      return service;
    });
  }

  /** Like need, for APIs a resource uses only when the stack enables them anyway. */
  needIfEnabled(...apis: ApiName[]): pulumi.Resource[] {
    return this.need(...apis.filter((api) => this.services[api]));
  }
}
