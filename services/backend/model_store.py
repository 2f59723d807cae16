"""The model the backend serves, loaded from gs://$MODELS_BUCKET/models/latest/ and retried until found."""

import io
import json
import logging
import threading
import time
from typing import Optional

import joblib

from common.settings import MODEL_FILE, MODEL_PREFIX, REFERENCE_FILE
from common.storage import NotFoundError, Storage

log = logging.getLogger("backend.model")


class ModelStore:
    def __init__(self, storage: Storage, bucket: Optional[str], retry_seconds: float = 60.0):
        self.storage = storage
        self.bucket = bucket
        self.retry_seconds = retry_seconds
        self.model = None
        self.reference: dict = {}
        self.n_features: Optional[int] = None
        self.error = "model not loaded yet" if bucket else "MODELS_BUCKET is not set"
        self._lock = threading.Lock()
        self._stop = threading.Event()

    @property
    def version(self):
        return self.reference.get("model_version")

    def load(self) -> bool:
        """Try once; on failure keep the reason for /ready and /predict."""
        if not self.bucket:
            return False
        with self._lock:
            if self.model is not None:
                return True
            try:
                reference = json.loads(self.storage.read(self.bucket, f"{MODEL_PREFIX}/{REFERENCE_FILE}"))
                model = joblib.load(io.BytesIO(self.storage.read(self.bucket, f"{MODEL_PREFIX}/{MODEL_FILE}")))
            except NotFoundError:
                self.error = f"no model yet: run training (gs://{self.bucket}/{MODEL_PREFIX}/ is empty)"
                log.warning(self.error)
                return False
            except Exception as exc:  # permissions, bad pickle, network: report, keep serving
                self.error = f"cannot load gs://{self.bucket}/{MODEL_PREFIX}/: {type(exc).__name__}: {exc}"
                log.warning(self.error)
                return False
            names = reference.get("feature_names") or []
            self.n_features = len(names) or getattr(model, "n_features_in_", None)
            self.model, self.reference, self.error = model, reference, None
            log.info("loaded model %s from gs://%s/%s/", self.version, self.bucket, MODEL_PREFIX)
            return True

    def start(self) -> None:
        """Load in the background so the process serves (startup probe) before the model is there."""
        threading.Thread(target=self._retry, name="model-loader", daemon=True).start()

    def _retry(self) -> None:
        while not self._stop.is_set() and not self.load() and self.bucket:
            self._stop.wait(self.retry_seconds)

    def stop(self) -> None:
        self._stop.set()

    def predict(self, rows):
        import numpy as np

        return [str(p) for p in self.model.predict(np.asarray(rows, dtype=float))]
