/**
 * `mlops-gcp-stack needs-owner --stack S FILE` reads the JSON of `pulumi preview --json` and fails, with one
 * line naming the command to run by hand, when the change touches what CI may not change: service accounts,
 * their IAM, workload identity federation, the CI accounts' own grants (ci-deploy's admin on each bucket,
 * registry and secret too), team grants, the creation of a
 * bucket, secret or registry (ci-deploy holds admin on the existing ones only), or a budget. Exit 0: CI may apply it;
 * 1: an Owner must run `pulumi up` once; 2: the file is not a preview.
 */
import * as fs from "node:fs";
import { REGISTRY_ADMIN_ROLE } from "../components/artifact-registry";
import { PROJECT_IAM_ADMIN } from "../components/ci-access";
import { SECRET_ADMIN_ROLE } from "../components/secrets";
import { BUCKET_ADMIN_ROLE } from "../components/storage";
import { lineIo, runAsProcess, runCommand, UsageError, type Command } from "./command";

const PROJECT_IAM_MEMBER = "gcp:projects/iAMMember:IAMMember";

/** A step of `pulumi preview --json` as far as this check reads it. */
export interface PreviewStep {
  op: string;
  urn: string;
  newState?: { type?: string; inputs?: Record<string, unknown> };
  oldState?: { type?: string; inputs?: Record<string, unknown> };
}

/** Steps that change nothing in the cloud. */
const NO_CHANGE = new Set(["same", "read", "refresh", "discard", "remove-pending-replace"]);
/** Every change of these needs an Owner: identities and federation are bootstrap. */
const IDENTITY = [/^gcp:serviceaccount\//, /^gcp:iam\/workloadIdentityPool/];
/** Creating these needs a project-wide role CI does not hold. */
const CREATED_BY_OWNER = ["gcp:storage/bucket:Bucket", "gcp:secretmanager/secret:Secret", "gcp:artifactregistry/repository:Repository"];
const CREATES = new Set(["create", "replace", "create-replacement"]);
/** The CI component: its accounts, bindings and grants are CI's own trust. */
const CI_COMPONENT = "mlops:ci:GithubCi$";
/**
 * ci-deploy's admin grants, which live on the buckets, registry and secrets: CI's own trust too. Applied by
 * CI, a delete would drop ci-deploy's role on the resource mid-update, and a create on an existing resource
 * needs the admin role ci-deploy does not hold there yet.
 */
const ADMIN_GRANTS: Record<string, string> = {
  "gcp:storage/bucketIAMMember:BucketIAMMember": BUCKET_ADMIN_ROLE,
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": REGISTRY_ADMIN_ROLE,
  "gcp:secretmanager/secretIamMember:SecretIamMember": SECRET_ADMIN_ROLE,
};

// urn:pulumi:STACK::PROJECT::PARENT$TYPE::NAME
const typeOf = (s: PreviewStep) => s.newState?.type ?? s.oldState?.type ?? String(s.urn.split("::")[2]).split("$").pop()!;
const nameOf = (s: PreviewStep) => s.urn.slice(s.urn.lastIndexOf("::") + 2);

/** Why a step needs an Owner, or undefined when ci-deploy may apply it. */
export function ownerReason(step: PreviewStep): string | undefined {
  if (NO_CHANGE.has(step.op)) return undefined;
  const type = typeOf(step);
  if (IDENTITY.some((re) => re.test(type))) return "identity or federation";
  if (step.urn.includes(CI_COMPONENT) && type === PROJECT_IAM_MEMBER && (step.newState ?? step.oldState)?.inputs?.role === PROJECT_IAM_ADMIN) {
    const title = (step.newState?.inputs?.condition as { title?: string } | undefined)?.title;
    return `ci-deploy's grantable roles${title ? `, now ${title}` : ""}`;
  }
  if (step.urn.includes(CI_COMPONENT) && /IAMMember|IamMember|IAMCustomRole/.test(type)) return "a grant or role of the CI accounts";
  const role = (step.newState ?? step.oldState)?.inputs?.role;
  if (role !== undefined && ADMIN_GRANTS[type] === role) return "ci-deploy's admin on a bucket, registry or secret";
  const member = String((step.newState ?? step.oldState)?.inputs?.member ?? "");
  if (type.startsWith("gcp:projects/iAM") && /^(user|group|domain):/.test(member)) return "a team grant";
  if (CREATED_BY_OWNER.includes(type) && CREATES.has(step.op)) return "a new bucket, secret or registry";
  // Custom roles need iam.roles.create, and ci-deploy grants project-wide only its fixed list of predefined roles
  // (the credit guard's roles and its job grant).
  if (type === "gcp:projects/iAMCustomRole:IAMCustomRole") return "a custom role";
  if (type === PROJECT_IAM_MEMBER && String(role ?? "").startsWith("projects/")) return "a project grant of a custom role";
  // A budget lives on the billing account, where ci-deploy holds nothing (its alert emails change it too).
  if (type === "gcp:billing/budget:Budget") return "a budget on the billing account";
  return undefined;
}

/** The steps an Owner must apply, as `op name (reason)`. */
export function ownerChanges(preview: { steps?: PreviewStep[] }): string[] {
  return (preview.steps ?? []).flatMap((s) => {
    const reason = ownerReason(s);
    return reason ? [`${s.op} ${nameOf(s)} (${reason})`] : [];
  });
}

/** The one line the deploy workflow prints when it must stop. */
export function ownerMessage(stack: string, changes: string[]): string {
  const shown = changes.length > 5 ? [...changes.slice(0, 5), `${changes.length - 5} more`] : changes;
  return `::error title=${stack} needs an Owner::This change needs the Owner role (${shown.join(", ")}); someone with Owner runs \`pulumi up --stack ${stack}\` once from a laptop, then re-runs this workflow.`;
}

export const command: Command = {
  name: "needs-owner",
  usage: ["--stack STACK PREVIEW.json"],
  about: [
    "Reads PREVIEW.json (what pulumi preview --json printed) and fails with one line naming the command to run",
    "by hand when the change needs the Owner role: service accounts and their IAM, federation, the CI accounts'",
    "grants, team grants, a new bucket, secret or registry. The deploy and pause workflows call it (up.sh).",
  ].join("\n"),
  options: { stack: { type: "string" } },
  positionals: ["PREVIEW.json"],
  exits: { 0: "ci-deploy may apply the change", 1: "the change needs an Owner (one ::error line)" },
  run: ({ values, positionals }, io) => check(String(values.stack ?? ""), positionals[0], (line) => io.out(`${line}\n`)),
};

export function main(argv: string[], out: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): number {
  return runCommand(command, argv, lineIo(out)) as number;
}

function check(stack: string, file: string, out: (line: string) => void): number {
  if (!stack) throw new UsageError("--stack STACK is required");
  let preview: { steps?: PreviewStep[] };
  try {
    preview = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    out(`::error title=${stack}::cannot read the preview ${file}: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const changes = ownerChanges(preview);
  if (changes.length) {
    out(ownerMessage(stack, changes));
    return 1;
  }
  out(`${stack}: no change needs an Owner; ci-deploy applies it.`);
  return 0;
}

if (require.main === module) void runAsProcess((argv) => main(argv));
