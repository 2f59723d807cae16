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
    lines = ["x,y,label"] + [f"{i},{i % 3},{'big' if i > 20 else 'small'}" for i in range(40)]
    storage.write("data", "train.csv", "\n".join(lines).encode(), "text/csv")
    reference = train.main(storage)
    assert reference["data_source"] == "gs://data/train.csv" and reference["feature_names"] == ["x", "y"]


def test_missing_train_csv_falls_back_to_iris(env):
    env.setenv("DATA_BUCKET", "data")
    reference = train.main(FakeStorage(buckets={"models", "data"}))
    assert reference["data_source"] == "sklearn.datasets.load_iris"


def test_no_destination_is_a_clear_error(env):
    env.delenv("MODELS_BUCKET")
    with pytest.raises(RuntimeError, match="set MODELS_BUCKET"):
        train.main(FakeStorage())


def test_bad_csv_is_a_clear_error():
    with pytest.raises(ValueError, match="header row"):
        train.load_csv("only,header\n", "x")
