"""The training chain on in-memory catalogs, scored by the evaluation pipeline: pretraining
→ fine-tuning → evaluation, real model folders and packed tokens where the I/O is the point."""

import json

import pytest

from lmforge.datasets import HFModelDataset, PackedTokensDataset
from lmforge.pipelines.evaluation import nodes as evaluation_nodes
from lmforge.pipelines.finetuning import create_pipeline as finetuning_pipeline
from lmforge.pipelines.pretraining import create_pipeline as pretraining_pipeline
from tests.pipelines.conftest import corpus_batches, run_in_memory


def test_pretraining_then_finetuning_then_scoring(tmp_path, params, data_outputs):
    inputs = {
        name: data_outputs[name] for name in ("train", "validation", "label_map", "data_lineage")
    }
    inputs["pretrain_corpus"] = corpus_batches(tmp_path, data_outputs["pretrain_corpus"])
    catalog = run_in_memory(
        pretraining_pipeline() + finetuning_pipeline(),
        params,
        inputs,
        {
            "pretrain_tokens": PackedTokensDataset(str(tmp_path / "tokens")),
            "pretrained_model": HFModelDataset(str(tmp_path / "pretrained")),
            "classifier": HFModelDataset(str(tmp_path / "classifier")),
            "no_pretrain_classifier": HFModelDataset(str(tmp_path / "no_pretrain")),
        },
    )

    curves = catalog.load("pretraining_curves")
    assert curves["val_loss"].dropna().iloc[-1] < curves["val_loss"].dropna().iloc[0]
    assert catalog.load("pretraining_metrics")["final_val_perplexity"]["value"] > 1
    classifier = catalog.load("classifier")
    lineage = classifier.side_file("lmforge_lineage.json")
    assert set(lineage) == {"data_processing", "pretraining", "finetuning"}
    assert lineage["pretraining"]["params"]["pretraining"]["objective"] == "clm"
    assert classifier.side_file("label_map.json")["classes"] == ["negative", "neutral", "positive"]

    predictions = evaluation_nodes.predict_test_split(
        classifier, data_outputs["test"], data_outputs["label_map"], params["evaluation"]
    )
    scores, confusion, _ = evaluation_nodes.score_predictions(
        predictions, data_outputs["label_map"], params["evaluation"]
    )
    assert sum(map(sum, confusion["matrix"])) == len(data_outputs["test"])
    splits = [data_outputs[k] for k in ("train", "validation", "test", "label_map")]
    tfidf = evaluation_nodes.tfidf_baseline(classifier, *splits, params["evaluation"])
    assert "tfidf_lr_dp_macro_f1" not in tfidf  # only a private classifier gets that one
    validation = evaluation_nodes.score_validation_split(
        classifier, data_outputs["validation"], data_outputs["label_map"], params["evaluation"]
    )
    baseline = catalog.load("no_pretrain_classifier")
    assert not baseline.skipped and baseline.config().n_layer == classifier.config().n_layer
    no_pretrain = evaluation_nodes.score_no_pretrain_baseline(
        baseline, data_outputs["test"], data_outputs["label_map"], params["evaluation"]
    )
    report = evaluation_nodes.assemble_metrics(scores, validation, tfidf, no_pretrain)
    assert 0 <= report["val_macro_f1"] <= 1 and 0 <= report["tfidf_lr_val_macro_f1"] <= 1
    assert report["delta_vs_tfidf_lr_macro_f1"] == pytest.approx(
        report["macro_f1"] - report["tfidf_lr_macro_f1"], abs=1e-5
    )
    assert report["delta_vs_no_pretrain_macro_f1"] == pytest.approx(
        report["macro_f1"] - report["no_pretrain_macro_f1"], abs=1e-5
    )
    json.dumps(report)  # flat and serializable
    annotations = evaluation_nodes.lineage_annotations(classifier)
    assert annotations["params"]["pretraining.objective"] == "clm"
    assert annotations["params"]["source.kind"] == "builtin"
