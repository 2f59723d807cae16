/**
 * Seeded fuzzing of the stack-file reader and validator: hundreds of mutated copies of the repository's stack
 * files (keys deleted, duplicated, retyped, anchors, aliases and tags inserted, odd scalars, random bytes),
 * planned in this process. Every one must end as a plan (exit 0 or 3) or as problems (exit 2), one line
 * each; none may throw.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { exitCodeOf, planStackFile, planViolations } from "../plan";
import { stackFiles } from "../plan";
import { REPO_ROOT } from "./repo";

/** mulberry32: a small seeded generator, so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES = [
  "null",
  "~",
  "[]",
  "{}",
  "-1",
  "0",
  "1e309",
  ".nan",
  ".inf",
  '"a\\nb"',
  "true",
  "0x1F",
  "x".repeat(300),
  "constructor",
  "__proto__",
  "'${services.constructor.url}'",
  "*nowhere",
  "!!omap [{a: 1}]",
  "!!set {a, b}",
  "!!binary aGk=",
  "!custom 3",
  "!!str 5",
  "!!int '7'",
  "&loop [*loop]",
  "sk-abcdefghijklmnopqrstuvwxyz0123",
  "2026-01-01",
  '"\\u2028"',
  "{a: 1, a: 2}",
  "[&x 1, *x, *x]",
  "|\n      multi\n      line",
];
const ODD_KEYS = ["__proto__", "constructor", "toString", "services", "mlops:services", "training", "<<", "? [1]", '"a\\nb"', "hasOwnProperty", "1", "null"];

type Mutation = (lines: string[], rnd: () => number) => void;
const pick = <T>(items: readonly T[], rnd: () => number): T => items[Math.floor(rnd() * items.length)];
const keyLine = (lines: string[], rnd: () => number): number => {
  const keyed = lines.flatMap((l, i) => (/^\s*[\w:"-]+:/.test(l) ? [i] : []));
  return keyed.length ? pick(keyed, rnd) : 0;
};
const indentOf = (line: string): string => /^\s*/.exec(line)?.[0] ?? "";

const MUTATIONS: Record<string, Mutation> = {
  deleteKey: (lines, rnd) => void lines.splice(keyLine(lines, rnd), 1),
  duplicateKey: (lines, rnd) => {
    const i = keyLine(lines, rnd);
    lines.splice(i, 0, lines[i]);
  },
  retype: (lines, rnd) => {
    const i = keyLine(lines, rnd);
    lines[i] = lines[i].replace(/:(\s.*)?$/, `: ${pick(ODD_VALUES, rnd)}`);
  },
  renameKey: (lines, rnd) => {
    const i = keyLine(lines, rnd);
    lines[i] = lines[i].replace(/^(\s*)[^:\s]+(?::[^:\s]+)?:/, `$1${pick(ODD_KEYS, rnd)}:`);
  },
  insertKey: (lines, rnd) => {
    const i = keyLine(lines, rnd);
    lines.splice(i, 0, `${indentOf(lines[i])}${pick(ODD_KEYS, rnd)}: ${pick(ODD_VALUES, rnd)}`);
  },
  anchorAndAlias: (lines, rnd) => {
    const from = keyLine(lines, rnd);
    const to = keyLine(lines, rnd);
    lines[from] = lines[from].replace(/:(\s|$)/, ": &a$1");
    lines[to] = lines[to].replace(/:(\s.*)?$/, ": *a");
  },
  tag: (lines, rnd) => {
    const i = keyLine(lines, rnd);
    lines[i] = lines[i].replace(/:(\s|$)/, `: ${pick(["!!omap", "!!set", "!!map", "!!seq", "!!str", "!!pairs", "!local"], rnd)}$1`);
  },
  randomBytes: (lines, rnd) => {
    const i = Math.floor(rnd() * lines.length);
    const at = Math.floor(rnd() * (lines[i].length + 1));
    const bytes = String.fromCharCode(...Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => Math.floor(rnd() * 256)));
    lines[i] = lines[i].slice(0, at) + bytes + lines[i].slice(at + Math.floor(rnd() * 3));
  },
  indent: (lines, rnd) => {
    const i = keyLine(lines, rnd);
    lines[i] = rnd() < 0.5 ? `  ${lines[i]}` : lines[i].replace(/^ {2}/, "");
  },
};

const MUTANTS = 400;
const SEED = 20261130;

describe("mutated stack files", () => {
  it(`never crash the planner: ${MUTANTS} mutants (seed ${SEED}) each plan (exit 0/3) or give one-line problems (exit 2)`, async () => {
    const sources = stackFiles(REPO_ROOT)
      .map((f) => f.file)
      .map((f) => fs.readFileSync(f, "utf8").split("\n"));
    const rnd = random(SEED);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fuzz-"));
    // The mutants' image builds start in their own folder, as a group's do: the sample services are there.
    fs.symlinkSync(path.join(REPO_ROOT, "services"), path.join(dir, "services"));
    const codes = { 0: 0, 2: 0, 3: 0 };
    for (let n = 0; n < MUTANTS; n++) {
      const lines = [...pick(sources, rnd)];
      const names = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(Object.keys(MUTATIONS), rnd));
      for (const name of names) MUTATIONS[name](lines, rnd);
      const file = path.join(dir, `Pulumi.fuzz-${n}.yaml`);
      fs.writeFileSync(file, lines.join("\n"), "latin1");
      const replay = `mutant ${n} (${names.join(", ")}), kept at ${file}`;
      const result = await planStackFile(file).catch((err: unknown) => expect.fail(`${replay} threw: ${String(err)}`));
      const code = result.ok ? exitCodeOf(undefined, planViolations(result.plan)) : exitCodeOf(result.problems, []);
      codes[code]++;
      if (!result.ok) {
        expect(result.problems.length, replay).toBeGreaterThan(0);
        for (const p of result.problems) {
          expect(p, replay).not.toMatch(/[\n\r\u2028\u2029]/);
          expect(p, replay).not.toMatch(/\brecord\b|\[object Object\]/i);
        }
      } else fs.rmSync(file);
    }
    // The mutations must exercise both outcomes, or the test proves little.
    expect(codes[2], JSON.stringify(codes)).toBeGreaterThan(MUTANTS / 4);
    expect(codes[0] + codes[3], JSON.stringify(codes)).toBeGreaterThan(10);
  });
});
