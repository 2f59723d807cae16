"""Object layout shared by the trainer (writer) and the backend and monitor (readers), and env parsing.

Each service reads its environment variables itself, with the name as a string literal, so a
test can find them in its source (services/README.md); this module only parses the values.
"""

import math
from typing import Optional

MODEL_PREFIX = "models/latest"
MODEL_FILE = "model.joblib"
REFERENCE_FILE = "reference.json"
PREDICTIONS_PREFIX = "predictions/"


def number(raw: Optional[str], default: float, name: str, minimum: float = 0.0) -> float:
    """Parse an optional numeric setting; a bad value fails at startup with the variable's name."""
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None
    if not math.isfinite(value) or value < minimum:
        raise ValueError(f"{name}={raw!r} must be a finite number >= {minimum}")
    return value


def bucket_name(raw: Optional[str]) -> Optional[str]:
    """A bucket variable holds a bare name; accept a gs:// prefix and treat empty as unset."""
    if not raw:
        return None
    name = raw.strip()
    if name.startswith("gs://"):
        name = name[len("gs://"):]
    return name.strip("/") or None
