/** Cloud Run services: their schema and their resolved form. */
import { z } from "zod";
import type { ImageSource } from "../components/container-image";
import * as gcp from "../lib/gcp";
import { DEFAULT_RULE_CONFIG } from "../policy/rules/rule";
import { flag, intIn } from "./fields";
import { bucketAccess } from "./storage";
import { envVars, imageSource, SAMPLE_IMAGE, secretNames } from "./workload";

/** The policy pack's cap on a service's instances, which the schema enforces first. */
const MAX_INSTANCES = DEFAULT_RULE_CONFIG.maxInstances;

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
    .regex(gcp.MEMORY, { error: "must be a size such as 512Mi or 2Gi" })
    .default("512Mi")
    .describe("Memory per instance, e.g. 512Mi or 2Gi; Cloud Run bounds it by the CPUs."),
  minInstances: intIn(0, MAX_INSTANCES, "instances").default(0).describe("Instances kept warm; 0 scales to zero and costs nothing idle."),
  maxInstances: intIn(1, MAX_INSTANCES, "instances")
    .default(3)
    .describe(`Upper bound on instances, which caps what a traffic spike can cost (the policy pack allows at most ${MAX_INSTANCES}).`),
  concurrency: intIn(1, 1000, "requests").default(80).describe("Requests one instance serves at once."),
  cpuAlwaysOn: flag()
    .default(false)
    .describe(
      "CPU between requests too (Cloud Run's instance-based billing, cpuIdle off): for a container that works in the background, such as the sample backend's prediction-log writer and model reload. Billed while an instance runs, idle or not; it still scales to zero.",
    ),
  timeoutSeconds: intIn(1, 3600, "seconds").default(300).describe("Request timeout."),
  healthPath: httpPath("/health")
    .optional()
    .describe(
      "HTTP path that answers 200 once the process serves: the startup and liveness probes (and the uptime check of a public service without readyPath).",
    ),
  readyPath: httpPath("/ready")
    .optional()
    .describe(
      "HTTP path that answers 200 only while the service can do its work (model loaded, buckets usable): what the uptime check of a public service and its alert watch.",
    ),
  env: envVars().describe(
    "Environment variables; values may use ${services.NAME.url}, ${buckets.NAME.name}, ${project}, ${region}. DATA_BUCKET, MODELS_BUCKET and PREDICTIONS_BUCKET are the stack's to set, from buckets (docs/wiring.md).",
  ),
  secrets: secretNames().describe("Secrets (from mlops:secrets) the service reads, as env vars of the same name."),
  buckets: bucketAccess
    .default({})
    .describe(
      "Bucket access of the service's account, read or write per bucket; the service gets each granted bucket's name as DATA_BUCKET, MODELS_BUCKET or PREDICTIONS_BUCKET. On a public service, or one a public service calls, write creates objects only (docs/wiring.md).",
    ),
  public: flag().default(false).describe("Reachable by anyone on the internet; otherwise only by its callers."),
  callers: z
    .array(z.string(), { error: "must be a list of service names" })
    .default([])
    .describe("Private services only: the services whose accounts may invoke this one."),
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

export type Service = z.output<typeof service>;

/** A Cloud Run service as the stack runs it: its stack-file entry with defaults applied, plus its names. */
export type ServiceConfig = Omit<Service, "image"> & {
  /** The key in mlops:services; the name in the plan and in outputs. */
  key: string;
  /** The Cloud Run service name, `<prefix>-<key>`. */
  name: string;
  image: ImageSource;
  /** The services whose URL its env names, in the order of the stack's services. */
  calls: string[];
};
