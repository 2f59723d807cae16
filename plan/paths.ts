import * as fs from "node:fs";
import * as path from "node:path";

export interface StackFile {
  stack: string;
  file: string;
  /** A seed example (examples/) rather than a stack of this repository's root. */
  example: boolean;
}

const STACK_FILE = /^Pulumi\.(.+)\.ya?ml$/;

function stackFilesIn(dir: string, example: boolean): StackFile[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .flatMap((f) => {
      const stack = STACK_FILE.exec(f)?.[1];
      return stack ? [{ stack, file: path.join(dir, f), example }] : [];
    })
    .sort((a, b) => a.stack.localeCompare(b.stack));
}

/** Every stack file of a project folder, found rather than listed: its own, then those in examples/. */
export function stackFiles(root: string): StackFile[] {
  return [...stackFilesIn(root, false), ...stackFilesIn(path.join(root, "examples"), true)];
}

/** The file of a stack by name in a project folder: its own first, else the example of that name. */
export function stackFilePath(stack: string, root: string): string {
  const found = stackFiles(root).find((s) => s.stack === stack);
  return found?.file ?? path.join(root, `Pulumi.${stack}.yaml`);
}

/**
 * The Pulumi project folder of a stack file: the nearest folder upwards with a Pulumi.yaml (examples/
 * belongs to the repository's project), else the file's own folder. Image build paths start there.
 */
export function projectDirOf(file: string): string {
  const start = path.dirname(path.resolve(file));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}
