"""The cap, trip ids and budget periods as services/guard/README.md defines them, and the GUARD_* settings refused with a line
naming the variable."""

import json
import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from conftest import AUDIENCE, BILLING, BUDGET_ID, LABELS, PUSH_ACCOUNT, push_body

import budget
import guard
import guard_config


def test_the_cap_is_stop_at_times_the_amount_in_minor_units_rounded_like_javascript():
    assert budget.cap_minor(1.0, Decimal("50")) == 5000
    assert budget.cap_minor(0.9, Decimal("50")) == 4500
    assert budget.cap_minor(1.5, Decimal("33.33")) == 5000
    assert budget.cap_minor(0.5, Decimal("0.25")) == 13  # exactly 12.5: halves go up, like Math.round
    assert budget.cap_minor(0.333, Decimal("10")) == 333
    assert budget.cap_minor(2.0, Decimal("0.01")) == 2
    # Math.round(1.005 * 100 * 1): the float product is 100.49999999999999, which JavaScript rounds to 100
    assert budget.cap_minor(1.005, Decimal("1")) == 100


def test_the_trip_id_is_the_period_start_and_the_cap():
    n = budget.parse_push(push_body(cost=60, amount=50))
    cap = budget.cap_minor(1.0, n.budget_amount)
    assert budget.trip_id(n, cap) == "2026-12-01-5000"
    assert re.fullmatch(guard_config.TRIP_ID, budget.trip_id(n, cap))
    summer = budget.parse_push(push_body(start="2026-07-01T07:00:00Z"))  # midnight PDT
    assert budget.trip_id(summer, 5000) == "2026-07-01-5000"


def test_reaching_the_cap_exactly_is_over_it():
    assert budget.over_cap(budget.parse_push(push_body(cost=50.0, amount=50)), 5000)
    assert not budget.over_cap(budget.parse_push(push_body(cost=49.999, amount=50)), 5000)


def test_a_monthly_period_ends_at_the_next_first_at_midnight_pacific_time():
    end = budget.period_end(datetime(2026, 12, 1, 8, tzinfo=timezone.utc))
    assert end == datetime(2027, 1, 1, 8, tzinfo=timezone.utc)
    assert budget.period_end(datetime(2027, 3, 1, 8, tzinfo=timezone.utc)) == datetime(2027, 4, 1, 7, tzinfo=timezone.utc)


def test_the_documented_notification_parses():
    n = budget.parse_push(push_body(cost=12.34, amount=50))
    assert (n.cost_amount, n.budget_amount, n.currency, n.budget_id, n.billing_account, n.message_id) == (
        Decimal("12.34"), Decimal("50.0"), "EUR", BUDGET_ID, BILLING, "1001")
    assert n.interval_start == datetime(2026, 12, 1, 8, tzinfo=timezone.utc)
    assert n.publish_time.year == 2026


ENV = {"GUARD_PROJECT": "course-group-7", "GUARD_REGION": "europe-west1", "GUARD_STOP_AT": "0.9",
       "GUARD_BUDGET_ID": BUDGET_ID, "GUARD_BILLING_ACCOUNT": BILLING, "GUARD_LABELS": json.dumps(LABELS),
       "GUARD_SERVICES": "backend, frontend", "GUARD_JOB_KINDS": "batch", "GUARD_RECORD_BUCKET": "course-group-7-models",
       "GUARD_ACKNOWLEDGED": "2026-11-01-5000", "GUARD_PUSH_AUDIENCE": AUDIENCE, "GUARD_PUSH_ACCOUNT": PUSH_ACCOUNT}


@pytest.fixture
def env(monkeypatch):
    for key in list(__import__("os").environ):
        if key.startswith("GUARD_"):
            monkeypatch.delenv(key)
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


def test_the_settings_load(env):
    s = guard_config.load()
    assert (s.stop_at, s.services, s.job_kinds, s.labels) == (0.9, ("backend", "frontend"), ("batch",), LABELS)
    assert s.acknowledged == {"2026-11-01-5000"} and s.batch_endpoint is None and s.certs_url is None


def test_the_may_be_empty_lists_may_be_absent(env):
    for key in ("GUARD_SERVICES", "GUARD_JOB_KINDS", "GUARD_ACKNOWLEDGED"):
        env.delenv(key)
    s = guard_config.load()
    assert (s.services, s.job_kinds, s.acknowledged) == ((), (), frozenset())


BAD = {
    "GUARD_STOP_AT": ["0", "2.5", "-1", "nan", "inf", "one"],
    "GUARD_LABELS": ["{}", "[]", "not json", '{"Group": "x"}', '{"group": "X Y"}', '{"group": 7}'],
    "GUARD_BILLING_ACCOUNT": ["0123456789ABCDEF01", "billingAccounts/012345-6789AB-CDEF01"],
    "GUARD_JOB_KINDS": ["batch,vm", "gke"],
    "GUARD_SERVICES": ["Backend", "a_b", "x" * 60],
    "GUARD_ACKNOWLEDGED": ["2026-12-01", "latest"],
    "GUARD_PUSH_ACCOUNT": ["not-an-email"],
    "GUARD_REGION": ["Europe West"],
}


@pytest.mark.parametrize("key,value", [(k, v) for k, values in BAD.items() for v in values])
def test_a_wrong_setting_is_refused_naming_the_variable(env, key, value):
    env.setenv(key, value)
    with pytest.raises(guard_config.ConfigError, match=f"^{key}"):
        guard_config.load()


@pytest.mark.parametrize("key", [k for k in ENV if k not in ("GUARD_SERVICES", "GUARD_JOB_KINDS", "GUARD_ACKNOWLEDGED")])
def test_a_missing_setting_stops_the_service_naming_it(env, capsys, key):
    env.delenv(key)
    with pytest.raises(SystemExit):
        guard.create_app()
    assert key in capsys.readouterr().out
