/**
 * `mlops-gcp-stack init [--dir infra] [--root .]`: lays the template into a group's repository: the Pulumi
 * project into DIR, the workflows into .github/workflows (working on the stack in DIR), the scripts they call
 * into .github/scripts, a .dockerignore at the root. It never overwrites a file; the package version it
 * writes into DIR/package.json is its own, so `npx mlops-gcp-stack@X init` adopts version X.
 * Exit 0: done (skipped files are listed); 2: bad arguments.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PROCESS_IO, runAsProcess, runCommand, UsageError, type Command, type Io } from "./command";

const PROJECT_FILES = ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json", "Pulumi.starter.yaml"];

/** The package's own folder (with template/ and package.json), from source or from dist/. */
function packageRoot(): string {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "template", "Pulumi.yaml")) && fs.existsSync(path.join(dir, "package.json"))) return dir;
  }
  throw new Error("the package's template/ folder is missing");
}

type Laid = [source: string, target: string, transform: (text: string) => string, mode?: number];

/**
 * A workflow of the template for the stack in DIR: its `STACK_DIR` and the default working-directory (GitHub
 * allows no expression there) both name DIR.
 */
export function workflowFor(text: string, dir: string): string {
  return text.replace(/^(\s*STACK_DIR: ).*$/m, `$1${dir}`).replace(/^(defaults:\n\s+run:\n\s+working-directory: ).*$/m, `$1${dir}`);
}

/** What goes where: [source in template/, target in the repository, text transform, file mode]. */
function layout(dir: string, version: string): Laid[] {
  const same = (text: string) => text;
  const files = PROJECT_FILES.map((f): Laid => [
    f,
    path.join(dir, f),
    f === "package.json" ? (text) => text.replace(/("mlops-gcp-stack": )"[^"]*"/, `$1"${version}"`) : same,
  ]);
  const folder = (name: string) => fs.readdirSync(path.join(packageRoot(), "template", name)).sort();
  const workflows = folder("workflows").map((f): Laid => [path.join("workflows", f), path.join(".github", "workflows", f), (text) => workflowFor(text, dir)]);
  // The scripts the workflows call from the repository's root; executable whatever mode the tarball kept.
  const scripts = folder("scripts").map((f): Laid => [path.join("scripts", f), path.join(".github", "scripts", f), same, 0o755]);
  return [...files, ...workflows, ...scripts, ["dockerignore", ".dockerignore", same]];
}

export const command: Command = {
  name: "init",
  usage: ["[--dir infra] [--root REPOSITORY_FOLDER]"],
  about: [
    "Lays the template into a repository (--root, default the current folder): the Pulumi project into --dir,",
    "the workflows into .github/workflows, the scripts they call into .github/scripts, a .dockerignore at the",
    "root. A file that exists is kept, never overwritten.",
  ].join("\n"),
  options: { dir: { type: "string", default: "infra" }, root: { type: "string", default: "." } },
  exits: { 0: "laid out (the files it kept are listed)" },
  run: ({ values }, io) => init(values as { dir: string; root: string }, io),
};

export function main(argv: string[], io: Io = PROCESS_IO): number | Promise<number> {
  return runCommand(command, argv, io);
}

function init(args: { dir: string; root: string }, io: Io): number {
  const dir = path.posix.normalize(args.dir.replace(/\\/g, "/"));
  // Plain path characters only: DIR is written unquoted into the workflows' YAML.
  if (path.isAbsolute(dir) || dir.startsWith("..") || !/^[\w./-]+$/.test(dir)) {
    throw new UsageError(`--dir: "${args.dir}" must be a folder inside the repository (letters, digits, . _ - /), such as infra`);
  }
  const root = packageRoot();
  const version = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
  for (const [source, target, transform, mode] of layout(dir, version)) {
    const file = path.join(args.root, target);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = transform(fs.readFileSync(path.join(root, "template", source), "utf8"));
    try {
      fs.writeFileSync(file, text, { flag: "wx", mode });
      io.out(`wrote   ${target}\n`);
    } catch {
      io.out(`kept    ${target} (exists; compare it with template/${source} of mlops-gcp-stack ${version})\n`);
    }
  }
  io.out(
    [
      "",
      "next:",
      `  cd ${dir} && npm install`,
      "  cp Pulumi.starter.yaml Pulumi.<stack>.yaml   # or: npx mlops-gcp-stack new-group --help; then fill in your values",
      "  npx mlops-gcp-stack plan --file Pulumi.<stack>.yaml && pulumi up --stack <stack>",
      "",
    ].join("\n"),
  );
  return 0;
}
if (require.main === module) void runAsProcess(main);
