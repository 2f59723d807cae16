import { describe, expect, it } from "vitest";
import { deriveNames, parseStackConfig, readStackFile, RETIRED_KEYS, retiredKeyProblem, SecretValue, StackConfigSchema } from "../config";

const base = { "gcp:project": "dtu-mlops-140", "gcp:region": "europe-west1" };

function problemsOf(raw: Record<string, unknown>, stack = "group-140"): string[] {
  const result = parseStackConfig(raw, stack);
  return result.ok ? [] : result.problems;
}

describe("a valid config", () => {
  it("needs nothing but the project: region, group, protection and labels get their defaults", () => {
    const result = parseStackConfig({ "gcp:project": "my-mlops-project" }, "dev");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      project: "my-mlops-project",
      region: "europe-west1",
      group: "dev",
      protectData: true,
      paused: false,
      labels: { group: "dev", stack: "dev", "managed-by": "pulumi" },
    });
    expect(result.config.github).toBeUndefined();
  });

  it("takes the group from a group-N stack name and accepts an unquoted number", () => {
    const fromStack = parseStackConfig(base, "group-43");
    expect(fromStack.ok && fromStack.config.group).toBe("43");
    const numeric = parseStackConfig({ ...base, "mlops:group": 140 }, "anything");
    expect(numeric.ok && numeric.config.group).toBe("140");
  });

  it("defaults the deploy branch to main and keeps the group's own labels next to ours", () => {
    const result = parseStackConfig(
      { ...base, "mlops:github": { repository: "Klakawaka/Car-Image-Classification-using-CNN" }, "mlops:labels": { course: "dtu-02476" } },
      "group-140",
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.github).toEqual({ repository: "Klakawaka/Car-Image-Classification-using-CNN", branch: "main" });
    expect(result.config.labels).toEqual({ course: "dtu-02476", group: "140", stack: "group-140", "managed-by": "pulumi" });
  });

  it("leaves other providers' keys to them", () => {
    expect(problemsOf({ ...base, "gcp:credentials": "/tmp/x.json", "pulumi:template": "x", "docker:host": "unix:///x" })).toEqual([]);
  });
});

describe("invalid configs are rejected with the key path and what is allowed", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["missing project", { "gcp:region": "europe-west1" }, "gcp:project: is required; set it with `pulumi config set gcp:project <project-id>`"],
    [
      "project with capitals and underscore",
      { "gcp:project": "Bad_Project" },
      "gcp:project: is not a valid project id; 6–30 lowercase letters, digits and hyphens, starting with a letter",
    ],
    ["project too short", { "gcp:project": "abc" }, "gcp:project: is not a valid project id"],
    ["project starting with a digit", { "gcp:project": "140-mlops" }, "gcp:project: is not a valid project id"],
    ["project containing google", { "gcp:project": "my-google-proj" }, 'gcp:project: must not contain "google"'],
    [
      "unknown region",
      { ...base, "gcp:region": "europe-west99" },
      'gcp:region: "europe-west99" is not a Google Cloud region; for example europe-west1, us-central1',
    ],
    ["zone that is not a zone", { ...base, "gcp:zone": "europe-west1" }, "gcp:zone: is not a zone; a region plus a letter, e.g. europe-west1-b"],
    [
      "zone outside the region",
      { ...base, "gcp:zone": "us-central1-a" },
      'gcp:zone: "us-central1-a" is not in region europe-west1; use a zone such as europe-west1-b',
    ],
    [
      "group with capitals",
      { ...base, "mlops:group": "Group_140" },
      "mlops:group: must be lowercase letters, digits and hyphens, starting and ending with a letter or digit",
    ],
    ["group as a list", { ...base, "mlops:group": ["140"] }, 'mlops:group: must be a string such as "140" or "flowers"'],
    [
      "repository without owner",
      { ...base, "mlops:github": { repository: "Car-Image-Classification" } },
      "mlops:github.repository: must be a GitHub repository as owner/name",
    ],
    ["github without repository", { ...base, "mlops:github": { branch: "main" } }, "mlops:github.repository: is required; the GitHub repository as owner/name"],
    ["github given as a string", { ...base, "mlops:github": "owner/name" }, "mlops:github: must be a map of keys, got string"],
    ["protectData as a string", { ...base, "mlops:protectData": "yes" }, "mlops:protectData: must be true or false"],
    ["paused as a number", { ...base, "mlops:paused": 1 }, "mlops:paused: must be true or false"],
    [
      "label key with capitals",
      { ...base, "mlops:labels": { Course: "x" } },
      "mlops:labels.Course: key is not a valid label key; start with a lowercase letter",
    ],
    [
      "label value with a space",
      { ...base, "mlops:labels": { course: "dtu 02476" } },
      "mlops:labels.course: is not a valid label value; lowercase letters, digits, '_' and '-', at most 63 characters",
    ],
    ["misspelt top-level key", { ...base, "mlops:protectdata": false }, 'mlops:protectdata: unknown key; did you mean "mlops:protectData"?'],
    [
      "misspelt nested key",
      { ...base, "mlops:github": { repository: "a/b", brnch: "main" } },
      'mlops:github.brnch: unknown key; did you mean "branch"? Allowed: repository, branch, repositoryId, repositoryOwnerId, stateBucket.',
    ],
    ["key in a namespace the stack does not know", { ...base, "mlop:group": "140" }, 'mlop:group: unknown key; did you mean "mlops:group"?'],
    [
      "group too long for a service-account id",
      { ...base, "mlops:group": "a-very-long-group-name-x" },
      'mlops:group: derived service-account id "a-very-long-group-name-x-ci-preview" is 35 characters; 6–30 allowed; choose a shorter group',
    ],
  ];

  it.each(cases)("%s", (_what, raw, message) => {
    const problems = problemsOf(raw);
    expect(
      problems.some((p) => p.startsWith(message)),
      `problems were:\n${problems.join("\n")}`,
    ).toBe(true);
  });

  it("reports every problem at once, one line each", () => {
    const problems = problemsOf({
      "gcp:project": "Bad_Project",
      "gcp:region": "europe-west1",
      "gcp:zone": "us-central1-a",
      "mlops:protectdata": false,
      "mlops:github": { repository: "nope" },
    });
    expect(problems).toHaveLength(4);
    expect(problems.map((p) => p.split(":").slice(0, 2).join(":"))).toEqual(["gcp:project", "mlops:github.repository", "mlops:protectdata", "gcp:zone"]);
    for (const p of problems) expect(p).not.toMatch(/\n|at .*\.ts:\d+/);
  });
});

describe("keys a release removed", () => {
  /** A stack file that sets the key at `key` (a path such as `mlops:training.running`) and nothing else wrong. */
  const setting = (key: string, value: unknown): Record<string, unknown> => {
    const [top, ...rest] = key.split(".");
    const nested = rest.reduceRight<unknown>((inner, k) => ({ [k]: inner }), value);
    return { ...base, [top]: nested };
  };

  it.each(Object.entries(RETIRED_KEYS))("%s is refused with its release and what to do instead, and no unknown-key guess", (key, retired) => {
    expect(retired.release).toMatch(/^\d+\.\d+\.\d+$/);
    expect(retiredKeyProblem(key, retired)).toBe(`${key}: removed in ${retired.release}; ${retired.instead}`);
    expect(problemsOf(setting(key, 1))).toEqual([retiredKeyProblem(key, retired)]);
  });

  it("are reported beside the file's other problems, and the file's own maps are left as they were", () => {
    const training = { kind: "vm", running: true, machineType: "N1" };
    const problems = problemsOf({ ...base, "mlops:training": training, "mlops:protectdata": false });
    expect(problems).toContain(retiredKeyProblem("mlops:training.running", RETIRED_KEYS["mlops:training.running"]));
    expect(problems.some((p) => p.startsWith("mlops:training.machineType: "))).toBe(true);
    expect(problems.some((p) => p.startsWith("mlops:protectdata: unknown key"))).toBe(true);
    expect(problems.some((p) => p.startsWith("mlops:training.running: unknown key"))).toBe(false);
    expect(training).toEqual({ kind: "vm", running: true, machineType: "N1" });
  });

  it.each(Object.keys(RETIRED_KEYS))("%s is no key of the schema any more", (key) => {
    const parts = key.split(".");
    const result = StackConfigSchema.safeParse(setting(key, 1));
    const unknown = result.success ? [] : result.error.issues.filter((iss) => iss.code === "unrecognized_keys");
    expect(unknown.map((iss) => [iss.path, iss.keys])).toEqual([[parts.slice(0, -1), parts.slice(-1)]]);
  });
});

describe("derived names", () => {
  it("are deterministic and prefix numeric groups with a letter, as Google requires", () => {
    const names = deriveNames("dtu-mlops-140", "140");
    expect(names.prefix).toBe("g140");
    expect(names.serviceAccountId("ci-deploy")).toBe("g140-ci-deploy");
    expect(names.bucketBase("predictions")).toBe("dtu-mlops-140-predictions");
    expect(names.repositoryId).toBe("g140-images");
    const again = deriveNames("dtu-mlops-140", "140");
    expect([again.prefix, again.serviceAccountId("trainer"), again.wifPoolBase]).toEqual(["g140", "g140-trainer", "g140-github"]);
  });

  it("keep a group name as it is when it starts with a letter", () => {
    expect(deriveNames("dtu-mlops-flowers", "flowers").serviceAccountId("trainer")).toBe("flowers-trainer");
  });

  it("fit Google's limits for the longest project id (30) and a 20-character group", () => {
    const result = parseStackConfig({ "gcp:project": "a".repeat(30), "mlops:group": "abcdefghijklmnopqrst", "mlops:github": { repository: "o/r" } }, "x");
    const problems = result.ok ? [] : result.problems;
    // 20 + "-ci-preview" = 31 > 30, the pool id 20 + "-github-" + 6 = 33 > 32: both named, nothing else.
    expect(problems).toEqual([
      'mlops:group: derived service-account id "abcdefghijklmnopqrst-ci-preview" is 31 characters; 6–30 allowed; choose a shorter group',
      'mlops:group: derived workload identity pool id "abcdefghijklmnopqrst-github-xxxxxx" is 34 characters; 4–32 allowed; choose a shorter group',
    ]);
  });

  it("keep every bucket name within 63 characters for the longest project id", () => {
    expect(problemsOf({ "gcp:project": `a${"b".repeat(29)}` })).toEqual([]);
  });
});

describe("stack files read offline", () => {
  it("turn encrypted values into secrets without a value, and bare keys into mlops: keys", async () => {
    const fs = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "stack-")), "Pulumi.t.yaml");
    fs.writeFileSync(file, "config:\n  gcp:project: dtu-mlops-140\n  paused: true\n  mlops:token:\n    secure: v1:abc\n");
    const read = readStackFile(file);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.raw["mlops:paused"]).toBe(true);
    expect(read.raw["mlops:token"]).toBeInstanceOf(SecretValue);
    expect(JSON.stringify(read.raw["mlops:token"])).toBe('"[secret]"');
  });

  it("report a YAML syntax error with its line instead of a stack trace", async () => {
    const fs = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "stack-")), "Pulumi.t.yaml");
    fs.writeFileSync(file, "config:\n  gcp:project: [unclosed\n");
    const read = readStackFile(file);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.problems[0]).toMatch(/Pulumi\.t\.yaml: YAML syntax error at line \d+/);
  });
});
