"""What the guard does to the stack's compute at the cap, and its record. Each action is idempotent and touches only
resources that carry every one of the stack's labels; nothing here reads or changes buckets (other than the record),
the registry, secrets, identities, IAM or billing.

- Batch (google-cloud-batch, REST transport): jobs listed with the label filter `labels.KEY="VALUE"` joined by AND
  (https://cloud.google.com/batch/docs/view-jobs-tasks, "View a filtered list of jobs"), each checked again here; a job in QUEUED,
  SCHEDULED or RUNNING is deleted (DeleteJobRequest name, reason, request_id), which stops its tasks.
- Vertex AI custom jobs: the documented REST API through google-auth's AuthorizedSession, not
  google-cloud-aiplatform (2.7.0 installs 161 MB with its dependencies,
  for two calls; this image's whole lock installs 54 MB). customJobs.list with the
  filter `labels.KEY="VALUE"` joined by AND (labels "supports general map functions that is: labels.key=value",
  https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.customJobs/list; values quoted as
  AIP-160 string literals, https://google.aip.dev/160), then customJobs.cancel
  (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.customJobs/cancel) for each job in
  JOB_STATE_QUEUED, JOB_STATE_PENDING or JOB_STATE_RUNNING.
- Cloud Run (google-cloud-run v2, REST transport): each service named in GUARD_SERVICES is read, checked for the
  stack's labels, and deleted with its etag (DeleteServiceRequest name, etag), so a service changed in between is
  not deleted unchecked. Deleting needs no actAs on the runtime account, unlike an update (services/guard/README.md).
- The record: credit-guard/trips/<trip id>.json in the models bucket, read by name, created with ifGenerationMatch=0.
"""

import json
import re
import uuid

from google.api_core import exceptions as api_exceptions
from google.api_core.client_options import ClientOptions
from google.auth.transport.requests import AuthorizedSession
from google.cloud import batch_v1, run_v2, storage

BATCH_RUNNING = (batch_v1.JobStatus.State.QUEUED, batch_v1.JobStatus.State.SCHEDULED, batch_v1.JobStatus.State.RUNNING)
VERTEX_RUNNING = ("JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING")
RECORD_PREFIX = "credit-guard/trips/"
TIMEOUT = 30.0
MAX_PAGES = 50
REQUEST_IDS = uuid.UUID("6f1d3c2a-6a4e-4b7e-9d53-0c2b8f1e7a10")  # namespace of the Batch delete request ids


def label_filter(labels: dict) -> str:
    return " AND ".join(f'labels.{key}="{value}"' for key, value in sorted(labels.items()))


def carries(resource_labels, labels: dict) -> bool:
    return all(resource_labels.get(key) == value for key, value in labels.items())


def _error(what: str, exc: Exception) -> str:
    return f"{what}: {type(exc).__name__}: {str(exc)[:300]}"


class Compute:
    """The stack's Batch jobs, Vertex AI custom jobs and Cloud Run services, as the guard's account sees them."""

    def __init__(self, settings, credentials):
        self.s = settings
        self.parent = f"projects/{settings.project}/locations/{settings.region}"
        options = lambda endpoint: ClientOptions(api_endpoint=endpoint) if endpoint else None  # noqa: E731
        self.batch = batch_v1.BatchServiceClient(credentials=credentials, transport="rest",
                                                 client_options=options(settings.batch_endpoint))
        self.run = run_v2.ServicesClient(credentials=credentials, transport="rest",
                                         client_options=options(settings.run_endpoint))
        self.vertex = AuthorizedSession(credentials)
        # Vertex AI names jobs by project number (projects/123/locations/...): only the name's shape is checked.
        self.vertex_job = re.compile(rf"projects/[a-z0-9-]+/locations/{re.escape(settings.region)}/customJobs/[0-9A-Za-z_-]+")
        self.vertex_base = (settings.vertex_endpoint or f"https://{settings.region}-aiplatform.googleapis.com").rstrip("/")
        self.storage = storage.Client(project=settings.project, credentials=credentials,
                                      client_options=options(settings.storage_endpoint))

    def stop(self, trip: str) -> dict:
        """Stops what runs; never raises: failures are listed in errors (the push then answers 5xx)."""
        actions = {"batchJobsDeleted": [], "vertexJobsCancelled": [], "servicesDeleted": [], "servicesSkipped": [],
                   "errors": []}
        if "batch" in self.s.job_kinds:
            self._batch(trip, actions)
        if "vertex" in self.s.job_kinds:
            self._vertex(actions)
        for name in self.s.services:
            self._service(name, actions)
        return actions

    def _batch(self, trip: str, actions: dict) -> None:
        try:
            jobs = list(self.batch.list_jobs(request=batch_v1.ListJobsRequest(parent=self.parent,
                                                                              filter=label_filter(self.s.labels)),
                                             timeout=TIMEOUT))
        except Exception as exc:  # noqa: BLE001 - every failure is reported, the other actions still run
            actions["errors"].append(_error("listing Batch jobs", exc))
            return
        for job in jobs:
            if not carries(job.labels, self.s.labels) or job.status.state not in BATCH_RUNNING:
                continue
            try:
                self.batch.delete_job(request=batch_v1.DeleteJobRequest(
                    name=job.name, reason=f"credit guard: spending reached the cap (trip {trip})",
                    request_id=str(uuid.uuid5(REQUEST_IDS, f"{trip}/{job.name}/{job.uid}"))), timeout=TIMEOUT)
                actions["batchJobsDeleted"].append(job.name)
            except api_exceptions.NotFound:
                pass  # gone since the list
            except Exception as exc:  # noqa: BLE001
                actions["errors"].append(_error(f"deleting Batch job {job.name}", exc))

    def _vertex(self, actions: dict) -> None:
        url = f"{self.vertex_base}/v1/{self.parent}/customJobs"
        params = {"filter": label_filter(self.s.labels), "pageSize": 100}
        jobs = []
        try:
            for _ in range(MAX_PAGES):
                response = self.vertex.get(url, params=params, timeout=TIMEOUT)
                response.raise_for_status()
                page = response.json()
                jobs += page.get("customJobs", [])
                if not page.get("nextPageToken"):
                    break
                params["pageToken"] = page["nextPageToken"]
        except Exception as exc:  # noqa: BLE001
            actions["errors"].append(_error("listing Vertex AI custom jobs", exc))
            return
        for job in jobs:
            name = job.get("name", "")
            if (not self.vertex_job.fullmatch(name) or not carries(job.get("labels") or {}, self.s.labels)
                    or job.get("state") not in VERTEX_RUNNING):
                continue
            try:
                response = self.vertex.post(f"{self.vertex_base}/v1/{name}:cancel", json={}, timeout=TIMEOUT)
                if response.status_code == 404:
                    continue
                response.raise_for_status()
                actions["vertexJobsCancelled"].append(name)
            except Exception as exc:  # noqa: BLE001
                actions["errors"].append(_error(f"cancelling Vertex AI custom job {name}", exc))

    def _service(self, service: str, actions: dict) -> None:
        name = f"{self.parent}/services/{service}"
        if service == self.s.own_service:
            actions["servicesSkipped"].append(f"{name}: the guard itself")
            return
        try:
            current = self.run.get_service(request=run_v2.GetServiceRequest(name=name), timeout=TIMEOUT)
        except api_exceptions.NotFound:
            return  # deleted already (by an earlier push or the pause)
        except Exception as exc:  # noqa: BLE001
            actions["errors"].append(_error(f"reading Cloud Run service {name}", exc))
            return
        if not carries(current.labels, self.s.labels):
            actions["servicesSkipped"].append(f"{name}: does not carry the stack's labels")
            return
        if "delete_time" in current:
            return  # a deletion is under way
        try:
            self.run.delete_service(request=run_v2.DeleteServiceRequest(name=name, etag=current.etag), timeout=TIMEOUT)
            actions["servicesDeleted"].append(name)
        except api_exceptions.NotFound:
            pass
        except Exception as exc:  # noqa: BLE001
            actions["errors"].append(_error(f"deleting Cloud Run service {name}", exc))

    def recorded(self, trip: str) -> bool:
        """Whether the trip's record exists (read by name: the guard may not list)."""
        return self.storage.bucket(self.s.record_bucket).get_blob(RECORD_PREFIX + f"{trip}.json", timeout=TIMEOUT) is not None

    def record(self, trip: str, content: dict) -> bool:
        """Creates the record; False when it exists already (412: another push recorded this trip first)."""
        blob = self.storage.bucket(self.s.record_bucket).blob(RECORD_PREFIX + f"{trip}.json")
        try:
            blob.upload_from_string(json.dumps(content, indent=2, sort_keys=True), content_type="application/json",
                                    if_generation_match=0, timeout=TIMEOUT)
        except api_exceptions.PreconditionFailed:
            return False
        return True
