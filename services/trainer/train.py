"""Batch training job: fit a LogisticRegression and publish it to GCS.

Data: gs://$DATA_BUCKET/$TRAIN_DATA (default train.csv; a DVC remote keeps files under their repository
paths, so set the path) with a header row, numeric feature columns, last column = label. With DATA_BUCKET
unset: scikit-learn's built-in Iris data set. With DATA_BUCKET set and the object missing, training fails
(it never falls back to Iris then). A model whose test accuracy is below $MIN_ACCURACY (default 0.7) or
that was tested on fewer than $MIN_TEST_ROWS rows (default 10) is not published. Output: model.joblib + reference.json under
gs://$MODELS_BUCKET/models/<UTC timestamp>/ and gs://$MODELS_BUCKET/models/latest/,
plus $AIP_MODEL_DIR when Vertex AI sets it. reference.json carries up to 1000 training rows per
feature, which the monitor compares logged inputs with.

Arguments (mlops:training.args, appended to the image's ENTRYPOINT) override those variables and set the
model's hyperparameters: --data PATH, --min-accuracy X, --min-test-rows N, --C X, --max-iter N. Any other
argument fails the run at once (exit 2, with the usage), so a mistyped option is never silently ignored.
"""

import argparse
import csv
import io
import json
import math
import os
import sys
import traceback
from datetime import datetime, timezone
from typing import Optional

import joblib
import numpy as np
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from common.settings import MODEL_FILE, MODEL_PREFIX, REFERENCE_FILE, bucket_name, number
from common.storage import GcsStorage, NotFoundError, Storage

REFERENCE_SAMPLE = 1000  # training rows kept in reference.json for the monitor's KS test


class TrainingError(RuntimeError):
    """Why this run publishes nothing: printed as one line, exit code 1."""


def load_csv(text, source):
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if len(rows) < 2 or len(rows[0]) < 2:
        raise ValueError("train.csv needs a header row, at least one feature column and data rows")
    header = [name.strip().lstrip("\ufeff") for name in rows[0]]
    X = np.array([[float(v) for v in row[:-1]] for row in rows[1:]], dtype=float)
    y = np.array([row[-1].strip() for row in rows[1:]])
    if X.shape[1] != len(header) - 1:
        raise ValueError("train.csv rows do not match the header width")
    if not np.isfinite(X).all() or np.abs(X).max() > 1e9:
        raise TrainingError(f"{source}: features must be finite numbers with |x| <= 1e9 (what the backend accepts)")
    return X, y, header[:-1], source


def load_data(storage: Storage, data_bucket, data_path="train.csv"):
    if data_bucket:
        source = f"gs://{data_bucket}/{data_path}"
        try:
            text = storage.read(data_bucket, data_path).decode("utf-8-sig")  # -sig: Excel's byte-order mark
        except NotFoundError:
            raise TrainingError(f"{source} not found: upload it, or set TRAIN_DATA to its path in the bucket "
                                "(a DVC remote keeps files under their repository paths)") from None
        return load_csv(text, source)
    iris = load_iris()
    # Train on the class names so the model predicts names directly.
    y = np.asarray(iris.target_names)[iris.target]
    return iris.data, y, list(iris.feature_names), "sklearn.datasets.load_iris"


def split(X, y):
    try:
        return train_test_split(X, y, test_size=0.2, random_state=42, stratify=y)
    except ValueError:  # a class too small to stratify
        return train_test_split(X, y, test_size=0.2, random_state=42)


def upload(storage: Storage, bucket, prefix, files):
    for name, (data, content_type) in files.items():
        path = f"{prefix.strip('/')}/{name}" if prefix.strip("/") else name
        storage.write(bucket, path, data, content_type)
        print(f"wrote gs://{bucket}/{path}")


def reference_for(model, X_train, feature_names, source, accuracy, n_test, version):
    """What the backend and monitor read next to the model: names, moments and a sample per feature."""
    rng = np.random.default_rng(0)
    rows = X_train if len(X_train) <= REFERENCE_SAMPLE else X_train[rng.choice(len(X_train), REFERENCE_SAMPLE, replace=False)]
    return {
        "model_version": version,
        "data_source": source,
        "feature_names": feature_names,
        "class_names": [str(c) for c in model.classes_],
        "mean": X_train.mean(axis=0).tolist(),
        "std": X_train.std(axis=0).tolist(),
        "sample": {name: rows[:, i].tolist() for i, name in enumerate(feature_names)},
        "accuracy": accuracy,
        "n_train": int(X_train.shape[0]),
        "n_test": n_test,
        "sklearn_version": sklearn.__version__,
    }


def _bounded(kind, low, high=math.inf, low_open=False):
    """An argparse type: a finite number of `kind` in [low, high] (or (low, high] when low_open)."""

    def parse(raw):
        try:
            value = kind(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{raw!r} is not {'an integer' if kind is int else 'a number'}") from None
        if not math.isfinite(value) or value > high or value < low or (low_open and value == low):
            bounds = f"{'>' if low_open else '>='} {low}" + (f" and <= {high}" if high != math.inf else "")
            raise argparse.ArgumentTypeError(f"{raw!r} must be a finite number {bounds}")
        return value

    return parse


def parse_args(argv):
    """The run's command-line options; each overrides its variable, and an unknown one exits 2."""
    parser = argparse.ArgumentParser(
        prog="train.py", description="Fit the model on the group's data and publish it to the models bucket."
    )
    parser.add_argument("--data", help="object path in DATA_BUCKET (overrides TRAIN_DATA; default train.csv)")
    parser.add_argument("--min-accuracy", type=_bounded(float, 0.0, 1.0), help="accuracy to publish (MIN_ACCURACY)")
    parser.add_argument("--min-test-rows", type=_bounded(int, 1), help="test rows needed to publish (MIN_TEST_ROWS)")
    parser.add_argument("--C", type=_bounded(float, 0.0, low_open=True), default=1.0, help="inverse regularisation")
    parser.add_argument("--max-iter", type=_bounded(int, 1), default=1000, help="solver iterations")
    return parser.parse_args(argv)


def main(storage: Optional[Storage] = None, argv=()):
    options = parse_args(list(argv))
    models_bucket = bucket_name(os.environ.get("MODELS_BUCKET"))
    data_bucket = bucket_name(os.environ.get("DATA_BUCKET"))
    data_path = (options.data or os.environ.get("TRAIN_DATA") or "train.csv").strip("/")
    aip_model_dir = os.environ.get("AIP_MODEL_DIR", "")
    min_accuracy = options.min_accuracy
    if min_accuracy is None:
        min_accuracy = number(os.environ.get("MIN_ACCURACY"), 0.7, "MIN_ACCURACY")
    min_test_rows = options.min_test_rows or int(number(os.environ.get("MIN_TEST_ROWS"), 10, "MIN_TEST_ROWS", 1))
    if not models_bucket and not aip_model_dir.startswith("gs://"):
        raise TrainingError("nowhere to save the model: set MODELS_BUCKET (or AIP_MODEL_DIR=gs://...)")

    storage = storage or GcsStorage()
    X, y, feature_names, source = load_data(storage, data_bucket, data_path)
    print(f"data: {source}, {X.shape[0]} rows, {X.shape[1]} features")

    X_train, X_test, y_train, y_test = split(X, y)
    params = {"C": options.C, "max_iter": options.max_iter}
    model = make_pipeline(StandardScaler(), LogisticRegression(**params))
    model.fit(X_train, y_train)
    accuracy = float(accuracy_score(y_test, model.predict(X_test)))
    print(f"test accuracy: {accuracy:.4f}")
    if X_test.shape[0] < min_test_rows:
        raise TrainingError(f"only {X_test.shape[0]} test rows (MIN_TEST_ROWS={min_test_rows}): "
                            "too little data to judge the model; nothing published")
    if accuracy < min_accuracy:
        raise TrainingError(f"test accuracy {accuracy:.4f} is below MIN_ACCURACY={min_accuracy}; nothing published")

    version = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    reference = reference_for(model, X_train, feature_names, source, accuracy, int(X_test.shape[0]), version)
    reference["params"] = params
    model_bytes = io.BytesIO()
    joblib.dump(model, model_bytes)
    files = {
        MODEL_FILE: (model_bytes.getvalue(), "application/octet-stream"),
        REFERENCE_FILE: (json.dumps(reference).encode(), "application/json"),
    }

    if models_bucket:
        upload(storage, models_bucket, f"models/{version}", files)
        upload(storage, models_bucket, MODEL_PREFIX, files)
    else:
        print("MODELS_BUCKET not set, writing to AIP_MODEL_DIR only")
    if aip_model_dir.startswith("gs://"):
        bucket, _, prefix = aip_model_dir[len("gs://"):].partition("/")
        upload(storage, bucket, prefix, files)
    return reference


if __name__ == "__main__":
    try:
        main(argv=sys.argv[1:])
    except TrainingError as exc:
        print(f"training failed: {exc}", file=sys.stderr)
        sys.exit(1)
    except Exception:  # report and exit non-zero so the job shows as failed
        traceback.print_exc()
        print("training failed", file=sys.stderr)
        sys.exit(1)
