"""Each defect of issue 21 in the backend, as a caller or an operator meets it (services/mutate.py plants
each one back and checks that a test here turns red)."""

import threading
import time

import pytest
from fastapi.testclient import TestClient

from backend_fixtures import publish, settings, storage_with_model, trained_model
from common.storage import FakeStorage
from prediction_log import PredictionLog
from server import Metrics, create_app

ROW = [5.1, 3.5, 1.4, 0.2]


@pytest.fixture
def client():
    app = create_app(storage_with_model(), settings())
    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.model.load()
        yield client


def metric(client, name, labels=None):
    """A sample's value from /metrics as Prometheus would scrape it; None when the series is absent."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name and (labels is None or sample.labels == labels):
                return sample.value
    return None


@pytest.mark.parametrize("value", ["9" * 400, "-" + "9" * 400, "1.7e308", "-1.7e308", "1e10", "5e307"])
def test_huge_features_are_422_not_500(client, value):
    body = '{"features": [[%s, 3.5, 1.4, 0.2]]}' % value
    r = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "|x| <= 1e+09" in r.json()["detail"]
    assert metric(client, "backend_server_errors_total", {"path": "/predict"}) is None


def test_the_largest_allowed_feature_is_predicted(client):
    r = client.post("/predict", json={"features": [[1e9, -1e9, 10**9, 0]]})
    assert r.status_code == 200 and len(r.json()["predictions"]) == 1


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_415(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    r = client.post("/predict", content=b'{"features": [[5.1, 3.5, 1.4, 0.2]]}', headers=headers)
    assert r.status_code == 415


def test_json_with_a_charset_is_accepted(client):
    r = client.post("/predict", content=b'{"features": [[5.1, 3.5, 1.4, 0.2]]}',
                    headers={"content-type": "application/json; charset=utf-8"})
    assert r.status_code == 200


def test_a_model_that_refuses_the_input_is_422_without_traceback(client, caplog):
    model = client.app.state.model

    def refuse(rows):
        raise ValueError("Input X contains infinity or a value too large for dtype('float64').")

    model.predict = refuse
    r = client.post("/predict", json={"features": [ROW]})
    assert r.status_code == 422 and "infinity" not in r.text
    assert not [rec for rec in caplog.records if rec.exc_info]


def wait_for(condition, seconds=10.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_a_newer_model_is_picked_up_by_a_running_instance():
    storage = storage_with_model()
    app = create_app(storage, settings(model_check_seconds=1))
    app.state.model.check_seconds = 0.02  # the poll the server runs, faster than its 1 s floor
    with TestClient(app) as client:
        assert wait_for(lambda: client.get("/health").json()["model_version"] == "test-1")
        assert client.post("/predict", json={"features": [ROW]}).json()["predictions"] == ["setosa"]
        publish(storage, "test-2", trained_model(flip=True))
        assert wait_for(lambda: client.get("/health").json()["model_version"] == "test-2")
        assert client.post("/predict", json={"features": [ROW]}).json()["predictions"] == ["virginica"]
        assert client.get("/ready").json()["model_version"] == "test-2"
        assert metric(client, "backend_model_info", {"version": "test-2"}) == 1
        assert metric(client, "backend_model_info", {"version": "test-1"}) is None
        assert metric(client, "backend_model_loads_total") == 2


def test_a_broken_new_model_keeps_the_old_one_served():
    storage = storage_with_model()
    app = create_app(storage, settings())
    with TestClient(app) as client:
        app.state.model.load()
        storage.write("models", "models/latest/model.joblib", b"not a pickle", "application/octet-stream")
        storage.write("models", "models/latest/reference.json", b'{"model_version": "bad"}', "application/json")
        app.state.model.load()
        assert client.post("/predict", json={"features": [ROW]}).status_code == 200
        assert client.get("/health").json()["model_version"] == "test-1"


def test_operator_metrics_exist_from_the_first_scrape():
    app = create_app(storage_with_model(model=False), settings())
    client = TestClient(app)
    for reason in ("queue_full", "write_error", "shutdown"):
        assert metric(client, "backend_prediction_log_dropped_total", {"reason": reason}) == 0
    assert metric(client, "backend_prediction_log_queue") == 0
    assert metric(client, "backend_model_loaded") == 0
    client.get("/health")
    assert metric(client, "backend_request_seconds_count", {"path": "/health"}) == 1
    assert metric(client, "backend_request_seconds_bucket", {"path": "/health", "le": "+Inf"}) == 1


def test_model_loaded_gauge_and_queue_depth_follow_the_service(client):
    assert metric(client, "backend_model_loaded") == 1
    client.app.state.log.interval = 3600
    for _ in range(3):
        client.post("/predict", json={"features": [ROW]})
    assert metric(client, "backend_prediction_log_queue") == 3


def test_a_not_ready_503_is_not_a_server_error():
    app = create_app(storage_with_model(model=False), settings())
    with TestClient(app) as client:
        app.state.model.load()
        assert client.get("/ready").status_code == 503
        assert metric(client, "backend_requests_total", {"method": "GET", "path": "/ready", "status": "503"}) == 1
        assert not metric(client, "backend_server_errors_total", {"path": "/ready"})
        assert client.post("/predict", json={"features": [ROW]}).status_code == 503
        assert metric(client, "backend_server_errors_total", {"path": "/predict"}) == 1


def test_ready_is_503_while_the_prediction_log_cannot_write():
    storage = storage_with_model()
    app = create_app(storage, settings())
    with TestClient(app) as client:
        app.state.model.load()
        storage.fail_writes = True
        client.post("/predict", json={"features": [ROW]})
        app.state.log._write(app.state.log._take(10))  # the writer's next flush
        r = client.get("/ready")
        assert r.status_code == 503 and "fake write failure" in r.json()["reason"]
        storage.fail_writes = False
        client.post("/predict", json={"features": [ROW]})
        app.state.log._write(app.state.log._take(10))
        assert client.get("/ready").status_code == 200


class HangingStorage(FakeStorage):
    """Writes that take `delay` s, or hang until released when no timeout bounds them (a stuck GCS call)."""

    def __init__(self, delay):
        super().__init__(buckets={"predictions"})
        self.slow, self.release, self.calls = delay, threading.Event(), 0

    def create(self, bucket, name, data, content_type, timeout=None):
        self.calls += 1
        if timeout is None:
            self.release.wait()
        elif not self.release.wait(min(self.slow, timeout)) and self.slow > timeout:
            raise TimeoutError("write timed out")
        super().create(bucket, name, data, content_type)


@pytest.mark.parametrize("delay, written, lost", [(0.3, 200, 0), (60.0, 0, 200)])
def test_shutdown_ends_within_the_grace_period_whatever_the_write_latency(delay, written, lost):
    storage = HangingStorage(delay)
    metrics = Metrics()
    plog = PredictionLog(storage, "predictions", metrics, interval=3600, write_timeout=1.0)
    plog.start()
    for i in range(200):
        plog.add([[i, 0, 0, 0]], ["a"], "v1")
    closer = threading.Thread(target=plog.close, kwargs={"deadline": 3.0})
    closer.start()
    closer.join(8)  # Cloud Run sends SIGKILL 10 s after SIGTERM
    try:
        assert not closer.is_alive(), "close() outlived the grace period"
        value = metrics.registry.get_sample_value
        assert value("backend_prediction_log_written_total") == written
        assert sum(value("backend_prediction_log_dropped_total", {"reason": r})
                   for r in ("write_error", "shutdown")) == lost  # every record written or counted as lost
    finally:
        storage.release.set()


def test_the_openapi_body_has_the_served_models_width(client):
    body = client.get("/openapi.json").json()["paths"]["/predict"]["post"]["requestBody"]
    row = body["content"]["application/json"]["schema"]["properties"]["features"]["items"]
    assert row["minItems"] == row["maxItems"] == 4
    assert row["items"] == {"type": "number", "minimum": -1e9, "maximum": 1e9}


@pytest.mark.parametrize("binary", [False, True])
def test_the_direct_prediction_equals_the_pipelines(binary):
    import numpy as np
    from sklearn.datasets import load_iris

    from model_store import direct_predict

    iris = load_iris()
    keep = iris.target > 0 if binary else slice(None)
    model = trained_model().fit(iris.data[keep], iris.target_names[iris.target[keep]])
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(5, 3, (20000, 4)), rng.uniform(-1e9, 1e9, (2000, 4)), iris.data])
    direct = direct_predict(model)
    assert direct is not None and (direct(X) == model.predict(X)).all()
    with pytest.raises(ValueError):
        direct(np.array([[1.7e308, -1.7e308, 1.7e308, 0.0]]))


def test_another_model_is_predicted_by_sklearn():
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    from model_store import direct_predict

    iris = load_iris()
    tree = DecisionTreeClassifier(random_state=0).fit(iris.data, iris.target_names[iris.target])
    assert direct_predict(tree) is None
    storage = storage_with_model()
    publish(storage, "tree-1", tree)
    app = create_app(storage, settings())
    with TestClient(app) as client:
        app.state.model.load()
        assert client.post("/predict", json={"features": [ROW]}).json()["predictions"] == ["setosa"]
