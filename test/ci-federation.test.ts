/**
 * Who a GitHub token can act as, found by evaluation: the planned provider's attribute condition and mapping
 * run in a real CEL evaluator (test/cel-google.ts) against GitHub's documented claim shapes, in both subject
 * formats, and the mapped attributes are matched with the principalSet of every workloadIdentityUser binding
 * in the plan. The expected accounts are the table of docs/ci.md ("Which runs reach which account"), read
 * from there, so the docs and the federation cannot drift apart.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./repo";
import { GOOGLE_LIMITS, grantableConditions, GRANTABLE_ROLES, MAX_SUBJECT_BYTES, PROJECT_IAM_ADMIN } from "../components/ci-access";
import { stackFiles, type Plan } from "../plan";
import { evaluate, evaluateOrUndefined, shape } from "./cel-google";
import { byName, ofType, planFile, planOf } from "./helpers";

const PROJECT_IAM = "gcp:projects/iAMMember:IAMMember";

/** A repository as GitHub knows it: name and immutable ids. */
interface Repo {
  owner: string;
  name: string;
  ownerId: string;
  id: string;
}

interface Run {
  /** The repository the workflow runs in (the caller, for a reusable workflow). */
  repo: Repo;
  file: string;
  event: string;
  ref: string;
  format: "name" | "id";
  environment?: string;
  /** A reusable workflow of another repository that defines the job: job_workflow_ref names it. */
  jobWorkflow?: { repo: Repo; file: string; ref: string };
}

/**
 * GitHub's claims for a job (docs.github.com, "OpenID Connect", example token and "Immutable subject claims"):
 * `sub` is `repo:OWNER/NAME:` (or `repo:OWNER@OWNER_ID/NAME@REPO_ID:` in the immutable format) followed by
 * `environment:NAME` for a job with an environment, `pull_request` for a pull request, `ref:REF` otherwise.
 * Every other claim is the same in both formats.
 */
function claims(run: Run): Map<string, string> {
  const r = run.repo;
  const repository = `${r.owner}/${r.name}`;
  const prefix = run.format === "name" ? `repo:${repository}` : `repo:${r.owner}@${r.ownerId}/${r.name}@${r.id}`;
  const context = run.environment ? `environment:${run.environment}` : run.event === "pull_request" ? "pull_request" : `ref:${run.ref}`;
  const workflowRef = `${repository}/.github/workflows/${run.file}@${run.ref}`;
  const job = run.jobWorkflow;
  const pr = run.event.startsWith("pull_request");
  return new Map(
    Object.entries({
      iss: "https://token.actions.githubusercontent.com",
      aud: `https://github.com/${r.owner}`,
      sub: `${prefix}:${context}`,
      repository,
      repository_owner: r.owner,
      repository_id: r.id,
      repository_owner_id: r.ownerId,
      repository_visibility: "private",
      ref: run.ref,
      ref_type: run.ref.startsWith("refs/tags/") ? "tag" : "branch",
      event_name: run.event,
      workflow_ref: workflowRef,
      job_workflow_ref: job ? `${job.repo.owner}/${job.repo.name}/.github/workflows/${job.file}@${job.ref}` : workflowRef,
      base_ref: pr ? "main" : "",
      head_ref: pr ? "feature" : "",
      run_id: "14231321351",
      run_attempt: "1",
      actor: "student",
      actor_id: "12",
      runner_environment: "github-hosted",
      ...(run.environment && { environment: run.environment }),
    }),
  );
}

interface Federation {
  condition: string;
  mapping: Record<string, string>;
  /** Each workloadIdentityUser binding: the account it is on (its workload, e.g. ci-deploy) and the attribute it names. */
  bindings: Array<{ account: string; attribute: string; value: string }>;
}

function federation(plan: Plan): Federation {
  const provider = byName(plan, "github-provider");
  const bindings = ofType(plan, "gcp:serviceaccount/iAMMember:IAMMember")
    .filter((r) => r.inputs.role === "roles/iam.workloadIdentityUser")
    .map((r) => {
      const m = /\/workloadIdentityPools\/[^/]+\/attribute\.([a-z_]+)\/(.+)$/.exec(String(r.inputs.member));
      if (!m) throw new Error(`${r.name} binds ${String(r.inputs.member)}, not one attribute value`);
      const account = /serviceAccounts\/[^@]+-(ci-[a-z]+)@/.exec(String(r.inputs.serviceAccountId))?.[1] ?? String(r.inputs.serviceAccountId);
      return { account, attribute: m[1], value: m[2] };
    });
  return { condition: String(provider.inputs.attributeCondition), mapping: provider.inputs.attributeMapping as Record<string, string>, bindings };
}

/** The accounts a token can act as: none when the condition is false or a mapping fails; else every binding whose attribute it carries. */
function reach(f: Federation, token: Map<string, string>): string[] {
  if (evaluateOrUndefined(f.condition, { assertion: token }) !== true) return [];
  const mapped: Record<string, string> = {};
  for (const [key, expression] of Object.entries(f.mapping)) {
    const value = evaluateOrUndefined(expression, { assertion: token });
    if (typeof value !== "string") return [];
    mapped[key] = value;
  }
  if (Buffer.byteLength(mapped["google.subject"]) > GOOGLE_LIMITS.subjectBytes) return [];
  return [...new Set(f.bindings.filter((b) => mapped[`attribute.${b.attribute}`] === b.value).map((b) => b.account))].sort();
}

/** The table of docs/ci.md: each row a run, and the account it reaches ("none" for none). */
function docsTable(): Array<{ run: string; account: string }> {
  const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "ci.md"), "utf8");
  const lines = doc.slice(doc.indexOf("### Which runs reach which account")).split("\n");
  const start = lines.findIndex((l) => l.startsWith("|"));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith("|"));
  return lines.slice(start + 2, end).map((l) => {
    const cells = l.split("|").map((c) => c.trim());
    return { run: cells[1], account: cells[2].replace(/`/g, "").split(",")[0] }; // after a comma: why, in words
  });
}

const GROUP: Repo = { owner: "dtu-mlops", name: "group-140", ownerId: "5566778", id: "901234567" };
const main = "refs/heads/main";
const env = "group-140";

/** The runs of docs/ci.md's table, by the words of its first column. */
function runsOf(group: Repo): Record<string, Run[]> {
  const both = (run: Omit<Run, "format">): Run[] => [
    { ...run, format: "name" },
    { ...run, format: "id" },
  ];
  const other = (name: string, ids: Partial<Repo> = {}): Repo => ({ ...group, name, id: "111222333", ...ids });
  return {
    "deploy.yml, push to the default branch": [
      ...both({ repo: group, file: "deploy.yml", event: "push", ref: main, environment: env }),
      ...both({ repo: group, file: "deploy.yml", event: "push", ref: main }),
    ],
    "deploy.yml, by hand on the default branch": both({ repo: group, file: "deploy.yml", event: "workflow_dispatch", ref: main, environment: env }),
    "pause.yml, nightly schedule": both({ repo: group, file: "pause.yml", event: "schedule", ref: main, environment: env }),
    "pause.yml, by hand": both({ repo: group, file: "pause.yml", event: "workflow_dispatch", ref: main, environment: env }),
    "teardown.yml, by hand": both({ repo: group, file: "teardown.yml", event: "workflow_dispatch", ref: main, environment: env }),
    "train.yml, by hand": both({ repo: group, file: "train.yml", event: "workflow_dispatch", ref: main, environment: env }),
    "preview.yml, pull request from a branch": [
      ...both({ repo: group, file: "preview.yml", event: "pull_request", ref: "refs/pull/7/merge", environment: env }),
      ...both({ repo: group, file: "preview.yml", event: "pull_request", ref: "refs/pull/7/merge" }),
    ],
    "preview.yml, pull request from a fork (if GitHub issued it a token)": both({
      repo: group,
      file: "preview.yml",
      event: "pull_request",
      ref: "refs/pull/8/merge",
    }),
    "deploy.yml, push to another branch": both({ repo: group, file: "deploy.yml", event: "push", ref: "refs/heads/feature", environment: env }),
    "train.yml, by hand on another branch": both({ repo: group, file: "train.yml", event: "workflow_dispatch", ref: "refs/heads/feature", environment: env }),
    "deploy.yml, tag push": both({ repo: group, file: "deploy.yml", event: "push", ref: "refs/tags/v1.0", environment: env }),
    "preview.yml, pull_request_target on the default branch": both({
      repo: group,
      file: "preview.yml",
      event: "pull_request_target",
      ref: main,
      environment: env,
    }),
    "deploy.yml, workflow_run on the default branch": both({ repo: group, file: "deploy.yml", event: "workflow_run", ref: main, environment: env }),
    "deploy.yml, issue_comment on the default branch": both({ repo: group, file: "deploy.yml", event: "issue_comment", ref: main, environment: env }),
    "another workflow file, push to the default branch": both({ repo: group, file: "ci.yml", event: "push", ref: main }),
    "another repository of the same owner": both({ repo: other("other-repo"), file: "deploy.yml", event: "push", ref: main, environment: env }),
    "a repository whose name extends the group's (NAME-evil, NAMEx)": [
      ...both({ repo: other(`${group.name}-evil`), file: "deploy.yml", event: "push", ref: main, environment: env }),
      ...both({ repo: other(`${group.name}x`), file: "deploy.yml", event: "push", ref: main, environment: env }),
    ],
    "another repository calling the group's deploy.yml": both({
      repo: other("caller"),
      file: "caller.yml",
      event: "push",
      ref: main,
      jobWorkflow: { repo: group, file: "deploy.yml", ref: main },
    }),
    // The federation alone admits it (docs/ci.md); GitHub refuses the call since deploy.yml has no workflow_call.
    "a branch's own workflow calling deploy.yml@main as a reusable workflow": both({
      repo: group,
      file: "evil.yml",
      event: "push",
      ref: "refs/heads/feature",
      jobWorkflow: { repo: group, file: "deploy.yml", ref: main },
    }),
    "the group's repository recreated under the same name (new ids)": both({
      repo: { ...group, id: "999888777" },
      file: "deploy.yml",
      event: "push",
      ref: main,
      environment: env,
    }),
    "the group's repository, its owner recreated (new owner id)": both({
      repo: { ...group, ownerId: "1234" },
      file: "deploy.yml",
      event: "push",
      ref: main,
      environment: env,
    }),
  };
}

describe("docs/ci.md's table of who reaches which account", () => {
  const table = docsTable();
  const runs = runsOf(GROUP);

  it("has a row for every run the tests evaluate, and nothing else", () => {
    expect(table.map((r) => r.run).sort()).toEqual(Object.keys(runs).sort());
  });

  describe.each([
    ["with repositoryId and repositoryOwnerId", { repositoryId: GROUP.id, repositoryOwnerId: GROUP.ownerId }],
    ["by name only", {}],
  ])("a stack pinned %s", (_how, ids) => {
    const planned = planOf({ "mlops:github": { repository: `${GROUP.owner}/${GROUP.name}`, ...ids }, "mlops:training": { kind: "vertex" } });
    it.each(table)("$run reaches $account", async ({ run, account }) => {
      const f = federation(await planned);
      const recreated = /recreated/.test(run);
      // Pinned by name only, a recreated repository is the same repository to Google: the plan warns about it.
      const expected = recreated && !("repositoryId" in ids) ? "ci-deploy" : account;
      for (const r of runs[run]) expect(reach(f, claims(r)), `${run} (${r.format} subject)`).toEqual(expected === "none" ? [] : [expected]);
    });
    it("refuses another repository's token at the provider already, before any binding is read", async () => {
      const f = federation(await planned);
      const foreign = Object.entries(runs)
        .filter(([run]) => /another repository|extends/.test(run))
        .flatMap(([, r]) => r);
      expect(foreign.length).toBeGreaterThan(4);
      for (const r of foreign) expect(evaluate(f.condition, { assertion: claims(r) }), `${r.repo.name} (${r.format})`).toBe(false);
    });
  });
});

describe("the mapping and the condition of every stack file with CI", () => {
  const withCi = stackFiles(REPO_ROOT).filter((f) => fs.readFileSync(f.file, "utf8").includes("mlops:github:"));

  it.each(withCi.map((f) => f.stack))(
    "Pulumi.%s.yaml: its own repository's deploy reaches ci-deploy in both subject formats, and its subject stays within 127 bytes",
    async (stack) => {
      const { plan, config } = await planFile(stack);
      const [owner, name] = config.github!.repository.split("/");
      const repo: Repo = { owner, name, ownerId: config.github!.repositoryOwnerId ?? "5566778", id: config.github!.repositoryId ?? "901234567" };
      const f = federation(plan);
      for (const format of ["name", "id"] as const) {
        const token = claims({ repo, file: "deploy.yml", event: "push", ref: `refs/heads/${config.github!.branch}`, format, environment: stack });
        expect(reach(f, token)).toEqual(["ci-deploy"]);
      }
      for (const expression of [f.condition, ...Object.values(f.mapping)]) expect(() => shape(expression)).not.toThrow();
      expect(f.condition.length).toBeLessThanOrEqual(GOOGLE_LIMITS.attributeConditionChars);
      for (const expression of Object.values(f.mapping)) expect(expression.length).toBeLessThanOrEqual(GOOGLE_LIMITS.mappingExpressionChars);
      expect(shape(f.condition).logicalOperators).toBeLessThanOrEqual(GOOGLE_LIMITS.logicalOperators);
    },
  );

  it("maps google.subject within Google's 127 bytes whatever the names, ids, branch, environment or event, and tells the runs apart", async () => {
    const owner = "o".repeat(39);
    const name = "n".repeat(100);
    const repo: Repo = { owner, name, ownerId: "9".repeat(19), id: "9".repeat(19) };
    const plan = await planOf({
      "mlops:github": { repository: `${owner}/${name}`, branch: "b".repeat(200), repositoryId: repo.id, repositoryOwnerId: repo.ownerId },
    });
    const f = federation(plan);
    const subject = (run: Omit<Run, "repo" | "format">) => String(evaluate(f.mapping["google.subject"], { assertion: claims({ ...run, repo, format: "id" }) }));
    const long = { ref: `refs/heads/${"b".repeat(200)}`, environment: "e".repeat(255) };
    const subjects = [
      subject({ file: "teardown.yml", event: "workflow_dispatch", ...long }),
      subject({ file: "deploy.yml", event: "push", ...long }),
      subject({ file: "train.yml", event: "workflow_dispatch", ...long }),
      subject({ file: `${"w".repeat(200)}.yml`, event: "pull_request_review_comment", ...long }),
    ];
    for (const s of subjects) expect(Buffer.byteLength(s), s).toBeLessThanOrEqual(GOOGLE_LIMITS.subjectBytes);
    expect(Math.max(...subjects.map((s) => s.length))).toBeLessThanOrEqual(MAX_SUBJECT_BYTES);
    expect(new Set(subjects).size).toBe(subjects.length);
    expect(subjects[0]).toBe(`repo:${repo.id}:teardown.yml:workflow_dispatch`);
    expect(
      reach(
        f,
        claims({ repo, format: "id", file: "teardown.yml", event: "workflow_dispatch", ref: `refs/heads/${"b".repeat(200)}`, environment: "e".repeat(255) }),
      ),
    ).toEqual(["ci-deploy"]);
  });
});

describe("ci-deploy's delegated grants", () => {
  const adminGrants = (plan: Plan) =>
    ofType(plan, PROJECT_IAM)
      .filter((r) => r.inputs.role === PROJECT_IAM_ADMIN)
      .map((r) => ({ name: r.name, inputs: r.inputs, protect: r.protect }));
  const modify = (expression: string, roles: string[]) => evaluate(expression, { api: new Map([["iam.googleapis.com/modifiedGrantsByRole", roles]]) });

  it("admit a grant or revocation of each listed runtime role, alone, and refuse every other role or a mix", async () => {
    const plan = await planOf({ "mlops:github": { repository: "owner/repo" } });
    const [grant] = adminGrants(plan);
    const expression = (grant.inputs.condition as { expression: string }).expression;
    for (const role of GRANTABLE_ROLES.roles) expect(modify(expression, [role]), role).toBe(true);
    expect(modify(expression, [])).toBe(true);
    for (const role of [
      "roles/owner",
      "roles/editor",
      PROJECT_IAM_ADMIN,
      "roles/aiplatform.user",
      "roles/run.admin",
      "roles/iam.securityReviewer",
      "roles/storage.bucketViewer",
    ]) {
      expect(modify(expression, [role]), role).toBe(false);
      expect(modify(expression, [GRANTABLE_ROLES.roles[0], role]), role).toBe(false);
    }
  });

  it("stay within Google's limits: at most 10 roles per hasOnly list, one list per binding, no logical operator", () => {
    const many = Array.from({ length: 23 }, (_, i) => `roles/r${String(i).padStart(2, "0")}.viewer`);
    const conditions = grantableConditions(many, 9);
    expect(conditions.map((c) => shape(c.expression))).toEqual([
      { logicalOperators: 0, hasOnlyLists: [10] },
      { logicalOperators: 0, hasOnlyLists: [10] },
      { logicalOperators: 0, hasOnlyLists: [3] },
    ]);
    expect(new Set(conditions.map((c) => c.title)).size).toBe(3);
    for (const c of grantableConditions()) expect(shape(c.expression)).toEqual({ logicalOperators: 0, hasOnlyLists: [GRANTABLE_ROLES.roles.length] });
    expect(() => grantableConditions([PROJECT_IAM_ADMIN])).toThrow(/never be grantable/);
  });

  it("do not change when a stack adds a secret, a service, training, or switches vm and vertex: the binding is the same between the two plans", async () => {
    const base = { "mlops:github": { repository: "owner/repo", repositoryId: 1, repositoryOwnerId: 2 } };
    const plans = await Promise.all([
      planOf(base),
      planOf({ ...base, "mlops:secrets": ["WANDB_API_KEY"] }),
      planOf({ ...base, "mlops:services": { backend: { image: { ref: "europe-docker.pkg.dev/p/r/backend@sha256:" + "a".repeat(64) }, port: 8000 } } }),
      planOf({ ...base, "mlops:training": { kind: "vm" } }),
      planOf({ ...base, "mlops:training": { kind: "vertex" } }),
    ]);
    const first = adminGrants(plans[0]);
    expect(first.length).toBe(1);
    expect(first[0].protect).toBe(false);
    for (const plan of plans.slice(1)) expect(adminGrants(plan)).toEqual(first);
  });
});
