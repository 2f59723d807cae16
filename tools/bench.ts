/**
 * `npm run bench`: how long the slow paths take on this machine, printed, never asserted (a test that times
 * itself goes red on a loaded machine). The command line's start-up and one plan, a plan of every stack file
 * in one process, and a roster of 150 groups through `new-group`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { planStackFile, stackFiles } from "../plan";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

async function timed(what: string, run: () => unknown): Promise<void> {
  const started = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${seconds.toFixed(1).padStart(6)} s  ${what}\n`);
}

/** A course roster of n groups, every training kind and GPU family among them (new-group's CSV). */
export function rosterOf(n: number): string {
  const kinds = [",vm,nvidia-tesla-t4", ",vm,", ",vertex,nvidia-tesla-t4", ",none,", "europe-west4,vm,nvidia-l4", ",,"];
  const rows = Array.from(
    { length: n },
    (_, i) => `${i + 1},dtu-mlops-${String(i + 1).padStart(3, "0")},student${i + 1}/mlops-project,g${i + 1}@example.org,${kinds[i % kinds.length]}`,
  );
  return ["group,project,repo,email,region,training,gpu", ...rows, ""].join("\n");
}

function command(args: string[], cwd = ROOT): void {
  const run = spawnSync(TSX, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`tsx ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
}

async function main(): Promise<void> {
  process.stdout.write(
    `${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}\n`,
  );
  await timed("npm run plan -- --stack group-140 --json (a process: start-up and one plan)", () => command(["cli/plan.ts", "--stack", "group-140", "--json"]));
  const files = stackFiles(ROOT);
  await timed(`${files.length} stack files planned in this process`, async () => {
    for (const f of files) {
      const r = await planStackFile(f.file);
      if (!r.ok) throw new Error(`${f.stack}: ${r.problems.join("; ")}`);
    }
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-roster-"));
  fs.writeFileSync(path.join(dir, "roster.csv"), rosterOf(150));
  await timed("npm run new-group -- --roster of 150 groups (a process: each file validated and planned)", () =>
    command([path.join(ROOT, "cli", "new-group.ts"), "--roster", "roster.csv", "--out", dir], dir),
  );
  fs.rmSync(dir, { recursive: true, force: true });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
