import json
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from fastapi.testclient import TestClient

from common.storage import FakeStorage
from drift import DRIFT, NO_DRIFT, NOT_ENOUGH_DATA, drift_report, parse_jsonl, rows_from_records
from monitor import create_app

NAMES = ["a", "b"]
RNG = np.random.default_rng(1)
REFERENCE = {"model_version": "v1", "feature_names": NAMES,
             "sample": {"a": RNG.normal(0, 1, 500).tolist(), "b": RNG.normal(5, 2, 500).tolist()}}
SETTINGS = {"models_bucket": "models", "predictions_bucket": "predictions", "min_samples": 50}


def rows(n, shift=0.0, seed=2):
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.normal(shift, 1, n), rng.normal(5, 2, n)]).tolist()


def test_same_distribution_is_no_drift():
    report = drift_report(REFERENCE, rows(300), alpha=0.05, min_samples=50)
    assert report["status"] == NO_DRIFT and not report["drift"]


def test_shifted_feature_is_drift_and_named():
    report = drift_report(REFERENCE, rows(300, shift=1.0), alpha=0.05, min_samples=50)
    assert report["status"] == DRIFT
    assert [f["status"] for f in report["features"]] == [DRIFT, NO_DRIFT]


@pytest.mark.parametrize("n", [0, 1, 49])
def test_too_few_rows_is_not_enough_data_not_no_drift(n):
    report = drift_report(REFERENCE, rows(n, shift=5.0), alpha=0.05, min_samples=50)
    assert report["status"] == NOT_ENOUGH_DATA and not report["drift"]
    assert all(f["p_value"] is None for f in report["features"])


def test_malformed_rows_are_skipped():
    records = [{"features": [[1, 2], [1], ["x", 2], [float("nan"), 1], [True, 1]]}, {"features": None}, {}]
    assert rows_from_records(records, 2) == [[1, 2]]
    assert parse_jsonl(b'{"features": [[1, 2]]}\nnot json\n[1]\n') == [{"features": [[1, 2]]}]


def log_object(storage, when: datetime, batch, i=0):
    """One object as the backend's prediction log names and fills it, written at `when`."""
    data = "".join(json.dumps({"timestamp": when.timestamp(), "features": [r], "predictions": ["x"]}) + "\n"
                   for r in batch)
    storage.create("predictions", f"predictions/{when:%Y-%m-%d}/{when:%H%M%S.%f}-{i:04d}.jsonl", data.encode(),
                   "application/x-ndjson")


def store(reference=REFERENCE, logs=()):
    storage = FakeStorage(buckets={"models", "predictions"})
    if reference is not None:
        storage.write("models", "models/latest/reference.json", json.dumps(reference).encode(), "application/json")
    now = datetime.now(timezone.utc) - timedelta(minutes=1)
    for i, batch in enumerate(logs):
        log_object(storage, now, batch, i)
    return storage


def test_report_endpoint_reads_batched_logs():
    client = TestClient(create_app(store(logs=[rows(100, 3.0, 1), rows(100, 3.0, 2)]), SETTINGS))
    body = client.get("/report").json()
    assert body["status"] == DRIFT and body["n_rows"] == 200
    page = client.get("/report?format=html")
    assert page.status_code == 200 and "<h1>Drift</h1>" in page.text


def test_report_without_logs_is_not_enough_data():
    client = TestClient(create_app(store(), SETTINGS))
    body = client.get("/report").json()
    assert body["status"] == NOT_ENOUGH_DATA and body["n_rows"] == 0
    assert "Not enough data" in client.get("/report?format=html").text


def test_ready_and_health():
    client = TestClient(create_app(store(), SETTINGS))
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready"}


@pytest.mark.parametrize("storage, settings, reason", [
    (store(reference=None), SETTINGS, "no model yet: run training"),
    (store(reference={"feature_names": NAMES}), SETTINGS, "no per-feature sample"),
    (store(), {**SETTINGS, "predictions_bucket": None}, "PREDICTIONS_BUCKET is not set"),
    (store(), {**SETTINGS, "models_bucket": None}, "MODELS_BUCKET is not set"),
    (store(), {**SETTINGS, "predictions_bucket": "missing"}, "cannot list gs://missing/"),
])
def test_not_ready_says_why(storage, settings, reason):
    client = TestClient(create_app(storage, settings))
    r = client.get("/ready")
    assert r.status_code == 503 and reason in r.json()["reason"]
    report = client.get("/report")
    assert report.status_code == 503
