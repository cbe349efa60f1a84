"""`pretraining`: train a tokenizer, pack the corpus into tokens, pretrain a language model."""

from kedro.pipeline import Pipeline, node, pipeline

from lmforge.pipelines.pretraining import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.build_tokenizer,
                ["pretrain_corpus", "params:pretraining"],
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
                    "params:pretraining",
                    "params:checkpoint_root",
                ],
                ["pretrained_model", "pretraining_curves", "pretraining_metrics"],
                name="pretrain_language_model",
                tags=["gpu"],
            ),
        ]
    )
