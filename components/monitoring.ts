import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export interface WatchedService {
  /** Key in mlops:services. */
  key: string;
  /** Cloud Run service name. */
  serviceName: string;
  url: pulumi.Output<string>;
  public: boolean;
  /** Answers once the process serves (the startup probe's path). */
  healthPath?: string;
  /** Answers 200 only while the service can do its work; the uptime check watches it, else healthPath. */
  readyPath?: string;
  /** What a failing readiness check can mean for this service and what to do, one Markdown line each. */
  readyHints?: pulumi.Input<string>[];
  /** The service itself: checks and alerts wait for it and go when it goes. */
  resource: pulumi.Resource;
}

export interface MonitoringArgs {
  project: string;
  region: string;
  labels: Record<string, string>;
  emails: string[];
  services: WatchedService[];
  /** Share of 5xx responses above which a service alerts. */
  errorRatio: number;
  latencyP95Ms: number;
  budget?: {
    billingAccount: string;
    amount: number;
    currency: string;
    thresholds: number[];
    projectNumber: pulumi.Input<string>;
    /** A topic (`projects/P/topics/T`) that gets every update of the budget: the credit guard's. */
    pubsubTopic?: pulumi.Input<string>;
  };
}

const RUN = 'resource.type="cloud_run_revision"';
const requestCount = (service: string) => `metric.type="run.googleapis.com/request_count" AND ${RUN} AND resource.label.service_name="${service}"`;
const latency = (service: string) => `metric.type="run.googleapis.com/request_latencies" AND ${RUN} AND resource.label.service_name="${service}"`;
const instanceCount = (service: string) => `metric.type="run.googleapis.com/container/instance_count" AND ${RUN} AND resource.label.service_name="${service}"`;
const perService = (aligner: string) => ({
  alignmentPeriod: "300s",
  perSeriesAligner: aligner,
  crossSeriesReducer: "REDUCE_SUM",
  groupByFields: ["resource.label.service_name"],
});

/** The filters and aligners of each alert, as pure data, so they can be checked without a cloud. */
export const alertConditions = {
  /** request_count is a DELTA INT64 counter: ALIGN_RATE then a sum, numerator 5xx over all requests. */
  errorRatio: (service: string, ratio: number) => ({
    filter: `${requestCount(service)} AND metric.label.response_code_class="5xx"`,
    aggregations: [perService("ALIGN_RATE")],
    denominatorFilter: requestCount(service),
    denominatorAggregations: [perService("ALIGN_RATE")],
    comparison: "COMPARISON_GT",
    thresholdValue: ratio,
    duration: "300s",
  }),
  /** request_latencies is a DISTRIBUTION: a percentile aligner (ALIGN_RATE is rejected for it). */
  latencyP95: (service: string, ms: number) => ({
    filter: latency(service),
    aggregations: [
      { alignmentPeriod: "300s", perSeriesAligner: "ALIGN_PERCENTILE_95", crossSeriesReducer: "REDUCE_MAX", groupByFields: ["resource.label.service_name"] },
    ],
    comparison: "COMPARISON_GT",
    thresholdValue: ms,
    duration: "300s",
  }),
  uptime: (checkId: pulumi.Input<string>) => ({
    filter: pulumi.interpolate`metric.type="monitoring.googleapis.com/uptime_check/check_passed" AND resource.type="uptime_url" AND metric.label.check_id="${checkId}"`,
    aggregations: [
      { alignmentPeriod: "1200s", perSeriesAligner: "ALIGN_NEXT_OLDER", crossSeriesReducer: "REDUCE_COUNT_FALSE", groupByFields: ["resource.label.*"] },
    ],
    comparison: "COMPARISON_GT",
    thresholdValue: 1,
    duration: "60s",
  }),
};

type Condition = gcp.types.input.monitoring.AlertPolicyConditionConditionThreshold;
/** Makes one alert policy (`MONITORING-ID`) that waits for and goes with what it watches; nothing without channels. */
type Alert = (id: string, displayName: string, condition: Condition, documentation: pulumi.Input<string>, watched: pulumi.Resource[]) => void;
/** Options of a child of the component that waits for the given resources (and for what the component waits for). */
type ChildOptions = (dependsOn?: pulumi.Resource[]) => pulumi.CustomResourceOptions;

/**
 * Monitoring a group can act on: an email channel per address, an uptime check and alert for every public
 * service with a ready or health path (the ready path when both), 5xx-share and p95-latency alerts per
 * service, a dashboard, and an optional budget. Every alert says what
 * to check and the command to run.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly channels: gcp.monitoring.NotificationChannel[];
  readonly dashboard?: gcp.monitoring.Dashboard;
  readonly budget?: gcp.billing.Budget;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:observability:Monitoring", name, {}, opts);
    const child: ChildOptions = (dependsOn = []) => ({ parent: this, dependsOn: [...((opts?.dependsOn as pulumi.Resource[]) ?? []), ...dependsOn] });

    // Keyed by the address, so removing one renames no other. Up to 0.2.0 they were keyed by position: the
    // alias carries a deployed channel over on the first up of this version (with the list as deployed); after
    // it Pulumi finds each channel under its own name first and no state answers to an old name any more.
    this.channels = args.emails.map(
      (email, i) =>
        new gcp.monitoring.NotificationChannel(
          channelName(name, email),
          { project: args.project, type: "email", displayName: `mlops alerts: ${email}`, labels: { email_address: email }, userLabels: args.labels },
          { ...child(), aliases: [{ name: `${name}-email-${i}` }] },
        ),
    );
    const channelNames = this.channels.map((c) => c.name);
    const alert: Alert = (id, displayName, condition, documentation, watched) => {
      if (!channelNames.length) return;
      new gcp.monitoring.AlertPolicy(
        `${name}-${id}`,
        {
          project: args.project,
          displayName,
          combiner: "OR",
          conditions: [{ displayName, conditionThreshold: condition }],
          notificationChannels: channelNames,
          documentation: { mimeType: "text/markdown", content: documentation },
          alertStrategy: { autoClose: "86400s" },
          userLabels: args.labels,
        },
        child(watched),
      );
    };

    for (const s of args.services) watchService(name, args, s, alert, child);
    this.dashboard = dashboard(name, args, child);
    if (args.budget) this.budget = budget(name, args.project, args.budget, channelNames, child);
    this.registerOutputs({ dashboard: this.dashboard?.id });
  }
}

/** The logical name of an address's channel: the address itself (case aside), which no other entry shares. */
export const channelName = (monitoring: string, email: string): string => `${monitoring}-email-${email.toLowerCase()}`;

/**
 * A service's alerts: down (an uptime check of its ready path, else its health path, for public services
 * with either), 5xx share, p95 latency.
 */
function watchService(name: string, args: MonitoringArgs, s: WatchedService, alert: Alert, child: ChildOptions): void {
  const { project, region } = args;
  const logs = `gcloud run services logs read ${s.serviceName} --region ${region} --project ${project} --limit 100`;
  const watchedPath = s.readyPath ?? s.healthPath;
  if (s.public && watchedPath) {
    const host = s.url.apply((u) => new URL(u).host);
    const check = new gcp.monitoring.UptimeCheckConfig(
      `${name}-${s.key}-uptime`,
      {
        project,
        displayName: `${s.serviceName} ${watchedPath}`,
        timeout: "10s",
        period: "300s",
        httpCheck: { path: watchedPath, port: 443, useSsl: true, validateSsl: true, requestMethod: "GET" },
        monitoredResource: { type: "uptime_url", labels: { project_id: project, host } },
        userLabels: args.labels,
      },
      child([s.resource]),
    );
    alert(`${s.key}-down`, `${s.serviceName} is down`, alertConditions.uptime(check.uptimeCheckId), downRunbook(s, watchedPath, logs), [s.resource, check]);
  }
  alert(
    `${s.key}-errors`,
    `${s.serviceName}: more than ${Math.round(args.errorRatio * 100)} % of requests fail`,
    alertConditions.errorRatio(s.serviceName, args.errorRatio),
    `More than ${Math.round(args.errorRatio * 100)} % of the requests to ${s.serviceName} answered 5xx for 5 minutes. Look for exceptions in its logs, then roll back to the previous revision if a deploy caused it:\n\n    ${logs}\n    gcloud run revisions list --service ${s.serviceName} --region ${region} --project ${project}`,
    [s.resource],
  );
  alert(
    `${s.key}-latency`,
    `${s.serviceName}: p95 latency above ${args.latencyP95Ms} ms`,
    alertConditions.latencyP95(s.serviceName, args.latencyP95Ms),
    `The 95th percentile latency of ${s.serviceName} stayed above ${args.latencyP95Ms} ms for 5 minutes. Cold starts (scale from zero), a model loaded per request or too little CPU or memory are the usual causes; check the instance count on the dashboard and the logs:\n\n    ${logs}\n\nmlops:services.${s.key}.minInstances: 1 removes cold starts (it costs money while idle).`,
    [s.resource],
  );
}

/** What the "down" alert tells the group: with a ready path, the usual reasons a service is up but not ready. */
function downRunbook(s: WatchedService, path: string, logs: string): pulumi.Output<string> {
  if (!s.readyPath) {
    return pulumi.interpolate`The uptime check of ${s.url}${path} failed from more than one region. Check that the service starts (its startup probe hits ${path}) and read its logs:\n\n    ${logs}\n\nTry it yourself: \`curl -fsS ${s.url}${path}\`.`;
  }
  const starts = `its startup probe hits ${s.healthPath ?? "nothing (set healthPath)"}; a crash at import or a wrong port are the usual causes`;
  return pulumi
    .all([s.url, pulumi.all(s.readyHints ?? [])])
    .apply(([url, hints]) =>
      [
        `The readiness check of ${url}${path} failed from more than one region: ${s.serviceName} does not start, or runs but cannot do its work. ` +
          `See why: \`curl -sS ${url}${path}\` answers 503 with the reason.`,
        "",
        ...hints.map((h) => `- ${h}`),
        `- Not started: ${starts}.`,
        "",
        "Its logs:",
        "",
        `    ${logs}`,
      ].join("\n"),
    );
}

/** One dashboard with traffic, errors, latency and instances per service; none without services. */
function dashboard(name: string, args: MonitoringArgs, child: ChildOptions): gcp.monitoring.Dashboard | undefined {
  const charts = args.services.flatMap((s) => [
    chart(`${s.key}: requests/s`, requestCount(s.serviceName), "ALIGN_RATE", "REDUCE_SUM"),
    chart(`${s.key}: 5xx/s`, `${requestCount(s.serviceName)} AND metric.label.response_code_class="5xx"`, "ALIGN_RATE", "REDUCE_SUM"),
    chart(`${s.key}: p50 latency (ms)`, latency(s.serviceName), "ALIGN_PERCENTILE_50", "REDUCE_MAX"),
    chart(`${s.key}: p95 latency (ms)`, latency(s.serviceName), "ALIGN_PERCENTILE_95", "REDUCE_MAX"),
    chart(`${s.key}: instances`, instanceCount(s.serviceName), "ALIGN_MAX", "REDUCE_SUM"),
  ]);
  if (!charts.length) return undefined;
  return new gcp.monitoring.Dashboard(
    `${name}-dashboard`,
    {
      project: args.project,
      dashboardJson: JSON.stringify(
        withoutDefaults({
          displayName: `mlops ${args.labels.stack ?? args.project}`,
          mosaicLayout: { columns: 12, tiles: charts.map((widget, i) => ({ xPos: (i % 2) * 6, yPos: Math.floor(i / 2) * 4, width: 6, height: 4, widget })) },
        }),
      ),
    },
    child(args.services.map((s) => s.resource)),
  );
}

/** The billing budget, mailing the alert channels at each threshold. */
function budget(
  name: string,
  project: string,
  b: NonNullable<MonitoringArgs["budget"]>,
  channelNames: pulumi.Output<string>[],
  child: ChildOptions,
): gcp.billing.Budget {
  // "Only \"1.0\" is accepted" for schemaVersion, required with pubsubTopic (billingbudgets v1 NotificationsRule).
  const topic = b.pubsubTopic === undefined ? {} : { pubsubTopic: b.pubsubTopic, schemaVersion: "1.0" };
  return new gcp.billing.Budget(
    `${name}-budget`,
    {
      billingAccount: b.billingAccount,
      displayName: `mlops ${project}`,
      // Course credits pay the bill; the budget is about spending them, so it counts cost before credits.
      budgetFilter: { projects: [pulumi.interpolate`projects/${b.projectNumber}`], creditTypesTreatment: "EXCLUDE_ALL_CREDITS" },
      amount: { specifiedAmount: { currencyCode: b.currency, units: String(Math.floor(b.amount)), nanos: Math.round((b.amount % 1) * 1e9) } },
      thresholdRules: b.thresholds.map((thresholdPercent) => ({ thresholdPercent })),
      allUpdatesRule: { monitoringNotificationChannels: channelNames, disableDefaultIamRecipients: false, ...topic },
    },
    child(),
  );
}

/**
 * JSON as the Monitoring API returns it: proto3 JSON leaves out every field at its default (0, "", false,
 * [] and {}; https://protobuf.dev/programming-guides/json/), and the provider diffs dashboardJson against
 * what it reads back, so a default written here is a diff on every preview (terraform-provider-google#16173).
 */
export function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaults);
  if (!value || typeof value !== "object") return value;
  const kept = Object.entries(value)
    .map(([k, v]) => [k, withoutDefaults(v)] as const)
    .filter(([, v]) => !isDefault(v));
  return Object.fromEntries(kept);
}

const isDefault = (v: unknown): boolean =>
  v === 0 || v === "" || v === false || (Array.isArray(v) ? v.length === 0 : typeof v === "object" && v !== null && Object.keys(v).length === 0);

function chart(title: string, filter: string, aligner: string, reducer: string) {
  return {
    title,
    xyChart: {
      dataSets: [
        {
          plotType: "LINE",
          timeSeriesQuery: {
            timeSeriesFilter: {
              filter,
              aggregation: { alignmentPeriod: "60s", perSeriesAligner: aligner, crossSeriesReducer: reducer, groupByFields: ["resource.label.service_name"] },
            },
          },
        },
      ],
    },
  };
}
