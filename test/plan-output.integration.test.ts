/**
 * `npm run plan` on a large stack: the whole JSON reaches a slow reader, the HTML page draws every service and
 * bucket in headless Chromium without a console message, and the page makes no network request.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { exitCodeOf } from "../plan";
import { CHROMIUM, NO_CHROMIUM, openPage } from "./chromium";
import { REPO_ROOT } from "./repo";

const SERVICES = 40;

/** A stack of 40 services: public and private ones, callers, env references to other services, bucket access. */
function bigStack(): string {
  const lines = ["config:", "  gcp:project: dtu-mlops-140", "  gcp:region: europe-west1", "  mlops:group: big", "  mlops:services:"];
  for (let i = 1; i <= SERVICES; i++) {
    lines.push(`    s${i}:`, `      public: ${i % 4 === 1}`, `      port: ${8000 + i}`);
    if (i % 4 !== 1) lines.push(`      callers: [s${i - 1}]`);
    if (i > 1) lines.push("      env:", `        UPSTREAM: \${services.s${i - 1}.url}`, `        MODE: production`);
    lines.push(`      buckets: { models: read, predictions: ${i % 2 ? "write" : "read"} }`);
  }
  return `${lines.join("\n")}\n`;
}

/** Runs the CLI reading its stdout slowly: the program must wait for the pipe, not exit and cut it. */
function planSlowly(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(REPO_ROOT, "node_modules", ".bin", "tsx"), ["cli/plan.ts", ...args], { cwd: REPO_ROOT });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out.push(chunk);
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 20);
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr }));
  });
}

describe(`npm run plan on a stack of ${SERVICES} services`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-big-"));
  const file = path.join(dir, "Pulumi.big-40.yaml");
  const html = path.join(dir, "plan.html");
  let run: Awaited<ReturnType<typeof planSlowly>>;

  beforeAll(async () => {
    fs.writeFileSync(file, bigStack());
    run = await planSlowly(["--file", file, "--json", "--html", html]);
  });

  it("prints the whole JSON to a slow reader, well past 64 KiB, and exits 0", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(Buffer.byteLength(run.stdout)).toBeGreaterThan(256 * 1024);
    const doc = JSON.parse(run.stdout);
    expect(doc.resources.filter((r: { type: string }) => r.type === "gcp:cloudrunv2/service:Service")).toHaveLength(SERVICES);
    expect(doc.violations).toEqual([]);
  });

  it("writes one page that loads nothing and runs nothing: no script, no external element, and a policy that forbids any request", () => {
    const page = fs.readFileSync(html, "utf8");
    expect(page).not.toMatch(/<(script|link|iframe|img|object|embed)\b|\b(src|href)\s*=|@import|url\(/i);
    expect(page).toContain(`Content-Security-Policy" content="default-src 'none'`);
  });

  it.skipIf(!CHROMIUM)(`draws every service and bucket in headless Chromium without console messages ${CHROMIUM ? "" : NO_CHROMIUM}`, () => {
    const page = openPage(html);
    // Any request the page tried would be refused by its Content-Security-Policy, and logged here.
    expect(page.console).toEqual([]);
    const svg = /<svg[\s\S]*<\/svg>/.exec(page.dom)?.[0] ?? "";
    for (let i = 1; i <= SERVICES; i++) expect(svg).toContain(`<title>service:s${i}</title>`);
    for (const bucket of ["data", "models", "predictions"]) expect(svg).toContain(`<title>bucket:${bucket}</title>`);
    expect(svg).toContain("<title>service:s2-&gt;service:s3</title>");
    expect(svg).toContain("<title>service:s1-&gt;bucket:predictions</title>");
  });
});

describe("exit codes", () => {
  it("are 2 for problems, 3 for a mandatory violation, 0 otherwise (advisory violations pass)", () => {
    const violation = (level: "mandatory" | "advisory") => ({ policy: "p", level, message: "m" }) as never;
    expect(exitCodeOf(["mlops:x: wrong"], [violation("mandatory")])).toBe(2);
    expect(exitCodeOf(undefined, [violation("mandatory")])).toBe(3);
    expect(exitCodeOf(undefined, [violation("advisory")])).toBe(0);
    expect(exitCodeOf([], [])).toBe(0);
  });
});
