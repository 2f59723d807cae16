/**
 * `npm run plan -- --html PATH`: one self-contained page (no script, no network request) with the stack drawn
 * as a diagram, the cost table, and problems and policy violations highlighted. The diagram is laid out here,
 * in Node, by Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz), and embedded as static SVG.
 */
import type { CostEstimate } from "../lib/cost";
import type { Violation } from "../policy/rules";
import { stackDot } from "./dot";
import { money } from "./render";
import type { StackView } from "./view";
import { accessOf, grantsOf } from "./view";

export interface HtmlPlan {
  stack: string;
  /** Absent when the config was refused: the page then lists its problems only. */
  view?: StackView;
  cost?: CostEstimate;
  violations: Violation[];
  problems: string[];
}

const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The stack's DOT graph laid out as SVG, without the XML prolog and doctype a page must not carry inline. */
export async function diagramSvg(view: StackView): Promise<string> {
  const { Graphviz } = await import("@hpcc-js/wasm-graphviz");
  const svg = (await Graphviz.load()).dot(stackDot(view));
  return svg.slice(svg.indexOf("<svg")).trim();
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #111827; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; } td, th { border-bottom: 1px solid #e5e7eb; padding: 3px 10px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.unknown { color: #b45309; font-weight: 600; }
.problem, .mandatory { background: #fee2e2; border-left: 4px solid #dc2626; padding: 4px 8px; margin: 4px 0; }
.advisory { background: #fef3c7; border-left: 4px solid #d97706; padding: 4px 8px; margin: 4px 0; }
.ok { background: #dcfce7; border-left: 4px solid #16a34a; padding: 4px 8px; }
#diagram svg { max-width: 100%; height: auto; }
code { font-size: 12px; }`;

function costTable(cost: CostEstimate): string {
  const unknownOf = (kind: string) => cost.items.some((i) => i.kind === kind && i.unknown?.length);
  const cell = (usd: number, unknown: boolean, digits?: number) => `<td class="num${unknown ? " unknown" : ""}">${esc(money(usd, unknown, digits))}</td>`;
  const rows = cost.items.map(
    (i) => `<tr><td>${esc(i.resource)}</td><td>${i.kind}</td>${cell(i.usd, Boolean(i.unknown?.length))}<td>${esc(i.basis)}</td></tr>`,
  );
  return `<table><tr><th></th><th>USD</th></tr>
<tr><td>idle, per month</td>${cell(cost.idleMonthlyUsd, unknownOf("idle"), 2)}</tr>
<tr><td>active, per hour</td>${cell(cost.activeHourlyUsd, unknownOf("active"), 2)}</tr></table>
<details><summary>by resource</summary><table><tr><th>resource</th><th>kind</th><th>USD</th><th>basis</th></tr>${rows.join("")}</table></details>
${(cost.unknown ?? []).map((u) => `<div class="advisory">no price: ${esc(u)}</div>`).join("")}`;
}

function verdict(plan: HtmlPlan): string {
  const problems = plan.problems.map((p) => `<div class="problem">${esc(p)}</div>`);
  const violations = plan.violations.map(
    (v) => `<div class="${v.level === "mandatory" ? "mandatory" : "advisory"}">[${v.level}] ${esc(v.policy)}: ${esc(v.message)}</div>`,
  );
  if (!problems.length && !violations.length) return `<div class="ok">no config problems, no policy violations</div>`;
  return [...problems, ...violations].join("\n");
}

function workloads(view: StackView): string {
  const rows = view.services.map(
    (s) =>
      `<tr><td><b>${esc(s.key)}</b></td><td>${s.public ? "public" : "private"}</td><td>${s.port}</td><td>${esc(s.public ? "anyone" : s.callers.join(", ") || "none")}</td><td>${esc([...s.env, ...s.secrets.map((n) => `${n} (secret)`)].join(", ") || "none")}</td><td>${esc(grantsOf(view, s.key))}</td><td><code>${esc(s.image)}</code></td></tr>`,
  );
  const buckets = view.buckets.map(
    (b) => `<tr><td>${esc(b.key)}</td><td><code>${esc(b.name)}</code></td><td>${esc(accessOf(view, `bucket:${b.key}`))}</td></tr>`,
  );
  const ci = view.ci.map((c) => `<tr><td>${esc(c.workload)}</td><td><code>${esc(c.email)}</code></td><td>${esc(c.roles.join(", "))}</td></tr>`);
  return `<h2>Services</h2><table><tr><th>service</th><th>reach</th><th>port</th><th>callers</th><th>env</th><th>access</th><th>image</th></tr>${rows.join("")}</table>
<h2>Buckets</h2><table>${buckets.join("")}</table>
${view.ci.length ? `<h2>CI identities</h2><table>${ci.join("")}</table>` : ""}`;
}

/** The whole page; with a view it carries the diagram. */
export async function renderHtml(plan: HtmlPlan): Promise<string> {
  const { view, cost } = plan;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>plan: ${esc(plan.stack)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>${STYLE}</style></head>
<body>
<h1>Plan of stack ${esc(plan.stack)}${view ? ` <small>(project ${esc(view.project)}, region ${esc(view.region)})</small>` : ""}</h1>
<h2>Problems and policy</h2>
${verdict(plan)}
${view ? `<h2>Diagram</h2><div id="diagram">${await diagramSvg(view)}</div>` : ""}
${cost ? `<h2>Cost estimate</h2>${costTable(cost)}` : ""}
${view ? workloads(view) : ""}
</body></html>
`;
}
