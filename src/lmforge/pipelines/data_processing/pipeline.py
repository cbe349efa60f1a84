"""`data_processing`: ingest → clean → validate (pandera) → split → augment, then a summary."""

from kedro.pipeline import Pipeline, node, pipeline

from lmforge.pipelines.data_processing import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(nodes.ingest_source, "params:source", "raw_corpus", name="ingest_source"),
            node(
                nodes.clean_corpus,
                ["raw_corpus", "params:cleaning"],
                ["clean_corpus", "label_map", "duplicate_rows"],
                name="clean_corpus",
            ),
            node(
                nodes.validate_corpus,
                [
                    "clean_corpus",
                    "label_map",
                    "duplicate_rows",
                    "params:cleaning",
                    "params:validation",
                    "params:source.label_column",
                ],
                ["validated_corpus", "rejected_rows"],
                name="validate_corpus",
            ),
            node(
                nodes.split_corpus,
                ["validated_corpus", "params:split"],
                ["train_unaugmented", "validation", "test", "pretrain_corpus"],
                name="split_corpus",
            ),
            node(
                nodes.augment_train,
                ["train_unaugmented", "validation", "test", "params:augmentation"],
                "train",
                name="augment_train",
            ),
            node(
                nodes.summarize_data,
                [
                    "raw_corpus",
                    "validated_corpus",
                    "rejected_rows",
                    "train",
                    "validation",
                    "test",
                    "pretrain_corpus",
                    "params:reporting.rejected_sample_per_reason",
                ],
                ["data_quality_metrics", "rejected_sample"],
                name="summarize_data",
            ),
            node(
                nodes.describe_data,
                [
                    "params:source",
                    "params:cleaning",
                    "params:validation",
                    "params:split",
                    "params:augmentation",
                ],
                "data_lineage",
                name="describe_data",
            ),
        ]
    )
