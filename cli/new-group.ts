/**
 * `mlops-gcp-stack new-group --group N --project ID --repo OWNER/NAME --email ADDRESS [--repository-id ID
 * --owner-id ID] [options]` writes
 * `Pulumi.group-N.yaml`; `--roster FILE.csv` writes one per row. Every file is validated and planned
 * offline, exactly as `plan` would, before it is written (the Dockerfiles it names live in the group's
 * repository, so their existence is checked when the group plans there), and an existing file is never
 * overwritten. Exit 0: all written; 1: a file already exists; 2: invalid input.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { StackConfigSchema } from "../config";
import { BUNDLED_GPUS, familyOf, GPU_TYPES, GPUS, type GpuType } from "../lib/gpus";
import { planRaw } from "../plan";
import { PROCESS_IO, runAsProcess, runCommand, UsageError, type Command, type Io } from "./command";
import { readRoster, REQUIRED, type GroupSpec, type RosterRow } from "./roster";

/** The course template's layout, seen from the group's infra/ folder; the whole repository is the context. */
const CONTEXT = "..";
const TRAIN_DOCKERFILE = "../dockerfiles/train.dockerfile";
const DEFAULT_COURSE = "dtu-02476";
// Defaults come from the schema, so a generated file and a hand-written one agree.
const DEFAULT_REGION = StackConfigSchema.shape["gcp:region"].parse(undefined);
const DEFAULT_MACHINE = StackConfigSchema.shape["mlops:training"].parse({}).machineType;

type Prepared = { ok: true; stack: string; text: string } | { ok: false; problems: string[] };

/** The machine type for a GPU: N1 GPUs attach to the default N1 type; L4 and A100 come with G2 and A2 types. */
function machineTypeFor(gpu: GpuType | undefined): string {
  const family = gpu ? GPUS[gpu].family : "n1";
  if (family === "n1") return DEFAULT_MACHINE;
  return Object.keys(BUNDLED_GPUS).find((m) => familyOf(m) === family && BUNDLED_GPUS[m] === 1) ?? DEFAULT_MACHINE;
}

function trainingOf(kind: string, gpu: string | undefined, dockerfile = TRAIN_DOCKERFILE): Record<string, unknown> {
  const known = GPU_TYPES.find((t) => t === gpu);
  const training: Record<string, unknown> = { kind, machineType: machineTypeFor(known), image: { build: CONTEXT, dockerfile } };
  if (gpu) training.gpu = { type: gpu, count: 1 };
  // Every GPU type here runs as Spot on Compute Engine and Vertex AI, at about a third of the price; a
  // preempted Batch run is retried. Runs start only by command, never on pulumi up, so no zone is pinned:
  // validation checks that some zone of the region offers the GPU.
  if (known) training.spot = true;
  return training;
}

/** The stack file's config for a group; invalid values are passed on for validation to report. */
function configOf(spec: GroupSpec, course = DEFAULT_COURSE): Record<string, unknown> {
  const region = spec.region ?? DEFAULT_REGION;
  const kind = spec.training ?? "none";
  const emails =
    typeof spec.email === "string"
      ? spec.email
          .split(";")
          .map((e) => e.trim())
          .filter(Boolean)
      : spec.email;
  // The group's own Dockerfile when given; Google's sample image until then (the service deploys either way).
  const image = (dockerfile: string | undefined) => (dockerfile ? { image: { build: CONTEXT, dockerfile } } : {});
  return {
    "gcp:project": spec.project,
    "gcp:region": region,
    "mlops:group": spec.group,
    "mlops:github": {
      repository: spec.repo,
      ...(spec.repository_id && { repositoryId: spec.repository_id }),
      ...(spec.owner_id && { repositoryOwnerId: spec.owner_id }),
    },
    "mlops:labels": { course },
    "mlops:alerts": { emails },
    ...(kind !== "none" && { "mlops:training": trainingOf(kind, spec.gpu, spec["train-dockerfile"]) }),
    "mlops:services": {
      backend: { ...image(spec["backend-dockerfile"]), ...(spec["backend-dockerfile"] && { port: 8000 }), public: true },
      frontend: { ...image(spec["frontend-dockerfile"]), public: true, env: { BACKEND_URL: "${services.backend.url}" } },
    },
  };
}

function render(spec: GroupSpec, config: Record<string, unknown>): string {
  const doc = new YAML.Document({ config });
  doc.commentBefore = [
    ` Group ${spec.group} (${spec.repo}), written by \`mlops-gcp-stack new-group\`. Every key: docs/config.md of`,
    ` mlops-gcp-stack. Check a change offline in infra/: \`npx mlops-gcp-stack plan --stack group-${spec.group}\`.`,
    ` Image paths are relative to infra/, e.g. image: { build: .., dockerfile: ../dockerfiles/api.dockerfile };`,
    ` a service without an image runs Google's sample image.`,
    ...(spec.repository_id && spec.owner_id
      ? []
      : [
          ` Pin the repository by GitHub's ids, which a recreated repository cannot take: add repositoryId and`,
          ` repositoryOwnerId under mlops:github (\`gh api repos/${spec.repo} --jq '.id, .owner.id'\`).`,
        ]),
    ...(spec.training && spec.training !== "none"
      ? [` Training starts nothing on pulumi up; start a run with \`npx mlops-gcp-stack train --stack group-${spec.group}\`.`]
      : []),
  ].join("\n");
  return doc.toString({ lineWidth: 0 });
}

/** The file for one group, validated and planned from the very text that will be written. */
async function prepare(spec: GroupSpec, course = DEFAULT_COURSE, where: "option" | "column" = "option"): Promise<Prepared> {
  const missing = (Object.keys(REQUIRED) as Array<keyof typeof REQUIRED>).filter((k) => !spec[k]);
  const problems = missing.map((k) => `${REQUIRED[k]}: is required; ${where === "option" ? `give it with --${k}` : `fill in the ${k} column`}`);
  if (spec.gpu && (spec.training ?? "none") === "none") {
    problems.push(`mlops:training.gpu: a GPU needs training vm or vertex; ${where === "option" ? "add --training vm" : "set the training column to vm"}`);
  }
  if (!spec.group) return { ok: false, problems };

  const stack = `group-${spec.group}`;
  const text = render(spec, configOf(spec, course));
  const raw = (YAML.parse(text) as { config: Record<string, unknown> }).config;
  // The Dockerfiles are in the group's repository, not here: their paths are checked where the group plans.
  const planned = await planRaw(raw, stack, null);
  if (!planned.ok) {
    // A missing value is reported once, above, not again as the schema words it.
    const ownKeys = missing.map((k) => REQUIRED[k].split(".")[0]);
    problems.push(...planned.problems.filter((p) => !ownKeys.some((key) => p.startsWith(`${key}:`) || p.startsWith(`${key}.`))));
  }
  return problems.length ? { ok: false, problems } : { ok: true, stack, text };
}

type WriteResult = "written" | "unchanged" | "exists";

/** Writes a new file, never over an existing one; the same content already there is "unchanged". */
function writeNew(file: string, text: string): WriteResult {
  try {
    fs.writeFileSync(file, text, { flag: "wx" });
    return "written";
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return fs.readFileSync(file, "utf8") === text ? "unchanged" : "exists";
  }
}

async function newGroup(spec: GroupSpec, course: string, out: string, io: Io): Promise<number> {
  const prepared = await prepare(spec, course);
  if (!prepared.ok) {
    io.err(`${prepared.problems.join("\n")}\n`);
    return 2;
  }
  const file = path.join(out, `Pulumi.${prepared.stack}.yaml`);
  if (writeNew(file, prepared.text) !== "written") {
    io.err(`${file} already exists; not overwritten. Edit it, or delete it and run this again.\n`);
    return 1;
  }
  io.out(
    [
      `wrote ${file}`,
      "next, in the group's infra/ folder (after `npx mlops-gcp-stack init`):",
      `  npx mlops-gcp-stack plan --file Pulumi.${prepared.stack}.yaml`,
      `  pulumi stack init ${prepared.stack}`,
      `  pulumi up --stack ${prepared.stack}`,
      "",
    ].join("\n"),
  );
  return 0;
}

async function newGroups(roster: string, course: string, out: string, io: Io): Promise<number> {
  const read = readRoster(roster);
  if (!read.ok) {
    io.err(`${read.problems.join("\n")}\n`);
    return 2;
  }
  // The program's warnings (e.g. no alert email yet) would repeat for every group: each is shown once.
  const warned = new Set<string>();
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const line = args.join(" ");
    if (!warned.has(line)) warn(line);
    warned.add(line);
  };
  try {
    return await writeRoster(read.rows, roster, course, out, io);
  } finally {
    console.warn = warn;
  }
}

async function writeRoster(rows: RosterRow[], roster: string, course: string, out: string, io: Io): Promise<number> {
  const count = { written: 0, unchanged: 0, exists: 0, bad: 0 };
  for (const row of rows) {
    const prepared = await prepare(row.spec, course, "column");
    const problems = [...row.problems, ...(prepared.ok ? [] : prepared.problems)];
    if (problems.length || !prepared.ok) {
      count.bad++;
      io.err(problems.map((p) => `${roster}:${row.line}: ${p}\n`).join(""));
      continue;
    }
    const file = path.join(out, `Pulumi.${prepared.stack}.yaml`);
    const result = writeNew(file, prepared.text);
    count[result]++;
    if (result === "exists") io.err(`${roster}:${row.line}: ${file} already exists with other content; not overwritten\n`);
    else io.out(`${result === "written" ? "wrote" : "unchanged"} ${file}\n`);
  }
  io.out(
    `${rows.length} rows: ${count.written} written, ${count.unchanged} unchanged, ${count.exists} not overwritten, ${count.bad} with problems (nothing written for them)\n`,
  );
  return count.bad ? 2 : count.exists ? 1 : 0;
}

export const command: Command = {
  name: "new-group",
  usage: [
    "--group N --project ID --repo OWNER/NAME --email ADDRESS [--email …]\n" +
      "         [--repository-id ID --owner-id ID] [--region R] [--training vm|vertex|none] [--gpu TYPE]\n" +
      "         [--backend-dockerfile PATH] [--frontend-dockerfile PATH] [--train-dockerfile PATH] [--course LABEL] [--out DIR]",
    "--roster FILE.csv [--course LABEL] [--out DIR]\n" +
      "         (columns: group,project,repo,email,region,training,gpu[,repository_id,owner_id]; emails separated by ;)",
  ],
  about: [
    "Writes Pulumi.group-N.yaml (one per row with --roster), each validated and planned offline before it is",
    "written; an existing file is never overwritten.",
    "The ids pin the repository for good: gh api repos/OWNER/NAME --jq '.id, .owner.id'",
    "Dockerfile paths are relative to the group's infra/ folder (the Pulumi project), e.g. ../dockerfiles/api.dockerfile.",
  ].join("\n"),
  options: {
    group: { type: "string" },
    project: { type: "string" },
    repo: { type: "string" },
    region: { type: "string" },
    training: { type: "string" },
    gpu: { type: "string" },
    email: { type: "string", multiple: true },
    "backend-dockerfile": { type: "string" },
    "frontend-dockerfile": { type: "string" },
    "train-dockerfile": { type: "string" },
    "repository-id": { type: "string" },
    "owner-id": { type: "string" },
    roster: { type: "string" },
    course: { type: "string", default: DEFAULT_COURSE },
    out: { type: "string" },
  },
  exits: { 0: "every file written (or already there, unchanged)", 1: "a file exists with other content; it is kept" },
  run: ({ values }, io) => run(values as Record<string, string | undefined> & { email?: string[]; course: string }, io),
};

/** Runs the command with `argv` (the arguments after `--`), writing through `io`; returns the exit code. */
export function main(argv: string[], io: Io = PROCESS_IO): number | Promise<number> {
  return runCommand(command, argv, io);
}

function run(values: Record<string, string | undefined> & { email?: string[]; course: string }, io: Io): Promise<number> {
  const { roster, course, out = process.cwd(), "repository-id": repositoryId, "owner-id": ownerId, ...rest } = values;
  const single: GroupSpec = { ...rest, ...(repositoryId && { repository_id: repositoryId }), ...(ownerId && { owner_id: ownerId }) };
  if (!fs.statSync(out, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--out: "${out}" is not a directory`);
  if (roster) {
    if (Object.keys(single).length)
      throw new UsageError(
        `--roster takes the groups from the file; drop ${Object.keys(single)
          .map((k) => `--${k}`)
          .join(", ")}`,
      );
    return newGroups(roster, course, out, io);
  }
  return newGroup(single, course, out, io);
}

if (require.main === module) void runAsProcess((argv) => main(argv));
