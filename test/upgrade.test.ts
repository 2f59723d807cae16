import { describe, expect, it } from "vitest";
import { stackFiles, type PlannedResource } from "../plan";
import { iamLine, iamLineInputs, readGolden, type Inventory } from "../tools/golden";
import { aliasUrns, changedPaths, replacingFields } from "./change-simulator";
import { plannedStackFile } from "./helpers";
import { REPO_ROOT } from "./repo";

// An upgrade of the package must never lose a protected resource: every protected resource of a reviewed
// golden keeps its URN (type, name and parents), or a resource of the program names it in `aliases` (read
// from the plan, with the parent an alias names). Pulumi then takes the old state over; it refuses only to
// replace a protected resource by a protected one. Only these may move, each with the release that moved it;
// anything else fails here.
const MAY_MOVE: Array<[RegExp, string]> = [
  [/^github-deploy-wif-train-workflow-dispatch$/, "0.3.0: train.yml acts as ci-train (github-train-wif)"],
  [/^github-deploy-batch\.jobsEditor$/, "0.3.0: ci-train's custom role submits Batch runs (github-train-runs)"],
  [/^github-deploy-aiplatform\.user$/, "0.3.0: ci-train's custom role submits Vertex AI jobs (github-train-runs)"],
  [/^github-deploy-actas-trainer$/, "0.3.0: ci-train acts as the trainer, ci-deploy no longer (github-train-actas-trainer)"],
  [/^github-deploy-wif$/, "0.3.0: every deploy binding is named after its run (github-deploy-wif-deploy-push)"],
  [
    /^github-deploy-(bucket-(data|models|predictions)|registry|secret-.+)$/,
    "0.3.0: ci-deploy's admin grants live on their resources (buckets-data-ci-deploy-admin, …)",
  ],
];
/** Inputs a stack file fixes for all of a stack's grants: the same in the golden as in the plan. */
const FIXED_BY_STACK_FILE = ["project", "location"];

const urn = (name: string, typeChain: string) => `${typeChain}::${name}`;

describe.each(stackFiles(REPO_ROOT).filter((f) => f.example && readGolden(f.stack)))("upgrading $stack", ({ stack, file }) => {
  it("keeps the URN of every protected resource of its reviewed golden", async () => {
    const golden = readGolden(stack) as Inventory;
    expect(Object.keys(golden.protected).length).toBeGreaterThan(0);
    const { unaliased, unreviewed, replaced } = await upgradeFrom(golden.protected, golden, file);
    expect(unaliased, "protected resources whose URN changed with no alias (Pulumi would refuse to delete them)").toEqual([]);
    expect(unreviewed, "protected resources that moved without a reviewed reason").toEqual([]);
    expect(replaced, "aliased resources that may replace a protected one (not a grant of the golden as it is): they must not be protected").toEqual([]);
  });
});

// The protected resources of Pulumi.group-140.yaml that 0.3.0 moves, from test/golden/group-140.yaml before
// the move: a regenerated golden no longer names them, and this keeps every alias answering for its old URN.
const MOVED_IN_0_3_0: Record<string, string> = {
  "github-deploy-bucket-data": "mlops:ci:GithubCi$gcp:storage/bucketIAMMember:BucketIAMMember",
  "github-deploy-bucket-models": "mlops:ci:GithubCi$gcp:storage/bucketIAMMember:BucketIAMMember",
  "github-deploy-bucket-predictions": "mlops:ci:GithubCi$gcp:storage/bucketIAMMember:BucketIAMMember",
  "github-deploy-registry": "mlops:ci:GithubCi$gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
  "github-deploy-secret-WANDB_API_KEY": "mlops:ci:GithubCi$gcp:secretmanager/secretIamMember:SecretIamMember",
  "github-deploy-wif": "mlops:ci:GithubCi$gcp:serviceaccount/iAMMember:IAMMember",
};

it("upgrading group-140 from before 0.3.0 moves ci-deploy's admin grants and its first binding by aliases, as they are", async () => {
  const golden = readGolden("group-140") as Inventory;
  const file = stackFiles(REPO_ROOT).find((f) => f.stack === "group-140")!.file;
  const { unaliased, unreviewed, replaced } = await upgradeFrom(MOVED_IN_0_3_0, golden, file);
  expect([unaliased, unreviewed, replaced]).toEqual([[], [], []]);
});

/** What would go wrong upgrading a stack whose state holds `before` (protected name → type chain) to this program. */
async function upgradeFrom(
  before: Record<string, string>,
  golden: Inventory,
  file: string,
): Promise<{ unaliased: string[]; unreviewed: string[]; replaced: string[] }> {
  const result = await plannedStackFile(file);
  if (!result.ok) throw new Error(result.problems.join("\n"));
  const chainOf = (name: string) => typeChainOf(name, result.plan.resources);
  const current = new Set(result.plan.resources.map((r) => urn(r.name, chainOf(r.name))));
  const aliased = new Set(result.plan.resources.flatMap((r) => aliasUrns(r, chainOf(r.name))));
  const lost = Object.entries(before)
    .map(([name, chain]) => urn(name, chain))
    .filter((u) => !current.has(u));
  // An aliased resource that stays protected must be a pure move: a grant whose every replacing input the
  // golden's line of it shows (or the stack file fixes), and whose line the golden has, is the same grant.
  // Anything else the alias may replace, which Pulumi refuses unless the new resource is unprotected.
  const pureMove = (r: PlannedResource) => {
    const line = iamLine(r);
    const shown = [...iamLineInputs(r.type), ...FIXED_BY_STACK_FILE];
    return line !== undefined && golden.iam.includes(line) && replacingFields(r.type, changedPaths({}, r.inputs)).every((f) => shown.includes(f));
  };
  return {
    unaliased: lost.filter((u) => !aliased.has(u)),
    unreviewed: lost.map((u) => u.slice(u.lastIndexOf("::") + 2)).filter((name) => !MAY_MOVE.some(([re]) => re.test(name))),
    replaced: result.plan.resources.filter((r) => r.aliases?.length && r.protect && !pureMove(r)).map((r) => `${r.name} (${iamLine(r) ?? r.type})`),
  };
}

/** The types of a resource and its parents, outermost first: its URN without the stack and project. */
function typeChainOf(name: string, resources: Array<{ name: string; type: string; parent: string }>): string {
  const chain: string[] = [];
  for (let r = resources.find((x) => x.name === name); r; r = resources.find((x) => x.name === r?.parent)) chain.unshift(r.type);
  return chain.join("$");
}
