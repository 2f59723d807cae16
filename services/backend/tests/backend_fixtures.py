"""A trained model in a fake bucket, as the trainer leaves it (used by tests and bench.py).

The model is the trainer's pipeline (StandardScaler + LogisticRegression, services/trainer/train.py), not a
bare classifier: the scaler is what overflowed on huge inputs. The backend image has no train.py, so the
pipeline is rebuilt here; the end-to-end emulator test runs the real trainer.
"""

import io
import json

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from common.storage import FakeStorage

NAMES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


def trained_model(flip: bool = False):
    """The trainer's pipeline on Iris; `flip` trains on reversed class names, so a reload is visible."""
    iris = load_iris()
    names = iris.target_names[::-1] if flip else iris.target_names
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(iris.data, names[iris.target])


def publish(storage, version: str, model=None) -> None:
    """What the trainer writes to models/latest/: the model first, then the reference naming its version."""
    buf = io.BytesIO()
    joblib.dump(model if model is not None else trained_model(), buf)
    storage.write("models", "models/latest/model.joblib", buf.getvalue(), "application/octet-stream")
    reference = {"model_version": version, "feature_names": NAMES}
    storage.write("models", "models/latest/reference.json", json.dumps(reference).encode(), "application/json")


def storage_with_model(delay: float = 0.0, model: bool = True) -> FakeStorage:
    storage = FakeStorage(buckets={"models", "predictions"}, delay=0.0)
    if model:
        publish(storage, "test-1")
    storage.delay = delay  # slow writes from now on (prediction logs), not for the model
    return storage


def settings(**overrides) -> dict:
    base = {"models_bucket": "models", "predictions_bucket": "predictions", "max_body": 64 * 1024, "log_queue": 100}
    base.update(overrides)
    return base
