import io
import json

import joblib
import pytest

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
