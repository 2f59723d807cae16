/** Cloud Run services: their schema, the checks across services, and their resolved form. */
import { z } from "zod";
import * as gcp from "../lib/gcp";
import { intIn } from "../lib/validation";
import type { Names } from "./names";
import { flag } from "./project";
import type { Fields, Parsed } from "./schema";
import { dependencyOrder, findCycle } from "./service-graph";
import { bucketAccess } from "./storage";
import { envChecks, envVars, imageChecks, imageSource, RESERVED_WORKLOADS, references, SAMPLE_IMAGE, secretNames, type ImageSource } from "./workload";

const PORT_ERROR = "must be a port number from 1 to 65535";
const port = () => z.number({ error: PORT_ERROR }).int({ error: PORT_ERROR }).min(1, { error: PORT_ERROR }).max(65535, { error: PORT_ERROR });
const httpPath = (example: string) => z.string().regex(/^\/[\w./-]*$/, { error: `must be a path such as ${example}` });

const service = z.strictObject({
  image: imageSource.prefault({ ref: SAMPLE_IMAGE }).describe("{ build: DIR } or { ref: IMAGE }; default Google's sample image."),
  port: port().default(8080).describe("Port the container listens on (the course's API template uses 8000)."),
  cpu: z
    .union([z.enum(["1", "2", "4", "8"]), z.literal(1), z.literal(2), z.literal(4), z.literal(8)], { error: "must be 1, 2, 4 or 8 CPUs" })
    .transform(String)
    .default("1")
    .describe("CPUs per instance: 1, 2, 4 or 8."),
  memory: z
    .string({ error: "must be a size such as 512Mi or 2Gi" })
    .regex(/^\d+(Mi|Gi)$/, { error: "must be a size such as 512Mi or 2Gi" })
    .default("512Mi")
    .describe("Memory per instance, e.g. 512Mi or 2Gi; Cloud Run bounds it by the CPUs."),
  minInstances: intIn(0, 10, "instances").default(0).describe("Instances kept warm; 0 scales to zero and costs nothing idle."),
  maxInstances: intIn(1, 10, "instances").default(3).describe("Upper bound on instances, which caps what a traffic spike can cost (the policy pack allows at most 10)."),
  concurrency: intIn(1, 1000, "requests").default(80).describe("Requests one instance serves at once."),
  timeoutSeconds: intIn(1, 3600, "seconds").default(300).describe("Request timeout."),
  healthPath: httpPath("/health").optional()
    .describe("HTTP path that answers 200 once the process serves: the startup and liveness probes (and the uptime check of a public service without readyPath)."),
  readyPath: httpPath("/ready").optional()
    .describe("HTTP path that answers 200 only while the service can do its work (model loaded, buckets usable): what the uptime check of a public service and its alert watch."),
  env: envVars()
    .describe("Environment variables; values may use ${services.NAME.url}, ${buckets.NAME.name}, ${project}, ${region}. DATA_BUCKET, MODELS_BUCKET and PREDICTIONS_BUCKET are the stack's to set, from buckets (docs/wiring.md)."),
  secrets: secretNames().describe("Secrets (from mlops:secrets) the service reads, as env vars of the same name."),
  buckets: bucketAccess.default({}).describe("Bucket access of the service's account, read or write per bucket; the service gets each granted bucket's name as DATA_BUCKET, MODELS_BUCKET or PREDICTIONS_BUCKET. On a public service, or one a public service calls, write creates objects only (docs/wiring.md)."),
  public: flag().default(false).describe("Reachable by anyone on the internet; otherwise only by its callers."),
  callers: z.array(z.string(), { error: "must be a list of service names" }).default([]).describe("Private services only: the services whose accounts may invoke this one."),
  metrics: z
    .strictObject({
      port: port().describe("Port of the Prometheus endpoint inside the container."),
      path: httpPath("/metrics").default("/metrics").describe("Path of the Prometheus endpoint."),
    })
    .optional()
    .describe("A Prometheus endpoint to scrape: adds the Managed Prometheus sidecar, so the metrics reach Cloud Monitoring."),
});

export const services = z
  .record(
    z.string().regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, { error: "is not a service name; lowercase letters, digits and hyphens, starting with a letter" }),
    service,
  )
  .default({})
  .describe("Cloud Run services, keyed by name (backend, frontend, monitor, …).");

export const publicInvoker = z
  .enum(["allUsers", "invokerIamDisabled"], { error: "must be allUsers or invokerIamDisabled" })
  .default("allUsers")
  .describe("How public services admit everyone: an allUsers invoker, or invokerIamDisabled where an organisation policy forbids allUsers.");

type Service = z.output<typeof service>;

/** A Cloud Run service as the stack runs it: its stack-file entry with defaults applied, plus its names. */
export type ServiceConfig = Omit<Service, "image"> & {
  /** The key in mlops:services; the name in the plan and in outputs. */
  key: string;
  /** The Cloud Run service name, `<prefix>-<key>`. */
  name: string;
  image: ImageSource;
};


/** Cloud Run limits, callers, references between services. */
export function serviceChecks(f: Fields): string[] {
  const all = f["mlops:services"];
  if (!all) return [];
  const keys = Object.keys(all);
  const problems = Object.entries(all).flatMap(([name, s]) => oneServiceChecks(name, s, keys));
  const cycle = findCycle(all);
  if (cycle) {
    const [first, second] = cycle;
    const env = Object.entries(all[first].env).find(([, v]) => references(v).includes(`services.${second}.url`))?.[0];
    problems.push(`mlops:services.${first}.env.${env}: reference cycle ${cycle.join(" → ")}; a service cannot wait for a service that waits for it`);
  }
  return problems;
}

function oneServiceChecks(name: string, s: Service, keys: string[]): string[] {
  const key = `mlops:services.${name}`;
  const problems: string[] = [];
  if (RESERVED_WORKLOADS.includes(name)) problems.push(`${key}: "${name}" is reserved for the stack's own accounts; choose another service name`);
  const memoryProblem = gcp.cloudRunMemoryProblem(s.cpu, s.memory);
  if (memoryProblem) problems.push(`${key}.memory: ${memoryProblem}`);
  if (s.minInstances > s.maxInstances) problems.push(`${key}.minInstances: ${s.minInstances} is above maxInstances ${s.maxInstances}`);
  s.callers.forEach((caller, i) => {
    if (s.public) problems.push(`${key}.callers: a public service admits everyone; callers apply to private services only`);
    else if (caller === name) problems.push(`${key}.callers[${i}]: a service does not need to call itself`);
    else if (!keys.includes(caller)) problems.push(`${key}.callers[${i}]: "${caller}" is not a service; services: ${keys.join(", ")}`);
  });
  problems.push(...envChecks(key, s.env, keys));
  problems.push(...imageChecks(`${key}.image`, s.image as ImageSource, true));
  return problems;
}

/** The services, each after the services its env refers to, with their Cloud Run names. */
export function resolveServices(p: Parsed, names: Names): ServiceConfig[] {
  const all = p["mlops:services"];
  return dependencyOrder(all).map((key) => ({
    ...all[key],
    key,
    name: names.serviceName(key),
    image: all[key].image as ImageSource,
  }));
}
