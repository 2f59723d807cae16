#!/usr/bin/env node
/**
 * `mlops-gcp-stack <command> [options]`, the package's command line (`npx mlops-gcp-stack plan --file
 * Pulumi.mine.yaml`): each command is the same program as its `npm run <command>` in this repository.
 */
const COMMANDS: Record<string, { about: string; load: () => Promise<{ main(argv: string[]): number | Promise<number> }> }> = {
  init: { about: "lay the template into a repository (--dir infra)", load: () => import("./init") },
  plan: { about: "what a stack file creates, offline (--stack NAME | --file PATH [--json])", load: () => import("./plan") },
  "new-group": { about: "write a group's stack file (--group, --project, --repo, --email, …; --help)", load: () => import("./new-group") },
  train: { about: "start one training run of a deployed stack (--stack NAME)", load: () => import("./train") },
  // The steps of the deploy and teardown workflows (.github/scripts/up.sh, teardown.sh).
  "needs-owner": { about: "fail when a `pulumi preview --json` needs an Owner (--stack NAME PREVIEW.json)", load: () => import("./needs-owner") },
  "teardown-targets": { about: "what a teardown destroys (--stack NAME EXPORT.json)", load: () => import("./teardown-targets") },
};

const USAGE = [
  "usage: mlops-gcp-stack <command> [options]",
  ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)} ${c.about}`),
].join("\n");

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    process.stderr.write(`${name && !["-h", "--help"].includes(name) ? `unknown command "${name}"\n` : ""}${USAGE}\n`);
    return name && ["-h", "--help"].includes(name) ? 0 : 2;
  }
  return (await command.load()).main(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`mlops-gcp-stack failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
