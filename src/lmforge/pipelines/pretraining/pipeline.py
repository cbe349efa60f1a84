"""`pretraining`: choose the starting point, train (or reuse) a tokenizer, pack the corpus into
tokens, pretrain a language model."""

from kedro.pipeline import Pipeline, node, pipeline

from lmforge.pipelines.pretraining import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.choose_starting_point,
                ["pretrain_corpus", "params:pretraining"],
                ["pretraining_settings", "starting_point"],
                name="choose_starting_point",
            ),
            node(
                nodes.build_tokenizer,
                ["pretrain_corpus", "pretraining_settings"],
                "pretrain_tokenizer",
                name="build_tokenizer",
            ),
            node(
                nodes.tokenize_corpus,
                ["pretrain_corpus", "pretrain_tokenizer"],
                "pretrain_tokens",
                name="tokenize_corpus",
            ),
            node(
                nodes.pretrain_language_model,
                [
                    "pretrain_tokens",
                    "pretrain_tokenizer",
                    "pretraining_settings",
                    "params:checkpoint_root",
                    "starting_point",
                ],
                ["pretrained_model", "pretraining_curves", "pretraining_metrics"],
                name="pretrain_language_model",
                tags=["gpu"],
            ),
        ]
    )
