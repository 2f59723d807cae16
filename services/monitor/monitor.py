"""Drift monitor: compares logged prediction inputs with the training reference, per feature."""

import html
import json
import logging
import math
import os
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Literal, Optional

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, JSONResponse

from common.health import readiness
from common.settings import MODEL_PREFIX, PREDICTIONS_PREFIX, REFERENCE_FILE, bucket_name, number
from common.storage import GcsStorage, NotFoundError, Storage
from drift import RowSample, drift_report, parse_jsonl

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("monitor")

REFERENCE_PATH = f"{MODEL_PREFIX}/{REFERENCE_FILE}"
MAX_OBJECTS = 2000  # log objects read per report; a busier window is read as a sample of its objects
MAX_HOUR_LISTS = 168  # list calls for a busy window: one per sampled hour (a week's hours)
GOLDEN_RATIO_CONJUGATE = (5 ** 0.5 - 1) / 2  # i × this, mod 1, spreads evenly over [0, 1) for any count
MAX_ROWS = 20000  # rows kept per report (a uniform sample of the window's rows): bounded memory
WINDOWS_KEPT = 2  # window samples kept for reuse: each holds up to MAX_ROWS rows, in 512 MiB


class Problem(Exception):
    """Why the monitor cannot report: answered as 503 with this message."""


class Busy(Exception):
    """This instance read its share of windows this minute: answered as 429 with Retry-After."""

    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


def settings_from_env() -> dict:
    return {
        "models_bucket": bucket_name(os.environ.get("MODELS_BUCKET")),
        "predictions_bucket": bucket_name(os.environ.get("PREDICTIONS_BUCKET")),
        "min_samples": int(number(os.environ.get("DRIFT_MIN_SAMPLES"), 50, "DRIFT_MIN_SAMPLES", 2)),
        "min_effect": number(os.environ.get("DRIFT_MIN_EFFECT"), 0.1, "DRIFT_MIN_EFFECT"),
        "cache_seconds": number(os.environ.get("REPORT_CACHE_SECONDS"), 60, "REPORT_CACHE_SECONDS"),
        "reads_per_minute": int(number(os.environ.get("REPORT_READS_PER_MINUTE"), 6, "REPORT_READS_PER_MINUTE", 1)),
    }


class Sources:
    def __init__(self, storage: Storage, settings: dict):
        self.storage, self.models, self.predictions = storage, settings["models_bucket"], settings["predictions_bucket"]

    def reference(self) -> dict:
        if not self.models:
            raise Problem("MODELS_BUCKET is not set")
        try:
            reference = json.loads(self.storage.read(self.models, REFERENCE_PATH))
        except NotFoundError:
            raise Problem(f"no model yet: run training (gs://{self.models}/{REFERENCE_PATH} is missing)") from None
        except Exception as exc:
            raise Problem(f"cannot read gs://{self.models}/{REFERENCE_PATH}: {type(exc).__name__}") from None
        if not reference.get("sample"):
            raise Problem("reference.json has no per-feature sample: rerun training with this trainer")
        return reference

    def check_predictions(self) -> None:
        if not self.predictions:
            raise Problem("PREDICTIONS_BUCKET is not set")
        try:
            self.storage.list(self.predictions, PREDICTIONS_PREFIX, limit=1)
        except Exception as exc:
            raise Problem(f"cannot list gs://{self.predictions}/: {type(exc).__name__}") from None

    def window(self, days: int, now: float) -> list:
        """The log objects of the last `days` × 24 h, at most MAX_OBJECTS of them, in bounded list calls.

        One listing from the window's first name on, stopped after MAX_OBJECTS + 1 names (at most two
        pages): when the window holds no more, that is all of it. A busier window (a backend flushing every
        2 s writes 43,200 objects a day) is sampled by hour instead: at most MAX_HOUR_LISTS hours spread
        evenly over the window, one list call per hour, so neither the calls nor the names kept grow with
        the traffic or with `days`. Each hour's listing starts at a different minute (a golden-ratio
        sequence over the hours), so the sample covers every part of the hour, not only its first minutes."""
        self.check_predictions()
        since = datetime.fromtimestamp(now - days * 86400, timezone.utc)
        first = f"{PREDICTIONS_PREFIX}{since:%Y-%m-%d}/{since:%H%M%S}"
        names = self._logs(self.storage.list(self.predictions, PREDICTIONS_PREFIX, limit=MAX_OBJECTS + 1,
                                             start_offset=first))
        if len(names) <= MAX_OBJECTS:
            return names
        hours = [since + timedelta(hours=h) for h in range(days * 24 + 1)]
        if len(hours) > MAX_HOUR_LISTS:
            step = len(hours) / MAX_HOUR_LISTS
            hours = [hours[int(i * step)] for i in range(MAX_HOUR_LISTS)]
        per_hour = -(-MAX_OBJECTS // len(hours))

        def hour(index, start):
            prefix = f"{PREDICTIONS_PREFIX}{start:%Y-%m-%d}/{start:%H}"
            minute = int((index * GOLDEN_RATIO_CONJUGATE) % 1 * 60)
            return self._logs(self.storage.list(self.predictions, prefix, limit=per_hour,
                                                start_offset=max(first, f"{prefix}{minute:02d}")))

        with ThreadPoolExecutor(max_workers=8) as pool:
            names = sorted(n for found in pool.map(hour, range(len(hours)), hours) for n in found)
        if len(names) > MAX_OBJECTS:
            step = len(names) / MAX_OBJECTS
            names = [names[int(i * step)] for i in range(MAX_OBJECTS)]
        return names

    @staticmethod
    def _logs(names) -> list:
        return [n for n in names if n.endswith((".json", ".jsonl"))]

    def sample(self, days: int, width: int, now: Optional[float] = None) -> RowSample:
        now = time.time() if now is None else now
        names = self.window(days, now)
        sample = RowSample(width, MAX_ROWS)
        lock = threading.Lock()

        def read(name):
            try:
                records = parse_jsonl(self.storage.read(self.predictions, name))
            except Exception as exc:
                log.warning("skipping %s: %s", name, type(exc).__name__)
                return
            with lock:
                sample.add_records(records, since=now - days * 86400)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(read, names))
        return sample


def create_app(storage: Optional[Storage] = None, settings: Optional[dict] = None) -> FastAPI:
    settings = settings or settings_from_env()
    sources = Sources(storage or GcsStorage(), settings)
    app = FastAPI(title="Drift monitor")
    # The page is public, and reading a window costs up to MAX_HOUR_LISTS + 2 list calls and MAX_OBJECTS reads,
    # each billed: a window read is kept per `days` (any alpha reuses it), and at most `reads_per_minute` windows
    # are read per minute by this instance, so a caller varying the query cannot turn requests into spending.
    cache: dict = {}  # (days, alpha) -> (time, report)
    windows: OrderedDict = OrderedDict()  # days -> (time, reference, sample), the newest last
    reads: deque = deque()  # when this instance read a window, over the last minute
    reading: dict = {}  # days -> Event set when the read under way ends: one read per window at a time
    lock = threading.Lock()
    fresh = settings.get("cache_seconds", 60)
    per_minute = settings.get("reads_per_minute", 6)

    def window(days: int, now: float):
        while True:
            with lock:
                hit = windows.get(days)
                if hit and now - hit[0] < fresh:
                    return hit[1], hit[2]
                pending = reading.get(days)
                if pending is None:
                    while reads and now - reads[0] >= 60:
                        reads.popleft()
                    if len(reads) >= per_minute:
                        raise Busy(max(1, math.ceil(60 - (now - reads[0]))))
                    reads.append(now)
                    done = reading[days] = threading.Event()
                    break
            # Requests for a window being read wait for that read (a page opened by many at once reads once).
            pending.wait(timeout=120)
        try:
            reference = sources.reference()
            sample = sources.sample(days, len(reference["feature_names"]))
            with lock:
                windows[days] = (now, reference, sample)
                windows.move_to_end(days)
                while len(windows) > WINDOWS_KEPT:  # each holds up to MAX_ROWS rows: bounded memory
                    windows.popitem(last=False)
            return reference, sample
        finally:
            with lock:
                del reading[days]
            done.set()

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.get("/ready")
    def ready():
        problems = []
        for check in (sources.reference, sources.check_predictions):
            try:
                check()
            except Problem as exc:
                problems.append(str(exc))
        return readiness(problems)

    @app.get("/report")
    def report(days: int = Query(7, ge=1, le=365), alpha: float = Query(0.05, gt=0, lt=1),
               format: Literal["json", "html"] = "json"):
        key, now = (days, alpha), time.monotonic()
        hit = cache.get(key)
        if hit and now - hit[0] < fresh:
            result = hit[1]
        else:
            try:
                reference, sample = window(days, now)
            except Problem as exc:
                return JSONResponse({"detail": str(exc)}, status_code=503)
            except Busy as busy:
                detail = (f"this monitor read {per_minute} windows in the last minute (REPORT_READS_PER_MINUTE); "
                          f"retry in {busy.seconds} s, or ask for a window read recently")
                return JSONResponse({"detail": detail}, status_code=429, headers={"Retry-After": str(busy.seconds)})
            result = drift_report(reference, sample.rows, alpha, settings["min_samples"],
                                  settings.get("min_effect", 0.1), rows_seen=sample.seen)
            result["days"] = days
            if len(cache) > 64:
                cache.clear()
            cache[key] = (now, result)
        return HTMLResponse(to_html(result, days)) if format == "html" else result

    return app


def fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def to_html(report: dict, days: int) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(str(f['name']))}</td><td>{fmt(f['reference_mean'])}</td><td>{fmt(f['current_mean'])}</td>"
        f"<td>{fmt(f['statistic'])}</td><td>{fmt(f['p_value'])}</td><td>{f['status']}</td></tr>"
        for f in report["features"]
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Drift report</title>"
        "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:4px 8px}"
        "table{border-collapse:collapse}</style></head><body>"
        f"<h1>{report['status'].capitalize()}</h1><p>{report['n_rows_seen']} logged inputs in the last {days * 24} hours "
        f"({report['n_rows']} of them compared) "
        f"(at least {report['min_samples']} needed), model {html.escape(str(report['model_version']))}, "
        f"{report['test']} test, drift where the {report['correction']}-adjusted p &lt; {report['alpha']} "
        f"and the KS statistic &ge; {report['min_effect']}</p>"
        "<table><tr><th>feature</th><th>reference mean</th><th>current mean</th><th>KS statistic</th>"
        f"<th>p-value</th><th>status</th></tr>{rows}</table></body></html>"
    )


app = create_app()  # uvicorn monitor:app; touches no bucket until a request
