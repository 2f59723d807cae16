/** The repository's stack files, wherever they live (the top folder or examples/), found rather than listed. */
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../plan";

const SKIP = new Set(["node_modules", ".git", "test", "services"]);

export function stackFiles(dir = REPO_ROOT): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIP.has(e.name) || e.name.startsWith(".") ? [] : stackFiles(path.join(dir, e.name));
    return /^Pulumi\.[^.]+\.yaml$/.test(e.name) ? [path.join(dir, e.name)] : [];
  });
}
