"""`inference`: score a CSV / parquet / TXT file with `models:/lmforge-classifier@champion`."""

from kedro.pipeline import Pipeline, node, pipeline

from lmforge.pipelines.inference import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.score_texts,
                ["champion_model", "inference_input", "params:inference"],
                "inference_predictions",
                name="score_texts",
            ),
        ]
    )
