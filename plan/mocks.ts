/**
 * The one mock of Google Cloud used by every test and by `npm run plan`: for each resource type the program
 * creates it returns what GCP (or the provider) computes, and it answers the invokes the program makes.
 * Values are derived from the stack, project and logical name, so plans are deterministic.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { serviceAccountEmail } from "../lib/gcp";

type State = Record<string, unknown>;

/** A deterministic stand-in for the project number Google assigns to a project id. */
function projectNumber(project: string): string {
  const digits = BigInt(`0x${sha(project).slice(0, 12)}`)
    .toString()
    .padStart(12, "1");
  return digits.slice(0, 12);
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A fake but well-formed image digest for an image reference. */
function fakeDigest(ref: string): string {
  return `sha256:${sha(ref)}`;
}

export interface MockContext {
  stack: string;
  project: string;
  region: string;
  /** Names of the objects every bucket holds, for getBucketObjects (none unless a test says so). */
  bucketObjects?: string[];
  /** Plan as `pulumi preview` does (a dry run) rather than as `pulumi up`, the default. */
  preview?: boolean;
}

type Computer = (inputs: State, name: string, ctx: MockContext) => { id: string; state: State };

const at = (inputs: State, key: string, fallback: string): string => (inputs[key] as string | undefined) ?? fallback;

/** What GCP computes, by resource type. Types not listed echo their inputs with a name-based id. */
const COMPUTED: Record<string, Computer> = {
  "random:index/randomId:RandomId": (inputs, name, ctx) => {
    const bytes = Buffer.from(sha(`${ctx.stack}/${name}`), "hex").subarray(0, Number(inputs.byteLength ?? 4));
    const b64Url = bytes.toString("base64url");
    return {
      id: b64Url,
      state: { hex: bytes.toString("hex"), b64Url, b64Std: bytes.toString("base64"), dec: BigInt(`0x${bytes.toString("hex")}`).toString() },
    };
  },
  "gcp:projects/service:Service": (inputs, _name, ctx) => ({
    id: `${at(inputs, "project", ctx.project)}/${String(inputs.service)}`,
    state: { project: at(inputs, "project", ctx.project) },
  }),
  "gcp:storage/bucket:Bucket": (inputs, name) => {
    const bucket = at(inputs, "name", name);
    return { id: bucket, state: { url: `gs://${bucket}`, selfLink: `https://www.googleapis.com/storage/v1/b/${bucket}` } };
  },
  "gcp:serviceaccount/account:Account": (inputs, _name, ctx) => {
    const project = at(inputs, "project", ctx.project);
    const email = serviceAccountEmail(String(inputs.accountId), project);
    return {
      id: `projects/${project}/serviceAccounts/${email}`,
      state: { email, member: `serviceAccount:${email}`, name: `projects/${project}/serviceAccounts/${email}`, uniqueId: projectNumber(email) },
    };
  },
  "gcp:projects/iAMCustomRole:IAMCustomRole": (inputs, _name, ctx) => {
    const name = `projects/${at(inputs, "project", ctx.project)}/roles/${String(inputs.roleId)}`;
    return { id: name, state: { name, deleted: false, stage: "GA" } };
  },
  "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": (inputs, _name, ctx) => {
    const name = `projects/${projectNumber(at(inputs, "project", ctx.project))}/locations/global/workloadIdentityPools/${String(inputs.workloadIdentityPoolId)}`;
    return { id: name, state: { name, state: "ACTIVE" } };
  },
  "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": (inputs, _name, ctx) => {
    const name = `projects/${projectNumber(at(inputs, "project", ctx.project))}/locations/global/workloadIdentityPools/${String(inputs.workloadIdentityPoolId)}/providers/${String(inputs.workloadIdentityPoolProviderId)}`;
    return { id: name, state: { name, state: "ACTIVE" } };
  },
  "gcp:artifactregistry/repository:Repository": (inputs, _name, ctx) => {
    const project = at(inputs, "project", ctx.project);
    const location = at(inputs, "location", ctx.region);
    const name = `projects/${project}/locations/${location}/repositories/${String(inputs.repositoryId)}`;
    return { id: name, state: { name, registryUri: `${location}-docker.pkg.dev/${project}/${String(inputs.repositoryId)}` } };
  },
  "gcp:secretmanager/secret:Secret": (inputs, _name, ctx) => {
    const name = `projects/${projectNumber(at(inputs, "project", ctx.project))}/secrets/${String(inputs.secretId)}`;
    return { id: name, state: { name } };
  },
  "gcp:secretmanager/secretVersion:SecretVersion": (inputs) => {
    const name = `${String(inputs.secret)}/versions/1`;
    return { id: name, state: { name, version: "1" } };
  },
  "gcp:cloudrunv2/service:Service": (inputs, name, ctx) => {
    const service = at(inputs, "name", name);
    const hash = sha(`${ctx.project}/${service}`).slice(0, 10);
    const uri = `https://${service}-${hash}-${regionCode(at(inputs, "location", ctx.region))}.a.run.app`;
    return { id: `projects/${ctx.project}/locations/${at(inputs, "location", ctx.region)}/services/${service}`, state: { uri, urls: [uri] } };
  },
  "gcp:monitoring/notificationChannel:NotificationChannel": (_inputs, name, ctx) => {
    const id = projectNumber(`${ctx.project}/channel/${name}`);
    return { id: `projects/${ctx.project}/notificationChannels/${id}`, state: { name: `projects/${ctx.project}/notificationChannels/${id}` } };
  },
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": (inputs, name, ctx) => {
    const uptimeCheckId = `${String(inputs.displayName ?? name)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")}-${sha(name).slice(0, 8)}`;
    return {
      id: `projects/${ctx.project}/uptimeCheckConfigs/${uptimeCheckId}`,
      state: { uptimeCheckId, name: `projects/${ctx.project}/uptimeCheckConfigs/${uptimeCheckId}` },
    };
  },
  "gcp:monitoring/alertPolicy:AlertPolicy": (_inputs, name, ctx) => {
    const id = projectNumber(`${ctx.project}/policy/${name}`);
    return { id: `projects/${ctx.project}/alertPolicies/${id}`, state: { name: `projects/${ctx.project}/alertPolicies/${id}` } };
  },
  "gcp:monitoring/dashboard:Dashboard": (inputs, name, ctx) => {
    const h = sha(`${ctx.project}/dashboard/${name}`);
    const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    return { id: `projects/${projectNumber(at(inputs, "project", ctx.project))}/dashboards/${id}`, state: {} };
  },
  "gcp:billing/budget:Budget": (inputs, name) => {
    const id = sha(name).slice(0, 36);
    return {
      id: `billingAccounts/${String(inputs.billingAccount)}/budgets/${id}`,
      state: { name: `billingAccounts/${String(inputs.billingAccount)}/budgets/${id}` },
    };
  },
  "gcp:pubsub/topic:Topic": (inputs, name, ctx) => {
    const id = `projects/${at(inputs, "project", ctx.project)}/topics/${at(inputs, "name", name)}`;
    return { id, state: { name: at(inputs, "name", name) } };
  },
  "gcp:pubsub/subscription:Subscription": (inputs, name, ctx) => {
    const id = `projects/${at(inputs, "project", ctx.project)}/subscriptions/${at(inputs, "name", name)}`;
    return { id, state: { name: at(inputs, "name", name) } };
  },
  "docker:index/image:Image": (inputs) => {
    const imageName = String(inputs.imageName);
    const repo = imageName.replace(/:[^/:]+$/, "");
    return { id: `${repo}@${fakeDigest(imageName)}`, state: { repoDigest: `${repo}@${fakeDigest(imageName)}` } };
  },
};

/** Cloud Run's short region code in service URLs, e.g. europe-west1 → ew. */
function regionCode(region: string): string {
  return region
    .split("-")
    .map((part) => part[0])
    .join("");
}

/** The mocks for one stack. */
export function gcpMocks(ctx: MockContext): pulumi.runtime.Mocks {
  return {
    newResource(args) {
      const compute = COMPUTED[args.type];
      const computed = compute ? compute(args.inputs as State, args.name, ctx) : { id: `${args.name}-id`, state: {} };
      return { id: computed.id, state: { ...args.inputs, ...computed.state } };
    },
    call(args) {
      const inputs = args.inputs as State;
      switch (args.token) {
        case "gcp:organizations/getProject:getProject": {
          const project = at(inputs, "projectId", ctx.project);
          return { projectId: project, number: projectNumber(project), name: project, id: `projects/${project}` };
        }
        case "gcp:organizations/getClientConfig:getClientConfig":
          return { accessToken: "mock-access-token", project: ctx.project, region: ctx.region, zone: `${ctx.region}-b`, id: "client" };
        case "gcp:storage/getBucketObjects:getBucketObjects": {
          const bucket = String(inputs.bucket);
          const prefix = at(inputs, "prefix", "");
          const names = (ctx.bucketObjects ?? []).filter((n) => n.startsWith(prefix));
          return {
            bucket,
            prefix,
            id: bucket,
            bucketObjects: names.map((n) => ({
              name: n,
              contentType: "application/json",
              storageClass: "STANDARD",
              mediaLink: `https://storage.googleapis.com/download/storage/v1/b/${bucket}/o/${encodeURIComponent(n)}?alt=media`,
              selfLink: `https://www.googleapis.com/storage/v1/b/${bucket}/o/${encodeURIComponent(n)}`,
            })),
          };
        }
        case "docker:index/getRegistryImage:getRegistryImage": {
          const name = String(inputs.name);
          return { name, sha256Digest: fakeDigest(name), id: name };
        }
        default:
          throw new Error(`the mock does not answer invoke ${args.token}; add it to plan/mocks.ts`);
      }
    },
  };
}
