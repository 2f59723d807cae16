"""Prediction logging off the request path: a bounded queue, written in batches as new objects.

Each batch is one JSON-lines object gs://$PREDICTIONS_BUCKET/predictions/<date>/<time>-<uuid>.jsonl,
created with if_generation_match=0, so the account needs only objectCreator and never overwrites.
"""

import json
import logging
import queue
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Optional

from common.settings import PREDICTIONS_PREFIX
from common.storage import AlreadyExistsError, Storage

log = logging.getLogger("backend.predictions")


class PredictionLog:
    def __init__(self, storage: Storage, bucket: Optional[str], metrics, max_queue=10000, batch_size=500,
                 interval=2.0):
        self.storage, self.bucket, self.metrics = storage, bucket, metrics
        self.batch_size, self.interval = batch_size, interval
        self.queue: "queue.Queue[str]" = queue.Queue(maxsize=max_queue)
        self.last_error: Optional[str] = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    @property
    def enabled(self) -> bool:
        return bool(self.bucket)

    def add(self, features, predictions, model_version) -> None:
        if not self.bucket:
            return
        # Serialised here (a few µs) so the writer thread holds the GIL only to join lines.
        record = json.dumps({"timestamp": time.time(), "model_version": model_version, "features": features,
                             "predictions": predictions}, separators=(",", ":"))
        try:
            self.queue.put_nowait(record + "\n")
        except queue.Full:
            self.metrics.dropped.labels("queue_full").inc()

    def start(self) -> None:
        if self.bucket and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._stop.wait(self.interval)
            while self.queue.qsize() and not self._stop.is_set():
                self._write(self._take())

    def _take(self):
        batch = []
        while len(batch) < self.batch_size:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write(self, batch) -> None:
        if not batch:
            return
        now = datetime.now(timezone.utc)
        name = f"{PREDICTIONS_PREFIX}{now:%Y-%m-%d}/{now:%H%M%S.%f}-{uuid.uuid4().hex}.jsonl"
        data = "".join(batch).encode()
        try:
            self.storage.create(self.bucket, name, data, "application/x-ndjson")
        except AlreadyExistsError:
            pass  # the name is unique: a retried upload whose first attempt had succeeded
        except Exception as exc:  # a lost batch is counted, never raised into a request
            self.last_error = f"cannot write gs://{self.bucket}/{name}: {type(exc).__name__}: {exc}"
            log.warning(self.last_error)
            self.metrics.dropped.labels("write_error").inc(len(batch))
            return
        self.last_error = None
        self.metrics.written.inc(len(batch))

    def close(self, deadline: float = 8.0) -> None:
        """Flush everything queued (SIGTERM: Cloud Run allows about 10 s), then stop."""
        end = time.monotonic() + deadline
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=deadline)
        while self.queue.qsize() and time.monotonic() < end:
            self._write(self._take())
        left = self.queue.qsize()
        if left:
            self.metrics.dropped.labels("shutdown").inc(left)
            log.warning("shutdown: %d prediction records not written", left)
