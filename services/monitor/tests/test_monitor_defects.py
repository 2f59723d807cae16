"""Each defect of issue 21 in the monitor (services/mutate.py plants each one back)."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from fastapi.testclient import TestClient

import monitor
from common.storage import FakeStorage
from drift import DRIFT, NO_DRIFT, NOT_ENOUGH_DATA, drift_report
from monitor import create_app

SETTINGS = {"models_bucket": "models", "predictions_bucket": "predictions", "min_samples": 50}


def reference(n_features=2, n=1000, seed=1):
    rng = np.random.default_rng(seed)
    names = [f"f{i}" for i in range(n_features)]
    return {"model_version": "v1", "feature_names": names,
            "sample": {name: rng.normal(0, 1, n).tolist() for name in names}}


def storage_with(ref, objects):
    """objects: [(datetime, rows)], each one log object as the backend names and fills it."""
    storage = FakeStorage(buckets={"models", "predictions"})
    storage.write("models", "models/latest/reference.json", json.dumps(ref).encode(), "application/json")
    for i, (when, rows) in enumerate(objects):
        lines = "".join(json.dumps({"timestamp": when.timestamp(), "features": [r], "predictions": ["x"]}) + "\n"
                        for r in rows)
        storage.create("predictions", f"predictions/{when:%Y-%m-%d}/{when:%H%M%S.%f}-{i:06d}.jsonl",
                       lines.encode(), "application/x-ndjson")
    return storage


def normal_rows(n, width=2, shift=0.0, seed=2):
    return np.random.default_rng(seed).normal(shift, 1, (n, width)).tolist()


AGO = datetime.now(timezone.utc) - timedelta(minutes=5)


def test_huge_logged_values_never_break_the_json_report():
    huge = [[5e307, 5e307], [1.7e308, -1.7e308], [float(10**300), 1e308], [5e307, 1.0]]
    storage = storage_with(reference(), [(AGO, normal_rows(100)), (AGO, huge)])
    client = TestClient(create_app(storage, SETTINGS), raise_server_exceptions=False)
    r = client.get("/report")
    assert r.status_code == 200
    body = json.loads(r.text)  # strict JSON: no Infinity, no NaN
    assert body["n_rows"] == 100
    assert all(f["current_mean"] is not None and abs(f["current_mean"]) < 1 for f in body["features"])


def test_a_mean_that_overflows_is_reported_as_none_not_inf():
    ref = reference()
    rows = [[1e308, 0.0]] * 60  # within what older backends accepted
    report = drift_report(ref, rows, alpha=0.05, min_samples=50)
    json.dumps(report, allow_nan=False)


def false_alarm_rate(n_features, min_effect, reports=200, n_current=200):
    ref = reference(n_features)
    rng = np.random.default_rng(7)
    alarms = 0
    for _ in range(reports):
        rows = rng.normal(0, 1, (n_current, n_features)).tolist()
        alarms += drift_report(ref, rows, alpha=0.05, min_samples=50, min_effect=min_effect)["drift"]
    return alarms / reports


def test_twenty_undrifted_features_rarely_raise_an_alarm():
    # Without a correction at least one of 20 null features is "significant" in ~64 % of reports.
    # The effect floor is off here so that only the multiple-testing correction is measured.
    assert false_alarm_rate(20, min_effect=0.0) <= 0.08


def test_a_drifted_feature_among_twenty_is_still_found():
    ref = reference(20)
    rows = np.random.default_rng(3).normal(0, 1, (300, 20))
    rows[:, 7] += 0.6
    report = drift_report(ref, rows.tolist(), alpha=0.05, min_samples=50)
    assert report["drift"] and [f["name"] for f in report["features"] if f["status"] == DRIFT] == ["f7"]


def test_a_tiny_shift_in_ten_thousand_rows_is_not_drift():
    ref = reference(1, n=1000)
    rows = normal_rows(10000, width=1, shift=0.1)
    report = drift_report(ref, rows, alpha=0.05, min_samples=50)
    feature = report["features"][0]
    assert feature["p_adjusted"] < 0.05 and feature["statistic"] < 0.1  # significant, and too small to matter
    assert report["status"] == NO_DRIFT
    assert drift_report(ref, normal_rows(10000, width=1, shift=0.5), 0.05, 50)["status"] == DRIFT


def test_the_effect_floor_is_a_setting():
    ref = reference(1, n=1000)
    rows = normal_rows(10000, width=1, shift=0.1)
    assert drift_report(ref, rows, alpha=0.05, min_samples=50, min_effect=0.01)["status"] == DRIFT


def test_alpha_is_the_callers():
    storage = storage_with(reference(1), [(AGO, normal_rows(300, width=1, shift=0.4))])
    client = TestClient(create_app(storage, SETTINGS))
    loose = client.get("/report?alpha=0.05").json()
    assert loose["status"] == DRIFT and 1e-12 < loose["features"][0]["p_adjusted"] < 0.05
    strict = client.get("/report?alpha=1e-12").json()
    assert strict["status"] == NO_DRIFT and strict["alpha"] == 1e-12


def test_the_window_is_the_last_days_times_24_hours():
    now = datetime.now(timezone.utc)
    old, recent = now - timedelta(hours=30), now - timedelta(hours=2)
    storage = storage_with(reference(1), [(old, normal_rows(100, 1, shift=3.0, seed=4)),
                                          (recent, normal_rows(100, 1, seed=5))])
    client = TestClient(create_app(storage, SETTINGS))
    one = client.get("/report?days=1").json()
    assert one["n_rows"] == 100 and one["status"] == NO_DRIFT
    two = client.get("/report?days=2").json()
    assert two["n_rows"] == 200 and two["status"] == DRIFT


def test_an_object_from_before_midnight_is_in_a_one_day_window():
    now = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)  # an object from 20:00 the day before
    storage = storage_with(reference(1), [(now - timedelta(hours=10), normal_rows(60, 1))])
    sample = monitor.Sources(storage, SETTINGS).sample(days=1, width=1, now=now.timestamp())
    assert sample.seen == 60
    assert monitor.Sources(storage, SETTINGS).sample(days=1, width=1, now=now.timestamp() + 86400).seen == 0


def counting(storage):
    reads = []
    original = storage.read
    storage.read = lambda bucket, name: reads.append(name) or original(bucket, name)
    return reads


def test_a_quiet_window_is_read_whole_in_one_listing(monkeypatch):
    monkeypatch.setattr(monitor, "MAX_OBJECTS", 50)
    objects = [(AGO - timedelta(hours=3 * i), normal_rows(20, 1, seed=i)) for i in range(40)]  # 5 days
    storage = storage_with(reference(1), objects)
    reads = counting(storage)
    body = TestClient(create_app(storage, SETTINGS)).get("/report?days=7").json()
    assert body["n_rows_seen"] == 40 * 20 and len([n for n in reads if n.startswith("predictions/")]) == 40
    assert storage.list_calls == 2  # the readiness check's and one window listing


def test_a_busy_window_is_sampled_in_bounded_reads_list_calls_and_rows(monkeypatch):
    monkeypatch.setattr(monitor, "MAX_OBJECTS", 50)
    monkeypatch.setattr(monitor, "MAX_HOUR_LISTS", 24)
    monkeypatch.setattr(monitor, "MAX_ROWS", 300)
    now = datetime.now(timezone.utc)
    objects = [(now - timedelta(minutes=10 * i + 1), normal_rows(20, 1, seed=i)) for i in range(6 * 24 * 3)]  # 3 days
    storage = storage_with(reference(1), objects)
    reads = counting(storage)
    body = TestClient(create_app(storage, SETTINGS)).get("/report?days=3").json()
    log_reads = [n for n in reads if n.startswith("predictions/")]
    assert 24 <= len(log_reads) <= 50 and len(set(log_reads)) == len(log_reads)
    days = {n.split("/")[1] for n in log_reads}
    assert len(days) >= 3  # spread over the window, not its first or last hours
    assert body["n_rows"] == 300 and body["n_rows_seen"] == 20 * len(log_reads)
    assert storage.list_calls <= 2 + 24


def test_a_year_costs_no_more_list_calls_than_a_week(monkeypatch):
    monkeypatch.setattr(monitor, "MAX_OBJECTS", 50)
    now = datetime.now(timezone.utc)
    objects = [(now - timedelta(hours=i, minutes=5), normal_rows(5, 1, seed=i)) for i in range(0, 24 * 360, 7)]
    storage = storage_with(reference(1), objects)
    TestClient(create_app(storage, SETTINGS)).get("/report?days=365")
    assert storage.list_calls <= 2 + monitor.MAX_HOUR_LISTS


def test_a_reference_smaller_than_min_samples_still_gets_a_verdict():
    ref = reference(1, n=30)
    report = drift_report(ref, normal_rows(200, 1, shift=3.0), alpha=0.05, min_samples=50)
    assert report["status"] == DRIFT
    assert drift_report(reference(1, n=5), normal_rows(200, 1), 0.05, 50)["status"] == NOT_ENOUGH_DATA


def test_a_report_is_cached_for_a_minute():
    storage = storage_with(reference(1), [(AGO, normal_rows(60, 1))])
    client = TestClient(create_app(storage, {**SETTINGS, "cache_seconds": 60}))
    client.get("/report")
    calls = storage.list_calls
    client.get("/report")
    assert storage.list_calls == calls


def test_a_busy_window_samples_every_part_of_the_hour_not_only_its_first_minutes(monkeypatch):
    monkeypatch.setattr(monitor, "MAX_OBJECTS", 60)
    monkeypatch.setattr(monitor, "MAX_HOUR_LISTS", 48)
    now = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
    # One object a minute for two days: 2,880, far more than MAX_OBJECTS.
    objects = [(now - timedelta(minutes=i, seconds=30), []) for i in range(1, 2 * 24 * 60)]
    storage = storage_with(reference(1), objects)
    names = monitor.Sources(storage, SETTINGS).window(days=2, now=now.timestamp())
    assert 40 <= len(names) <= 60
    minutes = [int(n.split("/")[2][2:4]) for n in names]
    # Spread over the hour: each quarter holds some of the sample, none most of it.
    quarters = [sum(1 for m in minutes if q * 15 <= m < (q + 1) * 15) for q in range(4)]
    assert min(quarters) >= len(names) // 8 and max(quarters) <= len(names) // 2, quarters


def test_any_alpha_reuses_the_window_read_for_its_days():
    storage = storage_with(reference(1), [(AGO, normal_rows(300, width=1, shift=0.4))])
    client = TestClient(create_app(storage, SETTINGS))
    first = client.get("/report?alpha=0.05").json()
    calls, reads = storage.list_calls, counting(storage)
    for alpha in (0.01, 0.011, 0.2, 1e-9):
        body = client.get(f"/report?alpha={alpha}").json()
        assert body["alpha"] == alpha and body["n_rows"] == first["n_rows"]
    assert storage.list_calls == calls and reads == []


def test_a_caller_varying_the_window_is_refused_429_once_the_minute_s_reads_are_spent(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(monitor.time, "monotonic", lambda: clock[0])
    storage = storage_with(reference(1), [(AGO, normal_rows(60, 1))])
    client = TestClient(create_app(storage, {**SETTINGS, "reads_per_minute": 3}))
    assert [client.get(f"/report?days={d}").status_code for d in (1, 2, 3)] == [200, 200, 200]
    calls = storage.list_calls
    clock[0] += 20
    busy = client.get("/report?days=4")
    assert busy.status_code == 429 and busy.headers["Retry-After"] == "40"
    assert "REPORT_READS_PER_MINUTE" in busy.json()["detail"]
    assert storage.list_calls == calls  # refused before any list call
    assert client.get("/report?days=2&alpha=0.01").status_code == 200  # a window read recently is still served
    clock[0] += 41
    assert client.get("/report?days=4").status_code == 200


def test_reads_per_minute_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("REPORT_READS_PER_MINUTE", "2")
    assert monitor.settings_from_env()["reads_per_minute"] == 2
    monkeypatch.setenv("REPORT_READS_PER_MINUTE", "0")
    with pytest.raises(ValueError, match="REPORT_READS_PER_MINUTE"):
        monitor.settings_from_env()


def test_many_requests_for_a_window_being_read_wait_for_that_one_read(monkeypatch):
    storage = storage_with(reference(1), [(AGO, normal_rows(60, 1))])
    app = create_app(storage, {**SETTINGS, "reads_per_minute": 2})
    reads, original = [], monitor.Sources.sample

    def slow_sample(self, days, width, now=None):
        reads.append(days)
        time.sleep(0.3)  # a window read takes a while: every request below arrives during it
        return original(self, days, width, now)

    monkeypatch.setattr(monitor.Sources, "sample", slow_sample)
    client = TestClient(app)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda a: client.get(f"/report?days=7&alpha={a}"), [0.01 * (i + 1) for i in range(8)]))
    assert [a.status_code for a in answers] == [200] * 8
    assert reads == [7]
