"""Nodes of the `label_efficiency` pipeline: for each label budget, the same fine-tuning from
the pretrained model and from random weights, and TF-IDF + LR, on the same test split."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from lmforge.data.augmentation import AugmentationParams, augment_training_rows
from lmforge.data.splitting import apply_label_budget
from lmforge.parameters import typed_settings
from lmforge.parameters.data_processing import Augmentation
from lmforge.parameters.evaluation import Evaluation
from lmforge.parameters.finetuning import Finetuning
from lmforge.parameters.label_efficiency import LabelEfficiency

if TYPE_CHECKING:  # torch, transformers and matplotlib are imported by the nodes that use them
    import matplotlib.pyplot as plt

    from lmforge.modeling.artifacts import ModelRef

SERIES = {
    "pretrained": "pretrained + fine-tuned",
    "no_pretrain": "no pretraining",
    "tfidf_lr": "TF-IDF + logistic regression",
}


@typed_settings
def label_efficiency_curve(
    pretrained: ModelRef,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    test: pd.DataFrame,
    label_map: dict,
    finetuning: Finetuning,
    evaluation: Evaluation,
    augmentation: Augmentation,
    label_efficiency: LabelEfficiency,
    checkpoint_root: str | None,
) -> list[dict[str, Any]]:
    """One point per budget in `label_efficiency.budgets` (null: every training label).
    Each budget draws its labeled rows (stratified, seeded) from the run's training split and
    augments them as the data pipeline does; the pretrained model and the test split are
    shared by every point."""
    from lmforge.evaluation.comparison import fine_tuned_scores, tfidf_scores
    from lmforge.modeling.artifacts import resolve_init

    classes = list(label_map["classes"])
    init = resolve_init(pretrained, finetuning.init_from)
    settings = finetuning.for_start(init.from_checkpoint).as_dict()
    augmentation_params = AugmentationParams(**augmentation.as_dict())
    labeled = train[~train["augmented"]].drop(columns="augmented")
    points = []
    for budget in label_efficiency.budgets:
        rows = apply_label_budget(labeled, budget, label_efficiency.seed)
        if points and len(rows) == points[-1]["labels"]:
            continue  # a budget above the available labels repeats the last point
        rows = augment_training_rows(rows, [validation, test], augmentation_params)
        tag = f"label_efficiency_{len(rows)}"
        point: dict[str, Any] = {"labels": int((~rows["augmented"]).sum())}
        variants = [("pretrained_", tag, False)]
        if label_efficiency.compare_no_pretrain:
            variants.append(("no_pretrain_", f"{tag}_random", True))
        for prefix, stage, random_weights in variants:
            point.update(
                fine_tuned_scores(
                    init,
                    rows,
                    validation,
                    test,
                    classes,
                    settings,
                    evaluation.batch_size,
                    checkpoint_root,
                    stage,
                    prefix,
                    random_weights,
                )
            )
        point.update(tfidf_scores(rows, test, classes, evaluation.tfidf.as_dict()))
        points.append(point)
    return points


def plot_label_efficiency(points: list[dict[str, Any]]) -> plt.Figure:
    """Macro-F1 against the number of labeled training rows, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    labels = [p["labels"] for p in points]
    for key, name in SERIES.items():
        values = [p.get(f"{key}_macro_f1") for p in points]
        if all(v is not None for v in values):
            axis.plot(labels, values, marker="o", label=name)
    axis.set_xscale("log")
    axis.set_xticks(labels, [str(n) for n in labels])
    axis.set_xlabel("labeled training rows")
    axis.set_ylabel("test macro-F1")
    axis.set_title("Label efficiency")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    return figure
