/**
 * The stack as a Graphviz DOT graph: services, training, buckets, registry and CI identities as nodes; who
 * calls whom, who reads and who writes what as edges. Node ids are `service:KEY`, `bucket:KEY`, `training`,
 * `registry`, `ci:WORKLOAD` and `internet`, so a test can find them in the rendered SVG's <title>s.
 */
import type { StackView } from "./view";

/** A DOT string literal. */
const q = (text: string): string => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;

const COLORS = {
  service: "#dbeafe",
  training: "#fef3c7",
  bucket: "#dcfce7",
  registry: "#ede9fe",
  ci: "#f3f4f6",
  read: "#2563eb",
  write: "#dc2626",
  call: "#374151",
};

function node(id: string, label: string, fill: string, shape = "box"): string {
  return `    ${q(id)} [label=${q(label)}, fillcolor=${q(fill)}, shape=${shape}];`;
}

function cluster(name: string, label: string, lines: string[]): string[] {
  if (!lines.length) return [];
  return [`  subgraph ${q(`cluster_${name}`)} {`, `    label=${q(label)}; style="rounded,dashed"; color="#9ca3af";`, ...lines, "  }"];
}

const short = (image: string): string =>
  image
    .replace(/@sha256:([a-f0-9]{8})[a-f0-9]+$/, "@…$1")
    .split("/")
    .slice(-1)[0];

function nodes(view: StackView): string[] {
  const services = view.services.map((s) =>
    node(
      `service:${s.key}`,
      `${s.key}\n${s.public ? "public" : "private"} · port ${s.port}\n${short(s.image)}${s.env.length || s.secrets.length ? `\nenv: ${[...s.env, ...s.secrets].join(", ")}` : ""}`,
      COLORS.service,
    ),
  );
  const t = view.training;
  return [
    ...(view.services.some((s) => s.public) ? [`  "internet" [label="internet", shape=ellipse, fillcolor="#ffffff"];`] : []),
    ...cluster(
      "ci",
      `GitHub Actions: ${view.github ?? ""}`,
      view.ci.map((c) => node(`ci:${c.workload}`, `${c.workload}\n${c.roles.length} roles`, COLORS.ci)),
    ),
    ...cluster("services", "Cloud Run services", services),
    ...cluster("training", "training", t ? [node("training", `trainer (${t.kind})\n${t.machine}\n${short(t.image)}`, COLORS.training)] : []),
    ...cluster(
      "storage",
      "Cloud Storage",
      view.buckets.map((b) => node(`bucket:${b.key}`, `${b.key}\n${b.name}`, COLORS.bucket, "cylinder")),
    ),
    ...(view.registry ? [node("registry", `Artifact Registry\n${view.registry}`, COLORS.registry, "folder")] : []),
  ];
}

/** The graph node of a workload name (a service key, `trainer`, or a CI workload). */
function workloadNode(view: StackView, workload: string): string | undefined {
  if (workload === "trainer") return view.training ? "training" : undefined;
  if (view.ci.some((c) => c.workload === workload)) return `ci:${workload}`;
  return view.services.some((s) => s.key === workload) ? `service:${workload}` : undefined;
}

function edges(view: StackView): string[] {
  const edge = (from: string, to: string, label: string, color: string, extra = "") =>
    `  ${q(from)} -> ${q(to)} [label=${q(label)}, color=${q(color)}, fontcolor=${q(color)}${extra}];`;
  const lines: string[] = [];
  for (const s of view.services) {
    if (s.public) lines.push(edge("internet", `service:${s.key}`, "HTTPS", COLORS.call));
    for (const caller of s.callers) {
      const from = workloadNode(view, caller);
      if (from) lines.push(edge(from, `service:${s.key}`, "invokes", COLORS.call));
    }
    // A call through an env URL to a service that lists this one as a caller is already an "invokes" edge.
    for (const callee of s.calls.filter((c) => !view.services.find((o) => o.key === c)?.callers.includes(s.key))) {
      lines.push(edge(`service:${s.key}`, `service:${callee}`, "calls", COLORS.call, ", style=dashed"));
    }
  }
  for (const g of view.grants) {
    const who = workloadNode(view, g.workload);
    if (!who) continue;
    if (g.access === "read") lines.push(edge(g.target, who, g.target === "registry" ? "pulls" : "read", COLORS.read));
    else lines.push(edge(who, g.target, g.target === "registry" ? "pushes" : "write", COLORS.write));
  }
  return lines;
}

export function stackDot(view: StackView): string {
  return [
    `digraph ${q(view.stack)} {`,
    `  rankdir=TB; bgcolor="transparent"; fontname="Helvetica"; fontsize=12; nodesep=0.25; ranksep=0.6;`,
    `  node [style="rounded,filled", fontname="Helvetica", fontsize=12, color="#6b7280"];`,
    `  edge [fontname="Helvetica", fontsize=10, arrowsize=0.7];`,
    ...nodes(view),
    ...edges(view),
    "}",
  ].join("\n");
}
