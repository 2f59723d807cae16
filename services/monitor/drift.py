"""Per-feature drift: two-sample Kolmogorov-Smirnov test of logged inputs against the training sample.

Three states per feature and overall: "not enough data" (fewer than min_samples logged rows: no
verdict), "no drift", "drift" (p-value below alpha for at least one feature).
"""

import json
import math
from typing import Iterable, List

from scipy.stats import ks_2samp

NOT_ENOUGH_DATA, NO_DRIFT, DRIFT = "not enough data", "no drift", "drift"


def rows_from_records(records: Iterable[dict], width: int) -> List[List[float]]:
    """Feature rows of well-formed records; anything else is skipped."""
    rows = []
    for record in records:
        for row in record.get("features") or []:
            if (isinstance(row, list) and len(row) == width
                    and all(type(v) in (int, float) and math.isfinite(v) for v in row)):
                rows.append(row)
    return rows


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


def drift_report(reference: dict, rows: List[List[float]], alpha: float, min_samples: int) -> dict:
    names = reference["feature_names"]
    sample = reference.get("sample") or {}
    features = []
    for i, name in enumerate(names):
        ref = sample.get(name) or []
        current = [row[i] for row in rows]
        entry = {"name": name, "n_reference": len(ref), "n_current": len(current),
                 "reference_mean": _mean(ref), "current_mean": _mean(current),
                 "statistic": None, "p_value": None}
        if len(current) < min_samples or len(ref) < min_samples:
            entry["status"] = NOT_ENOUGH_DATA
        else:
            result = ks_2samp(ref, current)
            entry["statistic"], entry["p_value"] = float(result.statistic), float(result.pvalue)
            entry["status"] = DRIFT if result.pvalue < alpha else NO_DRIFT
        features.append(entry)
    states = {f["status"] for f in features}
    status = DRIFT if DRIFT in states else NOT_ENOUGH_DATA if NOT_ENOUGH_DATA in states else NO_DRIFT
    return {"status": status, "drift": status == DRIFT, "n_rows": len(rows), "min_samples": min_samples,
            "alpha": alpha, "test": "two-sample Kolmogorov-Smirnov", "model_version": reference.get("model_version"),
            "features": features}


def _mean(values):
    return sum(values) / len(values) if values else None
