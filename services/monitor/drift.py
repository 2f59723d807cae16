"""Per-feature drift: two-sample Kolmogorov-Smirnov test of logged inputs against the training sample.

Three states per feature and overall: "not enough data" (fewer than min_samples logged rows: no verdict),
"no drift", "drift". A feature drifts when both hold:
- its p-value survives Holm's correction for the number of features (the chance of any false alarm
  stays at alpha however many features there are; plain per-feature tests at alpha flag at least one of
  20 undrifted features in 64 % of reports), and
- its KS statistic (the largest gap between the two cumulative distributions) is at least `min_effect`:
  with many rows a shift too small to matter (0.1 sd gives about 0.04) is still "significant".
See docs/services.md.
"""

import json
import math
import random
from typing import Iterable, List, Optional

from scipy.stats import ks_2samp

NOT_ENOUGH_DATA, NO_DRIFT, DRIFT = "not enough data", "no drift", "drift"
MAX_ABS = 1e9  # what the backend accepts (backend/validation.py); older logs may hold more
MIN_REFERENCE = 20  # a smaller training sample says nothing about its distribution


def valid_row(row, width: int) -> bool:
    return (isinstance(row, list) and len(row) == width
            and all(type(v) in (int, float) and math.isfinite(v) and abs(v) <= MAX_ABS for v in row))


class RowSample:
    """A uniform sample of at most `capacity` rows from a stream (reservoir sampling): bounded memory
    whatever the window holds; `seen` counts every valid row."""

    def __init__(self, width: int, capacity: int = 20000, seed: int = 0):
        self.width, self.capacity, self.rows, self.seen = width, capacity, [], 0
        self._random = random.Random(seed)

    def add_records(self, records: Iterable[dict], since: Optional[float] = None) -> None:
        for record in records:
            stamp = record.get("timestamp")
            if since is not None and not (type(stamp) in (int, float) and stamp >= since):
                continue
            for row in record.get("features") or []:
                if valid_row(row, self.width):
                    self.add(row)

    def add(self, row) -> None:
        self.seen += 1
        if len(self.rows) < self.capacity:
            self.rows.append(row)
        else:
            j = self._random.randrange(self.seen)
            if j < self.capacity:
                self.rows[j] = row


def rows_from_records(records: Iterable[dict], width: int) -> List[List[float]]:
    """Feature rows of well-formed records; anything else is skipped."""
    sample = RowSample(width, capacity=10**9)
    sample.add_records(records)
    return sample.rows


def parse_jsonl(data: bytes) -> List[dict]:
    """A log object: JSON lines written by the backend (older logs: one JSON object)."""
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


def holm(p_values: List[float]) -> List[float]:
    """Holm-Bonferroni adjusted p-values (family-wise error rate), in the input's order."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted, running = [1.0] * len(p_values), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def drift_report(reference: dict, rows: List[List[float]], alpha: float, min_samples: int,
                 min_effect: float = 0.1, rows_seen: Optional[int] = None) -> dict:
    names = reference["feature_names"]
    sample = reference.get("sample") or {}
    features, tested = [], []
    for i, name in enumerate(names):
        ref = [v for v in sample.get(name) or [] if type(v) in (int, float) and math.isfinite(v)]
        current = [row[i] for row in rows]
        entry = {"name": name, "n_reference": len(ref), "n_current": len(current),
                 "reference_mean": _mean(ref), "current_mean": _mean(current),
                 "statistic": None, "p_value": None, "p_adjusted": None}
        if len(current) < min_samples or len(ref) < MIN_REFERENCE:
            entry["status"] = NOT_ENOUGH_DATA
        else:
            result = ks_2samp(ref, current)
            entry["statistic"], entry["p_value"] = float(result.statistic), float(result.pvalue)
            tested.append(entry)
        features.append(entry)
    for entry, p in zip(tested, holm([e["p_value"] for e in tested])):
        entry["p_adjusted"] = p
        entry["status"] = DRIFT if p < alpha and entry["statistic"] >= min_effect else NO_DRIFT
    states = {f["status"] for f in features}
    status = DRIFT if DRIFT in states else NOT_ENOUGH_DATA if NOT_ENOUGH_DATA in states else NO_DRIFT
    return {"status": status, "drift": status == DRIFT, "n_rows": len(rows),
            "n_rows_seen": len(rows) if rows_seen is None else rows_seen, "min_samples": min_samples,
            "alpha": alpha, "min_effect": min_effect, "correction": "Holm-Bonferroni",
            "test": "two-sample Kolmogorov-Smirnov", "model_version": reference.get("model_version"),
            "features": features}


def _mean(values):
    """The mean, or None when there is none or it is not a finite number (JSON has no inf)."""
    if not values:
        return None
    mean = math.fsum(v / len(values) for v in values)
    return mean if math.isfinite(mean) else None
