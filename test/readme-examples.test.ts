/** The README's stack-file examples are what a group copies first: each is validated and planned as written. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readStackFile } from "../config";
import { planRaw } from "../plan";
import { REPO_ROOT } from "./repo";

const README = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
const blocks = [...README.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);

/** A block as the config of a stack file (a whole `config:` map, or keys shown under it), read as Pulumi.group-140.yaml is. */
function configOf(block: string): Record<string, unknown> {
  const text = block.startsWith("config:") ? block : `config:\n${block}`;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "readme-")), "Pulumi.group-140.yaml");
  fs.writeFileSync(file, text);
  const read = readStackFile(file);
  if (!read.ok) throw new Error(read.problems.join("\n"));
  return { "gcp:project": "dtu-mlops-140", "gcp:region": "europe-west1", ...read.raw };
}

describe("the README's YAML examples", () => {
  it("are there to check", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  it.each(
    blocks.map(
      (b, i) =>
        [
          i + 1,
          b
            .split("\n")
            .find((l) => l.trim() && !l.startsWith("config:"))
            ?.trim()
            .slice(0, 40) ?? "",
          b,
        ] as const,
    ),
  )("block %i (%s) validates and plans", async (_n, _first, block) => {
    // The Dockerfiles are in the group's repository, not here: planned without a project folder.
    const r = await planRaw(configOf(block), "group-140", null);
    expect(r.ok ? [] : r.problems).toEqual([]);
  });
});
