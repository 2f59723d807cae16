/**
 * The credit guard (mlops:budget.stopAt): the budget's topic, the guard and its grants, what it does at the cap
 * in words, and the check that keeps `pulumi up` from bringing the services back after a trip nobody chose to
 * resume from (services/guard/README.md, docs/operations.md).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { BudgetTopic, CreditGuard, GUARD_TRIPS_PREFIX } from "../components/credit-guard";
import type { GithubCi } from "../components/github-ci";
import type { Monitoring, WatchedService } from "../components/monitoring";
import type { ProjectServices } from "../components/project-services";
import type { Buckets } from "../components/storage";
import { CI_WORKLOADS, type StackConfig } from "../config";
import { CREDIT_GUARD } from "../lib/wiring";
import type { Platform } from "./serving";

/** The guard's source in this package (shipped with it, package.json "files"). */
export const GUARD_SOURCE = path.join("services", "guard");

/** The folder of this package: here in the repository, or node_modules/mlops-gcp-stack where a group installs it. */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name === "mlops-gcp-stack") return dir;
    if (path.dirname(dir) === dir) throw new Error(`mlops-gcp-stack's package.json not found above ${from}`);
  }
}

/**
 * The guard's build context, relative to the Pulumi project folder where `pulumi up` runs and builds resolve
 * (`services/guard` in this repository, `node_modules/mlops-gcp-stack/services/guard` in a group's).
 */
export function guardBuildContext(projectDir: string = process.cwd()): string {
  return path.relative(projectDir, path.join(packageRoot(), GUARD_SOURCE)).split(path.sep).join("/");
}

/** The cap in minor units, as trip ids carry it: round(stopAt × amount × 100) (services/guard/README.md). */
export const capMinorUnits = (budget: { amount: number; stopAt: number }): number => Math.round(budget.stopAt * budget.amount * 100);

const money = (minor: number, currency: string) => `${(minor / 100).toFixed(2)} ${currency}`;

/** The trip id of a record object `credit-guard/trips/<id>.json`, or undefined for anything else. */
export function tripIdOf(objectName: string): string | undefined {
  const m = /^credit-guard\/trips\/(\d{4}-\d{2}-\d{2}-(\d+))\.json$/.exec(objectName);
  return m?.[1];
}

/**
 * The trip that keeps the services down, if any: recorded at a cap at or above the current one (the spending
 * that tripped it is still over the cap) and not acknowledged. The latest such trip when there are several.
 */
export function blockingTrip(objectNames: string[], cap: number, acknowledged: string[]): { id: string; cap: number } | undefined {
  const trips = objectNames
    .flatMap((n) => tripIdOf(n) ?? [])
    .map((id) => ({ id, cap: Number(id.split("-").pop()) }))
    .filter((t) => t.cap >= cap && !acknowledged.includes(t.id))
    .sort((a, b) => a.id.localeCompare(b.id));
  return trips.at(-1);
}

/** The one line a deploy after a trip stops with (services/guard/README.md). */
export function tripMessage(trip: { id: string; cap: number }, currency: string): string {
  return `the credit guard stopped compute at ${money(trip.cap, currency)} (trip ${trip.id}); to resume, raise mlops:budget.stopAt or amount, or add ${trip.id} to mlops:budget.acknowledgedTrips, then pulumi up --refresh`;
}

/** What happens at the cap, in words, for the plan and the outputs. */
export function atTheCap(config: StackConfig): string | undefined {
  const b = config.budget;
  if (b?.stopAt === undefined) return undefined;
  const cap = money(capMinorUnits({ amount: b.amount, stopAt: b.stopAt }), b.currency);
  const jobs = config.training
    ? config.training.kind === "vm"
      ? "deletes the running Cloud Batch jobs"
      : "cancels the running Vertex AI custom jobs"
    : undefined;
  const services = config.services.length ? `deletes the Cloud Run services (${config.services.map((s) => s.name).join(", ")})` : undefined;
  const acts = [jobs, services].filter(Boolean).join(" and ") || "has nothing to stop (no training, no services)";
  return `when the budget reports ${cap} or more (stopAt ${b.stopAt} × ${b.amount} ${b.currency}, hours after the spending), the credit guard ${acts}, records the trip in the models bucket and mails the alert channels; data, images, secrets and identities stay, and the next pulumi up refuses to bring the services back until the cap is raised or the trip acknowledged`;
}

/** The budget's topic, made before the budget when the guard is on. */
export function budgetTopic(config: StackConfig, apis: ProjectServices): BudgetTopic | undefined {
  if (config.budget?.stopAt === undefined) return undefined;
  return new BudgetTopic(
    "budget-topic",
    { project: config.project, name: config.names.guard.topic, labels: config.labels },
    { dependsOn: apis.need("pubsub") },
  );
}

/** The guard itself, when the guard is on: after the budget, whose id it reads, and after the services it is granted. */
export function creditGuard(
  config: StackConfig,
  deps: { platform: Platform; topic?: BudgetTopic; monitoring: Monitoring; services: WatchedService[]; ci?: GithubCi },
): CreditGuard | undefined {
  const b = config.budget;
  const { topic, monitoring, platform } = deps;
  if (b?.stopAt === undefined || !topic || !monitoring.budget) return undefined;
  const image = platform.image(CREDIT_GUARD, { build: guardBuildContext() });
  return new CreditGuard(CREDIT_GUARD, {
    project: config.project,
    region: config.region,
    labels: config.labels,
    names: config.names.guard,
    topic: topic.id,
    image: image.ref,
    stopAt: b.stopAt,
    billingAccount: b.billingAccount,
    budgetName: monitoring.budget.name,
    serviceNames: config.services.map((s) => s.name),
    services: deps.services.map((s) => ({ key: s.key, service: s.resource as gcp.cloudrunv2.Service })),
    jobKind: config.training && (config.training.kind === "vm" ? "batch" : "vertex"),
    recordBucket: platform.buckets.names.models,
    acknowledged: b.acknowledgedTrips,
    channels: monitoring.channels.map((c) => c.name),
    deployers: deps.ci ? [{ who: CI_WORKLOADS[1], member: deps.ci.deployAccount.member }] : [],
    needs: platform.apis.need("run", "pubsub", "iam", "logging", "monitoring"),
  });
}

/**
 * What the services wait for on `pulumi up` when the guard is on: the list of trips in the models bucket, which
 * fails the deploy with one line when a trip keeps them down. Nothing in a preview (it lists nothing) or a pause
 * (no services to hold back).
 */
export function tripGate(config: StackConfig, buckets: Buckets): pulumi.Output<pulumi.Resource> | undefined {
  const b = config.budget;
  if (b?.stopAt === undefined || config.paused || pulumi.runtime.isDryRun()) return undefined;
  const cap = capMinorUnits({ amount: b.amount, stopAt: b.stopAt });
  const listed = gcp.storage.getBucketObjectsOutput({ bucket: buckets.names.models, prefix: GUARD_TRIPS_PREFIX });
  return listed.apply((found) => {
    const trip = blockingTrip(
      found.bucketObjects.map((o) => o.name),
      cap,
      b.acknowledgedTrips,
    );
    // RunError: Pulumi prints the message alone, without a stack trace.
    if (trip) throw new pulumi.RunError(tripMessage(trip, b.currency));
    return buckets.buckets.models as pulumi.Resource;
  });
}
