"""Model API: serves the latest model from gs://$MODELS_BUCKET/models/latest/."""

import io
import json
import logging
import os
import threading
import time
import uuid
from contextlib import asynccontextmanager
from typing import Annotated
from datetime import datetime, timezone

import joblib
import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response
from google.cloud import storage
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest
from pydantic import BaseModel, Field

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("backend")

MODEL_PREFIX = "models/latest"
RETRY_SECONDS = 60  # how often /predict retries loading a missing model

REQUESTS = Counter("backend_requests", "HTTP requests handled", ["method", "path", "status"])
PREDICTIONS = Counter("backend_predictions", "Predictions made", ["label"])
MODEL_LOADED = Gauge("backend_model_loaded", "1 when a model is loaded")
KNOWN_PATHS = {"/health", "/predict", "/metrics"}

_state = {"model": None, "reference": None, "error": "model not loaded yet", "last_try": 0.0}
_lock = threading.Lock()
_client = None


def gcs():
    global _client
    if _client is None:
        _client = storage.Client()
    return _client


def load_model():
    """Load model.joblib and reference.json; on failure keep serving without a model."""
    with _lock:
        if _state["model"] is not None:  # another request loaded it meanwhile
            return
        _state["last_try"] = time.monotonic()
        bucket_name = os.environ.get("MODELS_BUCKET")
        if not bucket_name:
            _state["error"] = "MODELS_BUCKET is not set"
            log.warning(_state["error"])
            return
        try:
            bucket = gcs().bucket(bucket_name)
            model_bytes = bucket.blob(f"{MODEL_PREFIX}/model.joblib").download_as_bytes()
            reference = json.loads(bucket.blob(f"{MODEL_PREFIX}/reference.json").download_as_bytes())
            model = joblib.load(io.BytesIO(model_bytes))
        except Exception as exc:
            _state["error"] = (
                f"could not load gs://{bucket_name}/{MODEL_PREFIX}/model.joblib and reference.json "
                f"({type(exc).__name__}: {exc}); has the trainer run?"
            )
            log.warning(_state["error"])
            return
        _state.update(model=model, reference=reference, error=None)
        MODEL_LOADED.set(1)
        log.info("loaded model %s from gs://%s/%s/", reference.get("model_version"), bucket_name, MODEL_PREFIX)


@asynccontextmanager
async def lifespan(app):
    load_model()
    yield


app = FastAPI(title="Model API", lifespan=lifespan)


@app.middleware("http")
async def count_requests(request: Request, call_next):
    response = await call_next(request)
    path = request.url.path if request.url.path in KNOWN_PATHS else "other"
    REQUESTS.labels(request.method, path, str(response.status_code)).inc()
    return response


FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class PredictRequest(BaseModel):
    features: list[list[FiniteFloat]] = Field(min_length=1, max_length=1000)


@app.get("/health")
def health():
    return {"status": "ok", "model_loaded": _state["model"] is not None}


def log_prediction(features, predictions, model_version):
    bucket_name = os.environ.get("PREDICTIONS_BUCKET")
    if not bucket_name:
        return
    now = datetime.now(timezone.utc)
    record = {
        "timestamp": now.isoformat(),
        "model_version": model_version,
        "features": features,
        "predictions": predictions,
    }
    path = f"predictions/{now:%Y-%m-%d}/{uuid.uuid4()}.json"
    try:
        gcs().bucket(bucket_name).blob(path).upload_from_string(
            json.dumps(record), content_type="application/json"
        )
    except Exception as exc:  # logging must never fail the request
        log.warning("could not write gs://%s/%s: %s: %s", bucket_name, path, type(exc).__name__, exc)


@app.post("/predict")
def predict(body: PredictRequest):
    if _state["model"] is None and time.monotonic() - _state["last_try"] > RETRY_SECONDS:
        load_model()
    model, reference = _state["model"], _state["reference"]
    if model is None:
        raise HTTPException(status_code=503, detail=f"Model not available: {_state['error']}")

    n_features = len(reference.get("feature_names", [])) or getattr(model, "n_features_in_", None)
    bad = [i for i, row in enumerate(body.features) if n_features and len(row) != n_features]
    if bad:
        raise HTTPException(
            status_code=422,
            detail=f"each row needs {n_features} features {reference.get('feature_names')}; bad rows: {bad[:10]}",
        )

    predictions = [str(p) for p in model.predict(np.asarray(body.features, dtype=float))]
    for label in predictions:
        PREDICTIONS.labels(label).inc()
    log_prediction(body.features, predictions, reference.get("model_version"))
    return {"predictions": predictions}


@app.get("/metrics")
def metrics():
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
