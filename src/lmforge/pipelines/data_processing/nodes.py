"""Nodes of the `data_processing` pipeline: ingest → clean → validate → split → augment."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from lmforge.data.augmentation import AugmentationParams, augment_training_rows
from lmforge.data.cleaning import (
    STRING,
    build_label_map,
    clean_texts,
    conflicting_keys,
    dedup_keys,
    infer_classes,
    normalize_class_list,
    normalize_label_values,
)
from lmforge.data.schemas import (
    REJECTED_COLUMNS,
    DataValidationError,
    LengthBounds,
    clean_schema,
    enforce_reject_budget,
    reject_invalid_rows,
    require_labeled_rows,
    validate_raw,
)
from lmforge.data.sources import SourceParams, load_source
from lmforge.data.splitting import apply_label_budget, assert_no_leakage, stratified_split
from lmforge.parameters import typed_settings
from lmforge.parameters.data_processing import Augmentation, Cleaning, Source, Split, Validation

logger = logging.getLogger(__name__)

SPLIT_COLUMNS = ["text", "label", "source"]
PRETRAIN_COLUMNS = ["text", "source"]


@typed_settings
def ingest_source(source: Source) -> pd.DataFrame:
    """The raw corpus named by the `source` parameters, checked against the raw schema."""
    return validate_raw(load_source(SourceParams.from_dict(source.as_dict())))


@typed_settings
def clean_corpus(raw: pd.DataFrame, cleaning: Cleaning) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """Normalize text and labels, set aside duplicate texts, and build the label map.

    Returns the clean table (with `row_id`, the row's position in the raw corpus), the label
    map, and the rows set aside: copies of a text whose labels disagree are all quarantined
    (`label:conflicting_labels`), never resolved silently; among other duplicates the first
    labeled row is kept, else the first row (`text:duplicate`).
    """
    aliases = cleaning.label_aliases or {}
    frame = raw.assign(
        row_id=np.arange(len(raw), dtype="int64"),
        text=clean_texts(raw["text"]),
        label=normalize_label_values(raw["label"], aliases),
    )
    keys = dedup_keys(frame["text"])
    if cleaning.labels:
        classes = normalize_class_list(cleaning.labels, aliases)
    else:
        classes = infer_classes(frame["label"], cleaning.min_label_count, cleaning.rare_label_ratio)
    conflicting = conflicting_keys(keys, frame["label"], classes)
    unlabeled_last = frame.assign(_key=keys, _unlabeled=frame["label"].isna()).sort_values(
        "_unlabeled", kind="stable"
    )
    duplicated = unlabeled_last["_key"].duplicated() & (unlabeled_last["_key"].str.len() > 0)
    is_duplicate = duplicated.reindex(frame.index) & ~conflicting
    set_aside = pd.concat(
        [
            frame[conflicting].assign(stage="clean", reason="label:conflicting_labels"),
            frame[is_duplicate].assign(stage="clean", reason="text:duplicate"),
        ]
    ).sort_values("row_id")
    if conflicting.any():
        logger.warning(
            "%d rows quarantined (label:conflicting_labels): the same text carries "
            "different labels, e.g. %r",
            int(conflicting.sum()),
            frame.loc[conflicting, "text"].iloc[0][:80],
        )
    return frame[~is_duplicate & ~conflicting], build_label_map(classes, aliases), set_aside


@typed_settings
def validate_corpus(
    clean: pd.DataFrame,
    label_map: dict,
    duplicates: pd.DataFrame,
    cleaning: Cleaning,
    validation: Validation,
    label_column: str | None = "label",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows that pass the clean schema, and every row set aside so far with its reason.

    With `source.label_column: null` the corpus is all unlabeled text (for pretraining only);
    otherwise at least one labeled row must pass.
    """
    bounds = LengthBounds(**{k: getattr(cleaning, k) for k in LengthBounds.__dataclass_fields__})
    schema = clean_schema(label_map["classes"], bounds, require_labels=label_column is not None)
    valid, rejected = reject_invalid_rows(clean, schema)
    hint = _rare_label_hint(rejected, cleaning)
    if hint:
        logger.warning(hint)
    enforce_reject_budget(rejected, len(clean), validation.max_reject_fraction, schema.name, hint)
    if label_column is not None:
        require_labeled_rows(valid, schema.name)
    set_aside = pd.concat([duplicates, rejected.assign(stage="validate")], ignore_index=True)
    set_aside = set_aside[list(REJECTED_COLUMNS)].astype({c: STRING for c in REJECTED_COLUMNS[1:]})
    return valid.reset_index(drop=True), set_aside


def _rare_label_hint(rejected: pd.DataFrame, cleaning: Cleaning) -> str | None:
    """Which labels were rejected as too rare, and the parameter that decided it."""
    if cleaning.labels:
        return None
    rare = rejected.loc[rejected["reason"].str.contains("label_in_label_map"), "label"]
    if rare.empty:
        return None
    counts = rare.value_counts()
    shown = ", ".join(f"{label!r} ({n})" for label, n in counts.head(10).items())
    return (
        f"{len(rare)} row(s) rejected for a label too rare to be a class (seen fewer than "
        f"cleaning.min_label_count={cleaning.min_label_count} times, or fewer than "
        f"cleaning.rare_label_ratio={cleaning.rare_label_ratio} times the most frequent "
        f"label): {shown}{' …' if len(counts) > 10 else ''}. If these are real classes, "
        "lower those parameters or list every class in cleaning.labels"
    )


def _carve_missing_splits(labels: pd.Series, assignment: pd.Series, split: Split) -> pd.Series:
    """When the data's own split has no labeled validation or test rows (a GLUE-style test set
    without labels, or no such split at all), carve them from the labeled training rows."""
    labeled = labels.notna()
    missing = [
        name
        for name in ("validation", "test")
        if split.ratios.get(name, 0) > 0 and not (labeled & (assignment == name)).any()
    ]
    pool = labeled & (assignment == "train")
    if not missing or not pool.any():
        return assignment
    ratios = {"train": split.ratios["train"], **{n: split.ratios[n] for n in missing}}
    logger.warning(
        "The data has no labeled %s rows: carving them from the %d labeled training "
        "rows (stratified, split.ratios %s)",
        " or ".join(missing),
        int(pool.sum()),
        ratios,
    )
    assignment = assignment.copy()
    assignment[pool] = stratified_split(labels[pool], ratios, split.seed)
    return assignment


def _require_splits(parts: dict[str, pd.DataFrame]) -> None:
    """Every split must hold labeled rows before any training starts."""
    empty = [name for name, frame in parts.items() if frame.empty]
    if empty:
        sizes = {name: len(frame) for name, frame in parts.items()}
        raise DataValidationError(
            f"split check failed: no labeled {', '.join(empty)} rows ({sizes}). Provide more "
            "labeled rows, or adjust split.ratios / the data's split column"
        )


@typed_settings
def split_corpus(
    validated: pd.DataFrame, split: Split
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Train, validation and test from the labeled rows, and the pretraining corpus.

    A split given in the data is honoured; labeled rows without one are split stratified by
    `split.ratios`; a validation or test split that the data lacks (or leaves unlabeled) is
    carved from the training rows, with a warning. Training rows beyond
    `split.train_label_budget` lose their label and join the unlabeled text. The pretraining
    corpus is the unlabeled text plus the training text: validation and test text never enters
    it. A corpus with no label at all (`source.label_column: null`) gives empty labeled splits.
    """
    labeled = validated["label"].notna()
    assignment = validated["split"].copy()
    needs_split = labeled & assignment.isna()
    assignment[needs_split] = stratified_split(
        validated.loc[needs_split, "label"], split.ratios, split.seed
    )
    assignment = _carve_missing_splits(validated["label"], assignment, split)
    parts = {
        name: validated[labeled & (assignment == name)] for name in ("train", "validation", "test")
    }
    if labeled.any():
        _require_splits(parts)
    budgeted = apply_label_budget(parts["train"], split.train_label_budget, split.seed)
    unlabeled = validated[~labeled & (assignment.isna() | (assignment == "train"))]
    over_budget = parts["train"].drop(budgeted.index)
    pretrain = pd.concat([unlabeled, over_budget, budgeted])[PRETRAIN_COLUMNS]
    pretrain = pretrain.sample(frac=1.0, random_state=split.seed)  # no order to learn from
    outputs = {
        "train": budgeted[SPLIT_COLUMNS],
        "validation": parts["validation"][SPLIT_COLUMNS],
        "test": parts["test"][SPLIT_COLUMNS],
        "pretrain": pretrain,
    }
    assert_no_leakage(outputs, held_out=("validation", "test"))
    return tuple(frame.reset_index(drop=True) for frame in outputs.values())


@typed_settings
def augment_train(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    test: pd.DataFrame,
    augmentation: Augmentation,
) -> pd.DataFrame:
    """The training split plus augmented copies (flagged `augmented`), never touching
    validation or test; copies that collide with an existing text are dropped."""
    result = augment_training_rows(
        train, [validation, test], AugmentationParams(**augmentation.as_dict())
    )
    assert_no_leakage(
        {"train": result, "validation": validation, "test": test}, held_out=("validation", "test")
    )
    return result


def summarize_data(
    raw: pd.DataFrame,
    validated: pd.DataFrame,
    rejected: pd.DataFrame,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    test: pd.DataFrame,
    pretrain: pd.DataFrame,
    rejected_sample_size: int,
) -> tuple[dict[str, dict[str, float]], pd.DataFrame]:
    """Row counts after each step and per rejection reason (MLflow metrics), and a sample of
    the rejected rows (an MLflow artifact)."""
    counts = {
        "rows_raw": len(raw),
        "rows_after_dedup": len(raw) - int((rejected["stage"] == "clean").sum()),
        "rows_validated": len(validated),
        "rows_rejected": len(rejected),
        "rows_train": int((~train["augmented"]).sum()),
        "rows_train_augmented": int(train["augmented"].sum()),
        "rows_validation": len(validation),
        "rows_test": len(test),
        "rows_pretrain": len(pretrain),
    }
    for reason, n in rejected["reason"].str.split("; ").explode().value_counts().items():
        counts[f"rejected.{reason.replace(':', '.')}"] = int(n)
    metrics = {name: {"value": float(value), "step": 0} for name, value in counts.items()}
    sample = rejected.groupby("reason", group_keys=False).head(rejected_sample_size)
    return metrics, sample.reset_index(drop=True)


@typed_settings
def describe_data(
    source: Source,
    cleaning: Cleaning,
    validation: Validation,
    split: Split,
    augmentation: Augmentation,
) -> dict[str, Any]:
    """The data parameters, carried along with the models so that the run that evaluates a
    classifier shows what data shaped it (`lmforge_lineage.json`)."""
    return {
        "data_processing": {
            "params": {
                "source": source.as_dict(),
                "cleaning": cleaning.as_dict(),
                "validation": validation.as_dict(),
                "split": split.as_dict(),
                "augmentation": augmentation.as_dict(),
            }
        }
    }
