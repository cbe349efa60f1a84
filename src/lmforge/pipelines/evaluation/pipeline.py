"""`evaluation`: test metrics, TF-IDF and no-pretraining baselines, latency, registration."""

from kedro.pipeline import Pipeline, node, pipeline

from lmforge.pipelines.evaluation import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.predict_test_split,
                ["classifier", "test", "label_map", "params:evaluation"],
                "test_predictions",
                name="predict_test_split",
            ),
            node(
                nodes.score_predictions,
                ["test_predictions", "label_map", "params:evaluation"],
                ["classifier_test_metrics", "confusion_matrix", "confusion_matrix_plot"],
                name="score_predictions",
            ),
            node(
                nodes.measure_latency,
                ["classifier", "test", "params:evaluation"],
                "latency",
                name="measure_latency",
            ),
            node(
                nodes.score_validation_split,
                ["classifier", "validation", "label_map", "params:evaluation"],
                "classifier_validation_metrics",
                name="score_validation_split",
            ),
            node(
                nodes.tfidf_baseline,
                ["classifier", "train", "validation", "test", "label_map", "params:evaluation"],
                "tfidf_metrics",
                name="tfidf_baseline",
            ),
            node(
                nodes.score_no_pretrain_baseline,
                ["no_pretrain_classifier", "test", "label_map", "params:evaluation"],
                "no_pretrain_metrics",
                name="score_no_pretrain_baseline",
            ),
            node(
                nodes.assemble_metrics,
                [
                    "classifier_test_metrics",
                    "classifier_validation_metrics",
                    "tfidf_metrics",
                    "no_pretrain_metrics",
                ],
                "metrics",
                name="assemble_metrics",
            ),
            node(
                nodes.mlflow_metrics,
                ["metrics", "latency"],
                "evaluation_mlflow_metrics",
                name="log_evaluation_metrics",
            ),
            node(
                nodes.lineage_annotations,
                "classifier",
                "lineage_annotations",
                name="lineage_annotations",
            ),
            node(
                nodes.registration_candidate,
                ["classifier", "metrics", "label_map", "test", "params:registry"],
                "registered_classifier",
                name="register_classifier",
            ),
        ]
    )
