"""The `finetuning` pipeline's nodes: a switched-off baseline, private fine-tuning registered
under `champion-dp`."""

import pytest

from lmforge.datasets import HFModelDataset
from lmforge.pipelines.evaluation import nodes as evaluation_nodes
from tests.conftest import empty_mlflow_store, tiny_language_model


def test_a_switched_off_baseline_is_a_folder_that_says_so(tmp_path, params, data_outputs):
    from lmforge.modeling.artifacts import ModelRef
    from lmforge.pipelines.finetuning import nodes as finetuning_nodes

    settings = {**params["finetuning"], "no_pretrain_baseline": False}
    dataset = HFModelDataset(str(tmp_path / "no_pretrain"))
    dataset.save(
        finetuning_nodes.finetune_no_pretrain_baseline(
            ModelRef("unused"),
            data_outputs["train"],
            data_outputs["validation"],
            data_outputs["label_map"],
            settings,
            None,
        )
    )
    baseline = dataset.load()
    assert baseline.skipped and not baseline.exists()
    assert "no_pretrain_baseline" in baseline.side_file("lmforge_skipped.json")["reason"]
    assert (
        evaluation_nodes.score_no_pretrain_baseline(
            baseline, data_outputs["test"], data_outputs["label_map"], params["evaluation"]
        )
        == {}
    )


def test_private_finetuning_states_its_guarantee_and_competes_for_champion_dp(
    tmp_path, params, data_outputs, tokenizer
):
    """`finetuning.privacy.enabled`: the node trains with DP-SGD on the original rows only, the
    guarantee lands in the lineage, and the registry logs it (tags, model card, MLmodel
    metadata) under `champion-dp`."""
    import mlflow
    from mlflow.tracking import MlflowClient

    from lmforge.modeling.artifacts import ModelRef
    from lmforge.pipelines.finetuning import nodes as finetuning_nodes
    from lmforge.tracking.registry import PRIVATE_TAG, register

    tiny_language_model(tmp_path / "lm", tokenizer)
    privacy = {"enabled": True, "target_epsilon": 8.0, "accountant": "rdp"}
    settings = {**params["finetuning"], "privacy": {**params["finetuning"]["privacy"], **privacy}}
    train = data_outputs["train"]
    bundle, curves, metrics = finetuning_nodes.finetune_classifier(
        ModelRef(str(tmp_path / "lm")),
        train,
        data_outputs["validation"],
        data_outputs["label_map"],
        data_outputs["data_lineage"],
        settings,
        None,
    )
    dataset = HFModelDataset(str(tmp_path / "classifier"))
    dataset.save(bundle)
    classifier = dataset.load()
    guarantee = classifier.side_file("lmforge_lineage.json")["finetuning"]["privacy"]
    originals = int((~train["augmented"]).sum())
    assert originals < len(train)  # the augmented copies are left out
    batch = params["finetuning"]["training"]["batch_size"]
    assert guarantee["sample_rate"] == pytest.approx(batch / originals)
    assert 0 < guarantee["epsilon"] <= 8.1 and guarantee["delta"] < 1 / originals
    assert curves["epsilon"].dropna().is_monotonic_increasing
    assert metrics["epsilon"]["value"] == pytest.approx(guarantee["epsilon"])

    # its baseline: TF-IDF + LR under the same guarantee, scored on the same splits
    splits = [data_outputs[k] for k in ("train", "validation", "test", "label_map")]
    scores = {
        "macro_f1": 0.5,
        "accuracy": 0.5,
        **evaluation_nodes.score_validation_split(
            classifier, *splits[1:2], *splits[3:], params["evaluation"]
        ),
        **evaluation_nodes.tfidf_baseline(classifier, *splits, params["evaluation"]),
    }
    assert 0 < scores["tfidf_lr_dp_epsilon"] <= 8.1
    assert {"tfidf_lr_dp_val_macro_f1", "tfidf_lr_val_macro_f1"} <= set(scores)
    # a margin every model passes: the decision itself is tested in tracking/test_registry.py
    registry = {**params["registry"], "baseline_gate": True, "baseline_margin": -1.0}
    candidate = evaluation_nodes.registration_candidate(
        classifier, scores, data_outputs["label_map"], data_outputs["test"], registry
    )
    assert candidate.alias == "champion-dp" and candidate.privacy == guarantee
    gate = candidate.baseline_gate
    assert gate.baseline == "tfidf_lr_dp" and gate.value == scores["val_macro_f1"]
    assert gate.baseline_value == scores["tfidf_lr_dp_val_macro_f1"]
    mlflow.set_tracking_uri(empty_mlflow_store(tmp_path / "mlflow.db", tmp_path / "mlruns"))
    experiment = mlflow.create_experiment("dp", artifact_location=str(tmp_path / "art"))
    with mlflow.start_run(experiment_id=experiment):
        promotion = register(candidate)
    client = MlflowClient()
    version = client.get_model_version_by_alias("lmforge-classifier", "champion-dp")
    assert promotion.promoted and str(version.version) == promotion.version
    assert version.tags[PRIVATE_TAG] == "true" and "-DP per labeled training row" in (
        version.description
    )
    info = mlflow.models.get_model_info(f"models:/lmforge-classifier/{version.version}")
    assert info.metadata["lmforge_privacy"]["epsilon"] == pytest.approx(guarantee["epsilon"])
