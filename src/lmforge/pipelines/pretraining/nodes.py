"""Nodes of the `pretraining` pipeline: starting point → tokenizer → packed tokens → language
model."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pandas as pd

from lmforge.datasets.tokens import TokenStream
from lmforge.parameters import typed_settings
from lmforge.parameters.pretraining import Pretraining, PretrainingSettings

if TYPE_CHECKING:  # torch, transformers and mlflow are imported by the nodes that use them
    from lmforge.datasets.text import TextBatches
    from lmforge.modeling.artifacts import ModelBundle
    from lmforge.training.packing import PackedTokens

log = logging.getLogger(__name__)


def _sample(corpus: TextBatches) -> list[str]:
    from lmforge.modeling.starting_point import SAMPLE_DOCUMENTS

    return next(iter(corpus), [])[:SAMPLE_DOCUMENTS]


@typed_settings
def choose_starting_point(
    corpus: TextBatches, pretraining: Pretraining
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Where pretraining starts: `init_from` as set, or with `auto` the first packaged
    checkpoint that covers the corpus (else scratch). Returns the settings the next nodes use
    (`checkpoint_overrides` applied when starting from a checkpoint) and the choice with why."""
    from lmforge.modeling.starting_point import SCRATCH
    from lmforge.modeling.starting_point import choose_starting_point as choose
    from lmforge.parameters import CHECKPOINT_OVERRIDES, with_overrides

    candidates = [c.as_dict() for c in pretraining.auto_candidates]
    choice = choose(_sample(corpus), pretraining.init_from, candidates)
    block = pretraining.as_dict()
    overrides = block[CHECKPOINT_OVERRIDES] if choice["init_from"] != SCRATCH else None
    settings = {**with_overrides(block, overrides), "init_from": choice["init_from"]}
    settings.pop("auto_candidates")
    log.info("Starting point: %s (%s)", choice["init_from"], choice["reason"])
    return settings, choice


@typed_settings
def build_tokenizer(corpus: TextBatches, pretraining: PretrainingSettings) -> Any:
    """Train a tokenizer on the corpus, or reuse the tokenizer of the model we start from
    (with a warning when it reads much of the corpus as its unknown token)."""
    from lmforge.modeling.model import load_tokenizer
    from lmforge.modeling.starting_point import MAX_UNKNOWN_SHARE
    from lmforge.modeling.tokenizer import train_tokenizer, unknown_token_share

    init_from = pretraining.init_from
    if init_from != "scratch":
        tokenizer = load_tokenizer(init_from)
        sample = _sample(corpus)
        share = unknown_token_share(tokenizer, sample)
        if share > MAX_UNKNOWN_SHARE:
            log.warning(
                "pretraining.init_from=%s: its tokenizer reads %.0f%% of the corpus's tokens as "
                "%s (first %d documents): its vocabulary does not cover this text (an English "
                "checkpoint on Chinese?). Start from scratch, from a checkpoint for this "
                "language, or let `init_from: auto` choose.",
                init_from,
                100 * share,
                tokenizer.unk_token,
                len(sample),
            )
        return tokenizer
    settings = pretraining.tokenizer
    return train_tokenizer(
        corpus.texts(),
        vocab_size=settings.vocab_size,
        min_frequency=settings.min_frequency,
        lowercase=settings.lowercase,
        model_max_length=pretraining.model.max_length,
    )


def tokenize_corpus(corpus: TextBatches, tokenizer: Any) -> TokenStream:
    """Token ids of every document, produced lazily batch by batch (the dataset streams them
    to disk, so the corpus never has to fit in memory)."""
    from lmforge.training.tasks import special_ids_of

    special = special_ids_of(tokenizer)
    batches = (
        tokenizer(batch, add_special_tokens=False, verbose=False)["input_ids"] for batch in corpus
    )
    return TokenStream(
        batches=batches,
        vocab_size=special.vocab_size,
        sep_id=special.sep,
        special_ids=special.token_ids(),
    )


@typed_settings
def pretrain_language_model(
    tokens: PackedTokens,
    tokenizer: Any,
    pretraining: PretrainingSettings,
    checkpoint_root: str | None,
    starting_point: dict[str, Any] | None = None,
) -> tuple[ModelBundle, pd.DataFrame, dict[str, Any]]:
    """Pretrain (or continue pretraining) a language model on the packed corpus. With
    `training.max_steps: 0` an existing checkpoint is used as it is (all its weights kept).
    Continuing a checkpoint that lacks the objective's head (a bare encoder for `mlm`), the
    new head trains alone for `head_warmup.steps` before the encoder is touched.

    Returns the model folder (weights, config, tokenizer, lineage with the `starting_point`
    choice), the training curves, and summary metrics (first and last validation perplexity,
    tokens/s, MFU) for MLflow.
    """
    from lmforge.modeling.artifacts import ModelBundle
    from lmforge.modeling.model import (
        ModelConfig,
        build_language_model,
        load_base_model,
        load_language_model,
        pretrained_part,
    )
    from lmforge.modeling.side_files import LINEAGE_FILE
    from lmforge.tracking.mlflow_logging import flat_metrics
    from lmforge.training.run import history_frame, run_training, warm_up_new_weights
    from lmforge.training.tasks import MASKED_OBJECTIVES, LanguageModelingTask, special_ids_of

    objective, init_from = pretraining.objective, pretraining.init_from
    training, seed = pretraining.training.as_dict(), pretraining.training.seed
    params = {"pretraining": pretraining.as_dict()}
    chosen = {k: (starting_point or {}).get(k) for k in ("init_from", "reason")}
    if init_from != "scratch" and pretraining.training.max_steps == 0:
        lineage = {
            "pretraining": {
                "params": params,
                "starting_point": chosen,
                "summary": {"used_as_is": init_from},
            }
        }
        bundle = ModelBundle(load_base_model(init_from), tokenizer, files={LINEAGE_FILE: lineage})
        return bundle, history_frame([]), {}
    new_weights: set[str] = set()  # the head a checkpoint lacked, warmed up alone first
    if init_from == "scratch":
        config = ModelConfig(**pretraining.model.as_dict()).to_hf(objective, tokenizer)
        model = build_language_model(objective, config, seed)
    else:
        model, new_weights = load_language_model(objective, init_from, seed)
    special = special_ids_of(tokenizer)
    if objective in MASKED_OBJECTIVES and special.mask < 0:
        raise ValueError(
            f"pretraining.objective={objective} needs a tokenizer with a mask token "
            f"({init_from} has none)"
        )
    data, head_warmup = pretraining.data, pretraining.head_warmup.as_dict()
    task = LanguageModelingTask(
        tokens,
        objective,
        special,
        seq_len=data.seq_len,
        seed=seed,
        val_fraction=data.val_fraction,
        mask_probability=data.mask_probability,
        eval_windows=data.eval_windows,
        pack_documents=data.pack_documents,
    )
    fingerprint = {
        "tokens": tokens.fingerprint,
        "objective": objective,
        "init_from": init_from,
        "model": pretraining.model.as_dict(),
        "data": data.as_dict(),
        "head_warmup": head_warmup if new_weights else None,
    }
    stage = "pretraining"
    warmup = (new_weights, head_warmup, stage, fingerprint, checkpoint_root)
    warm_up_new_weights(model, task, training, *warmup)
    result, logger = run_training(model, task, training, stage, fingerprint, checkpoint_root)
    curves = history_frame(result.history)
    evaluated = curves.dropna(subset=["val_loss"]) if "val_loss" in curves else curves
    summary = {
        **result.summary,
        "first_val_perplexity": float(evaluated["val_perplexity"].iloc[0]),
        "final_val_perplexity": float(evaluated["val_perplexity"].iloc[-1]),
        "final_val_loss": float(evaluated["val_loss"].iloc[-1]),
    }
    lineage = {
        "pretraining": {
            "params": params,
            "starting_point": chosen,
            "tokens_md5": tokens.fingerprint,
            "mlflow_run_id": logger.run_id,
            "summary": summary,
        }
    }
    bundle = ModelBundle(pretrained_part(result.model), tokenizer, files={LINEAGE_FILE: lineage})
    return bundle, curves, flat_metrics(summary)
