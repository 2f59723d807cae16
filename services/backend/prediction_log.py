"""Prediction logging off the request path: a bounded queue, written in batches as new objects.

Each batch is one JSON-lines object gs://$PREDICTIONS_BUCKET/predictions/<date>/<time>-<uuid>.jsonl,
created with if_generation_match=0, so the account needs only objectCreator and never overwrites.
Every write has a timeout (retries included), so a shutdown ends within Cloud Run's 10 s grace period
whatever the storage latency: what could not be written by then is counted and logged, never hangs.
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

DROP_REASONS = ("queue_full", "write_error", "shutdown")


class PredictionLog:
    def __init__(self, storage: Storage, bucket: Optional[str], metrics, max_queue=10000, batch_size=500,
                 interval=2.0, write_timeout=3.0):
        self.storage, self.bucket, self.metrics = storage, bucket, metrics
        self.batch_size, self.interval, self.write_timeout = batch_size, interval, write_timeout
        self.queue: "queue.Queue[str]" = queue.Queue(maxsize=max_queue)
        self.last_error: Optional[str] = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._inflight = 0
        self._closing = False
        for reason in DROP_REASONS:  # a series from zero, so a rate() alert sees the first drop
            metrics.dropped.labels(reason)
        metrics.queue_depth.set_function(self.queue.qsize)

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
        while True:
            stopping = self._stop.wait(self.interval)
            while self.queue.qsize():
                # At shutdown one object takes everything queued: one write instead of twenty.
                self._write(self._take(self.queue.maxsize if stopping else self.batch_size))
                stopping = stopping or self._stop.is_set()
            if stopping:
                return

    def _take(self, size):
        batch = []
        while len(batch) < size:
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
        self._inflight = len(batch)
        try:
            self.storage.create(self.bucket, name, data, "application/x-ndjson", timeout=self.write_timeout)
        except AlreadyExistsError:
            pass  # the name is unique: a retried upload whose first attempt had succeeded
        except Exception as exc:  # a lost batch is counted, never raised into a request
            self._inflight = 0
            if self._closing and self._thread_gave_up:
                return  # already counted as lost by close()
            self.last_error = f"cannot write gs://{self.bucket}/{name}: {type(exc).__name__}: {exc}"
            log.warning(self.last_error)
            self.metrics.dropped.labels("write_error").inc(len(batch))
            return
        self._inflight = 0
        self.last_error = None
        self.metrics.written.inc(len(batch))

    _thread_gave_up = False

    def close(self, deadline: float = 8.0) -> None:
        """Flush what is queued within `deadline` seconds (SIGTERM: Cloud Run kills after 10 s), then stop;
        whatever is still queued or being written then is counted as dropped and logged."""
        self._closing = True
        self._stop.set()
        if self._thread is None:
            self.start_for_close()
        self._thread.join(timeout=deadline)
        if self._thread.is_alive():
            self._thread_gave_up = True
            left = self.queue.qsize() + self._inflight
            self.metrics.dropped.labels("shutdown").inc(left)
            log.warning("shutdown: %d prediction records not written within %.1f s", left, deadline)

    def start_for_close(self) -> None:
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()
