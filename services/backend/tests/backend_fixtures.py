"""A small trained model in a fake bucket, as the trainer would leave it (used by tests and bench.py)."""

import io
import json

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from common.storage import FakeStorage

NAMES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


def storage_with_model(delay: float = 0.0, model: bool = True) -> FakeStorage:
    storage = FakeStorage(buckets={"models", "predictions"}, delay=0.0)
    if model:
        iris = load_iris()
        clf = LogisticRegression(max_iter=500).fit(iris.data, iris.target_names[iris.target])
        buf = io.BytesIO()
        joblib.dump(clf, buf)
        storage.write("models", "models/latest/model.joblib", buf.getvalue(), "application/octet-stream")
        reference = {"model_version": "test-1", "feature_names": NAMES}
        storage.write("models", "models/latest/reference.json", json.dumps(reference).encode(), "application/json")
    storage.delay = delay  # slow writes from now on (prediction logs), not for the model
    return storage


def settings(**overrides) -> dict:
    base = {"models_bucket": "models", "predictions_bucket": "predictions", "max_body": 64 * 1024, "log_queue": 100}
    base.update(overrides)
    return base
