/** Starting one training run from a stack's outputs: check the GPU quota, submit the job, say where to look. */
import { gpuQuotaProblem, type Quota } from "./quota";

/** The stack's `trainingJob` output. */
export interface TrainingJobOutput {
  kind: "batch" | "vertex";
  project: string;
  region: string;
  name: string;
  labels: Record<string, string>;
  gpu: { type: string; count: number } | null;
  spec: Record<string, unknown>;
  specUri: string;
  modelsUri: string;
}

/** What the run needs from Google; the CLI passes the real clients, tests pass stubs. */
export interface TrainDeps {
  /** GET a Compute Engine REST URL with Application Default Credentials. */
  getJson(url: string): Promise<unknown>;
  submitBatch(req: { parent: string; jobId: string; job: Record<string, unknown> }): Promise<{ name?: string | null; uid?: string | null }>;
  submitVertex(req: { region: string; parent: string; customJob: Record<string, unknown> }): Promise<{ name?: string | null }>;
  now(): Date;
}

export type TrainResult = { ok: true; lines: string[] } | { ok: false; message: string };

const COMPUTE = "https://compute.googleapis.com/compute/v1";

/** A unique id per run: the job name and the UTC time, within Batch's 63 lowercase characters. */
export function runId(name: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15).toLowerCase();
  return `${name}-${stamp}`.slice(0, 63);
}

/** Client libraries take Durations as { seconds }; the stored spec uses the JSON form "3600s". */
export function withDurationObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withDurationObjects);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        const m = typeof v === "string" && ["maxRunDuration", "timeout"].includes(k) ? /^(\d+)s$/.exec(v) : null;
        return [k, m ? { seconds: Number(m[1]) } : withDurationObjects(v)];
      }),
    );
  }
  return value;
}

async function quotaCheck(job: TrainingJobOutput, deps: TrainDeps): Promise<string | undefined> {
  if (!job.gpu || job.kind !== "batch") return undefined;
  const region = (await deps.getJson(`${COMPUTE}/projects/${job.project}/regions/${job.region}`)) as { quotas?: Quota[] };
  const project = (await deps.getJson(`${COMPUTE}/projects/${job.project}`)) as { quotas?: Quota[] };
  const instances = (job.spec.allocationPolicy as { instances?: Array<{ policy?: { provisioningModel?: string } }> } | undefined)?.instances;
  const spot = instances?.[0]?.policy?.provisioningModel === "SPOT";
  return gpuQuotaProblem({
    project: job.project,
    region: job.region,
    gpu: job.gpu,
    spot,
    regionQuotas: region.quotas ?? [],
    projectQuotas: project.quotas ?? [],
  });
}

/** Checks the quota, submits one run and returns what to print: how to follow it and where the model lands. */
export async function startRun(job: TrainingJobOutput, deps: TrainDeps): Promise<TrainResult> {
  const problem = await quotaCheck(job, deps);
  if (problem) return { ok: false, message: problem };
  const id = runId(job.name, deps.now());
  const parent = `projects/${job.project}/locations/${job.region}`;
  const where = `--project ${job.project}`;
  const model = `The trainer writes the model to ${job.modelsUri}models/<UTC time>/ and ${job.modelsUri}models/latest/.`;
  if (job.kind === "batch") {
    const created = await deps.submitBatch({ parent, jobId: id, job: withDurationObjects(job.spec) as Record<string, unknown> });
    return {
      ok: true,
      lines: [
        `submitted Cloud Batch job ${created.name ?? `${parent}/jobs/${id}`}`,
        `status:  gcloud batch jobs describe ${id} --location ${job.region} ${where}`,
        `logs:    gcloud logging read 'logName="projects/${job.project}/logs/batch_task_logs" AND labels.job_uid="${created.uid ?? "<uid from describe>"}"' ${where} --freshness 1d --order asc`,
        `cancel:  gcloud batch jobs delete ${id} --location ${job.region} ${where}`,
        model,
      ],
    };
  }
  const customJob = { displayName: id, labels: job.labels, jobSpec: withDurationObjects(job.spec) as Record<string, unknown> };
  const created = await deps.submitVertex({ region: job.region, parent, customJob });
  const name = created.name ?? `${parent}/customJobs/<id>`;
  return {
    ok: true,
    lines: [
      `submitted Vertex AI custom job ${name} (GPU quota is Vertex AI's own and was not checked here)`,
      `status:  gcloud ai custom-jobs describe ${name}`,
      `logs:    gcloud ai custom-jobs stream-logs ${name}`,
      `cancel:  gcloud ai custom-jobs cancel ${name}`,
      model,
    ],
  };
}
