/** Debian's headless Chromium for tests that open a page: where it is, and what a page left in the DOM. */
import { spawnSync } from "node:child_process";

/** The chromium binary, or undefined when it is not installed (CI installs it: .ci/run). */
export const CHROMIUM = ["chromium", "chromium-browser"].find((bin) => spawnSync(bin, ["--version"], { encoding: "utf8" }).status === 0);

export const NO_CHROMIUM = "skipped: Debian's chromium is not installed (apt-get install -y chromium); .ci/run installs it";

const FLAGS = ["--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000"];

/** Opens a local page, returns its DOM after scripts ran and every console message it logged. */
export function openPage(file: string): { dom: string; console: string[] } {
  const run = spawnSync(CHROMIUM as string, [...FLAGS, "--dump-dom", `file://${file}`], { encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`chromium exited ${run.status}: ${run.stderr.slice(-2000)}`);
  return { dom: run.stdout, console: run.stderr.split("\n").filter((l) => /:CONSOLE[:(]/.test(l)) };
}

/** A PNG screenshot of a local page. */
export function screenshot(file: string, png: string, size = "1400,1100"): void {
  const run = spawnSync(CHROMIUM as string, [...FLAGS, `--window-size=${size}`, `--screenshot=${png}`, `file://${file}`], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`chromium exited ${run.status}: ${run.stderr.slice(-2000)}`);
}
