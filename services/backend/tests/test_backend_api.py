import json

import pytest
from fastapi.testclient import TestClient

from backend_fixtures import settings, storage_with_model
from server import create_app

ROW = [5.1, 3.5, 1.4, 0.2]


@pytest.fixture
def storage():
    return storage_with_model()


@pytest.fixture
def client(storage):
    app = create_app(storage, settings())
    with TestClient(app) as client:  # runs the startup and shutdown events
        app.state.model.load()
        yield client


def metric(client, line_start):
    lines = [l for l in client.get("/metrics").text.splitlines() if l.startswith(line_start)]
    return sum(float(l.rsplit(" ", 1)[1]) for l in lines)


def test_predicts_a_label(client):
    r = client.post("/predict", json={"features": [ROW, [6.7, 3.0, 5.2, 2.3]]})
    assert r.status_code == 200
    assert r.json()["predictions"] == ["setosa", "virginica"]


def test_health_and_ready_with_a_model(client):
    assert client.get("/health").json() == {"status": "ok", "model_loaded": True, "model_version": "test-1"}
    r = client.get("/ready")
    assert r.status_code == 200 and r.json()["model_version"] == "test-1"


def test_without_a_model_serves_health_but_is_not_ready():
    app = create_app(storage_with_model(model=False), settings())
    with TestClient(app) as client:
        app.state.model.load()
        assert client.get("/health").status_code == 200
        r = client.get("/ready")
        assert r.status_code == 503 and "no model yet: run training" in r.json()["reason"]
        assert client.post("/predict", json={"features": [ROW]}).status_code == 503


def test_without_models_bucket_says_so():
    app = create_app(storage_with_model(), settings(models_bucket=None))
    with TestClient(app) as client:
        assert client.get("/ready").json()["reason"] == "MODELS_BUCKET is not set"


@pytest.mark.parametrize("body", [
    '{"features": [[NaN, 1, 2, 3]]}',
    '{"features": [[Infinity, 1, 2, 3]]}',
    '{"features": [[1e400, 1, 2, 3]]}',
    '{"features": [[1, 2, 3]]}',
    '{"features": [[1, 2, 3, 4], [1, 2]]}',
    '{"features": [["a", 2, 3, 4]]}',
    '{"features": [[true, 2, 3, 4]]}',
    '{"features": []}',
    '{"rows": [[1, 2, 3, 4]]}',
    '[1, 2]',
    'not json',
])
def test_bad_input_is_a_short_422_without_echo(client, body):
    r = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert len(r.content) < 120 and r.json()["detail"]
    assert "1e400" not in r.text and '"a"' not in r.text


def test_too_many_rows_is_422(client):
    r = client.post("/predict", json={"features": [ROW] * 1001})
    assert r.status_code == 422 and "at most 1000 rows" in r.text


def test_large_body_is_413_before_parsing(client, monkeypatch):
    import validation

    monkeypatch.setattr(validation.json, "loads", lambda *a, **k: pytest.fail("body was parsed"))
    r = client.post("/predict", content=b"[" * (5 * 1024 * 1024), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert metric(client, 'backend_requests_total{method="POST",path="/predict",status="413"}') == 1


def test_chunked_large_body_is_413(client):
    chunks = (b"x" * 65536 for _ in range(4))
    r = client.post("/predict", content=chunks, headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_5xx_are_counted(storage, monkeypatch):
    app = create_app(storage, settings())
    app.state.model.load()
    def broken(rows):
        raise RuntimeError("a bug, not the caller's input")

    monkeypatch.setattr(app.state.model, "predict", broken)
    client = TestClient(app, raise_server_exceptions=False)
    assert client.post("/predict", json={"features": [ROW]}).status_code == 500
    assert metric(client, 'backend_server_errors_total{path="/predict"}') == 1
    assert metric(client, 'backend_requests_total{method="POST",path="/predict",status="500"}') == 1


def test_predictions_are_logged_on_shutdown(storage):
    app = create_app(storage, settings())
    with TestClient(app) as client:
        app.state.model.load()
        for _ in range(3):
            assert client.post("/predict", json={"features": [ROW]}).status_code == 200
    names = storage.list("predictions", "predictions/")
    records = [json.loads(l) for n in names for l in storage.read("predictions", n).decode().splitlines()]
    assert len(records) == 3 and records[0]["predictions"] == ["setosa"]
    assert records[0]["features"] == [ROW] and records[0]["model_version"] == "test-1"
