"""The guard end to end: a budget notification pushed to its HTTP endpoint, the real client libraries calling the
fakes of Batch, Vertex AI and Cloud Run, and the record in fake-gcs-server."""

import base64
import datetime
import json
import threading

import pytest
from conftest import DECEMBER, LABELS, PARENT, events, push_body

OTHER = {"group": "group-8", "stack": "dev"}
NUMBERED = "projects/123456789012/locations/europe-west1"  # Batch and Vertex AI name jobs by project number
RECORD = "credit-guard/trips/2026-12-01-5000.json"


def seed(state, *, batch=(), vertex=(), run=()):
    """batch/vertex: (id, state, labels); run: (service id, labels)."""
    for i, (job, status, labels) in enumerate(batch):
        state.batch[f"{NUMBERED}/jobs/{job}"] = {"name": f"{NUMBERED}/jobs/{job}", "uid": f"uid-{i}", "labels": labels,
                                               "status": {"state": status}}
    for job, status, labels in vertex:
        state.vertex[f"{NUMBERED}/customJobs/{job}"] = {"name": f"{NUMBERED}/customJobs/{job}", "labels": labels,
                                                      "state": status, "displayName": job}
    for i, (service, labels) in enumerate(run):
        state.run[f"{PARENT}/services/{service}"] = {"name": f"{PARENT}/services/{service}", "uid": f"svc-{i}",
                                                     "labels": labels, "etag": f"etag-{i}"}


def everything(state):
    seed(state,
         batch=[("train-1", "RUNNING", LABELS), ("train-2", "QUEUED", LABELS), ("train-3", "SCHEDULED", LABELS),
                ("train-old", "SUCCEEDED", LABELS), ("train-failed", "FAILED", LABELS),
                ("other-group", "RUNNING", OTHER), ("unlabelled", "RUNNING", {})],
         vertex=[("101", "JOB_STATE_RUNNING", LABELS), ("102", "JOB_STATE_PENDING", LABELS),
                 ("103", "JOB_STATE_QUEUED", LABELS), ("104", "JOB_STATE_SUCCEEDED", LABELS),
                 ("105", "JOB_STATE_CANCELLED", LABELS), ("201", "JOB_STATE_RUNNING", OTHER)],
         run=[("backend", {**LABELS, "managed-by": "pulumi"}), ("frontend", LABELS), ("stranger", OTHER),
              ("other-service", LABELS)])


def post(client, token, body):
    return client.post("/", content=body, headers={"Authorization": f"Bearer {token()}",
                                                   "Content-Type": "application/json"})


def test_health(make_guard):
    client, _, _ = make_guard()
    assert client.get("/health").status_code == 200


def test_below_the_cap_it_only_logs(make_guard, token, capsys):
    client, state, bucket = make_guard()
    everything(state)
    response = post(client, token, push_body(cost=49.99))
    assert response.status_code == 204
    assert [(e["event"], e["costAmount"], e["budgetAmount"], e["cap"]) for e in events(capsys)] == [
        ("credit_guard_notification", 49.99, 50.0, 50.0)]
    assert [c for c in state.calls if not c[1].endswith("/certs")] == []
    assert bucket.get_blob(RECORD) is None


def test_over_the_cap_it_stops_only_the_stacks_running_compute_and_records_one_trip(make_guard, token, capsys):
    client, state, bucket = make_guard()
    everything(state)
    response = post(client, token, push_body(cost=50.0))
    assert response.status_code == 204
    assert sorted(state.mutations()) == sorted([
        ("DELETE", f"/v1/{NUMBERED}/jobs/train-1"), ("DELETE", f"/v1/{NUMBERED}/jobs/train-2"),
        ("DELETE", f"/v1/{NUMBERED}/jobs/train-3"),
        ("POST", f"/v1/{NUMBERED}/customJobs/101:cancel"), ("POST", f"/v1/{NUMBERED}/customJobs/102:cancel"),
        ("POST", f"/v1/{NUMBERED}/customJobs/103:cancel"),
        ("DELETE", f"/v2/{PARENT}/services/backend"), ("DELETE", f"/v2/{PARENT}/services/frontend")])
    # What it asked for: the documented label filters, the etag it checked, a reason and request id per job.
    lists = [q for m, p, q in state.calls if m == "GET" and p.endswith(("/jobs", "/customJobs"))]
    assert {q["filter"] for q in lists} == {'labels.group="group-7" AND labels.stack="dev"'}
    assert len([q for m, p, q in state.calls if p.endswith("/customJobs")]) == 3  # three pages of two
    deletes = {p: q for m, p, q in state.calls if m == "DELETE"}
    assert deletes[f"/v2/{PARENT}/services/backend"]["etag"] == "etag-0"
    batch_delete = deletes[f"/v1/{NUMBERED}/jobs/train-1"]
    assert "2026-12-01-5000" in batch_delete["reason"] and len(batch_delete["requestId"]) == 36
    assert f"{PARENT}/services/stranger" in state.run and f"{PARENT}/services/other-service" in state.run
    assert state.batch[f"{NUMBERED}/jobs/other-group"]["status"]["state"] == "RUNNING"
    assert state.vertex[f"{NUMBERED}/customJobs/201"]["state"] == "JOB_STATE_RUNNING"
    assert not [c for c in state.calls if "other-service" in c[1]]  # not named in GUARD_SERVICES: never read

    record = json.loads(bucket.get_blob(RECORD).download_as_bytes())
    assert record["tripId"] == "2026-12-01-5000" and record["cap"] == 50.0 and record["costAmount"] == 50.0
    assert record["currencyCode"] == "EUR" and record["stopAt"] == 1.0 and record["messageId"] == "1001"
    assert record["costIntervalStart"].startswith("2026-12-01T08:00:00")
    assert sorted(record["actions"]["batchJobsDeleted"]) == [f"{NUMBERED}/jobs/train-{i}" for i in (1, 2, 3)]
    assert sorted(record["actions"]["vertexJobsCancelled"]) == [f"{NUMBERED}/customJobs/{i}" for i in (101, 102, 103)]
    assert record["actions"]["servicesDeleted"] == [f"{PARENT}/services/backend", f"{PARENT}/services/frontend"]
    assert record["actions"]["servicesSkipped"] == [f"{PARENT}/services/stranger: does not carry the stack's labels"]
    assert record["actions"]["errors"] == []
    tripped = events(capsys, "credit_guard_tripped")
    assert len(tripped) == 1 and tripped[0]["severity"] == "ALERT" and tripped[0]["tripId"] == "2026-12-01-5000"


def test_a_repeated_notification_records_nothing_more_and_changes_nothing_when_nothing_runs(make_guard, token, capsys):
    client, state, bucket = make_guard()
    everything(state)
    assert post(client, token, push_body(cost=55.0)).status_code == 204
    generation = bucket.get_blob(RECORD).generation
    events(capsys)
    state.calls.clear()
    assert post(client, token, push_body(cost=57.0, message_id="1002")).status_code == 204
    assert state.mutations() == []
    assert bucket.get_blob(RECORD).generation == generation
    lines = events(capsys)
    assert [e["event"] for e in lines] == ["credit_guard_notification", "credit_guard_enforced"]


def test_a_job_started_after_the_trip_is_stopped_by_the_next_notification(make_guard, token, capsys):
    client, state, _ = make_guard()
    everything(state)
    post(client, token, push_body(cost=55.0))
    seed(state, batch=[("train-again", "RUNNING", LABELS)])
    state.calls.clear()
    assert post(client, token, push_body(cost=56.0, message_id="1003")).status_code == 204
    assert state.mutations() == [("DELETE", f"/v1/{NUMBERED}/jobs/train-again")]
    assert events(capsys, "credit_guard_tripped")[0]["messageId"] == "1001"  # only the first push's


def test_two_pushes_at_once_record_one_trip(make_guard, token, capsys):
    """The second push reads no record (the first has not written it yet) and gets 412 on create."""
    client, state, bucket = make_guard()
    everything(state)
    compute = client.app.state.guard.compute
    real_recorded = compute.recorded
    barrier = threading.Barrier(2, timeout=10)

    def recorded_then_wait(trip):
        answer = real_recorded(trip)
        barrier.wait()  # both have read "absent" before either writes
        return answer

    compute.recorded = recorded_then_wait
    results = []
    threads = [threading.Thread(target=lambda i=i: results.append(
        post(client, token, push_body(cost=60.0, message_id=f"20{i}")).status_code)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [204, 204]
    lines = events(capsys)
    assert len([e for e in lines if e["event"] == "credit_guard_tripped"]) == 1
    assert len([e for e in lines if e["event"] == "credit_guard_enforced"]) == 1
    assert bucket.get_blob(RECORD) is not None


def test_an_acknowledged_trip_is_left_alone(make_guard, token, capsys):
    client, state, bucket = make_guard(GUARD_ACKNOWLEDGED="2026-11-01-5000, 2026-12-01-5000")
    everything(state)
    assert post(client, token, push_body(cost=80.0)).status_code == 204
    assert state.mutations() == [] and bucket.get_blob(RECORD) is None
    assert [e.get("reason") for e in events(capsys, "credit_guard_ignored")] == ["acknowledged"]


def test_a_raised_cap_is_a_new_trip_id(make_guard, token, capsys):
    client, state, bucket = make_guard(GUARD_STOP_AT="1.5", GUARD_ACKNOWLEDGED="2026-12-01-5000")
    everything(state)
    assert post(client, token, push_body(cost=60.0)).status_code == 204  # below 75
    assert state.mutations() == []
    assert post(client, token, push_body(cost=75.0)).status_code == 204
    assert bucket.get_blob("credit-guard/trips/2026-12-01-7500.json") is not None


@pytest.mark.parametrize("which", ["budget", "billing account"])
def test_a_notification_of_another_budget_is_ignored(make_guard, token, capsys, which):
    client, state, bucket = make_guard()
    everything(state)
    body = push_body(cost=99.0, **({"budget_id": "another-budget"} if which == "budget" else
                                   {"billing": "FEDCBA-987654-321000"}))
    assert post(client, token, body).status_code == 204
    assert state.mutations() == [] and bucket.get_blob(RECORD) is None
    assert [e["reason"] for e in events(capsys, "credit_guard_ignored")] == ["another-budget"]


def test_a_notification_of_an_ended_period_is_ignored(make_guard, token, capsys):
    january = datetime.datetime(2027, 1, 3, tzinfo=datetime.timezone.utc).timestamp()
    client, state, bucket = make_guard(clock=january)
    everything(state)
    assert post(client, token, push_body(cost=99.0, start=DECEMBER)).status_code == 204
    assert state.mutations() == [] and bucket.get_blob(RECORD) is None
    assert [e["reason"] for e in events(capsys, "credit_guard_ignored")] == ["period-ended"]


def test_a_notification_older_than_the_newest_period_seen_is_ignored(make_guard, token, capsys):
    """Out of order: the first of January's notifications came first, a late December one after it (this
    instance's clock still in December Pacific Time)."""
    just_before = datetime.datetime(2027, 1, 1, 7, 59, tzinfo=datetime.timezone.utc).timestamp()
    client, state, bucket = make_guard(clock=just_before)
    everything(state)
    assert post(client, token, push_body(cost=0.5, start="2027-01-01T08:00:00Z")).status_code == 204
    assert post(client, token, push_body(cost=99.0, start=DECEMBER, message_id="999")).status_code == 204
    assert state.mutations() == [] and bucket.get_blob(RECORD) is None
    assert [e["reason"] for e in events(capsys, "credit_guard_ignored")] == ["period-ended"]


def _data(obj) -> str:
    return base64.b64encode(obj if isinstance(obj, bytes) else json.dumps(obj).encode()).decode()


GOOD = {"costAmount": 60, "costIntervalStart": DECEMBER, "budgetAmount": 50, "currencyCode": "EUR",
        "budgetAmountType": "SPECIFIED_AMOUNT"}
MALFORMED = {
    "not JSON": b"\x00\xffnot json",
    "a JSON array": b"[1, 2]",
    "no message": b'{"subscription": "s"}',
    "bad base64": push_body(data="!!!not base64!!!"),
    "data not JSON": push_body(data=_data(b"{costAmount: 60")),
    "data a list": push_body(data=_data([GOOD])),
    "no costAmount": push_body(data=_data({k: v for k, v in GOOD.items() if k != "costAmount"})),
    "costAmount a string": push_body(data=_data({**GOOD, "costAmount": "60"})),
    "costAmount a boolean": push_body(data=_data({**GOOD, "costAmount": True})),
    "costAmount NaN": push_body(data=base64.b64encode(json.dumps(GOOD).replace("60", "NaN", 1).encode()).decode()),
    "costAmount 1e400": push_body(data=base64.b64encode(json.dumps(GOOD).replace("60", "1e400", 1).encode()).decode()),
    "costAmount of 5000 digits": push_body(data=base64.b64encode(
        json.dumps(GOOD).replace("60", "9" * 5000, 1).encode()).decode()),
    "budgetAmount 0": push_body(data=_data({**GOOD, "budgetAmount": 0})),
    "no costIntervalStart": push_body(data=_data({k: v for k, v in GOOD.items() if k != "costIntervalStart"})),
    "costIntervalStart not a time": push_body(data=_data({**GOOD, "costIntervalStart": "December"})),
    "costIntervalStart without a zone": push_body(data=_data({**GOOD, "costIntervalStart": "2026-12-01T08:00:00"})),
    "currencyCode a number": push_body(data=_data({**GOOD, "currencyCode": 978})),
    "deeply nested data": push_body(data=_data(b"[" * 100000 + b"]" * 100000)),
    "attributes missing": json.dumps({"message": {"data": _data(GOOD), "messageId": "1",
                                                  "publishTime": "2026-12-15T00:00:00Z"}}).encode(),
    "another schemaVersion": push_body().replace(b'"schemaVersion": "1.0"', b'"schemaVersion": "2.0"'),
    "a huge body": push_body()[:-1] + b', "padding": "' + b"x" * 200_000 + b'"}',
    "a huge display name": push_body(budgetDisplayName="x" * 20_000),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_push_is_logged_and_acknowledged_and_changes_nothing(make_guard, token, capsys, case):
    client, state, bucket = make_guard()
    everything(state)
    response = post(client, token, MALFORMED[case])
    assert response.status_code == 204
    assert state.mutations() == [] and bucket.get_blob(RECORD) is None
    ignored = events(capsys, "credit_guard_ignored")
    assert [e["reason"] for e in ignored] == ["malformed"]


def test_a_failed_action_answers_5xx_and_the_redelivery_finishes_the_job(make_guard, token, capsys):
    client, state, bucket = make_guard()
    everything(state)
    state.fail[("DELETE", f"/v1/{NUMBERED}/jobs/train-2")] = [503, 10]  # more than the client's own retries
    state.fail[("DELETE", f"/v2/{PARENT}/services/frontend")] = [500, 10]
    response = post(client, token, push_body(cost=70.0))
    assert response.status_code == 500
    record = json.loads(bucket.get_blob(RECORD).download_as_bytes())
    assert len(record["actions"]["errors"]) == 2  # recorded and alerted even so: the group must hear of it
    lines = events(capsys)
    assert len([e for e in lines if e["event"] == "credit_guard_tripped"]) == 1
    assert len([e for e in lines if e["event"] == "credit_guard_error"]) == 2
    assert state.batch[f"{NUMBERED}/jobs/train-1"]["status"]["state"] == "DELETION_IN_PROGRESS"  # the rest went on

    state.fail.clear()
    state.calls.clear()
    assert post(client, token, push_body(cost=70.0)).status_code == 204  # Pub/Sub's redelivery
    assert sorted(state.mutations()) == [("DELETE", f"/v1/{NUMBERED}/jobs/train-2"),
                                         ("DELETE", f"/v2/{PARENT}/services/frontend")]
    assert [e["event"] for e in events(capsys)] == ["credit_guard_notification", "credit_guard_enforced"]


def test_a_failed_list_answers_5xx(make_guard, token, capsys):
    client, state, _ = make_guard()
    everything(state)
    state.fail[("GET", f"/v1/{PARENT}/customJobs")] = [403, 1]
    assert post(client, token, push_body(cost=70.0)).status_code == 500
    assert any("Vertex" in e["message"] for e in events(capsys, "credit_guard_error"))


def test_labels_are_checked_even_when_the_api_ignores_the_filter(make_guard, token, capsys):
    client, state, _ = make_guard()
    everything(state)
    state.ignore_filters = True
    assert post(client, token, push_body(cost=70.0)).status_code == 204
    touched = {p for _, p in state.mutations()}
    assert f"/v1/{NUMBERED}/jobs/other-group" not in touched and f"/v1/{NUMBERED}/jobs/unlabelled" not in touched
    assert f"/v1/{NUMBERED}/customJobs/201:cancel" not in touched
    assert len(touched) == 8


def test_only_the_configured_job_kinds_and_services_are_touched(make_guard, token, capsys):
    client, state, _ = make_guard(GUARD_JOB_KINDS="vertex", GUARD_SERVICES="")
    everything(state)
    assert post(client, token, push_body(cost=70.0)).status_code == 204
    assert not [c for c in state.calls if "/jobs" in c[1] or "/services/" in c[1]]
    assert len(state.mutations()) == 3


def test_the_guard_never_deletes_itself(make_guard, token, capsys, monkeypatch):
    monkeypatch.setenv("K_SERVICE", "frontend")
    client, state, _ = make_guard()
    everything(state)
    assert post(client, token, push_body(cost=70.0)).status_code == 204
    assert f"{PARENT}/services/frontend" in state.run


def test_a_period_that_has_not_started_is_ignored_and_does_not_hide_the_current_one(make_guard, token, capsys):
    client, state, bucket = make_guard()
    everything(state)
    assert post(client, token, push_body(cost=99.0, start="2027-06-01T07:00:00Z")).status_code == 204
    assert state.mutations() == []
    assert post(client, token, push_body(cost=99.0)).status_code == 204  # December's, after it
    assert bucket.get_blob(RECORD) is not None


def test_a_service_being_deleted_is_not_deleted_again(make_guard, token, capsys):
    client, state, _ = make_guard(GUARD_JOB_KINDS="")
    everything(state)
    state.run[f"{PARENT}/services/backend"]["deleteTime"] = "2026-12-15T11:59:00Z"
    assert post(client, token, push_body(cost=70.0)).status_code == 204
    assert state.mutations() == [("DELETE", f"/v2/{PARENT}/services/frontend")]
