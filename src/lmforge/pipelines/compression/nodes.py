"""Nodes of the `compression` pipeline: each variant from the teacher classifier, then one
measurement of all of them against it, then the registry."""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any

import pandas as pd

from lmforge.modeling.side_files import LABEL_MAP_FILE, LINEAGE_FILE, SERVING_FILE
from lmforge.parameters import typed_settings
from lmforge.parameters.compression import VARIANTS, Compression
from lmforge.parameters.evaluation import Registry

if TYPE_CHECKING:  # torch, onnxruntime and mlflow are imported by the nodes that use them
    from lmforge.modeling.artifacts import ModelBundle, ModelRef
    from lmforge.tracking.registry import VariantCandidate

TEACHER = "teacher"


def _serving(teacher: ModelRef) -> dict[str, Any]:
    return teacher.side_file(SERVING_FILE) or {"max_length": 128}


def _bundle(
    model: Any, teacher: ModelRef, variant: str, summary: dict[str, Any], params: Compression
) -> ModelBundle:
    """The variant's folder: its weights, the teacher's tokenizer and side files, and the
    teacher's lineage plus a `compression` record, which says whether the teacher's privacy
    guarantee still holds (`variant_privacy`)."""
    from lmforge.modeling.artifacts import ModelBundle

    upstream = teacher.side_file(LINEAGE_FILE) or {}
    lineage = {
        **upstream,
        "compression": {
            "variant": variant,
            "teacher": str(teacher.path),
            "params": {"compression": params.as_dict()},
            "summary": summary,
            "mlflow_run_id": summary.get("mlflow_run_id"),
            "privacy": variant_privacy(upstream, variant),
        },
    }
    files = {
        LABEL_MAP_FILE: teacher.side_file(LABEL_MAP_FILE),
        SERVING_FILE: _serving(teacher),
        LINEAGE_FILE: lineage,
    }
    return ModelBundle(model, teacher.tokenizer(), files=files)


def variant_privacy(teacher_lineage: dict[str, Any], variant: str) -> dict[str, Any] | None:
    """A private teacher's guarantee survives int8 quantization (post-processing reads no
    data) but not pruning's recovery fine-tune nor distillation, which read the labeled rows
    without noise."""
    guarantee = (teacher_lineage.get("finetuning") or {}).get("privacy")
    return guarantee if variant == "int8" else None


def _skipped(variant: str) -> ModelBundle:
    from lmforge.modeling.artifacts import ModelBundle

    return ModelBundle.skipped(f"'{variant}' is not in compression.variants")


@typed_settings
def quantize_int8(classifier: ModelRef, compression: Compression) -> ModelBundle:
    """The classifier with int8 weights, as ONNX for ONNX Runtime (CPU serving)."""
    if not compression.enabled("int8"):
        return _skipped("int8")
    from lmforge.compression.recipes import int8_variant

    summary = {"method": "ONNX export + onnxruntime dynamic int8 (MatMul weights)"}
    return _bundle(int8_variant(classifier), classifier, "int8", summary, compression)


@typed_settings
def prune_classifier(
    classifier: ModelRef,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    label_map: dict,
    compression: Compression,
    checkpoint_root: str | None,
) -> ModelBundle:
    """Feed-forward neurons pruned to `compression.pruning.keep_fraction` of the encoder's
    parameters, then a short recovery fine-tune (shared loop)."""
    if not compression.enabled("pruned"):
        return _skipped("pruned")
    from lmforge.compression.recipes import pruned_variant

    model, _, summary = pruned_variant(
        classifier,
        train,
        validation,
        list(label_map["classes"]),
        _serving(classifier)["max_length"],
        compression.pruning.as_dict(),
        checkpoint_root,
    )
    return _bundle(model, classifier, "pruned", summary, compression)


@typed_settings
def distill_student(
    classifier: ModelRef,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    test: pd.DataFrame,
    pretrain_corpus: Any,
    label_map: dict,
    compression: Compression,
    checkpoint_root: str | None,
) -> ModelBundle:
    """A smaller student trained on the teacher's soft labels over the labeled rows and up to
    `max_unlabeled` texts of the pretraining corpus (never validation or test texts)."""
    if not compression.enabled("distilled"):
        return _skipped("distilled")
    from lmforge.compression.recipes import distilled_variant

    settings = compression.distillation
    held_out = set(train["text"]) | set(validation["text"]) | set(test["text"])
    texts = (t for t in pretrain_corpus.texts() if t not in held_out)
    unlabeled = list(islice(texts, settings.max_unlabeled))
    model, _, summary = distilled_variant(
        classifier,
        train,
        validation,
        unlabeled,
        list(label_map["classes"]),
        _serving(classifier)["max_length"],
        settings.as_dict(),
        checkpoint_root,
    )
    return _bundle(model, classifier, "distilled", summary, compression)


@typed_settings
def measure_variants(
    classifier: ModelRef,
    int8: ModelRef,
    pruned: ModelRef,
    distilled: ModelRef,
    test: pd.DataFrame,
    label_map: dict,
    compression: Compression,
) -> tuple[dict[str, dict[str, float]], Any]:
    """Teacher and variants on the test split, timed together: `compression.json`, the plot."""
    from lmforge.classification.finetune import label_index
    from lmforge.compression.measurement import Candidate, measure, pareto_figure

    classes = list(label_map["classes"])
    folders = {TEACHER: classifier, **dict(zip(VARIANTS, (int8, pruned, distilled), strict=True))}
    candidates = {
        name: Candidate(
            ref.load_classifier().eval(), ref.tokenizer(), _serving(ref)["max_length"], ref.path
        )
        for name, ref in folders.items()
        if not ref.skipped
    }
    settings = compression.measurement
    report = measure(
        candidates,
        test["text"].tolist(),
        label_index(test, classes),
        classes,
        TEACHER,
        settings.rounds,
        settings.batch_size,
        settings.timing_texts,
        settings.latency_texts,
    )
    return report, pareto_figure(report)


def compression_metrics(report: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """`<variant>.<measure>` metrics for the MLflow run."""
    from lmforge.tracking.mlflow_logging import flat_metrics

    return flat_metrics({f"{v}.{k}": x for v, values in report.items() for k, x in values.items()})


@typed_settings
def variant_candidates(
    report: dict[str, dict[str, float]],
    int8: ModelRef,
    pruned: ModelRef,
    distilled: ModelRef,
    label_map: dict,
    test: pd.DataFrame,
    registration: dict[str, Any],
    metrics: dict[str, float],
    registry: Registry,
    compression: Compression,
) -> list[VariantCandidate]:
    """What the registry step gets: each measured variant, its scores and the teacher's, and
    the baseline gate against the run's TF-IDF + LR on the test split both were scored on."""
    from lmforge.evaluation import test_set_fingerprint
    from lmforge.tracking.registry import VariantCandidate, baseline_gate, private_alias

    folders = dict(zip(VARIANTS, (int8, pruned, distilled), strict=True))
    privacy = {
        name: ((folders[name].side_file(LINEAGE_FILE) or {}).get("compression") or {}).get(
            "privacy"
        )
        for name in VARIANTS
        if name in report
    }
    aliases = {False: registry.alias, True: private_alias(registry.alias)}
    return [
        VariantCandidate(
            variant=name,
            model_dir=str(folders[name].path),
            classes=list(label_map["classes"]),
            metrics=report[name],
            teacher_metrics=report[TEACHER],
            teacher_version=str(registration.get("version", "")),
            model_name=registry.model_name,
            alias=f"{aliases[bool(privacy[name])]}-{name}",
            max_drop=compression.max_macro_f1_drop,
            test_set=test_set_fingerprint(test),
            promote=registry.promote,
            serving=registry.serving.as_dict(),
            privacy=privacy[name],
            baseline_gate=baseline_gate(
                {**metrics, "macro_f1": report[name]["macro_f1"]},
                registry.as_dict(),
                split_prefix="",
            ),
        )
        for name in VARIANTS
        if name in report
    ]
