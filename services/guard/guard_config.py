"""The guard's settings: the GUARD_* variables the stack sets (docs: services/guard/README.md), checked at startup
so a wrong value stops the service with one line naming the variable, before it answers any push."""

import json
import math
import os
import re
from dataclasses import dataclass

TRIP_ID = re.compile(r"^\d{4}-\d{2}-\d{2}-\d+$")
# Google's label rules (https://cloud.google.com/resource-manager/docs/labels-overview#requirements), ASCII only:
# the stack's labels are ASCII, and a value outside this set could not be put in a list filter unescaped.
LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
# Cloud Run service names: https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services (serviceId)
SERVICE_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$")
PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")
BILLING_ACCOUNT = re.compile(r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")
BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
JOB_KINDS = ("batch", "vertex")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    project: str
    region: str
    stop_at: float
    budget_id: str
    billing_account: str
    labels: dict
    services: tuple
    job_kinds: tuple
    record_bucket: str
    acknowledged: frozenset
    push_audience: str
    push_account: str
    # Test overrides only (the stack never sets them): where the clients send their requests.
    batch_endpoint: str | None = None
    vertex_endpoint: str | None = None
    run_endpoint: str | None = None
    storage_endpoint: str | None = None
    certs_url: str | None = None
    require_signature: bool = False
    own_service: str | None = None


def _list(value: str) -> list:
    return [item.strip() for item in value.split(",") if item.strip()]


def _required(name: str, value: str | None) -> str:
    if value is None or not value.strip():
        raise ConfigError(f"{name} is not set; the stack sets it (services/guard/README.md)")
    return value.strip()


def _match(name: str, value: str, pattern: re.Pattern, allowed: str) -> str:
    if not pattern.fullmatch(value):
        raise ConfigError(f"{name}={value!r} is not {allowed}")
    return value


def load() -> Settings:
    """Reads and checks every GUARD_* variable; raises ConfigError naming the first wrong one."""
    try:
        env = {
            "GUARD_PROJECT": os.environ["GUARD_PROJECT"],
            "GUARD_REGION": os.environ["GUARD_REGION"],
            "GUARD_STOP_AT": os.environ["GUARD_STOP_AT"],
            "GUARD_BUDGET_ID": os.environ["GUARD_BUDGET_ID"],
            "GUARD_BILLING_ACCOUNT": os.environ["GUARD_BILLING_ACCOUNT"],
            "GUARD_LABELS": os.environ["GUARD_LABELS"],
            "GUARD_RECORD_BUCKET": os.environ["GUARD_RECORD_BUCKET"],
            "GUARD_PUSH_AUDIENCE": os.environ["GUARD_PUSH_AUDIENCE"],
            "GUARD_PUSH_ACCOUNT": os.environ["GUARD_PUSH_ACCOUNT"],
        }
    except KeyError as missing:
        raise ConfigError(f"{missing.args[0]} is not set; the stack sets it (services/guard/README.md)") from None
    # May be empty (a stack without services or training); absent counts as empty.
    env["GUARD_SERVICES"] = os.environ.get("GUARD_SERVICES", "")
    env["GUARD_JOB_KINDS"] = os.environ.get("GUARD_JOB_KINDS", "")
    env["GUARD_ACKNOWLEDGED"] = os.environ.get("GUARD_ACKNOWLEDGED", "")
    project = _match("GUARD_PROJECT", _required("GUARD_PROJECT", env["GUARD_PROJECT"]), PROJECT_ID, "a project id")
    region = _match("GUARD_REGION", _required("GUARD_REGION", env["GUARD_REGION"]), REGION, "a region such as europe-west1")
    stop_text = _required("GUARD_STOP_AT", env["GUARD_STOP_AT"])
    try:
        stop_at = float(stop_text)
    except ValueError:
        stop_at = math.nan
    if not (math.isfinite(stop_at) and 0 < stop_at <= 2):
        raise ConfigError(f"GUARD_STOP_AT={stop_text!r} is not a fraction above 0 and at most 2")
    budget_id = _match("GUARD_BUDGET_ID", _required("GUARD_BUDGET_ID", env["GUARD_BUDGET_ID"]),
                       re.compile(r"^[A-Za-z0-9_-]{1,128}$"), "a budget id (the last segment of the budget's name)")
    billing = _match("GUARD_BILLING_ACCOUNT", _required("GUARD_BILLING_ACCOUNT", env["GUARD_BILLING_ACCOUNT"]),
                     BILLING_ACCOUNT, "a billing account id such as 012345-6789AB-CDEF01")
    labels_text = _required("GUARD_LABELS", env["GUARD_LABELS"])
    try:
        labels = json.loads(labels_text)
    except ValueError:
        labels = None
    # At least one label: an empty filter would match every job of the project, not only the stack's.
    if not isinstance(labels, dict) or not labels:
        raise ConfigError(f"GUARD_LABELS={labels_text!r} is not a non-empty JSON object of labels")
    for key, value in labels.items():
        if not (isinstance(value, str) and LABEL_KEY.fullmatch(key) and LABEL_VALUE.fullmatch(value)):
            raise ConfigError(f"GUARD_LABELS: {key!r}: {value!r} is not a label (lowercase letters, digits, '_' and '-')")
    services = tuple(_match("GUARD_SERVICES", s, SERVICE_NAME, "a Cloud Run service name")
                     for s in _list(env["GUARD_SERVICES"]))
    kinds = tuple(_list(env["GUARD_JOB_KINDS"]))
    for kind in kinds:
        if kind not in JOB_KINDS:
            raise ConfigError(f"GUARD_JOB_KINDS: {kind!r} is not one of {', '.join(JOB_KINDS)}")
    bucket = _match("GUARD_RECORD_BUCKET", _required("GUARD_RECORD_BUCKET", env["GUARD_RECORD_BUCKET"]),
                    BUCKET, "a bucket name")
    acknowledged = frozenset(_match("GUARD_ACKNOWLEDGED", t, TRIP_ID, "a trip id such as 2026-12-01-5000")
                             for t in _list(env["GUARD_ACKNOWLEDGED"]))
    audience = _required("GUARD_PUSH_AUDIENCE", env["GUARD_PUSH_AUDIENCE"])
    account = _match("GUARD_PUSH_ACCOUNT", _required("GUARD_PUSH_ACCOUNT", env["GUARD_PUSH_ACCOUNT"]), EMAIL,
                     "a service account email")
    return Settings(
        project=project, region=region, stop_at=stop_at, budget_id=budget_id, billing_account=billing,
        labels=dict(sorted(labels.items())), services=services, job_kinds=kinds, record_bucket=bucket,
        acknowledged=acknowledged, push_audience=audience, push_account=account,
        batch_endpoint=os.environ.get("GUARD_BATCH_ENDPOINT") or None,
        vertex_endpoint=os.environ.get("GUARD_VERTEX_ENDPOINT") or None,
        run_endpoint=os.environ.get("GUARD_RUN_ENDPOINT") or None,
        storage_endpoint=os.environ.get("GUARD_STORAGE_ENDPOINT") or None,
        certs_url=os.environ.get("GUARD_CERTS_URL") or None,
        require_signature=os.environ.get("GUARD_REQUIRE_SIGNATURE", "") == "1",
        own_service=os.environ.get("K_SERVICE") or None,  # set by Cloud Run: the guard never deletes itself
    )
