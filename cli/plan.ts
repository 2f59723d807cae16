/**
 * `mlops-gcp-stack plan --stack NAME | --file PATH [--json] [--html PATH]` (`npm run plan -- …` here): what a
 * stack file produces, offline, through the real program under Pulumi's mocks, with its cost and the policy
 * pack's verdict. Exit 2 on invalid config (problems on stderr, nothing on stdout), 3 after printing the plan
 * when a mandatory policy is violated.
 */
import * as fs from "node:fs";
import { costAssumptions, stackNameOfFile } from "../config";
import {
  exitCodeOf,
  planCost,
  planJson,
  planStackFile,
  planViolations,
  renderCost,
  renderPlan,
  renderView,
  renderViolations,
  stackFilePath,
  stackView,
} from "../plan";
import { renderHtml } from "../plan/html";
import { PROCESS_IO, runAsProcess, runCommand, UsageError, type Command, type Io } from "./command";

export const command: Command = {
  name: "plan",
  usage: ["--stack NAME | --file PATH [--json] [--html PATH]"],
  about: [
    "Evaluates the stack file under Pulumi's mocks (no cloud account, no Pulumi CLI) and prints the services,",
    "the resources by component, the cost estimate and the policy pack's verdict. --stack NAME reads",
    "Pulumi.NAME.yaml from the current folder (or its examples/); --json prints one JSON document (docs/plan.md);",
    "--html PATH also writes a page with a diagram.",
  ].join("\n"),
  options: { stack: { type: "string" }, file: { type: "string" }, json: { type: "boolean", default: false }, html: { type: "string" } },
  exits: { 0: "a plan", 3: "a plan that breaks a mandatory policy (printed first), or an unexpected failure" },
  run: ({ values }, io) => plan(values as { stack?: string; file?: string; json: boolean; html?: string }, io),
};

/** The command; `--stack NAME` is looked up in the current folder (a project's own or examples/). */
export function main(argv = process.argv.slice(2), io: Io = PROCESS_IO): number | Promise<number> {
  return runCommand(command, argv, io);
}

async function plan(args: { stack?: string; file?: string; json: boolean; html?: string }, io: Io): Promise<number> {
  if (!args.stack === !args.file) throw new UsageError("give exactly one of --stack NAME, --file PATH");
  const file = args.file ?? stackFilePath(args.stack as string, process.cwd());
  const result = await planStackFile(file);
  const stack = stackNameOfFile(file);
  if (!result.ok) {
    if (args.html && !writePage(args.html, await renderHtml({ stack, violations: [], problems: result.problems }), io)) return 2;
    io.err(`${result.problems.join("\n")}\n`);
    return exitCodeOf(result.problems, []);
  }
  const cost = planCost(result.plan, result.config.region, costAssumptions(result.config));
  const violations = planViolations(result.plan);
  const view = stackView(result.plan, result.config);
  if (args.html && !writePage(args.html, await renderHtml({ stack, view, cost, violations, problems: [] }), io)) return 2;
  io.out(
    args.json
      ? `${JSON.stringify(planJson(result.plan, cost, violations), null, 2)}\n`
      : `${renderView(view)}\n\n${renderPlan(result.plan)}\n\n${renderCost(cost)}\n\n${renderViolations(violations)}\n`,
  );
  // A mandatory violation fails the plan the way it fails `pulumi preview --policy-pack policy`.
  return exitCodeOf(undefined, violations);
}

/** Writes the --html page; a path it cannot write is a usage error (exit 2) with one line, not a crash. */
function writePage(file: string, html: string, io: Io): boolean {
  try {
    fs.writeFileSync(file, html);
    return true;
  } catch (err) {
    io.err(`--html: cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return false;
  }
}

if (require.main === module) void runAsProcess(main);
