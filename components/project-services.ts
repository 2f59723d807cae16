import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";

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
    deployRoles: ["roles/storage.admin"],
    previewRoles: ["roles/storage.bucketViewer"],
  },
  artifactregistry: {
    api: "artifactregistry.googleapis.com",
    why: "the Docker repository for the group's images",
    deployRoles: ["roles/artifactregistry.admin"],
    previewRoles: ["roles/artifactregistry.reader"],
  },
  iam: {
    api: "iam.googleapis.com",
    why: "one service account per workload, workload identity pools",
    deployRoles: ["roles/iam.serviceAccountAdmin", "roles/iam.workloadIdentityPoolAdmin"],
    previewRoles: ["roles/iam.serviceAccountViewer", "roles/iam.workloadIdentityPoolViewer"],
  },
  cloudresourcemanager: {
    api: "cloudresourcemanager.googleapis.com",
    why: "project-level role grants",
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
    deployRoles: ["roles/secretmanager.admin"],
    previewRoles: ["roles/secretmanager.viewer"],
  },
  compute: {
    api: "compute.googleapis.com",
    why: "the training VM",
    deployRoles: ["roles/compute.instanceAdmin.v1"],
    previewRoles: ["roles/compute.viewer"],
  },
  aiplatform: {
    api: "aiplatform.googleapis.com",
    why: "Vertex AI custom training jobs",
    deployRoles: ["roles/aiplatform.user"],
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
  billingbudgets: {
    api: "billingbudgets.googleapis.com",
    why: "the optional billing budget",
    deployRoles: [],
    previewRoles: [],
  },
} as const satisfies Record<string, { api: string; why: string; deployRoles: readonly string[]; previewRoles: readonly string[] }>;

export type ApiName = keyof typeof APIS;

/** Exactly the APIs a config needs: the always-present data and identity layer, plus what its options use. */
export function requiredApis(config: StackConfig): ApiName[] {
  const apis: ApiName[] = ["serviceusage", "storage", "artifactregistry", "iam", "cloudresourcemanager"];
  if (config.github) apis.push("iamcredentials", "sts");
  if (config.secrets.length || config.services.some((s) => s.metrics)) apis.push("secretmanager");
  if (config.training?.kind === "vm") apis.push("compute");
  if (config.training?.kind === "vertex") apis.push("aiplatform");
  if (config.services.length) apis.push("run");
  if (config.services.length || config.training?.kind === "vm" || config.alerts.emails.length) apis.push("monitoring");
  if (config.budget) apis.push("billingbudgets");
  return apis;
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

  constructor(name: string, args: ProjectServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:project:Services", name, {}, opts);
    for (const api of args.apis) {
      this.services[api] = new gcp.projects.Service(
        `${name}-${api}`,
        { project: args.project, service: APIS[api].api, disableOnDestroy: false, disableDependentServices: false },
        { parent: this },
      );
    }
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
}
