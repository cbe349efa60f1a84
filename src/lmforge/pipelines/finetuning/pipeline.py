"""`finetuning`: a sequence classifier from the pretrained model, with the shared loop."""

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
                ],
                ["classifier", "finetuning_curves", "finetuning_metrics"],
                name="finetune_classifier",
                tags=["gpu"],
            ),
        ]
    )
