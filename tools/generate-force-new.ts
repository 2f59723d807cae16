/**
 * Writes lib/catalog/force-new.json: per resource type the stack registers, the inputs whose change makes
 * Pulumi replace the resource, read from the provider source at a pinned tag of a local git mirror:
 *
 *   npx tsx tools/generate-force-new.ts \
 *     --provider /work/.mirror/hashicorp+terraform-provider-google-beta/repo --tag v7.45.0 \
 *     --pulumi-gcp /work/.mirror/pulumi+pulumi-gcp/repo --pulumi-gcp-tag v9.35.0 \
 *     --random /work/.mirror/hashicorp+terraform-provider-random/repo --random-tag v3.9.0
 *
 * pulumi-gcp bridges terraform-provider-google-beta (its `upstream` submodule); the generator checks that the
 * pulumi-gcp tag's submodule commit is the provider tag's commit, and reads DeleteBeforeReplace from its
 * provider/resources.go. A field is ForceNew in the Go schema (SDKv2: `ForceNew: true`, nested blocks through
 * `Elem: &schema.Resource{Schema: …}`); CustomizeDiff's `ForceNew("a.0.b")`/`ForceNewIfChange("a")` are listed
 * as `conditional` (replace on some changes only). What the parser cannot follow is listed as `opaque` (any
 * change under it counts as a replace) or, for a whole type, `unparsed` with the reason.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

const OUT = path.join(__dirname, "..", "lib", "catalog", "force-new.json");
const GENERATED = "by tools/generate-force-new.ts from the sources below; do not edit, run the generator again";

type Spec = { tf: string; file: string; func: string } | { tf: string; file: string; iamMember: string };

/** Pulumi type token → Terraform resource and where its schema is, under google-beta/. */
const GCP: Record<string, Spec> = {
  "gcp:artifactregistry/repository:Repository": {
    tf: "google_artifact_registry_repository",
    file: "services/artifactregistry/resource_artifact_registry_repository.go",
    func: "ResourceArtifactRegistryRepository",
  },
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": {
    tf: "google_artifact_registry_repository_iam_member",
    file: "services/artifactregistry/iam_artifact_registry_repository.go",
    iamMember: "ArtifactRegistryRepositoryIamSchema",
  },
  "gcp:billing/budget:Budget": {
    tf: "google_billing_budget",
    file: "services/billingbudgets/resource_billing_budget.go",
    func: "ResourceBillingBudgetsBudget",
  },
  "gcp:cloudrunv2/service:Service": {
    tf: "google_cloud_run_v2_service",
    file: "services/cloudrunv2/resource_cloud_run_v2_service.go",
    func: "ResourceCloudRunV2Service",
  },
  "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": {
    tf: "google_cloud_run_v2_service_iam_member",
    file: "services/cloudrunv2/iam_cloud_run_v2_service.go",
    iamMember: "CloudRunV2ServiceIamSchema",
  },
  "gcp:compute/network:Network": { tf: "google_compute_network", file: "services/compute/resource_compute_network.go", func: "ResourceComputeNetwork" },
  "gcp:compute/router:Router": { tf: "google_compute_router", file: "services/compute/resource_compute_router.go", func: "ResourceComputeRouter" },
  "gcp:compute/routerNat:RouterNat": {
    tf: "google_compute_router_nat",
    file: "services/compute/resource_compute_router_nat.go",
    func: "ResourceComputeRouterNat",
  },
  "gcp:compute/subnetwork:Subnetwork": {
    tf: "google_compute_subnetwork",
    file: "services/compute/resource_compute_subnetwork.go",
    func: "ResourceComputeSubnetwork",
  },
  "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": {
    tf: "google_iam_workload_identity_pool",
    file: "services/iambeta/resource_iam_workload_identity_pool.go",
    func: "ResourceIAMBetaWorkloadIdentityPool",
  },
  "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": {
    tf: "google_iam_workload_identity_pool_provider",
    file: "services/iambeta/resource_iam_workload_identity_pool_provider.go",
    func: "ResourceIAMBetaWorkloadIdentityPoolProvider",
  },
  "gcp:monitoring/alertPolicy:AlertPolicy": {
    tf: "google_monitoring_alert_policy",
    file: "services/monitoring/resource_monitoring_alert_policy.go",
    func: "ResourceMonitoringAlertPolicy",
  },
  "gcp:monitoring/dashboard:Dashboard": {
    tf: "google_monitoring_dashboard",
    file: "services/monitoring/resource_monitoring_dashboard.go",
    func: "ResourceMonitoringDashboard",
  },
  "gcp:monitoring/notificationChannel:NotificationChannel": {
    tf: "google_monitoring_notification_channel",
    file: "services/monitoring/resource_monitoring_notification_channel.go",
    func: "ResourceMonitoringNotificationChannel",
  },
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": {
    tf: "google_monitoring_uptime_check_config",
    file: "services/monitoring/resource_monitoring_uptime_check_config.go",
    func: "ResourceMonitoringUptimeCheckConfig",
  },
  "gcp:projects/iAMCustomRole:IAMCustomRole": {
    tf: "google_project_iam_custom_role",
    file: "services/resourcemanager/resource_google_project_iam_custom_role.go",
    func: "ResourceGoogleProjectIamCustomRole",
  },
  "gcp:projects/iAMMember:IAMMember": { tf: "google_project_iam_member", file: "services/resourcemanager/iam_project.go", iamMember: "IamProjectSchema" },
  "gcp:projects/service:Service": {
    tf: "google_project_service",
    file: "services/resourcemanager/resource_google_project_service.go",
    func: "ResourceGoogleProjectService",
  },
  "gcp:pubsub/subscription:Subscription": {
    tf: "google_pubsub_subscription",
    file: "services/pubsub/resource_pubsub_subscription.go",
    func: "ResourcePubsubSubscription",
  },
  "gcp:pubsub/topic:Topic": { tf: "google_pubsub_topic", file: "services/pubsub/resource_pubsub_topic.go", func: "ResourcePubsubTopic" },
  "gcp:pubsub/topicIAMMember:TopicIAMMember": {
    tf: "google_pubsub_topic_iam_member",
    file: "services/pubsub/iam_pubsub_topic.go",
    iamMember: "PubsubTopicIamSchema",
  },
  "gcp:secretmanager/secret:Secret": {
    tf: "google_secret_manager_secret",
    file: "services/secretmanager/resource_secret_manager_secret.go",
    func: "ResourceSecretManagerSecret",
  },
  "gcp:secretmanager/secretIamMember:SecretIamMember": {
    tf: "google_secret_manager_secret_iam_member",
    file: "services/secretmanager/iam_secret_manager_secret.go",
    iamMember: "SecretManagerSecretIamSchema",
  },
  "gcp:secretmanager/secretVersion:SecretVersion": {
    tf: "google_secret_manager_secret_version",
    file: "services/secretmanager/resource_secret_manager_secret_version.go",
    func: "ResourceSecretManagerSecretVersion",
  },
  "gcp:serviceaccount/account:Account": {
    tf: "google_service_account",
    file: "services/resourcemanager/resource_google_service_account.go",
    func: "ResourceGoogleServiceAccount",
  },
  "gcp:serviceaccount/iAMMember:IAMMember": {
    tf: "google_service_account_iam_member",
    file: "services/resourcemanager/iam_service_account.go",
    iamMember: "IamServiceAccountSchema",
  },
  "gcp:storage/bucket:Bucket": { tf: "google_storage_bucket", file: "services/storage/resource_storage_bucket.go", func: "ResourceStorageBucket" },
  "gcp:storage/bucketIAMMember:BucketIAMMember": {
    tf: "google_storage_bucket_iam_member",
    file: "services/storage/iam_storage_bucket.go",
    iamMember: "StorageBucketIamSchema",
  },
  "gcp:storage/bucketObject:BucketObject": {
    tf: "google_storage_bucket_object",
    file: "services/storage/resource_storage_bucket_object.go",
    func: "ResourceStorageBucketObject",
  },
};
const IAM_MEMBER_BASE = { file: "tpgiamresource/resource_iam_member.go", variable: "IamMemberBaseSchema" };
const RANDOM_ID = { type: "random:index/randomId:RandomId", tf: "random_id", file: "internal/provider/resource_id.go" };
const DOCKER_IMAGE = "docker:index/image:Image";

export interface TypeEntry {
  terraform?: string;
  file?: string;
  /** Inputs (dotted camelCase paths, list indices dropped) whose change replaces the resource. */
  forceNew?: string[];
  /** Inputs whose change replaces the resource in some cases only (CustomizeDiff); counted as a replace. */
  conditional?: string[];
  /** Nested schemas the parser could not follow: any change under them counts as a replace. */
  opaque?: string[];
  /** Pulumi deletes the old resource before creating the new one (pulumi-gcp provider/resources.go). */
  deleteBeforeReplace?: boolean;
  /** The whole type is not parsed: every input change counts as a replace. */
  unparsed?: string;
}

const camel = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["--git-dir", dir, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}

/** `src` with Go comments and string/rune literals blanked to spaces of the same length, so braces count. */
function blankLiterals(src: string): string {
  const out = src.split("");
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  while (i < src.length) {
    const c = src[i];
    if (c === "/" && src[i + 1] === "/") {
      const end = src.indexOf("\n", i);
      const stop = end < 0 ? src.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && src[i + 1] === "*") {
      const stop = src.indexOf("*/", i + 2) + 2;
      blank(i, stop);
      i = stop;
    } else if (c === "`") {
      const stop = src.indexOf("`", i + 1) + 1;
      blank(i + 1, stop - 1);
      i = stop;
    } else if (c === '"' || c === "'") {
      let k = i + 1;
      while (k < src.length && src[k] !== c) k += src[k] === "\\" ? 2 : 1;
      blank(i + 1, k);
      i = k + 1;
    } else i++;
  }
  return out.join("");
}

/** The index of the brace closing the one at `open` (in blanked source). */
function closing(blanked: string, open: number): number {
  let depth = 0;
  for (let i = open; i < blanked.length; i++) {
    if (blanked[i] === "{") depth++;
    else if (blanked[i] === "}" && --depth === 0) return i;
  }
  throw new Error(`unbalanced brace at ${open}`);
}

/** `text` (blanked) with everything inside nested braces blanked too: what is at its own top level. */
function topLevel(blanked: string): string {
  let depth = 0;
  return blanked
    .split("")
    .map((c) => {
      if (c === "{") depth++;
      const keep = depth === 0 || (depth === 1 && c === "{");
      if (c === "}") depth--;
      return keep || c === "\n" ? c : " ";
    })
    .join("");
}

interface Found {
  forceNew: string[];
  opaque: string[];
  /** Every field path of the schema. */
  all: string[];
}

/** A Go source file, and the same text with comments and literals blanked (for counting braces). */
interface GoFile {
  src: string;
  blanked: string;
}

const goFile = (src: string): GoFile => ({ src, blanked: blankLiterals(src) });

/** Finds the literal a function returns: `func Name(…) *schema.Resource|Schema {… return &schema.X{`. */
type FuncFinder = (name: string, pkg: string | undefined, kind: "Resource" | "Schema", from: GoFile) => { file: GoFile; open: number } | undefined;

function returnedLiteral(file: GoFile, name: string, kind: "Resource" | "Schema"): number | undefined {
  const m = new RegExp(`\\nfunc ${name}\\([^)]*\\) \\*schema\\.${kind} \\{`).exec(file.src);
  if (!m) return undefined;
  const bodyOpen = m.index + m[0].length - 1;
  const ret = new RegExp(`return &schema\\.${kind}\\s*\\{`).exec(file.src.slice(bodyOpen, closing(file.blanked, bodyOpen)));
  return ret ? bodyOpen + ret.index + ret[0].length - 1 : undefined;
}

/**
 * The ForceNew paths of a Go `map[string]*schema.Schema{…}` literal whose `{` is at `open`. An entry is a
 * literal `"key": {…}` or a call `"key": [pkg.]Func(…)` of a function returning `&schema.Schema{…}`.
 */
function schemaMap(file: GoFile, open: number, prefix: string, find: FuncFinder, found: Found): void {
  const close = closing(file.blanked, open);
  const top = topLevel(file.blanked.slice(open + 1, close));
  for (const m of file.src.slice(open + 1, close).matchAll(/"([a-z0-9_]+)"\s*:\s*/g)) {
    if (top[m.index!] !== '"') continue; // inside a nested literal
    const at = open + 1 + m.index! + m[0].length;
    const field = prefix + camel(m[1]);
    found.all.push(field);
    if (file.blanked[at] === "{") {
      schemaEntry(file, at, field, find, found);
      continue;
    }
    const call = /^(?:([A-Za-z_][A-Za-z0-9_]*)\.)?([A-Za-z_][A-Za-z0-9_]*)\(/.exec(file.src.slice(at, at + 200));
    const target = call ? find(call[2], call[1], "Schema", file) : undefined;
    if (target) schemaEntry(target.file, target.open, field, find, found);
    else found.opaque.push(field);
  }
}

/** One field's `{…}` schema literal: ForceNew at its own level, and its nested block's fields. */
function schemaEntry(file: GoFile, at: number, field: string, find: FuncFinder, found: Found): void {
  const end = closing(file.blanked, at);
  const bodyTop = topLevel(file.blanked.slice(at + 1, end));
  if (/\bForceNew:\s*true\b/.test(bodyTop)) found.forceNew.push(field);
  const elem = /\bElem:\s*/.exec(bodyTop);
  if (!elem) return;
  const elemAt = at + 1 + elem.index + elem[0].length;
  const rest = file.src.slice(elemAt, end);
  if (/^&schema\.Schema\s*\{/.test(rest)) return; // a list or set of scalars
  const literal = /^&schema\.Resource\s*\{/.exec(rest);
  const call = /^(?:([A-Za-z_][A-Za-z0-9_]*)\.)?([A-Za-z_][A-Za-z0-9_]*)\(/.exec(rest);
  const target = literal ? { file, open: elemAt + literal[0].length - 1 } : call ? find(call[2], call[1], "Resource", file) : undefined;
  const nested =
    target &&
    /\bSchema:\s*map\[string\]\*schema\.Schema\s*\{/.exec(topLevel(target.file.blanked.slice(target.open + 1, closing(target.file.blanked, target.open))));
  if (!target || !nested) {
    found.opaque.push(field);
    return;
  }
  schemaMap(target.file, target.open + 1 + nested.index + nested[0].length - 1, `${field}.`, find, found);
}

/** The ForceNew paths of a resource function's top-level `Schema: map…{`, and its CustomizeDiff ForceNews. */
function parseResource(file: GoFile, func: string, find: FuncFinder): Found & { conditional: string[] } {
  const open = returnedLiteral(file, func, "Resource");
  if (open === undefined) throw new Error(`func ${func}() *schema.Resource not found`);
  const top = topLevel(file.blanked.slice(open + 1, closing(file.blanked, open)));
  const schemaAt = /\bSchema:\s*map\[string\]\*schema\.Schema\s*\{/.exec(top);
  if (!schemaAt) throw new Error(`${func}: no literal Schema map`);
  const found: Found = { forceNew: [], opaque: [], all: [] };
  schemaMap(file, open + 1 + schemaAt.index + schemaAt[0].length - 1, "", find, found);
  // CustomizeDiff may still name a field the schema no longer has (secret's replication.automatic).
  return { ...found, conditional: customDiffForceNew(file.src).filter((f) => found.all.includes(f)) };
}

/** Paths CustomizeDiff forces new in a file: `ForceNewIfChange("a_b", …)`, `diff.ForceNew("a.0.b")`. */
function customDiffForceNew(src: string): string[] {
  const paths = [...src.matchAll(/\bForceNew(?:IfChange)?\(\s*"([a-z0-9_.]+)"/g)].map((m) =>
    m[1]
      .split(".")
      .filter((s) => !/^\d+$/.test(s))
      .map(camel)
      .join("."),
  );
  return [...new Set(paths)].sort();
}

/** The ForceNew paths of `var name = map[string]*schema.Schema{…}` in a file. */
function parseVariable(file: GoFile, variable: string, find: FuncFinder): Found {
  const m = new RegExp(`\\nvar ${variable} = map\\[string\\]\\*schema\\.Schema\\s*\\{`).exec(file.src);
  if (!m) throw new Error(`var ${variable} not found`);
  const found: Found = { forceNew: [], opaque: [], all: [] };
  schemaMap(file, m.index + m[0].length - 1, "", find, found);
  return found;
}

/** Plugin-framework attributes with a RequiresReplace… plan modifier (terraform-provider-random). */
function parseFrameworkRequiresReplace(src: string): string[] {
  const blanked = blankLiterals(src);
  const out: string[] = [];
  for (const m of src.matchAll(/\n\t{3}"([a-z0-9_]+)": schema\.[A-Za-z0-9]+Attribute\{/g)) {
    const open = m.index! + m[0].length - 1;
    if (/RequiresReplace/.test(src.slice(open, closing(blanked, open)))) out.push(camel(m[1]));
  }
  return out.sort();
}

/** `DeleteBeforeReplace: true` in the resource's entry of pulumi-gcp's provider/resources.go. */
function deleteBeforeReplace(resourcesGo: string, blanked: string, tf: string): boolean {
  const m = new RegExp(`\\n\\t+"${tf}":\\s*\\{`).exec(resourcesGo);
  if (!m) return false;
  const open = m.index + m[0].length - 1;
  return /\bDeleteBeforeReplace:\s*true\b/.test(topLevel(blanked.slice(open + 1, closing(blanked, open))));
}

function main(): void {
  const { values } = parseArgs({
    options: {
      provider: { type: "string" },
      tag: { type: "string" },
      "pulumi-gcp": { type: "string" },
      "pulumi-gcp-tag": { type: "string" },
      random: { type: "string" },
      "random-tag": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help || !values.provider || !values.tag || !values["pulumi-gcp"] || !values["pulumi-gcp-tag"] || !values.random || !values["random-tag"]) {
    process.stderr.write(
      "usage: tsx tools/generate-force-new.ts --provider GIT_DIR --tag TAG --pulumi-gcp GIT_DIR --pulumi-gcp-tag TAG --random GIT_DIR --random-tag TAG\n",
    );
    process.exit(values.help ? 0 : 2);
  }
  const provider = values.provider;
  const tag = values.tag;
  const commit = git(provider, "rev-parse", `${tag}^{commit}`).trim();
  const pulumiGcp = values["pulumi-gcp"];
  const pulumiTag = values["pulumi-gcp-tag"];
  const pulumiCommit = git(pulumiGcp, "rev-parse", `${pulumiTag}^{commit}`).trim();
  const upstream = /^160000 commit ([0-9a-f]{40})\tupstream$/m.exec(git(pulumiGcp, "ls-tree", pulumiTag, "upstream"))?.[1];
  if (upstream !== commit) throw new Error(`pulumi-gcp ${pulumiTag} bridges upstream commit ${upstream}, not ${tag} (${commit})`);
  const resourcesGo = git(pulumiGcp, "show", `${pulumiTag}:provider/resources.go`);
  const resourcesBlanked = blankLiterals(resourcesGo);
  const show = (file: string) => git(provider, "show", `${tag}:google-beta/${file}`);

  // Schema helpers called across files: the provider's shared package (tpgresource), by package name.
  const shared = git(provider, "ls-tree", "--name-only", `${tag}:google-beta/tpgresource`)
    .split("\n")
    .filter((f) => f.endsWith(".go") && !f.endsWith("_test.go"))
    .map((f) => goFile(show(`tpgresource/${f}`)));
  const find: FuncFinder = (name, pkg, kind, from) => {
    const files = pkg === undefined ? [from] : pkg === "tpgresource" ? shared : [];
    for (const file of files) {
      const open = returnedLiteral(file, name, kind);
      if (open !== undefined) return { file, open };
    }
    return undefined;
  };
  const types: Record<string, TypeEntry> = {};
  const base = parseVariable(goFile(show(IAM_MEMBER_BASE.file)), IAM_MEMBER_BASE.variable, find);
  for (const [type, spec] of Object.entries(GCP)) {
    const file = goFile(show(spec.file));
    let found: Found & { conditional?: string[] };
    if ("iamMember" in spec) {
      if (!new RegExp(`ResourceIamMember\\(\\s*${spec.iamMember}\\b`).test(file.src))
        throw new Error(`${spec.file}: no ResourceIamMember(${spec.iamMember}, …)`);
      const parent = parseVariable(file, spec.iamMember, find);
      found = { forceNew: [...base.forceNew, ...parent.forceNew], opaque: [...base.opaque, ...parent.opaque], all: [...base.all, ...parent.all] };
    } else found = parseResource(file, spec.func, find);
    const entry: TypeEntry = { terraform: spec.tf, file: `google-beta/${spec.file}`, forceNew: [...new Set(found.forceNew)].sort() };
    if (found.conditional?.length) entry.conditional = found.conditional;
    if (found.opaque.length) entry.opaque = [...new Set(found.opaque)].sort();
    if (deleteBeforeReplace(resourcesGo, resourcesBlanked, spec.tf)) entry.deleteBeforeReplace = true;
    types[type] = entry;
  }
  const randomCommit = git(values.random, "rev-parse", `${values["random-tag"]}^{commit}`).trim();
  types[RANDOM_ID.type] = {
    terraform: RANDOM_ID.tf,
    file: RANDOM_ID.file,
    forceNew: parseFrameworkRequiresReplace(git(values.random, "show", `${values["random-tag"]}:${RANDOM_ID.file}`)),
  };
  types[DOCKER_IMAGE] = {
    unparsed: "pulumi-docker's Image is built and pushed by the provider itself (no Terraform schema): any input change is treated as a rebuild, a replace",
  };

  const sdkVersion = (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies[
    "@pulumi/gcp"
  ];
  const sdkTag = git(pulumiGcp, "tag", "--list", `v${sdkVersion}`).trim();
  const catalog = {
    _generated: GENERATED,
    // The pinned SDK; when the mirror lacks its tag the catalog comes from the newest tag it has.
    sdk: { package: "@pulumi/gcp", version: sdkVersion, tagInMirror: sdkTag !== "" },
    source: {
      repository: "hashicorp/terraform-provider-google-beta",
      tag,
      commit,
      url: `https://github.com/hashicorp/terraform-provider-google-beta/tree/${commit}/google-beta`,
      iamMemberBase: `google-beta/${IAM_MEMBER_BASE.file}`,
    },
    bridge: {
      repository: "pulumi/pulumi-gcp",
      tag: pulumiTag,
      commit: pulumiCommit,
      upstreamSubmodule: upstream,
      deleteBeforeReplaceFrom: "provider/resources.go",
    },
    random: { repository: "hashicorp/terraform-provider-random", tag: values["random-tag"], commit: randomCommit, file: RANDOM_ID.file },
    paths: "Pulumi input names: Terraform snake_case in camelCase, nested blocks as dotted paths, list indices dropped",
    types: Object.fromEntries(Object.entries(types).sort(([a], [b]) => a.localeCompare(b))),
  };
  fs.writeFileSync(OUT, JSON.stringify(catalog, null, 2) + "\n");
  process.stdout.write(`wrote ${path.relative(process.cwd(), OUT)}: ${Object.keys(types).length} types from ${tag} (${commit})\n`);
}

if (require.main === module) main();
