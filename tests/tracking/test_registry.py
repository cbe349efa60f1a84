import mlflow
import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from lmforge.tracking.registry import (
    DECISION_TAG,
    TEACHER_TAG,
    VARIANT_TAG,
    VariantCandidate,
    promote_if_better,
    register_variant,
    variant_decision,
)
from tests.conftest import empty_mlflow_store


@pytest.fixture
def registry(tmp_path):
    uri = empty_mlflow_store(tmp_path / "mlflow.db", tmp_path / "mlruns")
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


def variant(version_dir, f1, speed, teacher_f1=0.90, teacher_speed=100.0, promote="gate"):
    return VariantCandidate(
        variant="int8",
        model_dir=str(version_dir),
        classes=["neg", "pos"],
        metrics={"macro_f1": f1, "texts_per_s": speed},
        teacher_metrics={"macro_f1": teacher_f1, "texts_per_s": teacher_speed},
        teacher_version="1",
        model_name="clf",
        alias="champion-int8",
        max_drop=0.01,
        promote=promote,
    )


@pytest.mark.parametrize(
    ("f1", "speed", "promoted", "reason"),
    [
        (0.895, 180.0, True, "1.80x the teacher's texts_per_s"),
        (0.880, 180.0, False, "< teacher 0.9000 - max drop 0.01"),
        (0.900, 95.0, False, "texts_per_s 95.0 is not above the teacher's 100.0"),
    ],
)
def test_the_variant_gate_needs_quality_and_speed(tmp_path, f1, speed, promoted, reason):
    decision, message = variant_decision(variant(tmp_path, f1, speed))
    assert decision is promoted and reason in message


def test_a_variant_that_loses_too_much_gets_no_alias_in_the_real_registry(
    registry, tmp_path, monkeypatch
):
    client, new_version = registry
    versions = iter([new_version(), new_version()])
    monkeypatch.setattr("lmforge.tracking.registry.log_classifier", lambda c: next(versions))
    bad = register_variant(variant(tmp_path, 0.85, 300.0))
    assert not bad.promoted
    tags = client.get_model_version("clf", bad.version).tags
    assert tags[VARIANT_TAG] == "int8" and tags[TEACHER_TAG] == "1"
    assert tags[DECISION_TAG].startswith("not promoted: test macro_f1 0.8500 < teacher")
    with pytest.raises(MlflowException):
        client.get_model_version_by_alias("clf", "champion-int8")
    good = register_variant(variant(tmp_path, 0.90, 300.0))
    assert good.promoted
    assert str(client.get_model_version_by_alias("clf", "champion-int8").version) == good.version


def test_private_and_non_private_models_never_compete(registry):
    from lmforge.tracking.registry import PRIVATE_TAG, describe_version, private_alias

    client, new_version = registry
    plain = promote_if_better(client, "clf", new_version(), 0.80, test_set="A")
    assert plain.promoted
    # a private version asking for the plain champion's alias is not comparable with it
    private = str(new_version())
    describe_version(client, "clf", private, GUARANTEE)
    mixed = promote_if_better(client, "clf", private, 0.99, test_set="A", private=True)
    assert not mixed.promoted and "not private, this one is private" in mixed.reason
    # private models compete among themselves for `champion-dp`
    alias = private_alias("champion")
    first = promote_if_better(client, "clf", private, 0.70, alias, test_set="A", private=True)
    assert first.promoted
    worse = promote_if_better(client, "clf", new_version(), 0.69, alias, test_set="A", private=True)
    assert not worse.promoted
    assert str(client.get_model_version_by_alias("clf", alias).version) == private
    assert str(client.get_model_version_by_alias("clf", "champion").version) == plain.version
    version = client.get_model_version("clf", private)
    assert version.tags[PRIVATE_TAG] == "true"
    assert float(version.tags["lmforge.privacy.epsilon"]) == GUARANTEE["epsilon"]
    assert "(ε = 7.91, δ = 1e-05)-DP per labeled training row" in version.description


GUARANTEE = {
    "mechanism": "DP-SGD (Opacus)",
    "accountant": "prv",
    "epsilon": 7.91,
    "delta": 1e-5,
    "noise_multiplier": 0.61,
    "max_grad_norm": 1.0,
    "sample_rate": 0.0046,
    "steps": 400,
}


def gated(version_dir, val_f1: float, tfidf_val_f1: float, test_f1: float, promote="gate"):
    """A candidate whose validation macro-F1 faces TF-IDF + LR's (the baseline gate)."""
    from lmforge.tracking.registry import ClassifierCandidate, baseline_gate

    metrics = {"macro_f1": test_f1, "val_macro_f1": val_f1, "tfidf_lr_val_macro_f1": tfidf_val_f1}
    return ClassifierCandidate(
        model_dir=str(version_dir),
        classes=["neg", "pos"],
        metrics=metrics,
        model_name="clf",
        test_set="A",
        promote=promote,
        baseline_gate=baseline_gate(metrics, {"baseline_gate": True, "baseline_margin": 0.0}),
    )


def test_only_a_model_that_beats_its_baseline_is_blessed_and_crowned(
    registry, tmp_path, monkeypatch, caplog
):
    from lmforge.tracking.registry import BLESSED_TAG, register

    client, new_version = registry
    versions = iter([new_version() for _ in range(4)])
    monkeypatch.setattr("lmforge.tracking.registry.log_classifier", lambda c: next(versions))
    with mlflow.start_run(), caplog.at_level("WARNING"):
        loser = register(gated(tmp_path, 0.781, 0.803, test_f1=0.90))
        assert not loser.promoted and loser.champion_version == "none"
        with pytest.raises(MlflowException):  # no champion at all rather than a loser
            client.get_model_version_by_alias("clf", "champion")
        tags = client.get_model_version("clf", loser.version).tags
        assert tags[DECISION_TAG] == (
            "not promoted: not blessed: validation macro-F1 0.7810 < tfidf_lr 0.8030"
        )
        assert tags[BLESSED_TAG] == "false" and tags["lmforge.test_macro_f1"] == "0.900000"
        assert "--env auto" in caplog.text and f"v{loser.version}" in caplog.text
        winner = register(gated(tmp_path, 0.82, 0.803, test_f1=0.85))
        assert winner.promoted and "first version" in winner.reason
        # a better test score does not excuse losing to the baseline on validation
        assert not register(gated(tmp_path, 0.80, 0.803, test_f1=0.95)).promoted
        champion = client.get_model_version_by_alias("clf", "champion")
        assert str(champion.version) == winner.version and champion.tags[BLESSED_TAG] == "true"
        forced = register(gated(tmp_path, 0.70, 0.803, test_f1=0.5, promote="force"))
    assert forced.promoted
    assert client.get_model_version("clf", forced.version).tags[BLESSED_TAG] == "false"


def test_the_baseline_gate_has_a_margin_and_can_be_switched_off():
    from lmforge.tracking.registry import baseline_gate

    metrics = {"val_macro_f1": 0.81, "tfidf_lr_val_macro_f1": 0.80}
    assert baseline_gate(metrics, {"baseline_gate": False, "baseline_margin": 0.0}) is None
    blessed, why = baseline_gate(metrics, {"baseline_gate": True, "baseline_margin": 0.0}).decide()
    assert blessed and why == "validation macro-F1 0.8100 >= tfidf_lr 0.8000"
    strict = baseline_gate(metrics, {"baseline_gate": True, "baseline_margin": 0.02})
    assert strict.decide() == (False, "validation macro-F1 0.8100 < tfidf_lr 0.8000 + margin 0.02")


def test_a_fast_variant_that_loses_to_the_baseline_gets_no_alias(registry, tmp_path, monkeypatch):
    from dataclasses import replace

    from lmforge.tracking.registry import BLESSED_TAG, BaselineGate

    client, new_version = registry
    monkeypatch.setattr("lmforge.tracking.registry.log_classifier", lambda c: new_version())
    passing = variant(tmp_path, 0.895, 300.0)  # within the teacher's drop, 3x faster
    below = BaselineGate(0.895, 0.91, split="test")
    losing = register_variant(replace(passing, baseline_gate=below))
    assert not losing.promoted
    tags = client.get_model_version("clf", losing.version).tags
    assert tags[DECISION_TAG] == "not promoted: not blessed: test macro-F1 0.8950 < tfidf_lr 0.9100"
    assert tags[BLESSED_TAG] == "false"
    with pytest.raises(MlflowException):
        client.get_model_version_by_alias("clf", "champion-int8")
    above = BaselineGate(0.895, 0.85, split="test")
    assert register_variant(replace(passing, baseline_gate=above)).promoted
