/**
 * The frame every command of `mlops-gcp-stack` runs in: `--help` (stdout, exit 0), a usage error as one line
 * on stderr naming the option (exit 2), and one table of exit codes, in the README:
 *
 *   0  done
 *   1  refused by the command's rule (what each command's help says: needs an Owner, protected, file exists)
 *   2  usage error or invalid input (every problem named, one line each)
 *   3  stopped: a mandatory policy violation (plan), no GPU quota (train), or an unexpected failure
 */
import { parseArgs } from "node:util";

export const BIN = "mlops-gcp-stack";

/** Where a command writes: the process's streams, or a test's buffers. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const PROCESS_IO: Io = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

/** An Io whose stdout is a line callback (the CI steps' commands report in lines); stderr stays the process's. */
export const lineIo = (out: (line: string) => void): Io => ({
  out: (text) =>
    text
      .replace(/\n$/, "")
      .split("\n")
      .forEach((line) => out(line)),
  err: (text) => process.stderr.write(text),
});

type Option = { type: "string" | "boolean"; multiple?: boolean; short?: string; default?: string | boolean | string[] };
export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  /** The synopsis: what follows `mlops-gcp-stack NAME`, one line per form. */
  usage: string[];
  /** What the command does and reads, for its --help. */
  about: string;
  options: Record<string, Option>;
  /** Names of the positional arguments, all required, in order. */
  positionals?: string[];
  /** What codes 0, 1 and 3 mean for this command (2 is always a usage error or invalid input). */
  exits: { 0: string; 1?: string; 3?: string };
  run(args: { values: Values; positionals: string[] }, io: Io): number | Promise<number>;
}

/** A mistake in how the command was called: reported as one line, exit 2. */
export class UsageError extends Error {}

export const usageLine = (c: Command): string => c.usage.map((u, i) => `${i ? "       " : "usage: "}${BIN} ${c.name} ${u}`).join("\n");

export function helpOf(c: Command): string {
  const codes = [
    `0 ${c.exits[0]}`,
    ...(c.exits[1] ? [`1 ${c.exits[1]}`] : []),
    "2 a usage error or invalid input",
    `3 ${c.exits[3] ?? "an unexpected failure"}`,
  ];
  return `${usageLine(c)}\n\n${c.about}\n\nexit codes: ${codes.join("; ")}\n`;
}

const wantsHelp = (argv: string[]): boolean => {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h");
};

/** node:util's parse errors as one short line naming the option. */
function parseProblem(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const option = /'(-[^' ]+)/.exec(e.message ?? "")?.[1];
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option ?? ""}`.trim();
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /argument missing/.test(e.message ?? "") ? `${option} needs a value` : `${option} takes no value`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${/'([^']+)'/.exec(e.message ?? "")?.[1] ?? ""}`.trim();
    default:
      return e.message ?? String(err);
  }
}

function usageError(c: Command, problem: string, io: Io): number {
  io.err(`${BIN} ${c.name}: ${problem} (${BIN} ${c.name} --help)\n`);
  return 2;
}

function failed(c: Command, err: unknown, io: Io): number {
  if (err instanceof UsageError) return usageError(c, err.message, io);
  io.err(`${BIN} ${c.name} failed: ${err instanceof Error ? err.message : String(err)}\n`);
  return 3;
}

/** Runs a command with its arguments; synchronous when the command is. */
export function runCommand(c: Command, argv: string[], io: Io = PROCESS_IO): number | Promise<number> {
  if (wantsHelp(argv)) {
    io.out(helpOf(c));
    return 0;
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: c.options, allowPositionals: Boolean(c.positionals), strict: true }) as typeof parsed;
  } catch (err) {
    return usageError(c, parseProblem(err), io);
  }
  const wanted = c.positionals ?? [];
  if (parsed.positionals.length !== wanted.length) {
    return usageError(
      c,
      parsed.positionals.length < wanted.length
        ? `missing ${wanted.slice(parsed.positionals.length).join(" ")}`
        : `unexpected argument ${parsed.positionals[wanted.length]}`,
      io,
    );
  }
  try {
    const code = c.run(parsed, io);
    return code instanceof Promise ? code.catch((err: unknown) => failed(c, err, io)) : code;
  } catch (err) {
    return failed(c, err, io);
  }
}

/** The entry point of `tsx cli/X.ts` and of the package's bin: exit once stdout is flushed. */
export async function runAsProcess(main: (argv: string[]) => number | Promise<number>): Promise<void> {
  let code: number;
  try {
    code = await main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${BIN} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    code = 3;
  }
  // A pipe takes 64 KiB at a time: exiting before the write completes would cut the output short.
  process.stdout.write("", () => process.exit(code));
}
