/**
 * The command line's frame, as a user and a workflow meet it: `--help` on every command (stdout, exit 0), a
 * usage error as one line naming the option (stderr, exit 2), each command's documented exit 1, and an
 * unexpected failure as exit 3. Run in this process; test/cli.integration.test.ts runs the real bin.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { main as cli } from "../cli/cli";
import { helpOf, runCommand, type Command, type Io } from "../cli/command";
import { exported, PREVIEW } from "./ci-scripts-fixtures";

const COMMANDS = ["init", "plan", "new-group", "train", "needs-owner", "teardown-targets"];

/** Runs the package's command line in this process, with what it wrote to stdout and stderr. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const saved = { out: process.stdout.write, err: process.stderr.write };
  let out = "";
  let err = "";
  process.stdout.write = ((t: string) => ((out += t), true)) as typeof process.stdout.write;
  process.stderr.write = ((t: string) => ((err += t), true)) as typeof process.stderr.write;
  try {
    return { code: await cli(argv), out, err };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
  }
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "cli-"));

describe("mlops-gcp-stack", () => {
  it("lists every command on --help (exit 0), and without a command on stderr (exit 2)", async () => {
    const help = await run("--help");
    expect(help.code).toBe(0);
    for (const name of COMMANDS) expect(help.out).toMatch(new RegExp(`^  ${name} `, "m"));
    expect(help.out).toContain("exit codes: 0 done; 1 refused");
    const bare = await run();
    expect([bare.code, bare.out]).toEqual([2, ""]);
    expect(bare.err).toBe(`${help.out}`);
  });

  it("names an unknown command and the commands there are, in one line (exit 2)", async () => {
    const r = await run("deploy");
    expect(r.code).toBe(2);
    expect(r.err).toBe(`mlops-gcp-stack: unknown command "deploy"; the commands are ${COMMANDS.join(", ")} (mlops-gcp-stack --help)\n`);
  });

  it.each(COMMANDS)("%s --help prints its usage, what it does and its exit codes, and exits 0", async (name) => {
    const r = await run(name, "--help");
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toMatch(new RegExp(`^usage: mlops-gcp-stack ${name} `));
    expect(r.out).toMatch(/\nexit codes: 0 .*; 2 a usage error or invalid input; 3 /);
    // Help wins over anything else on the line, as in `plan --stack x --help`.
    expect((await run(name, "--stack", "x", "-h")).code).toBe(0);
  });

  it.each(COMMANDS)("%s refuses an unknown option with one line on stderr naming it, and exits 2", async (name) => {
    const r = await run(name, "--frobnicate");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toBe(`mlops-gcp-stack ${name}: unknown option --frobnicate (mlops-gcp-stack ${name} --help)\n`);
  });

  it("names a missing value or argument in one line (exit 2)", async () => {
    expect(await run("plan", "--stack")).toMatchObject({ code: 2, err: "mlops-gcp-stack plan: --stack needs a value (mlops-gcp-stack plan --help)\n" });
    expect(await run("plan")).toMatchObject({
      code: 2,
      err: "mlops-gcp-stack plan: give exactly one of --stack NAME, --file PATH (mlops-gcp-stack plan --help)\n",
    });
    expect(await run("needs-owner", "--stack", "s")).toMatchObject({
      code: 2,
      err: "mlops-gcp-stack needs-owner: missing PREVIEW.json (mlops-gcp-stack needs-owner --help)\n",
    });
    expect(await run("needs-owner", PREVIEW)).toMatchObject({
      code: 2,
      err: "mlops-gcp-stack needs-owner: --stack STACK is required (mlops-gcp-stack needs-owner --help)\n",
    });
    expect(await run("teardown-targets", "--stack", "s", "a.json", "b.json")).toMatchObject({
      code: 2,
      err: "mlops-gcp-stack teardown-targets: unexpected argument b.json (mlops-gcp-stack teardown-targets --help)\n",
    });
    expect(await run("init", "--dir", "/etc")).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^mlops-gcp-stack init: --dir: "\/etc" must be a folder inside the repository .*\n$/),
    });
  });

  it("exits 1 for what each command documents as refused: a change that needs an Owner, a protected stack, a file that exists", async () => {
    const owner = await run("needs-owner", "--stack", "group-43", PREVIEW);
    expect(owner.code).toBe(1);
    expect(owner.out).toMatch(/^::error title=group-43 needs an Owner::/);
    const file = path.join(tmp(), "export.json");
    fs.writeFileSync(file, JSON.stringify({ deployment: { resources: exported(true) } }));
    const teardown = await run("teardown-targets", "--stack", "group-43", file);
    expect(teardown.code).toBe(1);
    expect(teardown.out).toMatch(/^::error title=group-43 is protected::/);
    const dir = tmp();
    const args = ["new-group", "--group", "7", "--project", "dtu-mlops-7", "--repo", "alice/mlops-7", "--email", "g7@example.org", "--out", dir];
    expect((await run(...args)).code).toBe(0);
    fs.appendFileSync(path.join(dir, "Pulumi.group-7.yaml"), "# edited\n");
    expect((await run(...args)).code).toBe(1);
  });

  it("exits 2, not 1 or a crash, on a file that is not what the command reads", async () => {
    for (const name of ["needs-owner", "teardown-targets"]) {
      const r = await run(name, "--stack", "s", "/nonexistent.json");
      expect(r.code, name).toBe(2);
      expect(r.out, name).toMatch(/^::error title=s::cannot read the .* \/nonexistent\.json: ENOENT/);
    }
  });
});

describe("the frame (cli/command.ts)", () => {
  const io = (): Io & { text: { out: string; err: string } } => {
    const text = { out: "", err: "" };
    return { text, out: (t) => void (text.out += t), err: (t) => void (text.err += t) };
  };
  const failing = (run: Command["run"]): Command => ({
    name: "demo",
    usage: ["--x"],
    about: "demo",
    options: { x: { type: "string" } },
    exits: { 0: "ok" },
    run,
  });

  it("turns an unexpected failure into exit 3 with one line, synchronous or not", async () => {
    const sync = io();
    expect(
      runCommand(
        failing(() => {
          throw new Error("disk on fire");
        }),
        [],
        sync,
      ),
    ).toBe(3);
    expect(sync.text.err).toBe("mlops-gcp-stack demo failed: disk on fire\n");
    const async = io();
    expect(
      await runCommand(
        failing(async () => {
          throw new TypeError("x is undefined");
        }),
        [],
        async,
      ),
    ).toBe(3);
    expect(async.text.err).toBe("mlops-gcp-stack demo failed: x is undefined\n");
  });

  it("says in every help what 2 and 3 mean", () => {
    expect(helpOf(failing(() => 0))).toBe(
      "usage: mlops-gcp-stack demo --x\n\ndemo\n\nexit codes: 0 ok; 2 a usage error or invalid input; 3 an unexpected failure\n",
    );
  });
});
