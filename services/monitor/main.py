"""Drift report: compares logged prediction inputs with the training reference."""

import html
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Literal

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse
from google.cloud import storage

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("monitor")

REFERENCE_PATH = "models/latest/reference.json"
MAX_OBJECTS = 500

app = FastAPI(title="Drift monitor")
_client = None


def gcs():
    global _client
    if _client is None:
        _client = storage.Client()
    return _client


def bucket_from_env(name):
    value = os.environ.get(name)
    if not value:
        raise HTTPException(status_code=503, detail=f"{name} is not set")
    return gcs().bucket(value)


def load_reference():
    bucket = bucket_from_env("MODELS_BUCKET")
    blob = bucket.blob(REFERENCE_PATH)
    try:
        return json.loads(blob.download_as_bytes())
    except Exception as exc:
        raise HTTPException(
            status_code=503,
            detail=f"cannot read gs://{bucket.name}/{REFERENCE_PATH} ({type(exc).__name__}); run the trainer first",
        ) from exc


def recent_logs(days):
    """Return up to MAX_OBJECTS most recent prediction logs from the last `days` days."""
    bucket = bucket_from_env("PREDICTIONS_BUCKET")
    today = datetime.now(timezone.utc).date()
    blobs = []
    for offset in range(days):
        day = today - timedelta(days=offset)
        blobs.extend(gcs().list_blobs(bucket, prefix=f"predictions/{day:%Y-%m-%d}/"))
    blobs.sort(key=lambda b: b.updated or datetime.min.replace(tzinfo=timezone.utc), reverse=True)
    blobs = [b for b in blobs if b.name.endswith(".json")][:MAX_OBJECTS]

    def read(blob):
        try:
            return json.loads(blob.download_as_bytes())
        except Exception as exc:
            log.warning("skipping %s: %s", blob.name, exc)
            return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        return [r for r in pool.map(read, blobs) if isinstance(r, dict)]


def drift_report(reference, records, threshold):
    names = reference["feature_names"]
    rows = [
        row
        for record in records
        for row in record.get("features") or []
        if isinstance(row, list)
        and len(row) == len(names)
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)
    ]
    features = []
    for i, name in enumerate(names):
        ref_mean, ref_std = float(reference["mean"][i]), float(reference["std"][i])
        if rows:
            current = sum(float(row[i]) for row in rows) / len(rows)
            shift = (current - ref_mean) / max(ref_std, 1e-12)
            drift = abs(shift) > threshold
        else:
            current, shift, drift = None, None, False
        features.append(
            {"name": name, "reference_mean": ref_mean, "current_mean": current, "shift": shift, "drift": drift}
        )
    return {
        "n_predictions": len(rows),
        "n_logs": len(records),
        "model_version": reference.get("model_version"),
        "threshold": threshold,
        "features": features,
        "drift": any(f["drift"] for f in features),
    }


def fmt(value):
    return "-" if value is None else f"{value:.3f}"


def to_html(report, days):
    rows = "".join(
        f"<tr><td>{html.escape(str(f['name']))}</td><td>{fmt(f['reference_mean'])}</td>"
        f"<td>{fmt(f['current_mean'])}</td><td>{fmt(f['shift'])}</td>"
        f"<td>{'DRIFT' if f['drift'] else 'ok'}</td></tr>"
        for f in report["features"]
    )
    status = "Drift detected" if report["drift"] else "No drift"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Drift report</title>"
        "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:4px 8px}"
        "table{border-collapse:collapse}</style></head><body>"
        f"<h1>{status}</h1><p>{report['n_predictions']} predictions in the last {days} day(s), "
        f"model {html.escape(str(report['model_version']))}, threshold |shift| &gt; {report['threshold']} std</p>"
        "<table><tr><th>feature</th><th>reference mean</th><th>current mean</th>"
        f"<th>shift (std)</th><th>status</th></tr>{rows}</table></body></html>"
    )


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/report")
def report(
    days: int = Query(7, ge=1, le=365),
    threshold: float = Query(2.0, gt=0, le=100),
    format: Literal["json", "html"] = "json",
):
    result = drift_report(load_reference(), recent_logs(days), threshold)
    if format == "html":
        return HTMLResponse(to_html(result, days))
    return result
