"""`finetuning`: a sequence classifier from the pretrained model, and the same architecture
from random weights (the no-pretraining baseline), both with the shared loop."""

from kedro.pipeline import Pipeline, node, pipeline

from lmforge.pipelines.finetuning import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.finetune_classifier,
                [
                    "pretrained_model",
                    "train",
                    "validation",
                    "label_map",
                    "data_lineage",
                    "params:finetuning",
                    "params:checkpoint_root",
                ],
                ["classifier", "finetuning_curves", "finetuning_metrics"],
                name="finetune_classifier",
                tags=["gpu"],
            ),
            node(
                nodes.finetune_no_pretrain_baseline,
                [
                    "pretrained_model",
                    "train",
                    "validation",
                    "label_map",
                    "params:finetuning",
                    "params:checkpoint_root",
                ],
                "no_pretrain_classifier",
                name="no_pretrain_baseline",
                tags=["gpu"],
            ),
        ]
    )
