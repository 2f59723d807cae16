/**
 * The wiring contract (docs/wiring.md) against the code it wires. For every stack file, each Cloud Run
 * service built from services/<dir> must get what its Python code reads: every `<NAME>_BUCKET`, naming that
 * bucket of the same stack, on which the service's own account is granted; every `<SERVICE>_URL`, with the
 * right to call that service; every variable it reads without a default. The variables come from the source,
 * so the stack files and the code cannot drift apart.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { BUCKETS, type ServiceConfig, type StackConfig } from "../config";
import { bucketOfEnvName } from "../lib/wiring";
import { stackFiles, type Plan, type PlannedResource } from "../plan";
import { planFile } from "./helpers";
import { envReads, serviceDirOf, serviceSources, type EnvReads } from "./python-env";
import { REPO_ROOT } from "./repo";

// Found, not listed: the root's stack files (dev, any a group adds) and the examples.
const stacks = stackFiles(REPO_ROOT).map((f) => f.stack);
const SERVICES_ROOT = path.join(REPO_ROOT, "services");
/** What Cloud Run sets in every container (its container runtime contract). */
const CLOUD_RUN_SETS = ["PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"];
const BUCKET_IAM = "gcp:storage/bucketIAMMember:BucketIAMMember";
const SERVICE_IAM = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember";

interface Wired {
  spec: ServiceConfig;
  dir: string;
  reads: EnvReads;
  resource: PlannedResource;
  /** Plain env values by name (secrets aside). */
  env: Record<string, string | undefined>;
  member: string;
}

const plainEnv = (r: PlannedResource) =>
  Object.fromEntries(((r.inputs.template as any).containers[0].envs ?? []).map((e: any) => [e.name, e.value as string | undefined]));

/** The services of a plan that run code from services/<dir>, with what that code reads. */
function wiredServices(plan: Plan, config: StackConfig): Wired[] {
  return config.services.flatMap((spec) => {
    const dir = serviceDirOf(spec.image as { build?: string; dockerfile?: string });
    if (!dir) return [];
    const reads = envReads(serviceSources(SERVICES_ROOT, dir).map((f) => fs.readFileSync(f, "utf8")));
    const resource = plan.resources.find((r) => r.name === `${spec.key}-service`)!;
    const member = `serviceAccount:${(resource.inputs.template as any).serviceAccount}`;
    return [{ spec, dir, reads, resource, env: plainEnv(resource), member }];
  });
}

/** Everything a service's wiring misses, one line each. */
function contractProblems(plan: Plan, config: StackConfig, s: Wired): string[] {
  const bucketNames = plan.outputs.buckets as Record<string, string>;
  const granted = (bucket: string) => plan.resources.some((r) => r.type === BUCKET_IAM && r.inputs.bucket === bucket && r.inputs.member === s.member);
  const urls = plan.outputs.serviceUrls as Record<string, string>;
  const problems: string[] = [];
  const at = `${s.spec.key} (services/${s.dir})`;
  for (const name of s.reads.names) {
    if (name.endsWith("_BUCKET")) {
      const bucket = bucketOfEnvName(name, BUCKETS);
      if (!bucket) problems.push(`${at} reads ${name}, which names no bucket of the stack (${BUCKETS.join(", ")})`);
      else if (s.env[name] !== bucketNames[bucket])
        problems.push(`${at} reads ${name}; the plan sets ${JSON.stringify(s.env[name])}, not the ${bucket} bucket ${bucketNames[bucket]}`);
      else if (!granted(bucketNames[bucket])) problems.push(`${at} reads ${name}, but its account ${s.member} is granted nothing on ${bucketNames[bucket]}`);
    }
    const called = /^([A-Z0-9_]+)_URL$/.exec(name)?.[1].toLowerCase().replace(/_/g, "-");
    if (called && (called in urls || name === "BACKEND_URL")) problems.push(...callProblems(plan, config, s, name, called));
    if (s.reads.required.has(name) && !(name in s.env) && !s.spec.secrets.includes(name) && !CLOUD_RUN_SETS.includes(name)) {
      problems.push(`${at} reads ${name} without a default (os.environ["${name}"]); the plan does not set it`);
    }
  }
  for (const bucket of BUCKETS) {
    const env = Object.keys(s.env).find((n) => bucketOfEnvName(n, BUCKETS) === bucket);
    if (granted(bucketNames[bucket]) && !(env && s.reads.names.has(env))) problems.push(`${at} is granted the ${bucket} bucket, which its code never reads`);
  }
  return problems;
}

/** A `<SERVICE>_URL` the code reads: set to that service's URL, which this service's account may invoke. */
function callProblems(plan: Plan, config: StackConfig, s: Wired, name: string, called: string): string[] {
  const at = `${s.spec.key} (services/${s.dir})`;
  const target = config.services.find((c) => c.key === called);
  const url = (plan.outputs.serviceUrls as Record<string, string>)[called];
  if (!target) return [`${at} reads ${name}, but the stack has no service "${called}"`];
  if (s.env[name] !== url) return [`${at} reads ${name}; the plan sets ${JSON.stringify(s.env[name])}, not ${called}'s URL ${url}`];
  const invokers = plan.resources.filter((r) => r.type === SERVICE_IAM && r.parent === called).map((r) => r.inputs.member);
  if (target.public && config.publicInvoker === "invokerIamDisabled") return [];
  return invokers.includes(target.public ? "allUsers" : s.member)
    ? []
    : [`${at} calls ${called}, which is private and does not list ${s.spec.key} in its callers`];
}

describe.each(stacks)("the services of Pulumi.%s.yaml get what their code reads", (stack) => {
  const planned = planFile(stack);

  it("every *_BUCKET, naming a bucket granted to the service's own account; every service URL, callable; no unread grant", async () => {
    const { plan, config } = await planned;
    const problems = wiredServices(plan, config).flatMap((s) => contractProblems(plan, config, s));
    expect(problems).toEqual([]);
  });

  it("the account of a service anyone can drive (public, or called by one) can neither overwrite nor delete objects", async () => {
    const { plan, config } = await planned;
    const exposed = config.services.filter((c) => c.public);
    for (let i = 0; i < exposed.length; i++) exposed.push(...config.services.filter((c) => !exposed.includes(c) && c.callers.includes(exposed[i].key)));
    for (const s of exposed) {
      const member = `serviceAccount:${config.names.serviceAccountEmail(s.key)}`;
      const roles = plan.resources.filter((r) => r.type === BUCKET_IAM && r.inputs.member === member).map((r) => r.inputs.role);
      expect(roles.length, s.key).toBe(Object.keys(s.buckets).length);
      for (const role of roles) expect(["roles/storage.objectViewer", "roles/storage.objectCreator"], `${stack} ${s.key}`).toContain(role);
    }
  });
});

describe("the check itself", () => {
  it("finds the sample services in the group stacks and what they read", async () => {
    const r = await planFile("group-140");
    const wired = wiredServices(r.plan, r.config);
    expect(wired.map((s) => s.dir).sort()).toEqual(["backend", "frontend", "monitor"]);
    const backend = wired.find((s) => s.dir === "backend")!;
    expect([...backend.reads.names].filter((n) => n.endsWith("_BUCKET")).sort()).toEqual(["MODELS_BUCKET", "PREDICTIONS_BUCKET"]);
  });

  it("catches a service that reads a bucket it is not given, a URL it is not given, and a grant it never reads", async () => {
    const r = await planFile("group-140");
    const [backend] = wiredServices(r.plan, r.config).filter((s) => s.dir === "backend");
    const reads = { names: new Set(["DATA_BUCKET", "MODELS_BUCKET", "LOGS_BUCKET", "MONITOR_URL", "TOKEN"]), required: new Set(["TOKEN"]) };
    expect(contractProblems(r.plan, r.config, { ...backend, reads })).toEqual([
      expect.stringMatching(/^backend \(services\/backend\) reads DATA_BUCKET; the plan sets undefined, not the data bucket/),
      "backend (services/backend) reads LOGS_BUCKET, which names no bucket of the stack (data, models, predictions)",
      expect.stringMatching(/^backend \(services\/backend\) reads MONITOR_URL; the plan sets undefined, not monitor's URL/),
      'backend (services/backend) reads TOKEN without a default (os.environ["TOKEN"]); the plan does not set it',
      "backend (services/backend) is granted the predictions bucket, which its code never reads",
    ]);
  });
});

describe("reading a service's Python source", () => {
  const tree = (files: Record<string, string>) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "services-"));
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), text);
    }
    return root;
  };

  it("reads literal os.environ/os.getenv names and quoted *_BUCKET names, and only subscripts as required", () => {
    const reads = envReads([
      'import os\nA = os.environ.get("A", "x")\nB = os.getenv(\'B\')\nC = os.environ["C"]\nos.environ["D"] = "set, not read"\n',
      '# os.environ["COMMENTED"]\ndef bucket(name):\n    return os.environ.get(name)\nm = bucket("MODELS_BUCKET")\nu = f"{x}_URL"\n',
    ]);
    expect([...reads.names].sort()).toEqual(["A", "B", "C", "MODELS_BUCKET"]);
    expect([...reads.required]).toEqual(["C"]);
  });

  it("takes a service's modules without its tests, plus the shared modules it imports, transitively", () => {
    const root = tree({
      "backend/main.py": "from common.storage import open_bucket\nimport common\n",
      "backend/app/routes.py": 'import os\nos.environ.get("ROUTES")\n',
      "backend/tests/test_main.py": 'os.environ["TEST_ONLY"]\n',
      "backend/conftest.py": "",
      "common/__init__.py": "",
      "common/storage.py": "from .names import BUCKET\n",
      "common/names.py": 'BUCKET = os.environ.get("PREDICTIONS_BUCKET")\n',
      "common/unused.py": 'os.environ.get("UNUSED_BUCKET")\n',
    });
    const files = serviceSources(root, "backend")
      .map((f) => path.relative(root, f))
      .sort();
    expect(files).toEqual(["backend/app/routes.py", "backend/main.py", "common/__init__.py", "common/names.py", "common/storage.py"]);
    expect([...envReads(files.map((f) => fs.readFileSync(path.join(root, f), "utf8"))).names].sort()).toEqual(["PREDICTIONS_BUCKET", "ROUTES"]);
  });

  it("knows which image runs which folder", () => {
    expect(serviceDirOf({ build: "services/backend" })).toBe("backend");
    expect(serviceDirOf({ build: "./services/monitor/" })).toBe("monitor");
    expect(serviceDirOf({ build: "services", dockerfile: "services/frontend/Dockerfile" })).toBe("frontend");
    expect(serviceDirOf({ build: ".", dockerfile: "dockerfiles/api.dockerfile" })).toBeUndefined();
    expect(serviceDirOf({ build: "services/backend", dockerfile: "docker/other.Dockerfile" })).toBeUndefined();
  });
});

/** Python code that starts a thread works between requests (the backend's prediction-log writer, its model check). */
const startsBackgroundThreads = (dir: string) => serviceSources(SERVICES_ROOT, dir).some((f) => /\bthreading\.Thread\(/.test(fs.readFileSync(f, "utf8")));

describe("CPU between requests for services with background work (Cloud Run 'CPU allocation', docs/services.md)", () => {
  it("finds the background threads in the backend's code, and none in the monitor's or the frontend's", () => {
    expect(startsBackgroundThreads("backend")).toBe(true);
    expect(startsBackgroundThreads("monitor")).toBe(false); // its thread pool lives inside one request
    expect(startsBackgroundThreads("frontend")).toBe(false);
  });

  // Their stack files say `cpuAlwaysOn: true` (config/services.ts), which plans `cpuIdle: false`.
  it("every service built from such code gets cpuIdle: false in every stack", async () => {
    const threaded: string[] = [];
    for (const stack of stacks) {
      const { plan, config } = await planFile(stack);
      for (const s of wiredServices(plan, config).filter((w) => startsBackgroundThreads(w.dir))) {
        const resources = (s.resource.inputs.template as any).containers[0].resources;
        threaded.push(`${stack} ${s.spec.key}: cpuIdle ${resources?.cpuIdle}`);
      }
    }
    expect(threaded.length).toBeGreaterThan(0);
    expect(threaded.filter((t) => !t.endsWith("cpuIdle false"))).toEqual([]);
  });
});

// mlops:training.args reach the sample trainer's argparse (services/trainer/train.py); what it accepts is
// read from there, so the docs and the key's description cannot promise an option it refuses.
describe("the sample trainer's arguments (mlops:training.args)", () => {
  const source = fs.readFileSync(path.join(SERVICES_ROOT, "trainer", "train.py"), "utf8");
  const accepted = [...source.matchAll(/add_argument\(\s*"(--[\w-]+)"/g)].map((m) => m[1]);

  it("are read from train.py", () => {
    expect(accepted).toContain("--data");
    expect(accepted.length).toBeGreaterThanOrEqual(5);
  });

  it("are each documented in docs/training.md's table, and it lists no other", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "training.md"), "utf8");
    const table = doc.slice(doc.indexOf("| argument | overrides | default |"));
    const documented = [...table.split("\n\n")[0].matchAll(/^\| `(--[\w-]+)/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...accepted].sort());
  });

  it("are each named in the key's description (docs/config.md)", () => {
    const description = fs.readFileSync(path.join(REPO_ROOT, "config", "training.ts"), "utf8");
    const line = description.split("\n").find((l) => l.includes("The sample trainer's ENTRYPOINT")) ?? "";
    expect(accepted.filter((a) => !line.includes(a))).toEqual([]);
  });
});
