"""`compression`: int8, pruned and distilled variants of the classifier; one measurement of all
of them against it; registration of the ones that keep its quality and run faster."""

from kedro.pipeline import Pipeline, node, pipeline

from lmforge.pipelines.compression import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.quantize_int8,
                ["classifier", "params:compression"],
                "int8_classifier",
                name="quantize_int8",
            ),
            node(
                nodes.prune_classifier,
                [
                    "classifier",
                    "train",
                    "validation",
                    "label_map",
                    "params:compression",
                    "params:checkpoint_root",
                ],
                "pruned_classifier",
                name="prune_classifier",
                tags=["gpu"],
            ),
            node(
                nodes.distill_student,
                [
                    "classifier",
                    "train",
                    "validation",
                    "test",
                    "pretrain_corpus",
                    "label_map",
                    "params:compression",
                    "params:checkpoint_root",
                ],
                "distilled_classifier",
                name="distill_student",
                tags=["gpu"],
            ),
            node(
                nodes.measure_variants,
                [
                    "classifier",
                    "int8_classifier",
                    "pruned_classifier",
                    "distilled_classifier",
                    "test",
                    "label_map",
                    "params:compression",
                ],
                ["compression_report", "compression_plot"],
                name="measure_variants",
            ),
            node(
                nodes.compression_metrics,
                "compression_report",
                "compression_mlflow_metrics",
                name="log_compression_metrics",
            ),
            node(
                nodes.variant_candidates,
                [
                    "compression_report",
                    "int8_classifier",
                    "pruned_classifier",
                    "distilled_classifier",
                    "label_map",
                    "test",
                    "registered_classifier",
                    "metrics",
                    "params:registry",
                    "params:compression",
                ],
                "registered_variants",
                name="register_variants",
            ),
        ]
    )
