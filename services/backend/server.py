"""Model API: serves the latest model from gs://$MODELS_BUCKET/models/latest/.

Runs on FastAPI 0.92 / pydantic 1.10 (Debian 12, tests) and on the pinned image versions: no
`lifespan` argument (0.92 ignores it), startup and shutdown events instead, and no pydantic models.
"""

import logging
import os
from typing import Optional

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

from common.health import readiness
from common.settings import bucket_name, number
from common.storage import GcsStorage, Storage
from middleware import LimitAndCount
from model_store import ModelStore
from prediction_log import PredictionLog
from validation import InvalidInput, parse_features

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("backend_requests", "HTTP requests answered", ["method", "path", "status"], registry=r)
        self.errors = Counter("backend_server_errors", "HTTP 5xx answers", ["path"], registry=r)
        self.predictions = Counter("backend_predictions", "Predictions made", ["label"], registry=r)
        self.written = Counter("backend_prediction_log_written", "Prediction records written", registry=r)
        self.dropped = Counter("backend_prediction_log_dropped", "Prediction records lost", ["reason"], registry=r)


def settings_from_env() -> dict:
    return {
        "models_bucket": bucket_name(os.environ.get("MODELS_BUCKET")),
        "predictions_bucket": bucket_name(os.environ.get("PREDICTIONS_BUCKET")),
        "max_body": int(number(os.environ.get("MAX_BODY_BYTES"), 64 * 1024, "MAX_BODY_BYTES", 1)),
        "log_queue": int(number(os.environ.get("LOG_QUEUE_SIZE"), 10000, "LOG_QUEUE_SIZE", 1)),
    }


def create_app(storage: Optional[Storage] = None, settings: Optional[dict] = None) -> FastAPI:
    settings = settings or settings_from_env()
    storage = storage or GcsStorage()
    metrics = Metrics()
    model = ModelStore(storage, settings["models_bucket"])
    plog = PredictionLog(storage, settings["predictions_bucket"], metrics, max_queue=settings["log_queue"])
    app = FastAPI(title="Model API")
    app.state.model, app.state.log, app.state.metrics = model, plog, metrics
    app.add_middleware(LimitAndCount, max_body=settings["max_body"], requests=metrics.requests, errors=metrics.errors)

    @app.on_event("startup")
    def start():
        model.start()
        plog.start()

    @app.on_event("shutdown")
    def stop():  # uvicorn runs this on SIGTERM
        model.stop()
        plog.close()

    @app.get("/health")
    def health():
        return {"status": "ok", "model_loaded": model.model is not None}

    @app.get("/ready")
    def ready():
        problems = [] if model.model is not None else [model.error]
        if plog.last_error:
            problems.append(plog.last_error)
        return readiness(problems, model_version=model.version,
                         prediction_log="on" if plog.enabled else "off: PREDICTIONS_BUCKET is not set")

    @app.post("/predict")
    async def predict(request: Request):
        if model.model is None:
            return JSONResponse({"detail": f"model not available: {model.error}"}, status_code=503)
        try:
            rows = parse_features(await request.body(), model.n_features)
        except InvalidInput as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        predictions = model.predict(rows)  # ~0.2 ms: cheaper inline than a thread hop
        for label in predictions:
            metrics.predictions.labels(label).inc()
        plog.add(rows, predictions, model.version)
        return {"predictions": predictions}

    @app.get("/metrics")
    def export_metrics():
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


app = create_app()  # uvicorn server:app; touches no bucket until startup
