import threading
import time

from common.storage import AlreadyExistsError, FakeStorage
from prediction_log import PredictionLog
from server import Metrics


def make(storage, **kw):
    metrics = Metrics()
    return PredictionLog(storage, "predictions", metrics, **kw), metrics


def value(metrics, name, labels=None):
    return metrics.registry.get_sample_value(name, labels or {}) or 0


def test_batches_are_new_objects_with_unique_names():
    storage = FakeStorage(buckets={"predictions"})
    log, metrics = make(storage, batch_size=10, interval=0.01)
    for i in range(25):
        log.add([[i, 0, 0, 0]], ["a"], "v1")
    log.start()
    for _ in range(500):
        if value(metrics, "backend_prediction_log_written_total") == 25:
            break
        time.sleep(0.01)
    log.close()
    names = storage.list("predictions", "predictions/")
    assert len(names) == 3 and len(set(names)) == 3 and all(n.endswith(".jsonl") for n in names)
    assert value(metrics, "backend_prediction_log_written_total") == 25


def test_create_never_overwrites():
    storage = FakeStorage(buckets={"b"})
    storage.create("b", "x", b"1", "text/plain")
    try:
        storage.create("b", "x", b"2", "text/plain")
    except AlreadyExistsError:
        pass
    else:
        raise AssertionError("create overwrote an object")
    assert storage.read("b", "x") == b"1"


def test_full_queue_drops_and_counts_without_blocking():
    log, metrics = make(FakeStorage(buckets={"predictions"}), max_queue=5)
    start = time.monotonic()
    for _ in range(8):
        log.add([[1, 2, 3, 4]], ["a"], "v1")
    assert time.monotonic() - start < 0.1
    assert value(metrics, "backend_prediction_log_dropped_total", {"reason": "queue_full"}) == 3


def test_write_errors_are_counted_and_reported():
    storage = FakeStorage(buckets={"predictions"})
    storage.fail_writes = True
    log, metrics = make(storage)
    log.add([[1, 2, 3, 4]], ["a"], "v1")
    log.close()
    assert value(metrics, "backend_prediction_log_dropped_total", {"reason": "write_error"}) == 1
    assert "fake write failure" in log.last_error


def test_background_writer_flushes_and_close_is_bounded():
    storage = FakeStorage(buckets={"predictions"}, delay=0.05)
    log, metrics = make(storage, batch_size=100, interval=0.01)
    log.start()
    for _ in range(300):
        log.add([[1, 2, 3, 4]], ["a"], "v1")
    start = time.monotonic()
    log.close(deadline=2.0)
    assert time.monotonic() - start < 2.5
    assert value(metrics, "backend_prediction_log_written_total") == 300
    assert not [t for t in threading.enumerate() if t.name == "prediction-log" and t.is_alive()]


def test_disabled_without_bucket():
    log, _ = PredictionLog(FakeStorage(), None, Metrics()), None
    log.add([[1]], ["a"], "v")
    assert log.queue.qsize() == 0 and not log.enabled


def test_a_retried_create_that_had_succeeded_counts_as_written():
    storage = FakeStorage(buckets={"predictions"})

    def create(bucket, name, data, content_type, timeout=None):
        raise AlreadyExistsError(name)

    storage.create = create
    log, metrics = make(storage)
    log.add([[1, 2, 3, 4]], ["a"], "v1")
    log.close()
    assert value(metrics, "backend_prediction_log_written_total") == 1 and log.last_error is None
