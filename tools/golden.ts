/**
 * `npm run golden -- --stack NAME` (or `--all`): writes the full inventory of a stack file to
 * test/golden/NAME.yaml. The file is then reviewed like code: read the diff before committing it.
 */
import { parseArgs } from "node:util";
import { inventoryOf, planStackFile, stackFilePath, stackFiles, writeGolden } from "../plan";

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { stack: { type: "string", multiple: true }, all: { type: "boolean" } } });
  const stacks = values.all
    ? stackFiles().flatMap((f) => (f.example || f.stack === "dev" ? [f.stack] : []))
    : (values.stack ?? []);
  if (!stacks.length) {
    process.stderr.write("usage: npm run golden -- --stack NAME [--stack NAME …] | --all\n");
    return 2;
  }
  for (const stack of stacks) {
    const result = await planStackFile(stackFilePath(stack));
    if (!result.ok) {
      process.stderr.write(`${stack}:\n  ${result.problems.join("\n  ")}\n`);
      return 2;
    }
    writeGolden(stack, inventoryOf(result.plan));
    process.stdout.write(`wrote test/golden/${stack}.yaml (${result.plan.resources.length} resources)\n`);
  }
  return 0;
}

main().then((code) => process.exit(code));
