import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CloudRunService } from "./cloud-run-service";

/**
 * Who publishes budget notifications: "billing-budget-alert@system.gserviceaccount.com" (Cloud Billing,
 * https://cloud.google.com/billing/docs/how-to/budgets-programmatic-notifications). The Budget API grants it
 * publisher itself when a topic is connected (the caller "is expected to have pubsub.topics.setIamPolicy
 * permission on the topic", NotificationsRule.pubsub_topic, billingbudgets v1); the stack states the grant so
 * the plan shows it and a refresh puts it back.
 */
export const BUDGET_PUBLISHER = "serviceAccount:billing-budget-alert@system.gserviceaccount.com";
export const PUBLISHER_ROLE = "roles/pubsub.publisher";

/** The guard's job permissions by training kind: find the stack's runs, and stop them (services/guard/README.md). */
export const GUARD_JOB_PERMISSIONS = {
  // Cloud Batch has no cancel permission; deleting a job stops its tasks.
  batch: ["batch.jobs.delete", "batch.jobs.get", "batch.jobs.list"],
  vertex: ["aiplatform.customJobs.cancel", "aiplatform.customJobs.get", "aiplatform.customJobs.list"],
} as const satisfies Record<string, readonly string[]>;

/** The guard's permissions on each of the stack's Cloud Run services, granted on the service: read it, delete it. */
export const GUARD_RUN_PERMISSIONS = ["run.services.delete", "run.services.get"] as const;

/** What the guard may do with its record in the models bucket: read it by name and create it, nothing else. */
export const GUARD_RECORD_ROLES = ["roles/storage.objectViewer", "roles/storage.objectCreator"] as const;
/** The folder of the models bucket the guard writes to (services/guard/README.md); its trips are under `trips/`. */
export const GUARD_RECORD_PREFIX = "credit-guard/";
export const GUARD_TRIPS_PREFIX = `${GUARD_RECORD_PREFIX}trips/`;

/** The IAM condition that limits a grant on the models bucket to the guard's folder. */
export const recordCondition = (bucket: string) => ({
  title: "credit guard record",
  description: `Objects under ${GUARD_RECORD_PREFIX} only`,
  expression: `resource.name.startsWith("projects/_/buckets/${bucket}/objects/${GUARD_RECORD_PREFIX}")`,
});

/** The log line the guard writes once per trip (services/guard/README.md), which the alert policy mails. */
export const TRIPPED_EVENT = "credit_guard_tripped";
/** The log line of an action (or the record) that failed, or of a setting that stopped the guard at start. */
export const ERROR_EVENT = "credit_guard_error";

export interface BudgetTopicArgs {
  project: string;
  /** Topic id. */
  name: string;
  labels: Record<string, string>;
}

/** The topic the budget publishes every update to, publishable by Cloud Billing alone. Made before the budget. */
export class BudgetTopic extends pulumi.ComponentResource {
  readonly topic: gcp.pubsub.Topic;
  /** `projects/PROJECT/topics/NAME`, the form the budget's allUpdatesRule.pubsubTopic takes. */
  readonly id: pulumi.Output<string>;

  constructor(name: string, args: BudgetTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:guard:BudgetTopic", name, {}, opts);
    const child = { parent: this, dependsOn: opts?.dependsOn };
    this.topic = new gcp.pubsub.Topic(`${name}-topic`, { project: args.project, name: args.name, labels: args.labels }, child);
    new gcp.pubsub.TopicIAMMember(
      `${name}-billing-publisher`,
      { project: args.project, topic: this.topic.name, role: PUBLISHER_ROLE, member: BUDGET_PUBLISHER },
      child,
    );
    this.id = this.topic.id;
    this.registerOutputs({ id: this.id });
  }
}

export interface CreditGuardArgs {
  project: string;
  region: string;
  labels: Record<string, string>;
  /** Cloud Run service, subscription and account ids, custom role ids before their suffix. */
  names: { service: string; subscription: string; runtimeAccount: string; pushAccount: string; jobsRoleBase: string; runRoleBase: string };
  /** The budget's topic (BudgetTopic.id). */
  topic: pulumi.Input<string>;
  /** The guard's image, `name@sha256:…`. */
  image: pulumi.Input<string>;
  /** The cap, a fraction of the budget's amount. */
  stopAt: number;
  billingAccount: string;
  /** The budget's name, `billingAccounts/A/budgets/ID`. */
  budgetName: pulumi.Input<string>;
  /** Cloud Run service names of the stack, all of them (paused or not): the guard deletes those that exist. */
  serviceNames: string[];
  /** The stack's services that exist now, each granted to the guard on itself. */
  services: Array<{ key: string; service: gcp.cloudrunv2.Service }>;
  /** The training kind whose runs the guard stops, if the stack trains. */
  jobKind?: keyof typeof GUARD_JOB_PERMISSIONS;
  /** The models bucket, where the guard records its trips. */
  recordBucket: pulumi.Output<string>;
  /** Trip ids the group acknowledged (mlops:budget.acknowledgedTrips). */
  acknowledged: string[];
  /** Notification channels the trip alert mails. */
  channels: pulumi.Input<string>[];
  /** Who deploys the guard (ci-deploy): it acts as the guard's account and signs the push as its push account. */
  deployers: Array<{ who: string; member: pulumi.Input<string> }>;
  /** The APIs the guard's resources need. */
  needs: pulumi.Resource[];
}

/**
 * The credit guard: a private Cloud Run service (scale to zero, one instance at most) that a push subscription
 * of the budget's topic calls with an OIDC token of its own push account, the only invoker. At the cap it stops
 * the stack's training runs and deletes its Cloud Run services (docs/operations.md); its own account may do that
 * and write its record, nothing else. Not protected, and not paused: it costs nothing while idle.
 */
export class CreditGuard extends pulumi.ComponentResource {
  readonly runtimeAccount: gcp.serviceaccount.Account;
  readonly pushAccount: gcp.serviceaccount.Account;
  readonly service: CloudRunService;
  readonly url: pulumi.Output<string>;
  /** The audience of the push token, one of the service's custom audiences. */
  readonly audience: string;

  constructor(name: string, args: CreditGuardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:guard:CreditGuard", name, {}, opts);
    const child = { parent: this, dependsOn: args.needs };
    const { project, region } = args;
    const account = (who: "runtime" | "push", accountId: string, description: string) =>
      new gcp.serviceaccount.Account(`${name}-${who}`, { project, accountId, displayName: `mlops credit guard ${who}`, description }, child);
    this.runtimeAccount = account(
      "runtime",
      args.names.runtimeAccount,
      "Runs the credit guard: stops training runs and deletes the stack's Cloud Run services at the cap",
    );
    this.pushAccount = account("push", args.names.pushAccount, "Signs the budget topic's pushes to the credit guard (its only invoker)");
    const guard = this.runtimeAccount.member;
    // Deploying a service as an account, and a push subscription signing as one, need actAs on it: on these two only.
    const deployerGrants = args.deployers.flatMap((d) =>
      (["runtime", "push"] as const).map(
        (who) =>
          new gcp.serviceaccount.IAMMember(
            `${name}-${d.who}-actas-${who}`,
            { serviceAccountId: (who === "runtime" ? this.runtimeAccount : this.pushAccount).name, role: "roles/iam.serviceAccountUser", member: d.member },
            child,
          ),
      ),
    );

    // Google keeps a deleted custom role's id for up to 37 days: a new guard gets new ids.
    const suffix = new random.RandomId(`${name}-role-suffix`, { byteLength: 3 }, child);
    const role = (key: string, roleIdBase: string, title: string, description: string, permissions: readonly string[]) =>
      new gcp.projects.IAMCustomRole(
        `${name}-${key}-role`,
        { project, roleId: pulumi.interpolate`${roleIdBase}_${suffix.hex}`, title, description, permissions: [...permissions] },
        child,
      );
    const grants: pulumi.Resource[] = [];
    if (args.jobKind) {
      const what = args.jobKind === "batch" ? "Cloud Batch jobs" : "Vertex AI custom jobs";
      const jobs = role(
        "jobs",
        args.names.jobsRoleBase,
        "mlops credit guard: stop training",
        `List, read and stop ${what} (the credit guard)`,
        GUARD_JOB_PERMISSIONS[args.jobKind],
      );
      // Runs are made by the train command, so they cannot be granted one by one: the project, for one kind of job.
      grants.push(new gcp.projects.IAMMember(`${name}-jobs`, { project, role: jobs.name, member: guard }, child));
    }
    if (args.services.length) {
      const run = role(
        "run",
        args.names.runRoleBase,
        "mlops credit guard: delete services",
        "Read and delete the stack's Cloud Run services, granted on each (the credit guard)",
        GUARD_RUN_PERMISSIONS,
      );
      for (const s of args.services) {
        new gcp.cloudrunv2.ServiceIamMember(
          `${name}-run-${s.key}`,
          { project, location: region, name: s.service.name, role: run.name, member: guard },
          { ...child, dependsOn: [...args.needs, s.service] },
        );
      }
    }
    for (const role of GUARD_RECORD_ROLES) {
      const short = role.split(".")[1];
      grants.push(
        new gcp.storage.BucketIAMMember(
          `${name}-record-${short}`,
          { bucket: args.recordBucket, role, member: guard, condition: args.recordBucket.apply(recordCondition) },
          child,
        ),
      );
    }

    this.audience = `${project}/${args.names.service}`;
    const budgetId = pulumi.output(args.budgetName).apply((n) => n.split("/").pop() ?? n);
    this.service = new CloudRunService(
      `${name}-run`,
      {
        project,
        region,
        serviceName: args.names.service,
        image: args.image,
        port: 8080,
        cpu: "1",
        memory: "512Mi",
        minInstances: 0,
        // One instance handles every notification: the actions are idempotent and a trip is recorded once.
        maxInstances: 1,
        concurrency: 10,
        cpuAlwaysOn: false,
        // Deleting services and jobs waits for Google's operations; the push ack deadline is as long.
        timeoutSeconds: ACK_DEADLINE_SECONDS,
        healthPath: "/health",
        env: {
          GUARD_PROJECT: project,
          GUARD_REGION: region,
          GUARD_STOP_AT: String(args.stopAt),
          GUARD_BUDGET_ID: budgetId,
          GUARD_BILLING_ACCOUNT: args.billingAccount,
          GUARD_LABELS: JSON.stringify({ group: args.labels.group, stack: args.labels.stack }),
          GUARD_SERVICES: args.serviceNames.join(","),
          GUARD_JOB_KINDS: args.jobKind ?? "",
          GUARD_RECORD_BUCKET: args.recordBucket,
          GUARD_ACKNOWLEDGED: args.acknowledged.join(","),
          GUARD_PUSH_AUDIENCE: this.audience,
          GUARD_PUSH_ACCOUNT: this.pushAccount.email,
        },
        secrets: {},
        serviceAccountEmail: this.runtimeAccount.email,
        access: "private",
        invokers: [{ who: "push", member: this.pushAccount.member }],
        customAudiences: [this.audience],
        labels: args.labels,
        needs: [...args.needs, ...grants, ...deployerGrants],
      },
      { parent: this },
    );
    this.url = this.service.url;

    new gcp.pubsub.Subscription(
      `${name}-subscription`,
      {
        project,
        name: args.names.subscription,
        topic: args.topic,
        labels: args.labels,
        pushConfig: { pushEndpoint: this.url, oidcToken: { serviceAccountEmail: this.pushAccount.email, audience: this.audience } },
        ackDeadlineSeconds: ACK_DEADLINE_SECONDS,
        // A failed action is answered 5xx and retried with backoff; budget updates come several times a day,
        // so a day-old one is stale and the next one says the same.
        retryPolicy: { minimumBackoff: "10s", maximumBackoff: "600s" },
        messageRetentionDuration: "86400s",
        // An empty ttl: the subscription never expires, however long nothing is spent.
        expirationPolicy: { ttl: "" },
      },
      // After the push account's invoker grant, so the first push is let in.
      { ...child, dependsOn: [...args.needs, ...deployerGrants, this.service] },
    );

    // Two mails: a trip, and a guard that could not act (an action or its record failed, or a wrong setting
    // stopped it at start), which would otherwise leave the cap unenforced without a word.
    const alerts = [
      {
        key: "tripped",
        event: TRIPPED_EVENT,
        title: "the credit guard stopped compute",
        severity: "CRITICAL",
        runbook: tripRunbook(project, args.names.service, args.recordBucket),
      },
      { key: "failing", event: ERROR_EVENT, title: "the credit guard could not act", severity: "ERROR", runbook: errorRunbook(project, args.names.service) },
    ];
    for (const alert of args.channels.length ? alerts : []) {
      new gcp.monitoring.AlertPolicy(
        `${name}-${alert.key}`,
        {
          project,
          displayName: `${args.names.service}: ${alert.title}`,
          combiner: "OR",
          severity: alert.severity,
          conditions: [
            {
              displayName: `a ${alert.event} log entry`,
              conditionMatchedLog: {
                filter: `resource.type="cloud_run_revision" AND resource.labels.service_name="${args.names.service}" AND jsonPayload.event="${alert.event}"`,
                ...(alert.key === "tripped" ? { labelExtractors: { trip: "EXTRACT(jsonPayload.tripId)" } } : {}),
              },
            },
          ],
          notificationChannels: args.channels,
          // Log-match conditions need a notification rate limit (AlertStrategy.notificationRateLimit).
          alertStrategy: { notificationRateLimit: { period: "300s" }, autoClose: "604800s" },
          documentation: { mimeType: "text/markdown", content: alert.runbook },
          userLabels: args.labels,
        },
        { ...child, dependsOn: [...args.needs, this.service] },
      );
    }
    this.registerOutputs({ url: this.url, runtimeAccount: this.runtimeAccount.email, pushAccount: this.pushAccount.email });
  }
}

/** Pub/Sub's longest ack deadline for a push, 600 s (Subscription.ackDeadlineSeconds); the guard's request timeout too. */
export const ACK_DEADLINE_SECONDS = 600;

function tripRunbook(project: string, service: string, bucket: pulumi.Output<string>): pulumi.Output<string> {
  return pulumi.interpolate`The budget crossed mlops:budget.stopAt: the credit guard stopped the stack's training runs and deleted its Cloud Run services. The data, images, secrets and identities are untouched.

What it did is in gs://${bucket}/${GUARD_TRIPS_PREFIX} (one JSON file per trip) and in its logs:

    gcloud logging read 'resource.labels.service_name="${service}" AND jsonPayload.event:"credit_guard"' --project ${project} --limit 20

To resume, raise mlops:budget.stopAt or mlops:budget.amount, or add the trip id to mlops:budget.acknowledgedTrips, then run \`pulumi up --refresh\` (docs/operations.md).`;
}

function errorRunbook(project: string, service: string): string {
  return `The credit guard logged credit_guard_error: an action or its record failed (Pub/Sub retries the notification with backoff for a day), or a wrong GUARD_* setting stopped it at start. Until it succeeds the cap is not enforced.

Read what failed:

    gcloud logging read 'resource.labels.service_name="${service}" AND jsonPayload.event="credit_guard_error"' --project ${project} --limit 20

A missing permission or a wrong setting is fixed by a pulumi up of this stack's current version; stop what spends by hand meanwhile (mlops:paused: true, and cancel the training runs).`;
}
