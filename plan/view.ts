/**
 * What a reviewer needs from a plan, by workload rather than by resource: each service's port, reach,
 * callers, env names (never values), bucket access and image; training; the buckets and registry with who
 * reads and writes them; the CI identities and their roles. The text view and the HTML page both draw it.
 */
import type { Access, BucketName } from "../components/storage";
import { BUCKETS, CI_WORKLOADS, type StackConfig } from "../config";
import { bucketEnvName } from "../lib/wiring";
import type { Plan, PlannedResource } from "./record";

export interface ServiceView {
  key: string;
  name: string;
  port: number;
  public: boolean;
  /** Workloads allowed to invoke a private service. */
  callers: string[];
  /** Names of plain env variables, then of secrets (values are never shown). */
  env: string[];
  secrets: string[];
  /** The services this one calls: those whose URL its env refers to. */
  calls: string[];
  image: string;
}

export interface Grant {
  workload: string;
  target: string;
  access: Access;
}

/** The resource a grant is on: the input that names it, by IAM resource type. */
export const GRANTED_ON: Record<string, string> = {
  "gcp:projects/iAMMember:IAMMember": "project",
  "gcp:storage/bucketIAMMember:BucketIAMMember": "bucket",
  "gcp:serviceaccount/iAMMember:IAMMember": "serviceAccountId",
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": "repository",
  "gcp:secretmanager/secretIamMember:SecretIamMember": "secretId",
  "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": "name",
  "gcp:pubsub/topicIAMMember:TopicIAMMember": "topic",
};

/** Every grant to `member` in a plan, as `role on KIND RESOURCE [if CONDITION]`. */
export function grantsTo(plan: Plan, member: string): string[] {
  const custom = new Map(
    plan.resources
      .filter((r) => r.type === "gcp:projects/iAMCustomRole:IAMCustomRole")
      .map((r) => [`projects/${str(r.inputs.project)}/roles/${str(r.inputs.roleId)}`, (r.inputs.permissions as string[] | undefined) ?? []]),
  );
  const permissions = (role: string) => (custom.has(role) ? ` (${custom.get(role)!.join(", ")})` : "");
  return plan.resources
    .filter((r) => r.type in GRANTED_ON && r.inputs.member === member)
    .map((r) => {
      const condition = r.inputs.condition as { title?: string } | undefined;
      return `${str(r.inputs.role)}${permissions(str(r.inputs.role))} on ${r.type.split(":")[1].split("/")[0]} ${str(r.inputs[GRANTED_ON[r.type]])}${condition ? ` if ${condition.title}` : ""}`;
    })
    .sort();
}

export interface StackView {
  stack: string;
  project: string;
  region: string;
  services: ServiceView[];
  training?: { kind: string; machine: string; image: string; env: string[]; secrets: string[]; args: string[] };
  buckets: Array<{ key: BucketName; name: string }>;
  registry?: string;
  /** Who reads and writes each bucket (`bucket:KEY`) and the registry (`registry`), from the planned IAM. */
  grants: Grant[];
  ci: Array<{ workload: string; email: string; roles: string[] }>;
  github?: string;
  /** The credit guard: what it does at the cap, its service and the grants of its two accounts. */
  guard?: { atTheCap: string; service: string; accounts: Array<{ who: string; email: string; grants: string[] }> };
}

const T = {
  bucket: "gcp:storage/bucket:Bucket",
  bucketIam: "gcp:storage/bucketIAMMember:BucketIAMMember",
  repo: "gcp:artifactregistry/repository:Repository",
  repoIam: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
  projectIam: "gcp:projects/iAMMember:IAMMember",
  run: "gcp:cloudrunv2/service:Service",
};

const READ_ROLES = /objectViewer|\.reader$|bucketViewer/;
const str = (v: unknown): string => (typeof v === "string" ? v : "");

export function stackView(plan: Plan, config: StackConfig): StackView {
  const of = (type: string): PlannedResource[] => plan.resources.filter((r) => r.type === type);
  const workloadOf = new Map([...config.workloads, ...CI_WORKLOADS].map((w) => [`serviceAccount:${config.names.serviceAccountEmail(w)}`, w]));
  const buckets = of(T.bucket).flatMap((r) => {
    const key = BUCKETS.find((b) => r.name.endsWith(`-${b}`));
    return key ? [{ key, name: str(r.inputs.name) }] : [];
  });
  const bucketKey = new Map(buckets.map((b) => [b.name, b.key]));
  const grant = (r: PlannedResource, target: string | undefined): Grant[] => {
    const workload = workloadOf.get(str(r.inputs.member));
    return workload && target ? [{ workload, target, access: READ_ROLES.test(str(r.inputs.role)) ? "read" : "write" }] : [];
  };
  const ciRoles = (w: string): string[] =>
    of(T.projectIam)
      .filter((r) => workloadOf.get(str(r.inputs.member)) === w)
      .map((r) => str(r.inputs.role))
      .sort();
  const grants = [
    ...of(T.bucketIam).flatMap((r) => grant(r, bucketKey.has(str(r.inputs.bucket)) ? `bucket:${bucketKey.get(str(r.inputs.bucket))}` : undefined)),
    ...of(T.repoIam).flatMap((r) => grant(r, "registry")),
    ...CI_WORKLOADS.filter((w) => ciRoles(w).some((role) => /artifactregistry\.(admin|writer)/.test(role))).map((w): Grant => ({
      workload: w,
      target: "registry",
      access: "write",
    })),
  ];
  const container = (name: string) =>
    (
      of(T.run).find((x) => x.inputs.name === name)?.inputs.template as
        { containers?: Array<{ image?: string; envs?: Array<{ name: string; valueSource?: unknown }> }> } | undefined
    )?.containers?.[0];
  const runImage = (name: string): string => str(container(name)?.image) || "[built at deploy]";
  // What the container really gets (the stack adds <NAME>_BUCKET), not only what the stack file lists.
  const plainEnv = (name: string, fallback: string[]) => {
    const envs = container(name)?.envs;
    return envs
      ? envs
          .filter((e) => e.valueSource === undefined)
          .map((e) => e.name)
          .sort()
      : fallback;
  };
  const t = config.training;
  const trainingImage = str(plan.outputs.trainingImage) || (t && "ref" in t.image ? t.image.ref : "[built at deploy]");
  return {
    stack: plan.stack,
    project: config.project,
    region: config.region,
    services: config.services.map((s) => ({
      key: s.key,
      name: s.name,
      port: s.port,
      public: s.public,
      callers: s.public ? [] : s.callers,
      env: plainEnv(s.name, Object.keys(s.env).sort()),
      secrets: [...s.secrets].sort(),
      calls: s.calls,
      image: runImage(s.name),
    })),
    training: t && {
      kind: t.kind,
      machine: `${t.machineType}${t.gpu ? ` + ${t.gpu.count}× ${t.gpu.type}` : ""}${t.spot ? " (spot)" : ""}`,
      image: trainingImage,
      env: [...Object.keys(t.env), ...Object.keys(t.buckets).map(bucketEnvName)].sort(),
      secrets: [...t.secrets].sort(),
      args: t.args,
    },
    buckets,
    registry: of(T.repo).map((r) => str(r.inputs.repositoryId))[0],
    grants,
    ci: config.github ? CI_WORKLOADS.map((w) => ({ workload: w, email: config.names.serviceAccountEmail(w), roles: ciRoles(w) })) : [],
    github: config.github && `${config.github.repository} (branch ${config.github.branch})`,
    guard: guardView(plan),
  };
}

function guardView(plan: Plan): StackView["guard"] {
  const out = plan.outputs.creditGuard as { atTheCap?: string; service?: string; runtimeAccount?: string; pushAccount?: string } | undefined;
  if (!out?.runtimeAccount || !out.pushAccount) return undefined;
  const account = (who: string, email: string) => ({ who, email, grants: grantsTo(plan, `serviceAccount:${email}`) });
  return { atTheCap: out.atTheCap ?? "", service: out.service ?? "", accounts: [account("guard", out.runtimeAccount), account("push", out.pushAccount)] };
}

/** "read: a, b; write: c" for a target, from the grants. */
export function accessOf(view: StackView, target: string): string {
  const who = (access: Access) => view.grants.filter((g) => g.target === target && g.access === access).map((g) => g.workload);
  return `read: ${who("read").join(", ") || "-"}; write: ${who("write").join(", ") || "-"}`;
}

/** "models read, predictions write" for a workload. */
export function grantsOf(view: StackView, workload: string): string {
  return (
    view.grants
      .filter((g) => g.workload === workload)
      .map((g) => `${g.target.replace(/^bucket:/, "")} ${g.access}`)
      .join(", ") || "none"
  );
}
