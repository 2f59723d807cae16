"""The model the backend serves, from gs://$MODELS_BUCKET/models/latest/: loaded in the background, and
reloaded whenever reference.json names another model_version (checked every `check_seconds`), so every
instance serves the newest model within that time."""

import io
import json
import logging
import threading
from typing import Callable, Optional

import joblib

from common.settings import MODEL_FILE, MODEL_PREFIX, REFERENCE_FILE
from common.storage import NotFoundError, Storage

log = logging.getLogger("backend.model")


class ModelStore:
    def __init__(self, storage: Storage, bucket: Optional[str], check_seconds: float = 60.0,
                 on_load: Optional[Callable[[Optional[str]], None]] = None):
        self.storage = storage
        self.bucket = bucket
        self.check_seconds = check_seconds
        self.on_load = on_load or (lambda version: None)
        self.model = None
        self.reference: dict = {}
        self.n_features: Optional[int] = None
        self.error = "model not loaded yet" if bucket else "MODELS_BUCKET is not set"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._predict: Callable = self._sklearn_predict

    @property
    def version(self):
        return self.reference.get("model_version")

    def load(self) -> bool:
        """Check once: load the published model when it is another version than the one served.
        On failure keep serving what is loaded and keep the reason for /ready."""
        if not self.bucket:
            return False
        with self._lock:
            try:
                reference = json.loads(self.storage.read(self.bucket, f"{MODEL_PREFIX}/{REFERENCE_FILE}"))
                if self.model is not None and reference.get("model_version") == self.version:
                    return True
                model = joblib.load(io.BytesIO(self.storage.read(self.bucket, f"{MODEL_PREFIX}/{MODEL_FILE}")))
            except NotFoundError:
                self.error = f"no model yet: run training (gs://{self.bucket}/{MODEL_PREFIX}/ is empty)"
                log.warning(self.error)
                return self.model is not None
            except Exception as exc:  # permissions, bad pickle, network: report, keep serving
                self.error = f"cannot load gs://{self.bucket}/{MODEL_PREFIX}/: {type(exc).__name__}: {exc}"
                log.warning(self.error)
                return self.model is not None
            names = reference.get("feature_names") or []
            previous = self.version
            self.n_features = len(names) or getattr(model, "n_features_in_", None)
            self.model, self.reference, self.error = model, reference, None
            self._predict = direct_predict(model) or self._sklearn_predict
            log.info("loaded model %s (was %s) from gs://%s/%s/", self.version, previous, self.bucket, MODEL_PREFIX)
        self.on_load(self.version)
        return True

    def start(self) -> None:
        """Poll in the background so the process serves (startup probe) before the model is there."""
        if self.bucket and self._thread is None:
            self._thread = threading.Thread(target=self._poll, name="model-loader", daemon=True)
            self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.load()
            self._stop.wait(self.check_seconds)

    def stop(self) -> None:
        self._stop.set()

    def predict(self, rows):
        import numpy as np

        return [str(p) for p in self._predict(np.asarray(rows, dtype=float))]

    def _sklearn_predict(self, X):
        return self.model.predict(X)


def direct_predict(model) -> Optional[Callable]:
    """The trainer's pipeline (StandardScaler + LogisticRegression) as its fitted arrays: the arithmetic of
    `Pipeline.predict` without its per-call input checks, which cost about 0.3 ms of a 0.7 ms request for
    one row (the backend has already checked the input). None for any other model: sklearn predicts then."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if not (isinstance(model, Pipeline) and len(model.steps) == 2):
        return None
    scaler, classifier = model.steps[0][1], model.steps[1][1]
    if type(scaler) is not StandardScaler or type(classifier) is not LogisticRegression:
        return None
    mean = scaler.mean_ if scaler.with_mean else 0.0
    scale = scaler.scale_ if scaler.with_std else 1.0
    coef, intercept, classes = classifier.coef_.T, classifier.intercept_, classifier.classes_

    def predict(X):
        with np.errstate(all="ignore"):  # an overflow is refused below, not printed per request
            scores = ((X - mean) / scale) @ coef + intercept
        if not np.isfinite(scores).all():  # as scikit-learn refuses them: the caller gets a 422, not a guess
            raise ValueError("the features overflow the model's arithmetic")
        if scores.shape[1] == 1:  # two classes: one score, positive means the second class
            return classes[(scores[:, 0] > 0).astype(int)]
        return classes[np.argmax(scores, axis=1)]

    return predict
