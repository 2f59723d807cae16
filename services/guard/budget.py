"""Cloud Billing budget notifications as Pub/Sub pushes them, read strictly.

Format: "Programmatic budget notifications",
https://cloud.google.com/billing/docs/how-to/budgets-programmatic-notifications#notification_format : the message's
attributes carry billingAccountId, budgetId and schemaVersion ("1.0"); its data is base64 JSON with budgetDisplayName,
costAmount, costIntervalStart (RFC 3339, the start of the budget period the cost is for), budgetAmount,
budgetAmountType, currencyCode, and alertThresholdExceeded / forecastThresholdExceeded only once a threshold is
crossed. Budgets send it several times a day, whether or not a threshold changed. The push envelope ({"message":
{...,"messageId","publishTime"}, "subscription"}): https://cloud.google.com/pubsub/docs/push#receive_push
"""

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

MAX_BODY_BYTES = 64 * 1024  # a notification is well under 1 KiB; Pub/Sub allows 10 MB
MAX_AMOUNT = Decimal(10) ** 15
# Calendar budget periods start at midnight US and Canadian Pacific Time
# (https://cloud.google.com/billing/docs/reference/budget/rest/v1/billingAccounts.budgets#calendarperiod).
PACIFIC = ZoneInfo("America/Los_Angeles")


class Malformed(ValueError):
    """Not a budget notification of the documented format; the message says which field and why."""


@dataclass(frozen=True)
class Notification:
    billing_account: str
    budget_id: str
    message_id: str
    publish_time: datetime
    cost_amount: Decimal
    budget_amount: Decimal
    currency: str
    interval_start: datetime
    display_name: str


def _reject_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _json(raw: bytes, what: str):
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise Malformed(f"{what} is not JSON ({type(exc).__name__})") from None


def _string(obj: dict, key: str, where: str, max_len: int = 200) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise Malformed(f"{where}.{key} must be a non-empty string of at most {max_len} characters")
    return value


def _amount(obj: dict, key: str) -> Decimal:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise Malformed(f"data.{key} must be a number")
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError):
        raise Malformed(f"data.{key} must be a number") from None
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
        raise Malformed(f"data.{key} must be a finite amount below {MAX_AMOUNT:.0e}")
    return amount


def _time(obj: dict, key: str, where: str) -> datetime:
    text = _string(obj, key, where, 64)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Malformed(f"{where}.{key} must be an RFC 3339 timestamp") from None
    if value.tzinfo is None:
        raise Malformed(f"{where}.{key} must carry a time zone (RFC 3339)")
    return value.astimezone(timezone.utc)


def parse_push(body: bytes) -> Notification:
    """The notification in a Pub/Sub push body; raises Malformed."""
    if len(body) > MAX_BODY_BYTES:
        raise Malformed(f"the body has more than {MAX_BODY_BYTES} bytes")
    envelope = _json(body, "the body")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("message"), dict):
        raise Malformed("the body is not a Pub/Sub push envelope ({\"message\": {...}})")
    message = envelope["message"]
    attributes = message.get("attributes")
    if not isinstance(attributes, dict):
        raise Malformed("message.attributes must be an object")
    billing_account = _string(attributes, "billingAccountId", "message.attributes", 64)
    budget_id = _string(attributes, "budgetId", "message.attributes", 128)
    if attributes.get("schemaVersion") != "1.0":
        raise Malformed("message.attributes.schemaVersion must be \"1.0\"")
    message_id = _string(message, "messageId", "message", 128)
    publish_time = _time(message, "publishTime", "message")
    encoded = message.get("data")
    if not isinstance(encoded, str) or not encoded:
        raise Malformed("message.data must be a base64 string")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise Malformed("message.data is not base64") from None
    data = _json(raw, "message.data")
    if not isinstance(data, dict):
        raise Malformed("message.data must be a JSON object")
    cost = _amount(data, "costAmount")
    budget = _amount(data, "budgetAmount")
    if budget <= 0:
        raise Malformed("data.budgetAmount must be above 0 (a cap of 0 would stop everything)")
    currency = _string(data, "currencyCode", "data", 3)
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise Malformed("data.currencyCode must be a currency code such as USD")
    interval_start = _time(data, "costIntervalStart", "data")
    name = data.get("budgetDisplayName", "")
    if not isinstance(name, str) or len(name) > 200:
        raise Malformed("data.budgetDisplayName must be a string of at most 200 characters")
    return Notification(billing_account, budget_id, message_id, publish_time, cost, budget, currency,
                        interval_start, name)


def js_round(x: float) -> int:
    """Math.round as JavaScript defines it (halves towards +infinity): the stack computes the same cap with it."""
    floor = math.floor(x)
    return floor + 1 if x - floor >= 0.5 else floor


def cap_minor(stop_at: float, budget_amount: Decimal) -> int:
    """The cap in minor units, round(stopAt * budgetAmount * 100), in floating point like the stack's TypeScript."""
    return js_round(stop_at * float(budget_amount) * 100)


def over_cap(n: Notification, cap: int) -> bool:
    return n.cost_amount * 100 >= cap


def trip_id(n: Notification, cap: int) -> str:
    return f"{n.interval_start.date().isoformat()}-{cap}"


def period_end(interval_start: datetime) -> datetime:
    """End of the monthly budget period starting at interval_start (the stack's budget has the default calendar
    period, MONTH): the next first of a month at midnight Pacific Time, in UTC."""
    local = interval_start.astimezone(PACIFIC)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=PACIFIC).astimezone(timezone.utc)
