#!/usr/bin/env node
/**
 * `mlops-gcp-stack <command> [options]`, the package's command line (`npx mlops-gcp-stack plan --file
 * Pulumi.mine.yaml`): each command is the same program as its `npm run <command>` in this repository, and runs
 * in one frame (cli/command.ts): `--help` everywhere, usage errors as one line, one table of exit codes.
 */
import { BIN, PROCESS_IO, runAsProcess, type Io } from "./command";

type Main = (argv: string[]) => number | Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Main> }> = {
  init: { summary: "lay the template into a repository (--dir infra)", load: async () => (await import("./init")).main },
  plan: { summary: "what a stack file creates, offline (--stack NAME | --file PATH [--json] [--html PATH])", load: async () => (await import("./plan")).main },
  "new-group": { summary: "write a group's stack file, or one per row of a roster", load: async () => (await import("./new-group")).main },
  train: { summary: "start one training run of a deployed stack (--stack NAME)", load: async () => (await import("./train")).main },
  // The steps of the deploy and teardown workflows (.github/scripts/up.sh, teardown.sh).
  "needs-owner": {
    summary: "fail when a `pulumi preview --json` needs an Owner (--stack NAME PREVIEW.json)",
    load: async () => (await import("./needs-owner")).main,
  },
  "teardown-targets": { summary: "what a teardown destroys (--stack NAME EXPORT.json)", load: async () => (await import("./teardown-targets")).main },
};

const HELP = [
  `usage: ${BIN} <command> [options]   (${BIN} <command> --help for its options)`,
  "",
  ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`),
  "",
  "exit codes: 0 done; 1 refused by the command's rule (needs an Owner, protected, a file exists);",
  "            2 a usage error or invalid input; 3 a mandatory policy violation, no GPU quota, or an unexpected failure",
].join("\n");

export async function main(argv: string[], io: Io = PROCESS_IO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    (name ? io.out : io.err)(`${HELP}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`${BIN}: unknown command "${name}"; the commands are ${Object.keys(COMMANDS).join(", ")} (${BIN} --help)\n`);
    return 2;
  }
  return (await command.load())(rest);
}

if (require.main === module) void runAsProcess((argv) => main(argv));
