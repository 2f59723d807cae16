/** Monitoring inputs: what the stack runs, the group's alert settings and its budget. */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { Monitoring, type WatchedService } from "../components/monitoring";
import type { ProjectServices } from "../components/project-services";
import type { StackConfig } from "../config";

/** Channels and the budget cost nothing and stay while paused; checks and alerts go with what they watch. */
export function observability(
  config: StackConfig,
  apis: ProjectServices,
  watched: { services: WatchedService[]; budgetTopic?: pulumi.Input<string> },
): Monitoring {
  const { alerts, budget, project } = config;
  const { services } = watched;
  const created = new Monitoring(
    "monitoring",
    {
      project,
      region: config.region,
      labels: config.labels,
      emails: alerts.emails,
      services,
      errorRatio: alerts.errorRatio,
      latencyP95Ms: alerts.latencyP95Ms,
      budget: budget && {
        billingAccount: budget.billingAccount,
        amount: budget.amount,
        currency: budget.currency,
        thresholds: budget.thresholds,
        projectNumber: gcp.organizations.getProjectOutput({ projectId: project }).number,
        ...(watched.budgetTopic && { pubsubTopic: watched.budgetTopic }),
      },
    },
    { dependsOn: [...apis.needIfEnabled("monitoring"), ...(budget ? apis.need("billingbudgets") : [])] },
  );
  if (services.length && !alerts.emails.length) {
    pulumi.log.warn("no alert email (mlops:alerts.emails): uptime checks and the dashboard exist, but no alert policy will notify anyone");
  }
  return created;
}
