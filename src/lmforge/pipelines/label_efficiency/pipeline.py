"""`label_efficiency`: `kedro run --pipelines label_efficiency` after a default run."""

from kedro.pipeline import Pipeline, node, pipeline

from lmforge.pipelines.label_efficiency import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.label_efficiency_curve,
                [
                    "pretrained_model",
                    "train",
                    "validation",
                    "test",
                    "label_map",
                    "params:finetuning",
                    "params:evaluation",
                    "params:augmentation",
                    "params:label_efficiency",
                    "params:checkpoint_root",
                ],
                "label_efficiency",
                name="label_efficiency_curve",
                tags=["gpu"],
            ),
            node(
                nodes.plot_label_efficiency,
                "label_efficiency",
                "label_efficiency_plot",
                name="plot_label_efficiency",
            ),
        ]
    )
