import * as path from "node:path";

/** The repository's top folder, where the stack files live. */
export const REPO_ROOT = path.resolve(__dirname, "..");

export function stackFilePath(stack: string): string {
  return path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
}
