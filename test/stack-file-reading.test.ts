/** Any YAML gets a plan or one clear line per problem, with the key named; never a crash or a silent misreading. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readStackFile } from "../config";
import { problemsOf } from "./helpers";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "yaml-"));
function read(text: string) {
  const file = path.join(dir, "Pulumi.t.yaml");
  fs.writeFileSync(file, text);
  const r = readStackFile(file);
  return r.ok ? { raw: r.raw, problems: [] } : { raw: undefined, problems: r.problems.map((p) => p.slice(file.length + 2)) };
}
const HEAD = "config:\n  gcp:project: dtu-mlops-140\n";

describe("reading a stack file", () => {
  it.each([
    ["an empty file", "", /^the file is empty; a stack file is a map with a config: map/],
    ["a list", "- a\n- b\n", /^the file is not a map; /],
    [
      "no config: root",
      "gcp:project: x\nmlops:paused: true\n",
      /^no config: map at the top of the file; its keys "gcp:project", "mlops:paused" belong under config:$/,
    ],
    ["config as a list", "config: [1]\n", /^config: must be a map of config keys$/],
    ["an undefined alias", `${HEAD}  mlops:labels: *nowhere\n`, /^YAML syntax error|^config\.mlops:labels: the alias \*nowhere names no anchor/],
    [
      "a self-referencing anchor",
      `${HEAD}  mlops:services: &s\n    a: { env: *s }\n`,
      /^config\.mlops:services\.a\.env: the alias \*s sits inside its own anchor &s/,
    ],
    [
      "an alias bomb",
      `${HEAD}  a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
      /^config\.b\[0\] \(\*a\): aliases here expand to too many copies/,
    ],
    ["!!omap", `${HEAD}  mlops:labels: !!omap [{a: b}]\n`, /^config\.mlops:labels: the YAML tag "!!omap" is not supported/],
    ["!!set", `${HEAD}  mlops:secrets: !!set {A, B}\n`, /^config\.mlops:secrets: the YAML tag "!!set" is not supported/],
    ["a custom tag", `${HEAD}  mlops:paused: !yes true\n`, /^config\.mlops:paused: the YAML tag "!yes" is not supported/],
    ["a map as a key", `${HEAD}  ? [a]\n  : 1\n`, /^config: a key must be a plain name/],
    [
      "a duplicate key deep down",
      `${HEAD}  mlops:services:\n    a:\n      port: 1\n      port: 2\n`,
      /^YAML syntax error at line 6: Map keys must be unique|^config\.mlops:services\.a\.port: this key appears twice/,
    ],
    ['1 and "1" as keys', `${HEAD}  mlops:labels:\n    1: a\n    "1": b\n`, /^config\.mlops:labels\.1: this key appears twice in the same map/],
    [
      "services: next to mlops:services:",
      `${HEAD}  services: {a: {}}\n  mlops:services: {b: {}}\n`,
      /^config\.mlops:services: set twice \(as "mlops:services" and "services"\); keep one$/,
    ],
  ])("%s: one clear line, the key named", (_what, text, expected) => {
    const { problems } = read(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it("reads a scalar that `pulumi config set` wrote as text the way the Pulumi runtime does", () => {
    const { raw } = read(`${HEAD}  mlops:paused: "true"\n  mlops:protectData: "false"\n  gcp:region: europe-west1\n`);
    expect(raw).toMatchObject({ "mlops:paused": true, "mlops:protectData": false, "gcp:region": "europe-west1" });
  });

  it("treats constructor, toString and __proto__ as names, without touching any prototype", () => {
    const { raw } = read(`${HEAD}  mlops:labels: { constructor: a, tostring: b }\n  __proto__: { polluted: true }\n`);
    expect(Object.getPrototypeOf(raw)).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(raw as object)).toEqual(["gcp:project", "mlops:labels", "mlops:__proto__"]);
    expect(problemsOf({ "mlops:services": { constructor: {} } })).toEqual([]);
    const proto = JSON.parse('{"api": {"env": {"__proto__": "x"}}}');
    expect(problemsOf({ "mlops:services": proto })).toEqual(['mlops:services.api.env.__proto__: "__proto__" cannot be used as a name; choose another']);
  });
});

describe("messages", () => {
  it("escape the input they echo, so every problem is one line", () => {
    const problems = problemsOf({ "gcp:region": "eu\nrope", "mlops:weird\u2028key": 1, "mlops:services": { "a\nb": {} } });
    expect(problems.length).toBeGreaterThanOrEqual(3);
    for (const p of problems) expect(p).not.toMatch(/[\n\u2028]/);
    expect(problems).toContain('gcp:region: "eu\\nrope" is not a Google Cloud region; for example europe-west1, us-central1');
  });

  it("say map, never record", () => {
    const problems = problemsOf({ "mlops:labels": "x", "mlops:services": { api: { env: [1] } } });
    expect(problems.join("\n")).not.toMatch(/record/i);
    expect(problems).toContain('mlops:labels: must be a map of keys, got string "x"');
  });

  it("list what is allowed where a key is unknown, maps keyed by a fixed set included", () => {
    expect(problemsOf({ "mlops:services": { api: { buckets: { dat: "read" } } } })).toEqual([
      'mlops:services.api.buckets.dat: unknown key; did you mean "data"? Allowed: data, models, predictions.',
    ]);
    expect(problemsOf({ "mlops:services": { api: { image: { bild: "x" } } } })[0]).toBe(
      'mlops:services.api.image.bild: unknown key; did you mean "build"? Allowed: build, dockerfile, buildArgs, ref.',
    );
  });

  it("advise a longer name for a derived service-account id that is too short", () => {
    expect(problemsOf({ "mlops:group": "a", "mlops:services": { x: {} } })).toContain(
      'mlops:services.x: derived service-account id "a-x" is 3 characters; 6–30 allowed; choose a longer service name (the name must have at least 6 characters)',
    );
  });
});

describe("checks against catalogs and Google's limits", () => {
  it("refuse an unknown machine type with a suggestion, and a Vertex AI GPU the region lacks", () => {
    expect(problemsOf({ "mlops:training": { kind: "vm", machineType: "n1-standrd-4" } }).join("\n")).toMatch(
      /^mlops:training\.machineType: "n1-standrd-4" is not a machine type this stack knows; did you mean n1-standard-4\?/m,
    );
    expect(
      problemsOf({
        "gcp:region": "australia-southeast1",
        "mlops:training": { kind: "vertex", machineType: "g2-standard-4", gpu: { type: "nvidia-l4", count: 1 } },
      }).join("\n"),
    ).toMatch(/^mlops:training\.gpu\.type: nvidia-l4 is not offered in australia-southeast1; regions that offer it: /m);
  });

  it("cap the alert emails a budget notifies at 5", () => {
    const emails = ["a", "b", "c", "d", "e", "f"].map((x) => `${x}@dtu.dk`);
    const budget = { billingAccount: "012345-6789AB-CDEF01", amount: 50 };
    expect(problemsOf({ "mlops:alerts": { emails }, "mlops:budget": budget })).toEqual([
      "mlops:alerts.emails: 6 addresses, but a budget notifies at most 5 channels; list at most 5 (a Google group address reaches more people)",
    ]);
    expect(problemsOf({ "mlops:alerts": { emails: emails.slice(0, 5) }, "mlops:budget": budget })).toEqual([]);
    expect(problemsOf({ "mlops:alerts": { emails } })).toEqual([]);
  });

  it("refuse a secret in plain env by name or by look, pointing to mlops:secrets", () => {
    const problems = problemsOf({
      "mlops:services": { api: { env: { WANDB_API_KEY: "abc", NOTE: "ghp_abcdefghijklmnopqrstuvwxyz0123456789", MODE: "prod" } } },
    });
    expect(problems).toEqual([
      "mlops:services.api.env.WANDB_API_KEY: looks like a secret in plain text; declare it in mlops:secrets, list it under mlops:services.api.secrets, and set it with `pulumi config set --secret WANDB_API_KEY <value>`",
      expect.stringMatching(/^mlops:services\.api\.env\.NOTE: looks like a secret in plain text; /),
    ]);
  });

  it("count labels against Google's 64 per resource, the stack's own three included", () => {
    const labels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, "x"]));
    expect(problemsOf({ "mlops:labels": labels(61) })).toEqual([]);
    expect(problemsOf({ "mlops:labels": labels(62) })).toEqual([
      "mlops:labels: 62 labels plus the stack's 3 (group, stack, managed-by) exceed Google's 64 labels per resource; remove 1",
    ]);
    expect(problemsOf({ "mlops:labels": { stack: "mine" } })).toEqual(["mlops:labels.stack: the stack sets this label itself; choose another key"]);
  });

  it("keep derived secret ids within Secret Manager's 255 characters", () => {
    const name = `A${"B".repeat(260)}`;
    expect(problemsOf({ "mlops:secrets": [name] })[0]).toMatch(
      /^mlops:secrets\[0\]: derived secret id "140-a?b+" is 26\d characters; 1–255 allowed; choose a shorter name$|^mlops:secrets\[0\]: derived secret id "g140-ab+" is 26\d characters/,
    );
  });
});
