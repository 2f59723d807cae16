import io
import json
import os
import subprocess
import sys

import joblib
import pytest

import common
import train
from common.storage import FakeStorage


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("MODELS_BUCKET", "models")
    monkeypatch.delenv("DATA_BUCKET", raising=False)
    monkeypatch.delenv("AIP_MODEL_DIR", raising=False)
    return monkeypatch


def test_trains_on_iris_and_writes_model_and_reference(env):
    storage = FakeStorage(buckets={"models"})
    train.main(storage)
    reference = json.loads(storage.read("models", "models/latest/reference.json"))
    assert reference["data_source"] == "sklearn.datasets.load_iris" and reference["accuracy"] > 0.8
    assert len(reference["feature_names"]) == 4
    assert all(len(reference["sample"][n]) == reference["n_train"] for n in reference["feature_names"])
    model = joblib.load(io.BytesIO(storage.read("models", "models/latest/model.joblib")))
    assert model.predict([[5.1, 3.5, 1.4, 0.2]])[0] == "setosa"
    versioned = storage.list("models", f"models/{reference['model_version']}/")
    assert [n.rsplit("/", 1)[1] for n in versioned] == ["model.joblib", "reference.json"]


def test_reads_train_csv_from_data_bucket(env):
    env.setenv("DATA_BUCKET", "data")
    storage = FakeStorage(buckets={"models", "data"})
    lines = ["x,y,label"] + [f"{i},{i % 3},{'big' if i > 20 else 'small'}" for i in range(60)]
    storage.write("data", "train.csv", "\n".join(lines).encode(), "text/csv")
    reference = train.main(storage)
    assert reference["data_source"] == "gs://data/train.csv" and reference["feature_names"] == ["x", "y"]


def test_missing_train_csv_fails_and_publishes_nothing(env):
    env.setenv("DATA_BUCKET", "data")
    storage = FakeStorage(buckets={"models", "data"})
    with pytest.raises(train.TrainingError, match="gs://data/train.csv not found.*TRAIN_DATA"):
        train.main(storage)
    assert storage.list("models", "") == []


def test_train_data_names_the_object_and_a_bom_is_dropped(env):
    env.setenv("DATA_BUCKET", "data")
    env.setenv("TRAIN_DATA", "data/processed/train.csv")
    storage = FakeStorage(buckets={"models", "data"})
    lines = ["x,y,label"] + [f"{i},{i % 3},{'big' if i > 20 else 'small'}" for i in range(60)]
    storage.write("data", "data/processed/train.csv", ("\ufeff" + "\n".join(lines)).encode(), "text/csv")
    reference = train.main(storage)
    assert reference["feature_names"] == ["x", "y"]


def test_a_model_below_the_quality_bar_is_not_published(env):
    env.setenv("DATA_BUCKET", "data")
    env.setenv("MIN_ACCURACY", "0.99")
    storage = FakeStorage(buckets={"models", "data"})
    rng = __import__("random").Random(0)  # labels unrelated to the feature: about 50 % accuracy
    lines = ["x,label"] + [f"{i},{rng.choice('ab')}" for i in range(200)]
    storage.write("data", "train.csv", "\n".join(lines).encode(), "text/csv")
    with pytest.raises(train.TrainingError, match="below MIN_ACCURACY=0.99; nothing published"):
        train.main(storage)
    assert storage.list("models", "") == []


def test_three_rows_publish_nothing(env):
    env.setenv("DATA_BUCKET", "data")
    storage = FakeStorage(buckets={"models", "data"})
    storage.write("data", "train.csv", b"x,label\n1,a\n2,b\n3,a\n", "text/csv")
    with pytest.raises(train.TrainingError):
        train.main(storage)
    assert storage.list("models", "") == []


def test_no_destination_is_a_clear_error(env):
    env.delenv("MODELS_BUCKET")
    with pytest.raises(RuntimeError, match="set MODELS_BUCKET"):
        train.main(FakeStorage())


def test_bad_csv_is_a_clear_error():
    with pytest.raises(ValueError, match="header row"):
        train.load_csv("only,header\n", "x")


def test_the_default_quality_bar_refuses_a_useless_model(env):
    env.setenv("DATA_BUCKET", "data")
    env.delenv("MIN_ACCURACY", raising=False)
    storage = FakeStorage(buckets={"models", "data"})
    rng = __import__("random").Random(1)  # three classes unrelated to the features: about 33 % accuracy
    lines = ["x,y,label"] + [f"{rng.random()},{rng.random()},{rng.choice('abc')}" for _ in range(300)]
    storage.write("data", "train.csv", "\n".join(lines).encode(), "text/csv")
    with pytest.raises(train.TrainingError, match="below MIN_ACCURACY=0.7"):
        train.main(storage)
    assert storage.list("models", "") == []


def test_data_bucket_set_never_falls_back_to_iris(env):
    env.setenv("DATA_BUCKET", "data")
    storage = FakeStorage(buckets={"models", "data"})
    storage.write("data", "data/train.csv", b"x,label\n1,a\n", "text/csv")  # under a repo path, not the root
    with pytest.raises(train.TrainingError):
        train.main(storage)
    assert storage.list("models", "") == []


def test_the_model_is_written_before_the_reference_that_names_it(env):
    storage = FakeStorage(buckets={"models"})
    order = []
    original = storage.write
    storage.write = lambda b, name, *a: order.append(name) or original(b, name, *a)
    train.main(storage)
    latest = [n for n in order if n.startswith("models/latest/")]
    assert latest == ["models/latest/model.joblib", "models/latest/reference.json"]


def test_arguments_override_the_environment_and_set_the_hyperparameters(env):
    env.setenv("DATA_BUCKET", "data")
    env.setenv("TRAIN_DATA", "train.csv")
    env.setenv("MIN_ACCURACY", "0.99")
    storage = FakeStorage(buckets={"models", "data"})
    rows = "\n".join(f"{i % 7},{(i * 3) % 11},{'a' if i % 2 else 'b'}" for i in range(200))
    storage.write("data", "data/other.csv", f"x1,x2,label\n{rows}\n".encode(), "text/csv")
    reference = train.main(storage, ["--data", "data/other.csv", "--min-accuracy", "0", "--C", "0.5", "--max-iter", "50"])
    assert reference["data_source"] == "gs://data/data/other.csv"
    assert reference["params"] == {"C": 0.5, "max_iter": 50}
    model = joblib.load(io.BytesIO(storage.read("models", "models/latest/model.joblib")))
    assert model[-1].C == 0.5 and model[-1].max_iter == 50


def test_without_arguments_the_model_has_its_defaults(env):
    storage = FakeStorage(buckets={"models"})
    assert train.main(storage)["params"] == {"C": 1.0, "max_iter": 1000}


def test_min_test_rows_argument_refuses_to_publish(env):
    storage = FakeStorage(buckets={"models"})
    with pytest.raises(train.TrainingError, match="MIN_TEST_ROWS=1000"):
        train.main(storage, ["--min-test-rows", "1000"])
    assert storage.list("models", "") == []


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--epochs", "3"], "unrecognized arguments: --epochs 3"),
        (["--C", "0"], "argument --C: '0' must be a finite number > 0.0"),
        (["--C", "nan"], "argument --C: 'nan' must be a finite number"),
        (["--max-iter", "1.5"], "argument --max-iter: '1.5' is not an integer"),
        (["--min-accuracy", "1.5"], "argument --min-accuracy: '1.5' must be a finite number >= 0.0 and <= 1.0"),
        (["--min-test-rows", "0"], "argument --min-test-rows: '0' must be a finite number >= 1"),
    ],
)
def test_a_bad_argument_exits_2_naming_it_before_anything_is_read(env, capsys, argv, message):
    storage = FakeStorage(buckets={"models"})
    with pytest.raises(SystemExit) as exit:
        train.main(storage, argv)
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "usage: train.py" in err
    assert storage.list("models", "") == []


def test_the_image_entrypoint_passes_its_arguments_to_main():
    """As Batch and Vertex AI run it: `python train.py ARGS`, in the image's /app or in services/trainer here."""
    common_root = os.path.dirname(os.path.dirname(os.path.abspath(common.__file__)))
    run = subprocess.run(
        [sys.executable, "train.py", "--epochs", "3"],
        cwd=os.path.dirname(os.path.abspath(train.__file__)),
        env={**os.environ, "PYTHONPATH": common_root, "MODELS_BUCKET": "models"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr
    assert "unrecognized arguments: --epochs 3" in run.stderr
