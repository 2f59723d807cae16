"""Model API: serves the latest model from gs://$MODELS_BUCKET/models/latest/ (reloaded when a newer one
is published) and logs every prediction to gs://$PREDICTIONS_BUCKET/predictions/ for the drift monitor."""

import contextlib
import logging
import os
from typing import Optional

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from common.health import readiness
from common.settings import bucket_name, number
from common.storage import GcsStorage, Storage
from middleware import LimitAndCount
from model_store import ModelStore
from prediction_log import PredictionLog
from validation import MAX_ABS, MAX_ROWS, InvalidInput, parse_features

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("backend")

def predict_body(width: Optional[int]) -> dict:
    """The /predict body as OpenAPI states it (parsed by hand, faster than a pydantic model); rows are as wide
    as the served model's features once one is loaded, so a generated valid body is one the model takes."""
    row = {"type": "array", "minItems": width or 1,
           "items": {"type": "number", "minimum": -MAX_ABS, "maximum": MAX_ABS}}
    if width:
        row["maxItems"] = width
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["features"], "properties": {"features": {
            "type": "array", "minItems": 1, "maxItems": MAX_ROWS, "items": row}}}}}}


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("backend_requests", "HTTP requests answered", ["method", "path", "status"], registry=r)
        self.errors = Counter("backend_server_errors", "HTTP 5xx answers (a not-ready 503 aside)", ["path"], registry=r)
        self.latency = Histogram("backend_request_seconds", "Time to answer, by path", ["path"], registry=r,
                                 buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5))
        self.predictions = Counter("backend_predictions", "Predictions made", ["label"], registry=r)
        self.written = Counter("backend_prediction_log_written", "Prediction records written", registry=r)
        self.dropped = Counter("backend_prediction_log_dropped", "Prediction records lost", ["reason"], registry=r)
        self.queue_depth = Gauge("backend_prediction_log_queue", "Prediction records waiting to be written", registry=r)
        self.model_loaded = Gauge("backend_model_loaded", "1 while a model is served", registry=r)
        self.model_info = Gauge("backend_model_info", "The model version served (value 1)", ["version"], registry=r)
        self.model_loads = Counter("backend_model_loads", "Models loaded (first load and reloads)", registry=r)

    def loaded(self, version) -> None:
        self.model_info.clear()
        self.model_info.labels(str(version)).set(1)
        self.model_loaded.set(1)
        self.model_loads.inc()


def settings_from_env() -> dict:
    return {
        "models_bucket": bucket_name(os.environ.get("MODELS_BUCKET")),
        "predictions_bucket": bucket_name(os.environ.get("PREDICTIONS_BUCKET")),
        "max_body": int(number(os.environ.get("MAX_BODY_BYTES"), 64 * 1024, "MAX_BODY_BYTES", 1)),
        "log_queue": int(number(os.environ.get("LOG_QUEUE_SIZE"), 10000, "LOG_QUEUE_SIZE", 1)),
        "model_check_seconds": number(os.environ.get("MODEL_CHECK_SECONDS"), 60, "MODEL_CHECK_SECONDS", 1),
    }


def create_app(storage: Optional[Storage] = None, settings: Optional[dict] = None) -> FastAPI:
    settings = settings or settings_from_env()
    storage = storage or GcsStorage()
    metrics = Metrics()
    model = ModelStore(storage, settings["models_bucket"], settings.get("model_check_seconds", 60), metrics.loaded)
    plog = PredictionLog(storage, settings["predictions_bucket"], metrics, max_queue=settings["log_queue"])

    @contextlib.asynccontextmanager
    async def lifespan(app):
        model.start()
        plog.start()
        yield
        model.stop()  # uvicorn gets here on SIGTERM
        plog.close()

    app = FastAPI(title="Model API", lifespan=lifespan)
    app.state.model, app.state.log, app.state.metrics = model, plog, metrics
    app.add_middleware(LimitAndCount, max_body=settings["max_body"], metrics=metrics)

    @app.get("/health")
    def health():
        return {"status": "ok", "model_loaded": model.model is not None, "model_version": model.version}

    @app.get("/ready")
    def ready():
        problems = [] if model.model is not None else [model.error]
        if plog.last_error:
            problems.append(plog.last_error)
        return readiness(problems, model_version=model.version,
                         prediction_log="on" if plog.enabled else "off: PREDICTIONS_BUCKET is not set")

    @app.post("/predict", openapi_extra={"requestBody": predict_body(None)}, responses={
        413: {"description": "the body is larger than MAX_BODY_BYTES"},
        415: {"description": "the body is not application/json"}, 422: {"description": "invalid features"},
        503: {"description": "no model loaded yet"}})
    async def predict(request: Request):
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return JSONResponse({"detail": "Content-Type must be application/json"}, status_code=415)
        if model.model is None:
            return JSONResponse({"detail": f"model not available: {model.error}"}, status_code=503)
        try:
            rows = parse_features(await request.body(), model.n_features)
            predictions = model.predict(rows)  # ~0.2 ms: cheaper inline than a thread hop
        except InvalidInput as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        except (ValueError, ArithmeticError) as exc:  # the model refused the numbers: the caller's input
            log.warning("model refused an input: %s", type(exc).__name__)
            return JSONResponse({"detail": "the model cannot predict these features"}, status_code=422)
        for label in predictions:
            metrics.predictions.labels(label).inc()
        plog.add(rows, predictions, model.version)
        return {"predictions": predictions}

    @app.get("/metrics", response_class=PlainTextResponse)
    def export_metrics():
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    documents: dict = {}

    def openapi() -> dict:
        width = model.n_features
        if width not in documents:
            document = get_openapi(title=app.title, version=app.version, routes=app.routes)
            document["paths"]["/predict"]["post"]["requestBody"] = predict_body(width)
            documents[width] = document
        return documents[width]

    app.openapi = openapi
    return app


app = create_app()  # uvicorn server:app; touches no bucket until startup
