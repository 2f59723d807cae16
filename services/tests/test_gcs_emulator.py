"""common/storage.py's GcsStorage with the real google-cloud-storage client against a GCS emulator
(fake-gcs-server), and the trainer, backend and monitor end to end through it."""

import json

import pytest
from fastapi.testclient import TestClient

from common.storage import AlreadyExistsError, GcsStorage, NotFoundError


def test_create_refuses_to_overwrite(gcs):
    store, bucket = GcsStorage(gcs), gcs.test_buckets["predictions"]
    store.create(bucket, "predictions/a.jsonl", b"first", "application/x-ndjson")
    with pytest.raises(AlreadyExistsError):
        store.create(bucket, "predictions/a.jsonl", b"second", "application/x-ndjson")
    assert store.read(bucket, "predictions/a.jsonl") == b"first"


def test_create_with_a_timeout_writes(gcs):
    store, bucket = GcsStorage(gcs), gcs.test_buckets["predictions"]
    store.create(bucket, "predictions/t.jsonl", b"x", "application/x-ndjson", timeout=3.0)
    assert store.read(bucket, "predictions/t.jsonl") == b"x"
    blob = gcs.bucket(bucket).get_blob("predictions/t.jsonl")
    assert blob.content_type == "application/x-ndjson"


def test_write_replaces_and_read_returns_the_bytes(gcs):
    store, bucket = GcsStorage(gcs), gcs.test_buckets["models"]
    store.write(bucket, "models/latest/reference.json", b'{"v": 1}', "application/json")
    store.write(bucket, "models/latest/reference.json", b'{"v": 2}', "application/json")
    assert store.read(bucket, "models/latest/reference.json") == b'{"v": 2}'


def test_missing_objects_and_buckets_are_not_found(gcs):
    store = GcsStorage(gcs)
    with pytest.raises(NotFoundError):
        store.read(gcs.test_buckets["models"], "models/latest/model.joblib")
    with pytest.raises(NotFoundError):
        store.list("no-such-bucket-here", "predictions/")


def test_list_by_prefix_from_a_day_on_in_name_order(gcs):
    store, bucket = GcsStorage(gcs), gcs.test_buckets["predictions"]
    names = ["predictions/2026-03-01/235959.000000-a.jsonl", "predictions/2026-03-02/000001.000000-b.jsonl",
             "predictions/2026-03-02/120000.000000-c.jsonl", "predictions/2026-03-03/000000.000000-d.jsonl",
             "other/2026-03-02/x.jsonl"]
    for name in reversed(names):
        store.create(bucket, name, b"{}\n", "application/x-ndjson")
    assert store.list(bucket, "predictions/") == names[:4]
    assert store.list(bucket, "predictions/", start_offset="predictions/2026-03-02/") == names[1:4]
    assert store.list(bucket, "predictions/2026-03-02/") == names[1:3]
    assert store.list(bucket, "predictions/", limit=1) == names[:1]


def test_trainer_backend_and_monitor_end_to_end(gcs, monkeypatch):
    import monitor
    import server
    import train

    buckets = gcs.test_buckets
    monkeypatch.setenv("MODELS_BUCKET", buckets["models"])
    monkeypatch.delenv("DATA_BUCKET", raising=False)
    monkeypatch.delenv("AIP_MODEL_DIR", raising=False)
    reference = train.main(GcsStorage(gcs))
    assert sorted(GcsStorage(gcs).list(buckets["models"], "models/latest/")) == [
        "models/latest/model.joblib", "models/latest/reference.json"]

    settings = {"models_bucket": buckets["models"], "predictions_bucket": buckets["predictions"],
                "max_body": 65536, "log_queue": 1000}
    app = server.create_app(GcsStorage(gcs), settings)
    rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]] * 20
    with TestClient(app) as client:
        app.state.model.load()
        assert client.get("/ready").json()["model_version"] == reference["model_version"]
        for row in rows:
            assert client.post("/predict", json={"features": [row]}).status_code == 200
    logged = GcsStorage(gcs).list(buckets["predictions"], "predictions/")
    assert logged and all(n.endswith(".jsonl") for n in logged)
    records = [json.loads(line) for name in logged
               for line in GcsStorage(gcs).read(buckets["predictions"], name).decode().splitlines()]
    assert len(records) == len(rows) and records[0]["model_version"] == reference["model_version"]

    report = TestClient(monitor.create_app(GcsStorage(gcs), {**settings, "min_samples": 50})).get("/report").json()
    assert report["n_rows"] == len(rows) and report["model_version"] == reference["model_version"]
    assert report["status"] in ("drift", "no drift") and len(report["features"]) == 4
