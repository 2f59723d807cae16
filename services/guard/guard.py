"""The credit guard: receives the budget's Pub/Sub pushes and, once spending reaches the cap, stops the stack's
compute (compute.py) and records the trip. Contract with the stack: services/guard/README.md.

    POST /        a Pub/Sub push: 401/403 without the push account's token; 204 once handled (below the cap,
                  ignored, acknowledged, or every action done); 500 when an action failed (Pub/Sub redelivers)
    GET /health   200
"""

import json
import sys
import threading
import time
from datetime import datetime, timezone

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

import budget
import guard_config
from compute import Compute
from pushauth import PushAuth, Refused

SEVERITY = {"credit_guard_notification": "INFO", "credit_guard_ignored": "WARNING", "credit_guard_refused": "WARNING",
            "credit_guard_enforced": "WARNING", "credit_guard_tripped": "ALERT", "credit_guard_error": "ERROR"}


def log(event: str, message: str, **fields) -> None:
    """One JSON line on stdout: Cloud Logging reads severity and message from it and keeps the rest as jsonPayload
    (https://cloud.google.com/run/docs/logging#writing_structured_logs)."""
    line = {"severity": SEVERITY[event], "event": event, "message": message, **fields}
    sys.stdout.write(json.dumps(line, default=str, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _now_iso(clock) -> str:
    return datetime.fromtimestamp(clock(), timezone.utc).isoformat().replace("+00:00", "Z")


class Guard:
    def __init__(self, settings, compute, clock=time.time):
        self.s = settings
        self.compute = compute
        self.clock = clock
        self._lock = threading.Lock()
        self.newest_period = None  # the latest costIntervalStart this instance has seen for its budget

    def handle(self, body: bytes | None) -> int:
        """Handles one push body; returns the HTTP status."""
        try:
            if body is None:
                raise budget.Malformed(f"the body has more than {budget.MAX_BODY_BYTES} bytes")
            n = budget.parse_push(body)
        except budget.Malformed as exc:
            log("credit_guard_ignored", f"not a budget notification: {exc}", reason="malformed", detail=str(exc))
            return 204
        cap = budget.cap_minor(self.s.stop_at, n.budget_amount)
        trip = budget.trip_id(n, cap)
        facts = {"costAmount": float(n.cost_amount), "budgetAmount": float(n.budget_amount), "cap": cap / 100,
                 "currencyCode": n.currency, "costIntervalStart": n.interval_start.isoformat(), "tripId": trip,
                 "messageId": n.message_id, "budgetId": n.budget_id}
        log("credit_guard_notification", f"budget {n.budget_id}: {n.cost_amount} of {n.budget_amount} {n.currency} "
            f"spent, cap {cap / 100:.2f}", **facts)
        if n.billing_account != self.s.billing_account or n.budget_id != self.s.budget_id:
            log("credit_guard_ignored", "a notification of another budget", reason="another-budget", **facts)
            return 204
        if n.interval_start.timestamp() > self.clock() + 86400:
            # Not Google's clock a little ahead: a period that starts tomorrow or later. Remembering it as the
            # newest would make every current notification look out of order.
            log("credit_guard_ignored", "a notification of a budget period that has not started", reason="malformed",
                detail="costIntervalStart is more than a day ahead of this clock", **facts)
            return 204
        with self._lock:
            newest = self.newest_period
            if newest is None or n.interval_start > newest:
                self.newest_period = n.interval_start
        if self.clock() >= budget.period_end(n.interval_start).timestamp() or (newest and n.interval_start < newest):
            log("credit_guard_ignored", "a notification of a budget period that has ended", reason="period-ended",
                **facts)
            return 204
        if not budget.over_cap(n, cap):
            return 204
        if trip in self.s.acknowledged:
            log("credit_guard_ignored", f"over the cap, but trip {trip} is acknowledged", reason="acknowledged",
                **facts)
            return 204
        return self._enforce(n, trip, cap, facts)

    def _enforce(self, n, trip: str, cap: int, facts: dict) -> int:
        errors = []
        try:
            recorded = self.compute.recorded(trip)
        except Exception as exc:  # noqa: BLE001 - stopping compute matters more than reading the record
            recorded = False
            errors.append(f"reading the record: {type(exc).__name__}: {str(exc)[:300]}")
        actions = self.compute.stop(trip)
        actions["errors"] = errors + actions["errors"]
        created = False
        if not recorded:
            content = {"tripId": trip, "costAmount": float(n.cost_amount), "budgetAmount": float(n.budget_amount),
                       "cap": cap / 100, "currencyCode": n.currency, "costIntervalStart": n.interval_start.isoformat(),
                       "stopAt": self.s.stop_at, "messageId": n.message_id, "publishTime": n.publish_time.isoformat(),
                       "actions": actions, "at": _now_iso(self.clock)}
            try:
                created = self.compute.record(trip, content)
            except Exception as exc:  # noqa: BLE001
                actions["errors"].append(f"writing the record: {type(exc).__name__}: {str(exc)[:300]}")
        if created:
            log("credit_guard_tripped", f"the credit guard stopped compute at {cap / 100:.2f} {n.currency} (trip {trip}): "
                f"{n.cost_amount} {n.currency} spent", actions=actions, **facts)
        else:
            log("credit_guard_enforced", f"trip {trip} is not acknowledged: compute stays stopped", actions=actions,
                **facts)
        for error in actions["errors"]:
            log("credit_guard_error", error, tripId=trip, messageId=n.message_id)
        return 500 if actions["errors"] else 204


async def _body(request: Request) -> bytes | None:
    """The body, or None past MAX_BODY_BYTES (read no further)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > budget.MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > budget.MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings=None, compute=None, auth=None, clock=time.time) -> Starlette:
    """The ASGI app (uvicorn --factory guard:create_app); tests pass their own clients."""
    if settings is None:
        try:
            settings = guard_config.load()
        except guard_config.ConfigError as exc:
            log("credit_guard_error", f"the credit guard cannot start: {exc}")
            raise SystemExit(1) from None
    if compute is None:
        import google.auth

        credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
        compute = Compute(settings, credentials)
    auth = auth or PushAuth(settings.push_audience, settings.push_account, settings.certs_url,
                            require_signature=settings.require_signature)
    guard = Guard(settings, compute, clock)

    async def push(request: Request) -> Response:
        try:
            await run_in_threadpool(auth.check, request.headers.get("authorization"))
        except Refused as refused:
            log("credit_guard_refused", f"push refused: {refused.reason}", status=refused.status)
            headers = {"WWW-Authenticate": "Bearer"} if refused.status == 401 else None
            return PlainTextResponse(refused.reason, status_code=refused.status, headers=headers)
        status = await run_in_threadpool(guard.handle, await _body(request))
        if status == 204:
            return Response(status_code=204)
        return PlainTextResponse("an action failed; Pub/Sub will redeliver", status_code=status)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", push, methods=["POST"]), Route("/health", health, methods=["GET"])])
    app.state.guard = guard
    return app
