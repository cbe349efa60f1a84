import mlflow
import pytest
from mlflow.tracking import MlflowClient

from lmforge.tracking.registry import DECISION_TAG, promote_if_better


@pytest.fixture
def registry(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.create_experiment("gate", artifact_location=str(tmp_path / "art"))
    client = MlflowClient(uri)
    client.create_registered_model("clf")

    def new_version() -> str:
        with mlflow.start_run(experiment_id=experiment) as run:
            mlflow.log_text("weights", "model/placeholder.txt")
        return client.create_model_version(
            "clf", f"runs:/{run.info.run_id}/model", run.info.run_id
        ).version

    return client, new_version


def test_first_version_becomes_champion_then_only_better_ones(registry):
    client, new_version = registry
    first = promote_if_better(client, "clf", new_version(), 0.80)
    assert first.promoted and "first version" in first.reason
    worse = promote_if_better(client, "clf", new_version(), 0.79)
    assert not worse.promoted and worse.champion_version == first.version
    assert str(client.get_model_version_by_alias("clf", "champion").version) == first.version
    tags = client.get_model_version("clf", worse.version).tags
    assert tags[DECISION_TAG].startswith("not promoted: test macro_f1 0.7900 < champion v1")
    better = promote_if_better(client, "clf", new_version(), 0.81)
    assert better.promoted
    assert str(client.get_model_version_by_alias("clf", "champion").version) == better.version


def test_margin_and_ties(registry):
    client, new_version = registry
    promote_if_better(client, "clf", new_version(), 0.80)
    assert promote_if_better(client, "clf", new_version(), 0.80).promoted  # a tie moves it
    assert not promote_if_better(client, "clf", new_version(), 0.805, min_improvement=0.01).promoted
    assert promote_if_better(client, "clf", new_version(), 0.82, min_improvement=0.01).promoted


def test_the_gate_compares_like_with_like(registry):
    from lmforge.tracking.registry import COMPARED_TAG, FORCED_TAG

    client, new_version = registry
    classes = ["negative", "positive"]
    first = promote_if_better(client, "clf", new_version(), 0.80, test_set="A", classes=classes)
    assert first.promoted
    other_set = promote_if_better(client, "clf", new_version(), 0.95, test_set="B", classes=classes)
    assert not other_set.promoted and "not comparable: different test set" in other_set.reason
    other_classes = promote_if_better(
        client, "clf", new_version(), 0.95, test_set="A", classes=["neg", "neu", "pos"]
    )
    assert not other_classes.promoted and "different classes" in other_classes.reason
    champion = client.get_model_version_by_alias("clf", "champion")
    assert str(champion.version) == first.version
    tags = client.get_model_version("clf", other_set.version).tags
    assert tags[DECISION_TAG].startswith("not promoted: not comparable: different test set")
    assert tags[COMPARED_TAG] == first.version
    forced = promote_if_better(
        client, "clf", new_version(), 0.5, test_set="B", classes=classes, force=True
    )
    assert forced.promoted and "forced" in forced.reason
    assert client.get_model_version("clf", forced.version).tags[FORCED_TAG] == "true"
    better = promote_if_better(client, "clf", new_version(), 0.6, test_set="B", classes=classes)
    assert better.promoted


def test_a_champion_without_the_metric_is_not_beaten_by_default(registry):
    client, new_version = registry
    untagged = new_version()
    client.set_registered_model_alias("clf", "champion", untagged)
    candidate = promote_if_better(client, "clf", new_version(), 0.99)
    assert not candidate.promoted
    assert f"champion v{untagged} has no test macro_f1 tag" in candidate.reason
