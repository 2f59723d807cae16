/**
 * `npm run plan -- --stack NAME | --file PATH [--json] [--html PATH]`: what a stack file produces, offline, through the
 * real program under Pulumi's mocks, with its cost and the policy pack's verdict. Exit 2 on invalid config
 * (problems on stderr, nothing on stdout), 3 after printing the plan when a mandatory policy is violated.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { costAssumptions, stackNameOfFile } from "../config";
import { exitCodeOf, planCost, planJson, planStackFile, planViolations, renderCost, renderPlan, renderView, renderViolations, stackFilePath, stackView } from "../plan";
import { renderHtml } from "../plan/html";

const USAGE = "usage: npm run plan -- --stack NAME | --file PATH [--json] [--html PATH]";

/** The command; `--stack NAME` is looked up in the current folder (a project's own or examples/). */
export async function main(argv = process.argv.slice(2)): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { stack: { type: "string" }, file: { type: "string" }, json: { type: "boolean", default: false }, html: { type: "string" } } }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!args.stack === !args.file) {
    process.stderr.write(`${USAGE}  (exactly one of --stack, --file)\n`);
    return 2;
  }
  const file = args.file ?? stackFilePath(args.stack as string, process.cwd());
  const result = await planStackFile(file);
  const stack = stackNameOfFile(file);
  if (!result.ok) {
    if (args.html && !writePage(args.html, await renderHtml({ stack, violations: [], problems: result.problems }))) return 2;
    process.stderr.write(`${result.problems.join("\n")}\n`);
    return exitCodeOf(result.problems, []);
  }
  const cost = planCost(result.plan, result.config.region, costAssumptions(result.config));
  const violations = planViolations(result.plan);
  const view = stackView(result.plan, result.config);
  if (args.html && !writePage(args.html, await renderHtml({ stack, view, cost, violations, problems: [] }))) return 2;
  const text = args.json
    ? `${JSON.stringify(planJson(result.plan, cost, violations), null, 2)}\n`
    : `${renderView(view)}\n\n${renderPlan(result.plan)}\n\n${renderCost(cost)}\n\n${renderViolations(violations)}\n`;
  // Into a pipe the write completes later; exiting before it does cut the JSON at 64 KiB.
  await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  // A mandatory violation fails the plan the way it fails `pulumi preview --policy-pack policy`.
  return exitCodeOf(undefined, violations);
}

/** Writes the --html page; a path it cannot write is a usage error (exit 2) with one line, not a crash. */
function writePage(file: string, html: string): boolean {
  try {
    fs.writeFileSync(file, html);
    return true;
  } catch (err) {
    process.stderr.write(`--html: cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return false;
  }
}

if (require.main === module) {
  main().then(
    // Exit once stdout is flushed: a pipe takes 64 KiB at a time, and a larger plan would be cut short.
    (code) => process.stdout.write("", () => process.exit(code)),
    (err: unknown) => {
      process.stderr.write(`plan failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
