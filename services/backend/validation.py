"""Parse a /predict body by hand: fast, and errors never echo the input.

Every feature is a JSON number with |x| <= MAX_ABS: a bound far above any real feature, and far below what
overflows a float (a 400-digit integer, 1.7e308) in the model's scaler or in the monitor's statistics.
"""

import json
import math
from typing import List, Optional

MAX_ROWS = 1000
MAX_ABS = 1e9


class InvalidInput(ValueError):
    """A short, input-free message for a 422 answer."""


def _reject_constant(name):
    raise InvalidInput(f"{name} is not allowed: features must be finite numbers")


def valid_number(value) -> bool:
    """A JSON number (not a bool) within ±MAX_ABS; ints are compared exactly (no float conversion)."""
    kind = type(value)
    if kind is int:
        return -MAX_ABS <= value <= MAX_ABS
    return kind is float and math.isfinite(value) and abs(value) <= MAX_ABS


def parse_features(body: bytes, n_features: Optional[int]) -> List[List[float]]:
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except InvalidInput:
        raise
    except (ValueError, RecursionError):
        raise InvalidInput("body is not valid JSON") from None
    rows = data.get("features") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        raise InvalidInput('expected {"features": [[number, ...], ...]} with at least one row')
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} rows per request")
    width = n_features or (len(rows[0]) if isinstance(rows[0], list) else 0)
    if width < 1:
        raise InvalidInput("row 0: expected a non-empty list of numbers")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            raise InvalidInput(f"row {i}: expected a list of {width} numbers")
        for value in row:
            if not valid_number(value):
                raise InvalidInput(f"row {i}: features must be finite numbers with |x| <= {MAX_ABS:g}")
    return rows
